#!/bin/sh
# make bench: runs every benchmark in tests/bench/ (each prints its figures).
# Environment: WAVERUNNER (the binary), TOOLS (the test programs); make bench sets both.
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${WAVERUNNER:?set WAVERUNNER to the waverunner binary (make bench does)}"
: "${TOOLS:?set TOOLS to the test programs directory (make bench does)}"
export WAVERUNNER TOOLS
status=0
for b in tests/bench/*.sh; do
	case "$(basename "$b")" in run.sh | generate.sh | lib.sh) continue ;; esac
	echo "== $(basename "$b" .sh)"
	sh "$b" || status=1
	echo
done
exit $status
