#!/bin/sh
# t-fencing.sh: a step completes once, even when a lease expires under a live
# process. Process A runs against a slow stub model server and is stopped
# (SIGSTOP) while its calls are in flight; its leases (made short with
# WAVERUNNER_TEST_LEASE_MS) expire; process B takes them back and runs
# everything to the end; A is resumed and finishes its calls. The final step
# history of every run must equal that of an uninterrupted run, no interaction
# may have two children from one rule, and A's late attempts must be recorded
# as discarded. Then: a call longer than its lease keeps it, because the
# engine renews the lease while the call is in flight.
. "$(dirname "$0")/lib.sh"
[ -n "$T" ] && [ -d "$T" ] || { echo "not ok 1 - no test directory"; exit 1; }

. "$REPO/tests/stub-llm.sh"
unset WAVERUNNER_TEST_LEASE_MS
A_PID=
cleanup() {
	if [ -n "$A_PID" ]; then
		kill -CONT "$A_PID" 2>/dev/null
		kill "$A_PID" 2>/dev/null
		wait "$A_PID" 2>/dev/null
	fi
	A_PID=
	stop_stub
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# Bounded: a hang fails the test instead of stopping the suite.
bounded() {
	if command -v timeout >/dev/null 2>&1; then timeout 120 "$@"; else "$@"; fi
}
# poll SECONDS SQL EXPECTED: waits until the query on $DB gives EXPECTED.
poll() {
	i=0
	while [ "$(sql "$2")" != "$3" ] && [ $i -lt $(($1 * 20)) ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(sql "$2")" = "$3" ]
}
NOW="strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

# A check of each posting fans out to a summary and a comment (two rules of
# one priority); the comment leads to a final step. All model calls.
cat >"$T/fence.json" <<'EOF'
{"workflow_id": 7101, "name": "Fencing",
 "actors": [{"actor_id": 711, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0, "seed": 1}}],
 "conversations": [
  {"conversation_id": 91, "name": "Check", "actor": "qwen2.5:7b", "order": 1, "timeout_seconds": 30,
   "instruction": {"template": "Check {job_title}: answer [PASS] or [FAIL]."},
   "rules": [{"id": 911, "condition": "[PASS]", "next": 92, "priority": 1},
             {"id": 912, "condition": "[PASS]", "next": 93, "priority": 1}]},
  {"conversation_id": 92, "name": "Summary", "actor": "qwen2.5:7b", "order": 2, "timeout_seconds": 30,
   "terminal": true, "instruction": {"template": "Summarise the job {job_title}."}},
  {"conversation_id": 93, "name": "Comment", "actor": "qwen2.5:7b", "order": 3, "timeout_seconds": 30,
   "instruction": {"template": "Comment on: {conversation_91_output}"},
   "rules": [{"id": 931, "condition": "*", "next": 94, "priority": 1}]},
  {"conversation_id": 94, "name": "Final", "actor": "qwen2.5:7b", "order": 4, "timeout_seconds": 30,
   "terminal": true, "instruction": {"template": "Conclude about {job_title}: {conversation_93_output}"}}]}
EOF
sqlite3 -batch -noheader :memory: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4)
  SELECT json_group_array(json_object('posting_id', i, 'job_title', 'Data engineer ' || i,
    'job_description', 'We are hiring data engineer number ' || i || ' to build pipelines in Python and SQL.',
    'external_job_id', 'F' || i, 'external_url', 'https://example.com/jobs/' || i)) FROM n" >"$T/postings.json"
fresh() { # ARGS: a new database at $DB with runs started (start ARGS)
	rm -f "$DB" "$DB-wal" "$DB-shm"
	wr init >/dev/null && wr load "$T/fence.json" "$T/postings.json" >/dev/null &&
		wr start --workflow 7101 "$@" >/dev/null
}
# history DB: per run, its steps in order of creation: conversation, status,
# the rule and the parent's conversation that created it, the output; then
# the completed and failed events and branchings per interaction.
history() {
	sqlite3 -batch -noheader "$1" "
	SELECT r.posting_id, r.status, i.execution_order, i.conversation_id, i.status, coalesce(i.via_rule_id, ''),
	  coalesce((SELECT group_concat(q.conversation_id) FROM interaction_parents p
	    JOIN interactions q ON q.interaction_id = p.parent_interaction_id WHERE p.interaction_id = i.interaction_id), ''),
	  (SELECT count(*) FROM interaction_parents p WHERE p.parent_interaction_id = i.interaction_id),
	  (SELECT count(*) FROM interaction_events e WHERE e.interaction_id = i.interaction_id
	     AND e.event_type IN ('interaction_completed', 'interaction_failed', 'interaction_branched')),
	  i.output
	FROM interactions i JOIN workflow_runs r USING (workflow_run_id)
	ORDER BY r.posting_id, i.execution_order;"
}
PAR="--parallel 4 --per-model 4"

# --- The reference: one uninterrupted run -----------------------------------
start_stub --latency-ms 1500 --slots 8
fresh --all
bounded "$WAVERUNNER" run --llm ollama $PAR --quiet >"$T/ref.out" 2>&1
check_eq "uninterrupted: the run ends well" "$?" 0
cp "$DB" "$T/reference.db"
history "$T/reference.db" >"$T/reference.txt"
check_eq "uninterrupted: 16 interactions, all completed" \
	"$(sqlite3 "$T/reference.db" "SELECT count(*) FILTER (WHERE status = 'completed') || '/' || count(*) FROM interactions")" \
	"16/16"

# --- A is stopped with calls in flight; B takes over; A resumes -------------
fresh --all
WAVERUNNER_TEST_LEASE_MS=1000 "$WAVERUNNER" run --llm ollama $PAR --quiet >"$T/a.out" 2>"$T/a.err" &
A_PID=$!
# Stop A while its calls are in flight, never while it holds the write lock
# (B could not write then): if it does, let it go on a little and stop it again.
stopped=0
i=0
while [ $i -lt 400 ]; do
	i=$((i + 1))
	if [ "$(sql "SELECT count(*) FROM interactions WHERE status = 'running'")" -ge 2 ]; then
		kill -STOP "$A_PID"
		if sqlite3 -cmd ".timeout 300" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; then
			stopped=1
			break
		fi
		kill -CONT "$A_PID"
	fi
	sleep 0.02
done
check_eq "A was stopped with calls in flight" "$stopped" 1
OWNER_A=$(sql "SELECT DISTINCT lease_owner FROM interactions WHERE status = 'running'")
HELD=$(sql "SELECT count(*) FROM interactions WHERE status = 'running'")
check_true "A's leases expire while it is stopped" \
	poll 20 "SELECT count(*) FROM interactions WHERE status = 'running' AND lease_expires_at > $NOW" 0

bounded "$WAVERUNNER" --json run --llm ollama $PAR >"$T/b.out" 2>"$T/b.err"
check_eq "B runs everything to the end" "$?" 0
check_eq "B took back the $HELD leases of the stopped A" \
	"$(sqlite3 :memory: "SELECT json_extract(readfile('$T/b.out'), '\$.leases_recovered')")" "$HELD"
check_eq "... and every run is completed" "$(sql "SELECT group_concat(DISTINCT status) FROM workflow_runs")" completed

kill -CONT "$A_PID"
wait "$A_PID"
status=$?
A_PID=
check_eq "A, resumed, ends well" "$status" 0
check_contains "A says it discarded its late attempts" "$(cat "$T/a.out")" "discarded $HELD attempt"
check_contains "... and warns about each" "$(cat "$T/a.err")" "after its lease was lost"

history "$DB" >"$T/fenced.txt"
check_true "the step history of every run equals the uninterrupted run's" cmp -s "$T/reference.txt" "$T/fenced.txt"
if ! cmp -s "$T/reference.txt" "$T/fenced.txt"; then
	diff "$T/reference.txt" "$T/fenced.txt" | head -20 | sed 's/^/#   /'
fi
check_eq "no interaction has two children from one rule" \
	"$(sql "SELECT p.parent_interaction_id || ':' || i.via_rule_id FROM interaction_parents p
	        JOIN interactions i USING (interaction_id) GROUP BY p.parent_interaction_id, i.via_rule_id
	        HAVING count(*) > 1")" ""
check_eq "each of A's late attempts is an attempt_discarded event, with A as owner" \
	"$(sql "SELECT count(*) || ' ' || group_concat(DISTINCT json_extract(event_data, '\$.owner'))
	        FROM interaction_events WHERE event_type = 'attempt_discarded'")" "$HELD $OWNER_A"
check_eq "... saying what happened: the interaction was completed by B" \
	"$(sql "SELECT DISTINCT json_extract(event_data, '\$.why') LIKE 'it is completed now%'
	        FROM interaction_events WHERE event_type = 'attempt_discarded'")" 1
check_eq "the interactions A lost took two attempts (A's and B's)" \
	"$(sql "SELECT DISTINCT i.attempts FROM interactions i JOIN interaction_events e USING (interaction_id)
	        WHERE e.event_type = 'attempt_discarded'")" 2
run_wr trace "$(sql "SELECT workflow_run_id FROM interactions i JOIN interaction_events e USING (interaction_id)
	            WHERE e.event_type = 'attempt_discarded' ORDER BY i.interaction_id LIMIT 1")"
check_contains "trace shows the discarded attempt" "$OUT" "too late, discarded: it is completed now"

# --- A call longer than its lease keeps it: the lease is renewed --------------
stop_stub
start_stub --latency-ms 6000 --slots 8
fresh --posting 1 # one call in flight: its first step (interaction 1)
WAVERUNNER_TEST_LEASE_MS=1000 "$WAVERUNNER" run --llm ollama --max-interactions 1 --quiet >"$T/a2.out" 2>"$T/a2.err" &
A_PID=$!
poll 20 "SELECT status FROM interactions WHERE interaction_id = 1" running
FIRST=$(sql "SELECT lease_expires_at FROM interactions WHERE interaction_id = 1")
check_true "while the call is in flight, its lease is renewed" \
	poll 20 "SELECT status = 'running' AND lease_expires_at > '$FIRST' FROM interactions WHERE interaction_id = 1" 1
poll 20 "SELECT $NOW > '$FIRST'" 1
check_eq "the call is still in flight after its first lease would have ended" \
	"$(sql "SELECT status FROM interactions WHERE interaction_id = 1")" running
bounded "$WAVERUNNER" --json run --llm ollama $PAR >"$T/b2.out" 2>"$T/b2.err"
check_eq "then another run takes nothing back" \
	"$(sqlite3 :memory: "SELECT json_extract(readfile('$T/b2.out'), '\$.leases_recovered')")" 0
wait "$A_PID"
check_eq "the process that renewed its lease ends well" "$?" 0
A_PID=
check_eq "the step completed once, in one attempt, nothing discarded" \
	"$(sql "SELECT status || ' ' || attempts || ' ' || (SELECT group_concat(event_type) FROM interaction_events e
	        WHERE e.interaction_id = i.interaction_id AND e.event_type IN ('interaction_completed', 'attempt_discarded'))
	        FROM interactions i WHERE interaction_id = 1")" "completed 1 interaction_completed"

finish
