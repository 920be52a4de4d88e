#!/usr/bin/env bash
# Installs what `mvn -B verify` needs beyond a JDK and Maven:
#  - Chromium, for the dashboard's browser tests (DashboardPageTest, DashboardClusterTest), which
#    drive a real headless Chromium;
#  - iptables, for the network-namespace tests (NetnsClusterTest), which add random loss and cut
#    links inside namespaces they create. Those tests run only as root and are skipped elsewhere,
#    so iptables is installed only when this script runs as root.
# Idempotent: installs nothing that is on the PATH already. Installs Debian's `chromium` and
# `iptables` packages with apt-get when run as root on a system that has apt-get; anywhere else,
# without Chromium it says what to install and exits 1 (the tests would fail without it, naming
# this script).
#
#   scripts/install-test-tools.sh && mvn -B verify
#
# A Chromium elsewhere (not on the PATH, or not called `chromium`) can be given to the tests
# instead: mvn -B verify -Dchromium.path=/path/to/chrome
set -euo pipefail

root=false
if [ "$(id -u)" -eq 0 ]; then
  root=true
fi
have_apt=false
if command -v apt-get >/dev/null 2>&1; then
  have_apt=true
fi

missing=()
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# iptables lives in /usr/sbin, which is not on every PATH.
if $root && ! command -v iptables >/dev/null 2>&1 && [ ! -x /usr/sbin/iptables ]; then
  missing+=(iptables)
fi

if [ "${#missing[@]}" -gt 0 ] && $have_apt && $root; then
  echo "install-test-tools: installing Debian's ${missing[*]} (browser tests; namespace tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

if command -v chromium >/dev/null 2>&1; then
  echo "install-test-tools: chromium is installed ($(command -v chromium))"
else
  if $have_apt && $root; then
    echo "install-test-tools: apt-get installed chromium but it is not on the PATH" >&2
    exit 1
  fi
  cat >&2 <<'MSG'
install-test-tools: chromium is not installed, and this script can only install it as root with
apt-get (Debian, Ubuntu). Install Chromium with your system's package manager (on Debian and
Ubuntu: sudo apt-get install chromium), or point the tests at a Chrome or Chromium you have:
  mvn -B verify -Dchromium.path=/path/to/chromium
MSG
  exit 1
fi

if $root; then
  if command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ]; then
    echo "install-test-tools: iptables is installed (for the network-namespace tests)"
  else
    # Not fatal: NetnsClusterTest's loss test is skipped with a message naming this script.
    echo "install-test-tools: iptables is not installed; the namespace tests' loss test will be skipped" >&2
  fi
fi
