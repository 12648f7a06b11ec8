#!/bin/sh
# t-limits.sh: how many requests run sends a model server at once, learned
# rather than asked of the user (engine.c: Limits), against the stub model
# server (tests/tools/stub-llm.c): the slots a server reports (llama.cpp's
# /props), a limit measured where it reports none, the options that override
# both, and the learned limits in status.
. "$(dirname "$0")/lib.sh"
[ -n "$T" ] && [ -d "$T" ] || { echo "not ok 1 - no test directory"; exit 1; }

. "$REPO/tests/stub-llm.sh"
. "$REPO/tests/model-runs.sh"

# --- A server that reports its slots gets that many, with no options ---------
fresh "$T/two.json" 7201 12
start_stub --latency-ms 100 --slots 3
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t run --llm openai
check_eq "reported slots: all 24 calls completed" "$STATUS $(completed)" "0 24"
check_eq "reported slots: 3 requests at the server at once, with no options (not 1)" "$(stat peak_concurrency)" 3
check_eq "reported slots: the limit is stored, and how it was found" "$(limits)" "3 reported"
run_wr_t status
check_contains "status shows each server's limit" "$OUT" \
	"model servers:
  http://127.0.0.1:$PORT: 3 requests at once (reported"
run_wr_t --json status
check_contains "status --json has model_servers" "$OUT" '"max_in_flight":3'

fresh "$T/two.json" 7201 12
start_stub --latency-ms 100 --slots 3
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t run --llm openai --parallel 2
check_eq "--parallel 2 caps the reported 3" "$(completed) $(stat peak_concurrency) $(limits)" "24 2 2 reported"

fresh "$T/two.json" 7201 12
start_stub --latency-ms 100 --slots 3
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t run --llm openai --per-server 1
check_eq "--per-server 1 overrides what the server reports; nothing is learned" \
	"$(completed) $(stat peak_concurrency) [$(limits)]" "24 1 []"

fresh "$T/two.json" 7201 12
start_stub --latency-ms 100 --slots 3
OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t run --llm openai --per-model 2
check_eq "--per-model 2 overrides it too" "$(completed) $(stat peak_concurrency) [$(limits)]" "24 2 []"

# --- A server that does not report: the limit is measured ----------------------
fresh "$T/two.json" 7201 16
start_stub --latency-ms 100 --slots 2 --no-props
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --llm ollama --parallel 6
check_eq "measured: all 32 calls completed" "$STATUS $(completed)" "0 32"
check_true "measured: more than one request at the server at once (learned, not the old 1)" \
	[ "$(stat peak_concurrency)" -ge 2 ]
check_true "measured: never more than --parallel 6" [ "$(stat peak_concurrency)" -le 6 ]
check_contains "measured: stored as measured" "$(limits)" " measured"

fresh "$T/two.json" 7201 10
start_stub --latency-ms 100 --slots 1 --no-props
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --llm ollama
l=$(sql "SELECT max_in_flight FROM model_servers")
check_true "measured, 1 slot: the limit stays near the slot (at most one or two waiting): $l" \
	test "${l:-0}" -ge 1 -a "${l:-0}" -le 3
check_eq "measured, 1 slot: all 20 calls completed" "$(completed)" 20

# --- A model load is not a queue ----------------------------------------------------
# Requests sent while a model loads all wait for it, though only the first
# reports the load: taken for a queue, they would pull the limit below the
# slots after every switch.
fresh "$T/alternate.json" 7202 12
start_stub --latency-ms 50 --slots 4 --switch-ms 600 --no-props
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --llm ollama
l=$(sql "SELECT max_in_flight FROM model_servers")
check_eq "model loads: all 48 calls completed" "$STATUS $(completed)" "0 48"
check_true "model loads: the limit is still at least the 4 slots after the switches: $l" test "${l:-0}" -ge 4

# --- Models kept loaded (Ollama's /api/ps) ------------------------------------------
fresh "$T/alternate.json" 7202 6
start_stub --latency-ms 50 --slots 4 --switch-ms 100 --no-props
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --llm ollama
check_eq "one model at a time, no options: all 24 calls, 3 switches (loaded model first still holds)" \
	"$(completed) $(stat model_switches) $(stat peak_models)" "24 3 1"

fresh "$T/alternate.json" 7202 6
start_stub --latency-ms 50 --slots 4 --switch-ms 100 --no-props --max-loaded 2
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --llm ollama
check_eq "a server that keeps 2 loaded (/api/ps) gets work for both at once: no switch, 2 loads" \
	"$(completed) $(stat model_switches) $(stat model_loads) $(stat peak_models)" "24 0 2 2"

fresh "$T/alternate.json" 7202 6
start_stub --latency-ms 50 --slots 4 --switch-ms 100 --no-props --max-loaded 2
OLLAMA_HOST="127.0.0.1:$PORT" run_wr_t run --llm ollama --loaded-models 1
check_eq "--loaded-models 1 overrides what the server keeps loaded" "$(completed) $(stat peak_models)" "24 1"

# --- No starvation: a model's turn on a full server is bounded --------------------
# 40 postings: 40 qwen calls ready at once, each making a mistral call ready.
# Loaded model first alone would run every qwen call before any mistral one.
fresh "$T/two.json" 7201 40
start_stub --latency-ms 20 --slots 1 --switch-ms 20 --no-props
OLLAMA_HOST="127.0.0.1:$PORT" WAVERUNNER_TEST_TURN_MS=200 run_wr_t run --llm ollama
check_eq "turns: all 80 calls completed" "$STATUS $(completed)" "0 80"
check_eq "turns: mistral's work did not wait for all of qwen's" \
	"$(sql "SELECT (SELECT min(completed_at) FROM interactions WHERE conversation_id = 722) <
	               (SELECT max(completed_at) FROM interactions WHERE conversation_id = 721)")" 1
check_true "turns: still few switches (each turn is long): $(stat model_switches)" [ "$(stat model_switches)" -le 20 ]

stop_stub
finish
