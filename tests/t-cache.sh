#!/bin/sh
# t-cache.sh: run --llm cache against the stub model server: a request that
# was answered before is answered from the recording, any other goes to the
# server and is recorded; after a prompt is edited, rerun + cache calls the
# server for that step alone (the steps after it send the same requests as
# before). --backend and the environment choose the live backend of record
# and cache.
. "$(dirname "$0")/lib.sh"

. "$REPO/tests/stub-llm.sh"
# answering_stub: the stub, answering 3001's steps for each posting from
# fixtures/answers/3001.json (start_stub: PORT, STATS, OLLAMA_HOST).
answering_stub() { start_stub --answers "$REPO/fixtures/answers/3001.json"; }
# requests: the generation requests the stub has seen (it writes its stats when
# a request ends; the last may land just after run exits).
requests() { stat requests; }
fixtures() { find "$T/cache" -name '*.json' 2>/dev/null | wc -l | tr -d ' '; }

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
wr start --workflow 3001 --posting 10003 >/dev/null
answering_stub

# 1. Nothing recorded: every model call goes to the server and is recorded.
OLLAMA_HOST="127.0.0.1:$PORT" run_wr run --llm cache --replay-dir "$T/cache"
check_eq "cache, nothing recorded: the run completes" "$STATUS:$(sql "SELECT status FROM workflow_runs")" "0:completed"
calls=$(sql "SELECT count(*) FROM interactions WHERE model IS NOT NULL")
check_true "... every model call went to the server" test "$calls" -gt 5
check_eq "... the server saw each once" "$(requests)" "$calls"
check_eq "... and each answer was recorded" "$(fixtures)" "$calls"
check_eq "... the interactions say which backend answered" \
	"$(sql "SELECT group_concat(DISTINCT backend) FROM interactions WHERE model IS NOT NULL")" "ollama"

# 2. The same requests again: all from the recording, none to the server.
wr start --workflow 3001 --posting 10003 --again >/dev/null
answering_stub
OLLAMA_HOST="127.0.0.1:$PORT" run_wr run --llm cache --replay-dir "$T/cache"
check_eq "cache, all recorded: the second run completes" \
	"$STATUS:$(sql "SELECT status FROM workflow_runs WHERE workflow_run_id = 2")" "0:completed"
check_eq "... with no request to the server" "$(requests)" "0"
check_eq "... every answer replayed" \
	"$(sql "SELECT group_concat(DISTINCT backend) FROM interactions WHERE workflow_run_id = 2 AND model IS NOT NULL")" \
	"replay"
check_eq "... the same answers as the live run" \
	"$(sql "SELECT count(*) FROM interactions a JOIN interactions b ON a.conversation_id = b.conversation_id
	        AND a.execution_order = b.execution_order WHERE a.workflow_run_id = 1 AND b.workflow_run_id = 2
	        AND a.model IS NOT NULL AND a.output IS NOT b.output")" "0"

# 3. A prompt edited: rerun from its step; only that step's request is new.
awk '/"conversation_id": 3337/ { f = 1 } /"conversation_id": 3338/ { f = 0 }
     f && /five short lines/ { sub(/five/, "three") } 1' "$REPO/fixtures/workflows/3001.json" >"$T/edited.json"
wr load "$T/edited.json" >/dev/null
wr rerun --from 3337 10003 >/dev/null
answering_stub
OLLAMA_HOST="127.0.0.1:$PORT" run_wr run --llm cache --replay-dir "$T/cache"
check_eq "edited prompt, rerun + cache: the run completes" \
	"$STATUS:$(sql "SELECT status FROM workflow_runs WHERE workflow_run_id = 3")" "0:completed"
check_eq "... the server saw one request: the edited step's" "$(requests)" "1"
check_eq "... which was recorded" "$(fixtures)" "$((calls + 1))"
check_eq "... the edited step called the server; the steps after it were replayed" \
	"$(sql "SELECT group_concat(conversation_id || ':' || backend, ' ') FROM (SELECT conversation_id, backend
	        FROM interactions WHERE workflow_run_id = 3 AND model IS NOT NULL AND conversation_id IN (3337, 3338, 3339)
	        ORDER BY execution_order)")" "3337:ollama 3338:replay 3339:replay"

# 4. record and cache call the backend the user chose: OPENAI_BASE_URL alone.
wr start --workflow 3001 --posting 10005 >/dev/null
answering_stub
unset OLLAMA_HOST
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr run --llm record --replay-dir "$T/rec"
check_eq "record with only OPENAI_BASE_URL set: the run completes" \
	"$STATUS:$(sql "SELECT status FROM workflow_runs WHERE posting_id = 10005")" "0:completed"
check_eq "... through the OpenAI-compatible API" \
	"$(sql "SELECT group_concat(DISTINCT backend) FROM interactions WHERE posting_id = 10005 AND model IS NOT NULL")" \
	"openai"
check_true "... and recorded" test "$(find "$T/rec" -name '*.json' | wc -l)" -gt 5

# --backend chooses it whatever the environment says.
wr start --workflow 3001 --posting 10005 --again >/dev/null
answering_stub
OLLAMA_HOST="127.0.0.1:1" OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" \
	run_wr run --llm cache --backend openai --replay-dir "$T/cache2"
check_eq "cache --backend openai: the run completes against the OpenAI-compatible API" \
	"$STATUS:$(sql "SELECT group_concat(DISTINCT backend) FROM interactions i JOIN workflow_runs r USING (workflow_run_id)
	        WHERE r.workflow_run_id = (SELECT max(workflow_run_id) FROM workflow_runs) AND model IS NOT NULL")" "0:openai"
run_wr run --backend claude
check_eq "--backend is ollama or openai" "$STATUS:$(printf '%s\n' "$ERR" | head -n 1)" \
	"2:waverunner: run: --backend is ollama or openai, not 'claude'"
finish
