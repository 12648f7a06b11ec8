#!/bin/sh
# t-pools.sh: one model served by several servers (engine.c: Pools), against
# stub model servers (tests/tools/stub-llm.c): a comma-separated OLLAMA_HOST or
# OPENAI_BASE_URL and an actor's list of base URLs; work spread by what each
# server can take, each with its own limit; a server that is or goes away
# sends its work to the others, spending no attempt; all of them away is an
# outage (exit 5 naming each); a wrong address in a list stops run before
# anything is claimed.
. "$(dirname "$0")/lib.sh"
[ -n "$T" ] && [ -d "$T" ] || { echo "not ok 1 - no test directory"; exit 1; }

. "$REPO/tests/stub-llm.sh"
. "$REPO/tests/model-runs.sh"

# served STATS_FILE: the model calls a stub completed.
served() { stat completed "$1"; }
no_attempt_lost() {
	sql "SELECT count(*) FROM interactions WHERE status <> 'completed' OR attempts <> 1"
}

# --- OLLAMA_HOST lists two servers: both get work, at the same time -----------
fresh "$T/two.json" 7201 20
another_stub --latency-ms 100 --slots 2 --no-props
A=$PORT A_STATS=$STATS
another_stub --latency-ms 100 --slots 2 --no-props
B=$PORT B_STATS=$STATS
OLLAMA_HOST="127.0.0.1:$A, 127.0.0.1:$B" run_wr_t run --llm ollama
check_eq "pool of two: all 40 calls completed, each at its first attempt" "$STATUS $(completed) $(no_attempt_lost)" "0 40 0"
check_eq "pool of two: what the servers served adds up to the calls" "$(( $(served "$A_STATS") + $(served "$B_STATS") ))" 40
check_true "pool of two: both servers served (A $(served "$A_STATS"), B $(served "$B_STATS"))" \
	[ "$(served "$A_STATS")" -ge 8 -a "$(served "$B_STATS")" -ge 8 ]
check_true "pool of two: each ran requests at once (peaks $(stat peak_concurrency "$A_STATS"), $(stat peak_concurrency "$B_STATS"))" \
	[ "$(stat peak_concurrency "$A_STATS")" -ge 2 -a "$(stat peak_concurrency "$B_STATS")" -ge 2 ]
check_eq "pool of two: each server's limit is its own, stored for status" "$(sql "SELECT count(*) FROM model_servers")" 2
run_wr_t status
check_contains "pool of two: status lists both servers" "$OUT" "http://127.0.0.1:$A: "
check_contains "pool of two: ... the second too" "$OUT" "http://127.0.0.1:$B: "
stop_stubs

# --- Spread by what each can take: reported slots 4 and 1 ---------------------
fresh "$T/two.json" 7201 20
another_stub --latency-ms 100 --slots 4
A=$PORT A_STATS=$STATS
another_stub --latency-ms 100 --slots 1
B=$PORT B_STATS=$STATS
OPENAI_BASE_URL="http://127.0.0.1:$A/v1,http://127.0.0.1:$B/v1" run_wr_t run --llm openai
check_eq "slots 4 and 1: all 40 calls completed" "$STATUS $(completed)" "0 40"
check_eq "slots 4 and 1: each server's reported slots are its limit" \
	"$(sql "SELECT max_in_flight || ' ' || source FROM model_servers WHERE server = 'http://127.0.0.1:$A'") $(sql "SELECT max_in_flight || ' ' || source FROM model_servers WHERE server = 'http://127.0.0.1:$B'")" \
	"4 reported 1 reported"
check_true "slots 4 and 1: the bigger server served more (A $(served "$A_STATS"), B $(served "$B_STATS"))" \
	[ "$(served "$A_STATS")" -gt "$(( 2 * $(served "$B_STATS") ))" ]
check_eq "slots 4 and 1: neither was sent more than its slots" \
	"$(stat peak_concurrency "$A_STATS") $(stat peak_concurrency "$B_STATS")" "4 1"
stop_stubs

# --- Each server keeps its own loaded model -------------------------------------
# Four steps alternating between two models; two servers that hold one model
# at a time: each is sent work for one model at a time and switches as
# seldom as one server alone would (3 switches: tests/t-limits.sh).
fresh "$T/alternate.json" 7202 6
another_stub --latency-ms 50 --slots 4 --switch-ms 100 --no-props
A=$PORT A_STATS=$STATS
another_stub --latency-ms 50 --slots 4 --switch-ms 100 --no-props
B=$PORT B_STATS=$STATS
OLLAMA_HOST="127.0.0.1:$A,127.0.0.1:$B" run_wr_t run --llm ollama
check_eq "loaded models per server: all 24 calls completed" "$STATUS $(completed)" "0 24"
check_eq "loaded models per server: neither was sent two models at once" \
	"$(stat peak_models "$A_STATS") $(stat peak_models "$B_STATS")" "1 1"
check_true "loaded models per server: each switched at most 3 times (A $(stat model_switches "$A_STATS"), B $(stat model_switches "$B_STATS"))" \
	[ "$(stat model_switches "$A_STATS")" -le 3 -a "$(stat model_switches "$B_STATS")" -le 3 ]
stop_stubs

# --- An actor's base_url lists the servers (an array) ---------------------------
another_stub --latency-ms 50 --slots 2 --no-props
A=$PORT A_STATS=$STATS
another_stub --latency-ms 50 --slots 2 --no-props
B=$PORT B_STATS=$STATS
sed -e "s|\"config\": {\"temperature\": 0}|\"config\": {\"temperature\": 0, \"base_url\": [\"127.0.0.1:$A\", \"http://127.0.0.1:$B\"]}|g" \
	"$T/two.json" >"$T/two-pool.json"
fresh "$T/two-pool.json" 7201 12
OLLAMA_HOST="127.0.0.1:$(free_port)" run_wr_t run --llm ollama
check_eq "actor base_url list: all 24 calls completed; OLLAMA_HOST not used" "$STATUS $(completed) $(no_attempt_lost)" "0 24 0"
check_true "actor base_url list: both servers served (A $(served "$A_STATS"), B $(served "$B_STATS"))" \
	[ "$(served "$A_STATS")" -ge 1 -a "$(served "$B_STATS")" -ge 1 ]
stop_stubs

# --- A server of the pool is not there: the others take all, nothing is lost --------
fresh "$T/two.json" 7201 10
another_stub --latency-ms 50 --slots 2 --no-props
A=$PORT A_STATS=$STATS
DEAD=$(free_port)
OLLAMA_HOST="127.0.0.1:$DEAD,127.0.0.1:$A" run_wr_t run --llm ollama --patience 2s
check_eq "one of two down: run completes all 20 calls (exit 0)" "$STATUS $(completed)" "0 20"
check_eq "one of two down: no attempt spent on the server that is away" "$(no_attempt_lost)" 0
check_eq "one of two down: no interaction failed or was retried" \
	"$(sql "SELECT count(*) FROM interaction_events WHERE event_type IN ('interaction_failed', 'interaction_retried')")" 0
check_eq "one of two down: the live server served everything" "$(served "$A_STATS")" 20
stop_stubs

# --- A server goes away mid-run: its work goes to the other ---------------------
fresh "$T/two.json" 7201 30
another_stub --latency-ms 100 --slots 2 --no-props
A=$PORT A_STATS=$STATS
another_stub --latency-ms 100 --slots 2 --no-props
B=$PORT B_PID=$LAUNCHED B_STATS=$STATS
OLLAMA_HOST="127.0.0.1:$A,127.0.0.1:$B" timeout 120 "$WAVERUNNER" run --llm ollama >"$T/out" 2>"$T/err" &
RUN=$!
i=0
while [ "$(served "$B_STATS")" -lt 4 ] 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$B_PID"
wait "$RUN"
STATUS=$?
check_eq "failover: run completes all 60 calls (exit 0)" "$STATUS $(completed)" "0 60"
check_eq "failover: each completed at its first attempt (the server's failure spent none)" "$(no_attempt_lost)" 0
check_true "failover: the server that stayed served the rest (A $(served "$A_STATS"))" \
	[ "$(served "$A_STATS")" -ge 30 ]
check_true "failover: what was in flight at the server that went away was released" \
	[ "$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'interaction_released'")" -ge 1 ]
stop_stubs

# --- All of the pool away: an outage, each server named ---------------------------
fresh "$T/two.json" 7201 3
D1=$(free_port)
D2=$(free_port)
while [ "$D2" = "$D1" ]; do D2=$(free_port); done
OLLAMA_HOST="127.0.0.1:$D1,127.0.0.1:$D2" run_wr_t run --llm ollama --patience 2s
check_eq "all away: run exits 5, every interaction pending with no attempt spent" \
	"$STATUS $(sql "SELECT status || ' ' || attempts || ' ' || count(*) FROM interactions GROUP BY status, attempts")" \
	"5 pending 0 3"
check_contains "all away: the message names the first server" "$ERR" "the model server http://127.0.0.1:$D1 did not answer"
check_contains "all away: ... and the second" "$ERR" "the model server http://127.0.0.1:$D2 did not answer"

# --- A wrong address in a list stops run before anything is claimed ------------------
fresh "$T/two.json" 7201 3
cp "$DB" "$T/before.sqlite"
OLLAMA_HOST="127.0.0.1:$D1,ftp://127.0.0.1:$D2" run_wr_t run --llm ollama --patience 2s
check_eq "wrong address in the list: exit 3" "$STATUS" 3
check_contains "wrong address in the list: the message names the address and the setting" "$ERR" \
	"OLLAMA_HOST: the address 'ftp://127.0.0.1:$D2'"
check_eq "wrong address in the list: nothing was claimed" \
	"$(sql "SELECT status || ' ' || attempts || ' ' || count(*) FROM interactions GROUP BY status, attempts")" "pending 0 3"

sed -e 's|"config": {"temperature": 0}|"config": {"temperature": 0, "base_url": ["http://127.0.0.1:1", 5]}|' \
	"$T/two.json" >"$T/bad-pool.json"
run_wr_t validate "$T/bad-pool.json"
check_eq "validate: a base_url list with a number in it is an error (exit 1)" "$STATUS" 1
check_contains "validate: ... naming the actor and the setting" "$OUT$ERR" "config 'base_url' has the wrong type"

finish
