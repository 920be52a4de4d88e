#!/usr/bin/env bash
# A longer coverage-guided fuzzing run of the decoders (Jazzer) than the 10 s per decoder that
# `mvn -B verify` gives them. See docs/security.md, "Fuzzed decoders".
#
#   scripts/fuzz.sh                                # every decoder, 10 minutes each
#   scripts/fuzz.sh 1h ClusterCodecFuzzTest        # one decoder, an hour
#
# Each fuzz test class runs in a JVM of its own with a 256 MB heap and a 10 s per-input timeout.
# Findings (crash-*, timeout-*) are written to
# messaging-core/src/test/resources/io/github/ringleader/messaging/protocol/<Class>Inputs/<method>/
# and replayed by every later run, `mvn verify` included; the corpus Jazzer grows is kept in
# messaging-core/.cifuzz-corpus/ (not committed) and is where the next run starts.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-10m}"
tests="${2:-*FuzzTest}"

case "$duration" in
  *h) seconds=$(( ${duration%h} * 3600 )) ;;
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=$(( ${duration%s} )) ;;
  *) echo "duration must look like 90s, 10m or 2h, was: $duration" >&2; exit 2 ;;
esac

# The fork timeout is the backstop for a JVM stuck outside libFuzzer's per-input timeout; it
# must outlast the run and the JVM's start.
exec mvn -B -pl messaging-core -am test \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest="$tests" \
  -Djazzer.max_duration="$duration" \
  -Djazzer.fork_timeout_seconds=$(( seconds + 600 ))
