#!/usr/bin/env bash
# Installs what `mvn -B verify` needs beyond a JDK and Maven: Chromium, for the dashboard's
# browser tests (DashboardPageTest, DashboardClusterTest), which drive a real headless Chromium.
# Idempotent: does nothing when `chromium` is on the PATH already. Installs Debian's `chromium`
# package with apt-get when run as root on a system that has apt-get; anywhere else it says what
# to install and exits 1 (the tests would fail without it, naming this script).
#
#   scripts/install-test-tools.sh && mvn -B verify
#
# A Chromium elsewhere (not on the PATH, or not called `chromium`) can be given to the tests
# instead: mvn -B verify -Dchromium.path=/path/to/chrome
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "install-test-tools: chromium is installed ($(command -v chromium))"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "install-test-tools: installing Debian's chromium package (for the dashboard's browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends chromium
  if command -v chromium >/dev/null 2>&1; then
    echo "install-test-tools: chromium is installed ($(command -v chromium))"
    exit 0
  fi
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
