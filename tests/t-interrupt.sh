#!/bin/sh
# Ctrl-C: the first stops claiming and lets work in flight finish within the
# grace period, leaving the rest pending; the second exits at once, and the
# next run takes back what the stopped process had claimed.
. "$REPO/tests/lib.sh"
W="$T/wf"
mkdir -p "$W"
cp -p "$REPO/tests/data/scripts/gate.sh" "$REPO/tests/data/scripts/echo.sh" "$W/"
cat >"$W/wf.json" <<'JSON'
{"workflow_id": 900, "name": "interrupt",
 "actors": [{"actor_id": 901, "name": "gate", "type": "script", "script": "gate.sh"},
            {"actor_id": 902, "name": "after", "type": "script", "script": "echo.sh"}],
 "conversations": [
  {"conversation_id": 9001, "name": "slow step", "actor": "gate", "instruction": {"template": "{}"},
   "rules": [{"condition": "[DONE]", "next": 9002}]},
  {"conversation_id": 9002, "name": "next step", "actor": "after", "terminal": true, "instruction": {"template": "{}"}}]}
JSON
runner=
trap '[ -z "$runner" ] || kill -9 $runner 2>/dev/null; [ -f "$W/started" ] && kill -9 "$(cat "$W/started")" 2>/dev/null; true' EXIT
wait_for() { # SECONDS COMMAND...
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
started() { [ -s "$W/started" ]; }
status_of() { sql "SELECT status || ' ' || attempts FROM interactions WHERE conversation_id = $1"; }

wr init >/dev/null
wr load "$W/wf.json" >/dev/null

# 1. One Ctrl-C: the step in flight finishes; the step it creates is not started.
wr start --workflow 900 >/dev/null
"$WAVERUNNER" run --grace 20s >"$T/run1.out" 2>&1 &
runner=$!
check_true "the slow step started" wait_for 30 started
kill -INT "$runner"
sleep 0.3
check_eq "after Ctrl-C the step in flight is still running (grace)" "$(status_of 9001)" "running 1"
touch "$W/go"
wait "$runner"
check_eq "the run exits with 130" "$?" "130"
runner=
check_eq "the step in flight finished within the grace period" "$(status_of 9001)" "completed 1"
check_eq "the step it created was not started" "$(status_of 9002)" "pending 0"
check_eq "the run stays resumable (running)" "$(sql "SELECT status FROM workflow_runs")" "running"
check_contains "the summary says so" "$(cat "$T/run1.out")" "interrupted: what was not finished is pending; run again to go on"
run_wr run
check_eq "the next run goes on" "$(status_of 9002)|$(sql "SELECT status FROM workflow_runs")" "completed 1|completed"

# 2. Two Ctrl-C: exit at once; the next run takes back the claimed step.
rm -f "$W/go" "$W/started"
wr start --workflow 900 --again >/dev/null
"$WAVERUNNER" run --grace 20s >"$T/run2.out" 2>&1 &
runner=$!
check_true "the slow step started again" wait_for 30 started
kill -INT "$runner"
sleep 0.2
kill -INT "$runner"
wait "$runner"
check_eq "a second Ctrl-C exits at once with 130" "$?" "130"
runner=
check_contains "... saying the next run takes back its work" "$(cat "$T/run2.out")" "interrupted again: exiting now"
check_eq "its step is left claimed" "$(sql "SELECT status FROM interactions WHERE conversation_id = 9001 AND workflow_run_id = 2")" "running"
gone() { ! kill -0 "$(cat "$W/started")" 2>/dev/null; }
check_true "the script it was running did not outlive it" wait_for 5 gone
touch "$W/go"
run_wr run
check_contains "the next run took the lease back" "$OUT" "took back 1 interaction from a process that had stopped"
check_eq "... and finished the run" "$(sql "SELECT status FROM workflow_runs WHERE workflow_run_id = 2")" "completed"
check_eq "the lost attempt is counted, and recorded" \
	"$(sql "SELECT attempts FROM interactions WHERE conversation_id = 9001 AND workflow_run_id = 2")|$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'lease_expired'")" "2|1"
finish
