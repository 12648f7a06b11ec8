#!/bin/sh
# Runs every benchmark in tests/bench (each prints its own figures).
# Environment: WAVERUNNER (the binary), TOOLS (the test programs); make bench sets both.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${WAVERUNNER:?set WAVERUNNER to the waverunner binary (make bench does)}"
: "${TOOLS:?set TOOLS to the test programs directory (make bench does)}"
export WAVERUNNER TOOLS
status=0
for b in tests/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	sh "$b" || status=1
	echo
done
exit $status
