#!/bin/sh
# t-http.sh: model calls over HTTP against the stub model server
# (tests/tools/stub-llm.c): both APIs and the usage they report, every error
# class and whether it is retried, the step's timeout, the concurrency limits,
# loaded model first, and record -> replay.
. "$(dirname "$0")/lib.sh"
[ -n "$T" ] && [ -d "$T" ] || { echo "not ok 1 - no test directory"; exit 1; }

. "$REPO/tests/stub-llm.sh"

# Two steps: qwen answers (generate: no system prompt), then mistral comments
# (chat: a system prompt). max_attempts 2, timeout 2 s.
cat >"$T/two.json" <<'EOF'
{"workflow_id": 7001, "name": "Two models",
 "actors": [
  {"actor_id": 701, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0, "seed": 1, "num_ctx": 4096}},
  {"actor_id": 702, "name": "mistral:latest", "type": "ai_model", "config": {"temperature": 0, "num_predict": 50}}],
 "conversations": [
  {"conversation_id": 71, "name": "Answer", "actor": "qwen2.5:7b", "order": 1, "timeout_seconds": 2, "max_attempts": 2,
   "instruction": {"template": "Say something about {job_title}."},
   "rules": [{"id": 711, "condition": "*", "next": 72, "priority": 1}]},
  {"conversation_id": 72, "name": "Comment", "actor": "mistral:latest", "order": 2, "timeout_seconds": 2,
   "max_attempts": 2, "terminal": true,
   "instruction": {"template": "Comment on: {conversation_71_output}", "system": "You are terse."}}]}
EOF
# Four steps that alternate between two models.
cat >"$T/alternate.json" <<'EOF'
{"workflow_id": 7002, "name": "Alternating models",
 "actors": [
  {"actor_id": 703, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0, "seed": 1, "num_ctx": 4096}},
  {"actor_id": 704, "name": "mistral:latest", "type": "ai_model", "config": {"temperature": 0, "num_predict": 50}}],
 "conversations": [
  {"conversation_id": 81, "name": "A", "actor": "qwen2.5:7b", "order": 1, "instruction": {"template": "A {job_title}"},
   "rules": [{"id": 811, "condition": "*", "next": 82, "priority": 1}]},
  {"conversation_id": 82, "name": "B", "actor": "mistral:latest", "order": 2, "instruction": {"template": "B {job_title}"},
   "rules": [{"id": 821, "condition": "*", "next": 83, "priority": 1}]},
  {"conversation_id": 83, "name": "C", "actor": "qwen2.5:7b", "order": 3, "instruction": {"template": "C {job_title}"},
   "rules": [{"id": 831, "condition": "*", "next": 84, "priority": 1}]},
  {"conversation_id": 84, "name": "D", "actor": "mistral:latest", "order": 4, "terminal": true,
   "instruction": {"template": "D {job_title}"}}]}
EOF

# --- Ollama: generate and chat, usage, headers --------------------------------
fresh "$T/two.json" 7001 2
printf '{"1": {"71": "posting one, answered by posting and step"}}' >"$T/answers.json"
start_stub --latency-ms 20 --switch-ms 30 --answers "$T/answers.json"
run_wr_t run --llm ollama
check_eq "ollama: the run completes" "$STATUS" 0
check_eq "ollama: all four calls completed" \
	"$(sql "SELECT count(*) FROM interactions WHERE status = 'completed' AND backend = 'ollama'")" 4
check_eq "ollama: prompt and output tokens, durations and done reason are stored" \
	"$(sql "SELECT count(*) FROM interactions WHERE prompt_tokens > 0 AND output_tokens > 0 AND total_duration_ms > 0
	        AND load_duration_ms IS NOT NULL AND eval_duration_ms > 0 AND done_reason = 'stop'")" 4
check_eq "ollama: the model is stored" \
	"$(sql "SELECT group_concat(DISTINCT model) FROM (SELECT model FROM interactions ORDER BY model)")" \
	"mistral:latest,qwen2.5:7b"
check_eq "ollama: a step without a system prompt uses /api/generate, one with it /api/chat" \
	"$(stat by_api.generate) $(stat by_api.chat)" "2 2"
check_eq "ollama: the stub answered by the posting and step headers" \
	"$(sql "SELECT output FROM interactions WHERE posting_id = 1 AND conversation_id = 71")" \
	"posting one, answered by posting and step"
check_contains "ollama: other steps get the stub's rule answer" \
	"$(sql "SELECT output FROM interactions WHERE posting_id = 2 AND conversation_id = 71")" "Role: Engineer"
check_eq "ollama: the first call pays the model load, and says so" \
	"$(sql "SELECT count(*) FROM interactions WHERE load_duration_ms > 0")" "$(stat model_loads)"
run_wr status --workflow 7001
check_contains "status shows usage per model" "$OUT" "qwen2.5:7b (ollama): 2 calls"
RUN1=$(sql "SELECT workflow_run_id FROM workflow_runs WHERE posting_id = 1")
run_wr trace "$RUN1"
check_contains "trace shows the tokens of a step" "$OUT" "tokens"

# --- OpenAI-compatible ---------------------------------------------------------
fresh "$T/two.json" 7001 1
start_stub --latency-ms 20 --api-key sekrit-key-4711
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" OPENAI_API_KEY=sekrit-key-4711 run_wr_t run --llm openai
check_eq "openai: the run completes" "$STATUS" 0
check_eq "openai: both calls completed with usage and finish reason" \
	"$(sql "SELECT count(*) FROM interactions WHERE status = 'completed' AND backend = 'openai'
	        AND prompt_tokens > 0 AND output_tokens > 0 AND done_reason = 'stop'")" 2
check_eq "openai: both went to /v1/chat/completions with the key" "$(stat by_api.openai)" 2

# The backend and address chosen per actor, by its config (the stub that
# answers is started first, so that the actor names its port).
start_stub --latency-ms 20
sed -e 's|"config": {"temperature": 0, "num_predict": 50}|"config": {"backend": "openai", "base_url": "http://127.0.0.1:PORTX", "num_predict": 50}|' \
	"$T/two.json" | sed -e "s|PORTX|$PORT|" >"$T/two-openai.json"
fresh "$T/two-openai.json" 7001 1
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run
check_eq "per actor: the run completes" "$STATUS" 0
check_eq "per actor: qwen through Ollama, mistral through its OpenAI-compatible base_url" \
	"$(sql "SELECT group_concat(model || ':' || backend || ':' || status, ' ') FROM (SELECT model, backend, status FROM interactions ORDER BY conversation_id)")" \
	"qwen2.5:7b:ollama:completed mistral:latest:openai:completed"

# --- Errors ----------------------------------------------------------------------
# last_error: class|attempts|status of the first step of posting 1.
last() { sql "SELECT coalesce(failure_class, '') || '|' || attempts || '|' || status FROM interactions WHERE conversation_id = 71"; }
retried() { sql "SELECT count(*) FROM interaction_events e JOIN interactions i USING (interaction_id)
                 WHERE i.conversation_id = 71 AND e.event_type = 'interaction_retried'"; }

# A server's failures (refused, 5xx, dropped) spend no attempt: the
# interaction waits for the server (tests/t-outage.sh has the details).
released() { sql "SELECT count(*) FROM interaction_events e JOIN interactions i USING (interaction_id)
                  WHERE i.conversation_id = 71 AND e.event_type = 'interaction_released'
                  AND json_extract(e.event_data, '\$.failure_class') = '$1'"; }
fresh "$T/two.json" 7001 1
stop_stub
DEAD=$(free_port)
OLLAMA_HOST="127.0.0.1:$DEAD" run_wr_t run --llm ollama --patience 1s
check_eq "connection refused: run gives up on the server after the patience (exit 5)" "$STATUS" 5
check_eq "connection refused: the interaction is pending, no attempt spent" "$(last)" "|0|pending"
check_eq "connection refused: no retry counted" "$(retried)" 0
check_true "connection refused: released as a connection failure" test "$(released connection)" -ge 1
check_contains "connection refused: the message names the server" "$ERR" "the model server http://127.0.0.1:$DEAD"

fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --fail-429 0.5 --retry-after 1
run_wr_t run --llm ollama
check_eq "429: retried, then completed" "$(sql "SELECT attempts || '|' || status FROM interactions WHERE conversation_id = 71")" "2|completed"
check_eq "429: the retry waited for Retry-After (1 s), not the 50 ms backoff" \
	"$(sql "SELECT json_extract(event_data, '\$.failure_class') || ' ' || (json_extract(event_data, '\$.retry_in_ms') >= 1000)
	        FROM interaction_events JOIN interactions USING (interaction_id)
	        WHERE event_type = 'interaction_retried' AND conversation_id = 71")" "rate_limit 1"

for code in 500 503; do
	fresh "$T/two.json" 7001 1
	start_stub --latency-ms 10 --fail-$code 0.5
	run_wr_t run --llm ollama
	check_eq "$code: tried again without spending an attempt, then completed" \
		"$(sql "SELECT attempts || '|' || status FROM interactions WHERE conversation_id = 71")" "1|completed"
	check_eq "$code: released once as a server error, not retried" "$(released server_error) $(retried)" "1 0"
done

# An unknown model is found before anything runs (the server's list of models).
fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --models mistral:latest
run_wr_t run --llm ollama
check_eq "unknown model: run stops before it claims work (exit 3)" "$STATUS" 3
check_eq "unknown model: nothing was claimed" "$(last)" "|0|pending"
check_contains "unknown model: the model, the server and the setting are named" "$ERR" \
	"actor 'qwen2.5:7b': unknown model 'qwen2.5:7b': not among the 1 models of http://127.0.0.1:$PORT/api/tags (OLLAMA_HOST); pull it with: ollama pull qwen2.5:7b"
check_eq "unknown model: no generation request was sent" "$(stat requests)" 0

fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --fail-400 1
run_wr_t run --llm ollama
check_eq "400: failed at once as bad_request" "$(last)" "bad_request|1|failed"
check_contains "400: the server's message and the URL" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 71")" \
	"http://127.0.0.1:$PORT/api/generate refused the request (HTTP 400): invalid request (injected)"

fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --api-key the-right-key
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" OPENAI_API_KEY=wrong-sekrit-0815 run_wr_t run --llm openai
cat "$T/out" "$T/err" >"$T/run-out"
check_eq "401: run stops before it claims work (exit 3)" "$STATUS:$(last)" "3:|0|pending"
check_contains "401: the message says which setting to check" "$ERR" \
	"http://127.0.0.1:$PORT/v1/models refused the request (HTTP 401): check OPENAI_API_KEY"
run_wr status --workflow 7001
cat "$T/out" "$T/err" >"$T/status-out"
run_wr trace --full "$(sql "SELECT max(workflow_run_id) FROM workflow_runs")"
cat "$T/out" "$T/err" >"$T/trace-out"
sqlite3 "$DB" .dump >"$T/dump.sql"
check_not_contains "401: the key is in no output and nowhere in the database" \
	"$(cat "$T/run-out" "$T/status-out" "$T/trace-out" "$T/dump.sql")" "wrong-sekrit-0815"

fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --malformed 1
run_wr_t run --llm ollama
check_eq "malformed body: failed at once as invalid_output" "$(last)" "invalid_output|1|failed"
check_contains "malformed body: its first bytes are quoted" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 71")" "it begins: '<html>\\n<body>"

fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --drop 1
run_wr_t run --llm ollama --patience 1s
check_eq "every connection dropped: the server is given up on after the patience (exit 5)" "$STATUS" 5
check_eq "every connection dropped: the interaction is pending, no attempt spent" "$(last)" "|0|pending"
check_true "every connection dropped: released as connection failures, probed more than once" \
	test "$(released connection)" -ge 2

fresh "$T/two.json" 7001 1
start_stub --latency-ms 10 --stall 1
run_wr_t run --llm ollama
check_eq "stall: the step's timeout ends each try; retried, then failed as timeout" "$(last)" "timeout|2|failed"
check_contains "stall: the message names the step's timeout" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 71")" "within the step's timeout of 2 s"
wait_stat cancelled 2
check_eq "stall: the connection was closed, so the server stopped working on it" "$(stat cancelled)" 2

# --- Concurrency limits ---------------------------------------------------------
fresh "$T/two.json" 7001 8
start_stub --latency-ms 150 --slots 16
run_wr_t run --llm ollama --per-model 3 --parallel 16
check_eq "--per-model 3: all completed" "$(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")" 16
check_eq "--per-model 3: at most 3 requests at the server, and 3 at times" "$(stat peak_concurrency)" 3

fresh "$T/two.json" 7001 8
start_stub --latency-ms 150 --slots 16
run_wr_t run --llm ollama --per-model 4 --per-server 2 --parallel 16
check_eq "--per-server 2: peak concurrency at the server" "$(stat peak_concurrency)" 2

fresh "$T/two.json" 7001 8
start_stub --latency-ms 150 --slots 16
run_wr_t run --llm ollama --per-model 8 --parallel 5
check_eq "--parallel 5: peak concurrency at the server" "$(stat peak_concurrency)" 5

sed -e 's|"num_ctx": 4096}|"num_ctx": 4096, "parallel": 2}|' "$T/two.json" >"$T/two-parallel.json"
fresh "$T/two-parallel.json" 7001 8
start_stub --latency-ms 150 --slots 16
run_wr_t run --llm ollama --per-model 6 --parallel 16
check_eq "actor config \"parallel\" 2 overrides --per-model for its model; the other keeps 6" \
	"$(stat 'by_model."qwen2.5:7b".peak_concurrency') $(stat 'by_model."mistral:latest".peak_concurrency')" "2 6"

# --- Loaded model first ----------------------------------------------------------
fresh "$T/alternate.json" 7002 6
start_stub --latency-ms 40 --slots 2 --switch-ms 100
run_wr_t run --llm ollama --per-model 2 --per-server 2
check_eq "loaded model first: all 24 calls completed" \
	"$(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")" 24
check_eq "loaded model first: 3 switches (qwen, mistral, qwen, mistral), not one per step of each posting (18)" \
	"$(stat model_switches)" 3

# --- Record -> replay --------------------------------------------------------------
fresh "$REPO/fixtures/workflows/3001.json" 3001 2
start_stub --latency-ms 5
run_wr_t run --llm record --replay-dir "$T/replay"
check_eq "record: 3001 completes against the stub" "$(sql "SELECT count(*) FROM workflow_runs WHERE status = 'completed'")" 2
check_eq "record: one fixture per distinct model request" \
	"$(find "$T/replay" -name '*.json' | wc -l | tr -d ' ')" \
	"$(sql "SELECT count(DISTINCT input) FROM interactions WHERE model IS NOT NULL")"
sql "SELECT posting_id, conversation_id, status, output FROM interactions ORDER BY posting_id, conversation_id, interaction_id" >"$T/recorded"
sql "SELECT posting_id, extracted_summary, skill_keywords, ihl_score FROM postings ORDER BY posting_id" >"$T/recorded-postings"
stop_stub
fresh "$REPO/fixtures/workflows/3001.json" 3001 2
run_wr_t run --llm replay --replay-dir "$T/replay"
check_eq "replay: 3001 completes with no server" "$(sql "SELECT count(*) FROM workflow_runs WHERE status = 'completed'")" 2
sql "SELECT posting_id, conversation_id, status, output FROM interactions ORDER BY posting_id, conversation_id, interaction_id" >"$T/replayed"
sql "SELECT posting_id, extracted_summary, skill_keywords, ihl_score FROM postings ORDER BY posting_id" >"$T/replayed-postings"
check_true "record -> replay: every interaction has the same output" cmp -s "$T/recorded" "$T/replayed"
check_true "record -> replay: the postings get the same summary, skills and IHL score" \
	cmp -s "$T/recorded-postings" "$T/replayed-postings"
check_eq "record -> replay: usage is replayed too" \
	"$(sql "SELECT count(*) FROM interactions WHERE backend = 'replay' AND prompt_tokens > 0")" \
	"$(sql "SELECT count(*) FROM interactions WHERE backend = 'replay'")"

# The stub answers from the same fixtures, found by the key of the request it gets.
fresh "$REPO/fixtures/workflows/3001.json" 3001 2
start_stub --latency-ms 5 --replay-dir "$T/replay"
run_wr_t run --llm ollama
check_eq "stub --replay-dir: every call was answered from a fixture" "$(stat replay_hits)" "$(stat requests)"
sql "SELECT posting_id, conversation_id, status, output FROM interactions ORDER BY posting_id, conversation_id, interaction_id" >"$T/stub-replayed"
check_true "stub --replay-dir: the same outputs" cmp -s "$T/recorded" "$T/stub-replayed"

stop_stub
finish
