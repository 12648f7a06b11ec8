#!/bin/sh
# status reads counts that triggers keep (schema *-status-counts.sql) instead
# of counting every interaction. They must stay exact: after each thing that
# moves a number (runs through a stub server that fails, retries and reloads
# models; kill -9 mid-run and the run that finishes; rerun; run
# --retry-failed; rows deleted; a database of every older version upgraded
# and run), status --json equals that of a copy whose counts the migration
# made again from scratch; and the numbers per step and per model equal those
# counted directly from the interactions.
. "$(dirname "$0")/lib.sh"
. "$REPO/tests/stub-llm.sh"
REPLAY="$REPO/fixtures/replay"
# The migration that makes the counts, and the version before it.
counts_sql=$(ls "$REPO"/schema/*-status-counts.sql)
before=$(( $(basename "$counts_sql" | sed 's/^0*\([0-9]*\)-.*/\1/') - 1 ))

# same_as_recount WHAT: status --json equals that of a copy counted from scratch.
same_as_recount() {
	rm -f "$T/recount.db"
	sql ".backup '$T/recount.db'"
	sqlite3 "$T/recount.db" "PRAGMA user_version = $before"
	wr --json status >"$T/kept.json" 2>&1
	"$WAVERUNNER" --db "$T/recount.db" --json status >"$T/recount.json" 2>&1
	if cmp -s "$T/kept.json" "$T/recount.json" && [ "$(sqlite3 "$T/recount.db" "PRAGMA user_version")" -gt "$before" ]; then
		_ok "$1: status equals a count from scratch"
	else
		_not_ok "$1: status equals a count from scratch" "$(diff "$T/kept.json" "$T/recount.json" | head -n 10)"
	fi
	# Row for row, also those status does not show (a row whose interactions
	# have all moved on must have nothing left in its sums either).
	sql "$COUNTS_Q" >"$T/kept.rows"
	sqlite3 -batch -noheader -separator '|' "$T/recount.db" "$COUNTS_Q" >"$T/recount.rows"
	check_true "$1: every kept count equals a count from scratch" cmp -s "$T/kept.rows" "$T/recount.rows"
}
COUNTS_Q="SELECT 'runs', * FROM status_runs WHERE runs <> 0 ORDER BY workflow_id, status;
	SELECT 'steps', workflow_id, conversation_id, status, quote(model), quote(backend), interactions, attempts,
		prompt_tokens, prompt_n, output_tokens, output_n, duration_ms, duration_n, load_ns, load_n, loads
	FROM status_steps WHERE interactions <> 0 OR attempts <> 0 OR prompt_tokens <> 0 OR prompt_n <> 0
		OR output_tokens <> 0 OR output_n <> 0 OR duration_ms <> 0 OR duration_n <> 0 OR load_ns <> 0
		OR load_n <> 0 OR loads <> 0
	ORDER BY workflow_id, conversation_id, status, model, backend;
	SELECT 'errors', workflow_id, conversation_id, quote(failure_class), error_message, interactions FROM status_errors
	ORDER BY workflow_id, conversation_id, failure_class, error_message;
	SELECT 'events', * FROM status_events WHERE retries <> 0 OR dead_ends <> 0 ORDER BY workflow_id, conversation_id"

# Per step: pending, waiting, running, completed, failed, attempts, retries and
# dead ends; per model: calls, tokens, time, load time, reloads. From status
# --json, and counted directly from the rows of the database.
STEPS_JSON="SELECT group_concat(line, ' / ') FROM (SELECT printf('%d: %d %d %d %d %d %d %d %d',
	s.value ->> 'conversation_id', s.value ->> 'pending', s.value ->> 'waiting', s.value ->> 'running',
	s.value ->> 'completed', s.value ->> 'failed', s.value ->> 'attempts', s.value ->> 'retries',
	s.value ->> 'no_rule_matched') AS line
	FROM json_each(readfile('$T/kept.json'), '\$.workflows[0].steps') s ORDER BY s.value ->> 'conversation_id')"
STEPS_SQL="SELECT group_concat(line, ' / ') FROM (SELECT printf('%d: %d %d %d %d %d %d %d %d', i.conversation_id,
	count(*) FILTER (WHERE i.status = 'pending'), count(*) FILTER (WHERE i.status = 'waiting'),
	count(*) FILTER (WHERE i.status = 'running'), count(*) FILTER (WHERE i.status = 'completed'),
	count(*) FILTER (WHERE i.status = 'failed'), sum(i.attempts),
	(SELECT count(*) FROM interaction_events e JOIN interactions j USING (interaction_id)
	 WHERE j.conversation_id = i.conversation_id AND e.event_type = 'interaction_retried'),
	(SELECT count(*) FROM interaction_events e JOIN interactions j USING (interaction_id)
	 WHERE j.conversation_id = i.conversation_id AND e.event_type = 'no_rule_matched')) AS line
	FROM interactions i GROUP BY i.conversation_id ORDER BY i.conversation_id)"
MODELS_JSON="SELECT group_concat(line, ' / ') FROM (SELECT printf('%s %s: %d %s %s %s %.6f %d', m.value ->> 'model',
	m.value ->> 'backend', m.value ->> 'calls', m.value ->> 'prompt_tokens', m.value ->> 'output_tokens',
	m.value ->> 'duration_ms', m.value ->> 'load_ms', m.value ->> 'loads') AS line
	FROM json_each(readfile('$T/kept.json'), '\$.workflows[0].models') m)"
MODELS_SQL="SELECT group_concat(line, ' / ') FROM (SELECT printf('%s %s: %d %s %s %s %.6f %d', model, backend,
	count(*), sum(prompt_tokens), sum(output_tokens), sum(duration_ms), sum(load_duration_ms),
	count(*) FILTER (WHERE load_duration_ms > 500)) AS line
	FROM interactions WHERE model IS NOT NULL GROUP BY model, backend ORDER BY model, backend)"
RUNS_JSON="SELECT printf('%d %d %d', readfile('$T/kept.json') ->> '\$.workflows[0].runs.running',
	readfile('$T/kept.json') ->> '\$.workflows[0].runs.completed', readfile('$T/kept.json') ->> '\$.workflows[0].runs.failed')"
RUNS_SQL="SELECT printf('%d %d %d', count(*) FILTER (WHERE status = 'running'),
	count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed')) FROM workflow_runs"
same_as_rows() {
	check_eq "$1: runs by state as the rows say" "$(sql "$RUNS_JSON")" "$(sql "$RUNS_SQL")"
	check_eq "$1: each step's numbers as the rows say" "$(sql "$STEPS_JSON")" "$(sql "$STEPS_SQL")"
	check_eq "$1: each model's numbers as the rows say" "$(sql "$MODELS_JSON")" "$(sql "$MODELS_SQL")"
}

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
wr start --workflow 3001 --all >/dev/null
same_as_recount "started"

# --- through a stub server that refuses, rate-limits and switches models
start_stub --replay-dir "$REPLAY" --latency-ms 5 --switch-ms 600 --max-loaded 1 --fail-500 0.15 --fail-429 0.6 \
	--retry-after 0 --seed 7
run_wr_t run --llm ollama
check_true "a run with failures: some steps failed as rate-limited" \
	test "$(sql "SELECT count(*) FROM interactions WHERE failure_class = 'rate_limit' AND status = 'failed'")" -gt 0
check_true "... some were retried" \
	test "$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'interaction_retried'")" -gt 0
check_true "... and models were loaded" \
	test "$(sql "SELECT count(*) FROM interactions WHERE load_duration_ms > 500")" -gt 0
same_as_recount "a run with failures"
same_as_rows "a run with failures"
check_eq "a run with failures: status shows the rate-limit errors" \
	"$(sqlite3 :memory: "SELECT count(*) > 0 FROM json_tree(readfile('$T/kept.json')) WHERE key = 'failure_class' AND atom = 'rate_limit'")" 1

# --- run --retry-failed, against a server that now answers
start_stub --replay-dir "$REPLAY" --latency-ms 5
run_wr_t run --llm ollama --retry-failed
check_eq "retry-failed: no rate-limited step is left failed" \
	"$(sql "SELECT count(*) FROM interactions WHERE failure_class = 'rate_limit' AND status = 'failed'")" 0
same_as_recount "after retry-failed"
same_as_rows "after retry-failed"

# --- kill -9 mid-run, then the run that finishes
wr start --workflow 3001 --all --again >/dev/null
start_stub --replay-dir "$REPLAY" --latency-ms 200
"$WAVERUNNER" run --llm ollama >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(sql "SELECT count(*) FROM interactions WHERE status = 'running'")" = 0 ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
check_true "killed with interactions running" \
	test "$(sql "SELECT count(*) FROM interactions WHERE status = 'running'")" -gt 0
same_as_recount "after kill -9"
same_as_rows "after kill -9"
start_stub --replay-dir "$REPLAY" --latency-ms 5
run_wr_t run --llm ollama
check_eq "the run after kill -9 finishes" "$(sql "SELECT count(*) FROM workflow_runs WHERE status = 'running'")" 0
same_as_recount "after the run that finishes"
same_as_rows "after the run that finishes"

# --- rerun: new runs that reuse (copy) every step before 3337
run_wr rerun --from 3337 --all
check_eq "rerun starts runs" "$STATUS" 0
same_as_recount "after rerun --from"
run_wr_t run --llm replay --replay-dir "$REPLAY"
same_as_recount "after the rerun ran"
same_as_rows "after the rerun ran"

# --- rows deleted, with the foreign keys' cascades (nothing in waverunner
# deletes them today; the counts follow if something does)
sqlite3 "$DB" "PRAGMA foreign_keys = ON;
	DELETE FROM workflow_runs WHERE workflow_run_id = (SELECT min(workflow_run_id) FROM workflow_runs);
	DELETE FROM interaction_events WHERE event_id = (SELECT min(event_id) FROM interaction_events
		WHERE event_type = 'interaction_retried');
	DELETE FROM interactions WHERE interaction_id = (SELECT max(interaction_id) FROM interactions)"
same_as_recount "after deletes"
same_as_rows "after deletes"

# --- what would move a count to where it was not added is refused
if sql "UPDATE interactions SET conversation_id = 3335 WHERE interaction_id = (SELECT max(interaction_id)
	FROM interactions WHERE conversation_id <> 3335)" 2>"$T/err"; then
	_not_ok "moving an interaction to another step is refused"
else
	check_contains "moving an interaction to another step is refused" "$(cat "$T/err")" \
		"an interaction does not change run or step"
fi

# --- a database of each older version: counted when upgraded, kept while it runs
for f in "$REPO"/tests/upgrade/*.sqlite; do
	name=$(basename "$f" .sqlite)
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp "$f" "$DB"
	chmod u+w "$DB"
	wr status >/dev/null
	same_as_recount "$name upgraded"
	if [ "$(sql "SELECT count(*) FROM workflow_runs")" = 0 ]; then
		wr load "$REPO/fixtures/workflows/3001.json" >/dev/null
		wr start --workflow 3001 --all >/dev/null
	fi
	run_wr_t run --llm replay --replay-dir "$REPLAY" --quiet
	same_as_recount "$name upgraded and run"
	same_as_rows "$name upgraded and run"
done
finish
