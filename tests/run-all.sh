#!/bin/sh
# Runs every test suite and ends with one summary line: "N passed, N failed".
# Each suite prints TAP ("ok N - what", "not ok N - what"); a suite that dies
# without finishing counts as a failure. Environment: WAVERUNNER (the binary),
# TOOLS (directory of the unit tests and test programs), SANITIZE.
# Run one suite: sh tests/run-all.sh cases   (or unit, engine, ...)
set -u
cd "$(dirname "$0")/.." || exit 1
: "${WAVERUNNER:?set WAVERUNNER to the waverunner binary (make check does)}"
: "${TOOLS:?set TOOLS to the test programs directory (make check does)}"
export WAVERUNNER TOOLS
export REPO="$(pwd)"
OUT=${TEST_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/waverunner-tests.XXXXXX")}
export TEST_OUT="$OUT"
mkdir -p "$OUT"

passed=0
failed=0
failures=""
start=$(date +%s)

# run_suite NAME COMMAND...: runs one suite, counts its TAP lines.
run_suite() {
	name=$1
	shift
	log="$OUT/$(echo "$name" | tr '/' '-').log"
	printf '%-28s' "$name"
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	status=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - suite $name exited with status $status" >>"$log"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%4d passed %4d failed  (%ss)\n' "$p" "$f" "$(($(date +%s) - t0))"
	if [ "$f" -ne 0 ]; then
		failures="$failures $name"
		grep '^not ok' "$log" | sed 's/^/    /'
		echo "    log: $log"
	fi
}

only=${1:-}
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

if want unit; then
	for t in "$TOOLS"/test-*; do
		[ -x "$t" ] || continue
		run_suite "unit/$(basename "$t")" "$t"
	done
fi
want cases && run_suite cases sh tests/run-cases.sh
if want fuzz-corpus; then
	for t in "$TOOLS"/fuzz-*; do
		[ -x "$t" ] || continue
		n=${t##*/fuzz-}
		run_suite "fuzz-corpus/$n" "$t" tests/fuzz/corpus-"$n"/*
	done
fi
for s in tests/t-*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	n=${n#t-}
	want "$n" && run_suite "$n" sh "$s"
done

echo
echo "$passed passed, $failed failed ($(($(date +%s) - start))s)"
[ "$failed" -eq 0 ] || { echo "failed suites:$failures"; exit 1; }
