#!/bin/sh
# t-outage.sh: model-server outages and configuration mistakes, against the
# stub model server (tests/tools/stub-llm.c). A server that is down fails no
# posting: its work waits, pending with no attempt spent, while it is probed;
# after the patience run exits 5 naming it. A server that comes back gets its
# work again. Configuration mistakes stop run before it claims anything. Runs
# failed for a transient reason are resumed in place with --retry-failed.
. "$(dirname "$0")/lib.sh"
[ -n "$T" ] && [ -d "$T" ] || { echo "not ok 1 - no test directory"; exit 1; }

. "$REPO/tests/stub-llm.sh"
RUN_PID=
cleanup() {
	stop_stub
	[ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM


# workflow FILE BASE_URL_OF_MISTRAL: two steps, qwen (Ollama, OLLAMA_HOST) then
# mistral (Ollama too, or wherever the second argument says).
workflow() {
	cfg='"temperature": 0'
	[ -n "${2:-}" ] && cfg="\"temperature\": 0, \"base_url\": \"$2\""
	cat >"$1" <<EOF
{"workflow_id": 7101, "name": "Two models",
 "actors": [
  {"actor_id": 711, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0}},
  {"actor_id": 712, "name": "mistral:latest", "type": "ai_model", "config": {$cfg}}],
 "conversations": [
  {"conversation_id": 171, "name": "Answer", "actor": "qwen2.5:7b", "order": 1, "timeout_seconds": 5, "max_attempts": 2,
   "instruction": {"template": "Say something about {job_title}."},
   "rules": [{"id": 1711, "condition": "*", "next": 172, "priority": 1}]},
  {"conversation_id": 172, "name": "Comment", "actor": "mistral:latest", "order": 2, "timeout_seconds": 5,
   "max_attempts": 1, "terminal": true,
   "instruction": {"template": "Comment on: {conversation_171_output}", "system": "You are terse."}}]}
EOF
}
# snapshot: every interaction and event, to show that nothing changed.
snapshot() { sql "SELECT * FROM interactions ORDER BY 1; SELECT * FROM interaction_events ORDER BY 1; SELECT * FROM workflow_runs ORDER BY 1"; }

# --- Nothing listening: nothing fails, run gives up after the patience ------------
workflow "$T/wf.json"
fresh "$T/wf.json" 7101 5
DEAD=$(free_port)
OLLAMA_HOST="127.0.0.1:$DEAD" run_wr_t run --patience 2s
check_eq "nothing listening: run exits 5 after the patience" "$STATUS" 5
check_eq "nothing listening: every interaction is still pending, no attempt spent" \
	"$(sql "SELECT status || ' ' || attempts || ' ' || count(*) FROM interactions GROUP BY status, attempts")" "pending 0 5"
check_eq "nothing listening: no interaction failed or was retried" \
	"$(sql "SELECT count(*) FROM interaction_events WHERE event_type IN ('interaction_failed', 'interaction_retried')")" 0
check_eq "nothing listening: every run is still running" \
	"$(sql "SELECT group_concat(DISTINCT status) FROM workflow_runs")" "running"
check_contains "nothing listening: the message names the server, the patience and what waits" "$ERR" \
	"the model server http://127.0.0.1:$DEAD did not answer for 2.0 s (cannot connect to http://127.0.0.1:$DEAD/api/generate"
check_contains "nothing listening: ... and how many interactions wait for it" "$ERR" \
	"5 interactions wait for it, pending with no attempt spent"
check_true "nothing listening: it was probed more than once (with backoff), one request at a time" \
	test "$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'interaction_released'
	             AND json_extract(event_data, '\$.reason') = 'server_down'")" -ge 3
check_true "nothing listening: the probes went round the waiting interactions" \
	test "$(sql "SELECT count(DISTINCT interaction_id) FROM interaction_events WHERE event_type = 'interaction_released'")" -ge 2
check_contains "nothing listening: the summary is printed" "$OUT" "runs: 0 completed, 0 failed, 5 running"

# A later run, with the server there, finishes the work.
start_stub --latency-ms 5
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --patience 2s
check_eq "server back: a later run completes every run" \
	"$STATUS $(sql "SELECT count(*) FROM workflow_runs WHERE status = 'completed'")" "0 5"
check_eq "server back: each interaction took one attempt" \
	"$(sql "SELECT group_concat(DISTINCT attempts) FROM interactions")" 1
stop_stub

# --- One server down, another up: the other's work goes on -------------------------
start_stub --latency-ms 5
DEAD=$(free_port)
workflow "$T/wf2.json" "http://127.0.0.1:$DEAD"
fresh "$T/wf2.json" 7101 3
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --patience 1s
check_eq "one server down: exit 5" "$STATUS" 5
check_eq "one server down: the up server's steps completed, the down one's wait" \
	"$(sql "SELECT conversation_id || ':' || status || ':' || attempts || ':' || count(*) FROM interactions
	        GROUP BY conversation_id, status, attempts ORDER BY 1" | tr '\n' ' ')" "171:completed:1:3 172:pending:0:3 "
check_contains "one server down: the message names the down server only" "$ERR" \
	"the model server http://127.0.0.1:$DEAD did not answer"
check_not_contains "one server down: not the one that is up" "$ERR" "http://127.0.0.1:$PORT"
stop_stub

# --- A 2-second outage in the middle of a run --------------------------------------
workflow "$T/wf.json"
fresh "$T/wf.json" 7101 30
start_stub --latency-ms 100 --slots 2
STUB_PORT=$PORT
OLLAMA_HOST="127.0.0.1:$STUB_PORT" timeout 120 "$WAVERUNNER" run --per-model 2 --patience 60s >"$T/out" 2>"$T/err" &
RUN_PID=$!
i=0
while [ "$(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")" -lt 10 ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$STUB_PID" 2>/dev/null
wait "$STUB_PID" 2>/dev/null
STUB_PID=
DURING=$(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")
sleep 2
start_stub --port "$STUB_PORT" --latency-ms 100 --slots 2
wait "$RUN_PID"
STATUS=$?
RUN_PID=
check_eq "outage mid-run: the outage began with work left" "$(test "$DURING" -lt 60 && echo yes)" yes
check_eq "outage mid-run: run exits 0" "$STATUS" 0
check_eq "outage mid-run: all 30 runs completed, none failed" \
	"$(sql "SELECT status || ' ' || count(*) FROM workflow_runs GROUP BY status")" "completed 30"
check_eq "outage mid-run: every interaction completed on its first counted attempt" \
	"$(sql "SELECT status || ' ' || attempts || ' ' || count(*) FROM interactions GROUP BY status, attempts")" "completed 1 60"
check_true "outage mid-run: the requests the outage broke were released, not retried or failed" \
	test "$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'interaction_released'")" -ge 1
check_eq "outage mid-run: no retry, no failure" \
	"$(sql "SELECT count(*) FROM interaction_events WHERE event_type IN ('interaction_retried', 'interaction_failed')")" 0
check_contains "outage mid-run: the summary counts what was given back" "$(cat "$T/out")" \
	"interactions whose model server failed, no attempt spent"
stop_stub

# --- Configuration mistakes, each named before anything is claimed ------------------
start_stub --latency-ms 5
workflow "$T/wf.json"
fresh "$T/wf.json" 7101 2
snapshot >"$T/before"
OLLAMA_HOST="http://127.0.0.1:$PORT/wrong" run_wr_t run
check_eq "wrong path: exit 3" "$STATUS" 3
check_contains "wrong path: named, with the setting" "$ERR" \
	"wrong path: http://127.0.0.1:$PORT/wrong/api/tags is not found (HTTP 404): OLLAMA_HOST is not the address of an Ollama server"
snapshot >"$T/after"
check_true "wrong path: no interaction, event or run changed" cmp -s "$T/before" "$T/after"

workflow "$T/wf-openai.json"
sed -i -e 's|"config": {"temperature": 0}}|"config": {"temperature": 0, "backend": "openai"}}|' "$T/wf-openai.json"
fresh "$T/wf-openai.json" 7101 2
snapshot >"$T/before"
OLLAMA_HOST="127.0.0.1:$PORT" OPENAI_BASE_URL="127.0.0.1:$PORT/v1" run_wr_t run
check_eq "OPENAI_BASE_URL without a scheme: exit 3" "$STATUS" 3
check_contains "OPENAI_BASE_URL without a scheme: the setting is named" "$ERR" \
	"actor 'qwen2.5:7b': OPENAI_BASE_URL: '127.0.0.1:$PORT/v1' is not an http:// or https:// address"
snapshot >"$T/after"
check_true "OPENAI_BASE_URL without a scheme: no interaction, event or run changed" cmp -s "$T/before" "$T/after"
OLLAMA_HOST="127.0.0.1:$PORT" OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t run --per-model 1
check_eq "OpenAI-compatible: the model is on the server's list: it runs" "$STATUS" 0
fresh "$T/wf-openai.json" 7101 2
snapshot >"$T/before"
stop_stub
start_stub --latency-ms 5 --models mistral:latest,llama3
OLLAMA_HOST="127.0.0.1:$PORT" OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t run
check_eq "OpenAI-compatible, unknown model: exit 3" "$STATUS" 3
check_contains "OpenAI-compatible, unknown model: named with the list it is not in" "$ERR" \
	"actor 'qwen2.5:7b': unknown model 'qwen2.5:7b': not among the 2 models of http://127.0.0.1:$PORT/v1/models (OPENAI_BASE_URL)"
snapshot >"$T/after"
check_true "config mistakes: no interaction, event or run changed" cmp -s "$T/before" "$T/after"
stop_stub

# --- --retry-failed: a run failed by a transient error is resumed in place ----------
# The stub refuses every other request with 429 (the 1st, 3rd, ...): the first
# step is retried and completes; the second (max_attempts 1) fails as rate_limit.
workflow "$T/wf.json"
fresh "$T/wf.json" 7101 1
start_stub --latency-ms 5 --fail-429 0.5 --retry-after 0
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run
check_eq "retry-failed: the run failed by a rate limit" \
	"$(sql "SELECT r.status || ' ' || i.failure_class FROM workflow_runs r JOIN interactions i USING (workflow_run_id)
	        WHERE i.status = 'failed'")" "failed rate_limit"
sql "SELECT interaction_id, output FROM interactions WHERE status = 'completed'" >"$T/kept-before"
RUN=$(sql "SELECT workflow_run_id FROM workflow_runs")
FAILED=$(sql "SELECT interaction_id FROM interactions WHERE status = 'failed'")
stop_stub
start_stub --latency-ms 5
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --retry-failed
check_eq "retry-failed: exit 0" "$STATUS" 0
check_contains "retry-failed: the summary says what was resumed" "$OUT" "resumed 1 failed interaction in place"
check_eq "retry-failed: the same run completed, no new run" \
	"$(sql "SELECT group_concat(workflow_run_id || ' ' || status) FROM workflow_runs")" "$RUN completed"
check_eq "retry-failed: the failed interaction itself completed, on a fresh attempt" \
	"$(sql "SELECT status || ' ' || attempts FROM interactions WHERE interaction_id = $FAILED")" "completed 1"
check_eq "retry-failed: no other interaction was created" "$(sql "SELECT count(*) FROM interactions")" 2
sql "SELECT interaction_id, output FROM interactions WHERE interaction_id <> $FAILED AND status = 'completed'" >"$T/kept-after"
check_true "retry-failed: the completed step was kept as it was" cmp -s "$T/kept-before" "$T/kept-after"
check_eq "retry-failed: recorded as an event with the error it had" \
	"$(sql "SELECT json_extract(event_data, '\$.reason') || ' ' || json_extract(event_data, '\$.failure_class')
	        FROM interaction_events WHERE interaction_id = $FAILED AND event_type = 'interaction_retried'
	        AND json_extract(event_data, '\$.reason') = 'retry_failed'")" "retry_failed rate_limit"
stop_stub

# A failure that would fail again (400: the request is wrong) is left alone.
fresh "$T/wf.json" 7101 1
start_stub --latency-ms 5 --fail-400 1
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run
run_wr_t run --retry-failed --llm replay
check_eq "retry-failed: a bad_request failure is not resumed" \
	"$(sql "SELECT r.status || ' ' || i.status || ' ' || i.failure_class FROM workflow_runs r JOIN interactions i USING (workflow_run_id)")" \
	"failed failed bad_request"
check_not_contains "retry-failed: nothing was resumed" "$OUT" "resumed"
stop_stub

finish
