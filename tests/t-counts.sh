#!/bin/sh
# The engine's counters are of committed work (and the progress line shows runs
# done of all, a rate and an ETA): when a transaction rolls back
# (here a trigger aborts the step that would complete the run), what it had
# counted is taken back. The counts show in the progress line, which needs a
# terminal: script(1) gives the run one.
. "$(dirname "$0")/lib.sh"

if ! command -v script >/dev/null 2>&1; then
	echo "ok 1 # SKIP script(1) is not installed"
	echo "1..1"
	exit 0
fi

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
wr start --workflow 3001 --posting 10001 >/dev/null
sql "CREATE TRIGGER boom BEFORE UPDATE OF status ON workflow_runs WHEN NEW.status = 'completed'
     BEGIN SELECT RAISE(ABORT, 'boom'); END;"
script -qec "\"$WAVERUNNER\" run --llm replay --replay-dir \"$REPO/fixtures/replay\"" /dev/null >"$T/pty.out" 2>&1
check_eq "the run stops at the database error" "$?" 4
out=$(tr '\r' '\n' <"$T/pty.out")
check_contains "... and says why" "$out" "boom"
committed=$(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")
rolled_back=$(sql "SELECT count(*) FROM interactions WHERE status = 'pending'")
check_eq "the step whose transaction rolled back is pending again" "$rolled_back" 1
last=$(printf '%s\n' "$out" | grep 'waverunner: run: .* completed' | tail -n 1)
check_contains "the last progress line counts the $committed committed completions, not the rolled-back one" \
	"$last" " runs done, $committed completed, 0 failed"

# Without the trigger the same run finishes, and the count is the same as the database's.
sql "DROP TRIGGER boom"
script -qec "\"$WAVERUNNER\" run --llm replay --replay-dir \"$REPO/fixtures/replay\"" /dev/null >"$T/pty2.out" 2>&1
check_eq "the rerun finishes" "$?" 0
check_eq "the run is completed" "$(sql "SELECT status FROM workflow_runs")" "completed"

# The progress line: runs done of all, steps, rate and an ETA.
wr start --workflow 3001 --all --again >/dev/null
script -qec "\"$WAVERUNNER\" run --llm replay --replay-dir \"$REPO/fixtures/replay\"" /dev/null >"$T/pty3.out" 2>&1
last=$(tr '\r' '\n' <"$T/pty3.out" | grep 'waverunner: run: [0-9]*/' | tail -n 1)
check_contains "the last progress line: every run of the 17 done, and the steps" "$last" \
	"waverunner: run: 17/17 runs done, 194 completed, 1 failed, 0 retried, 0 running, "
check_contains "... a rate and an ETA" "$(printf '%s' "$last" | sed 's/[0-9.][0-9.]*\/s, ETA [0-9:?]*$/R\/s, ETA T/')" \
	"0 running, R/s, ETA T"
finish
