# stub-llm.sh: the stub model server (tests/tools/stub-llm.c) for the scenario
# tests that call model servers. Source it after lib.sh. Retries are fast, no
# model server of the environment leaks in, and the stub is stopped at exit.
export WAVERUNNER_RETRY_BASE_MS=50
export WAVERUNNER_RETRY_CAP_MS=200
unset OLLAMA_HOST OPENAI_BASE_URL OPENAI_API_KEY WAVERUNNER_REPLAY_DIR
STUB_PID=
MORE_PIDS=
stop_stub() {
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null
		wait "$STUB_PID" 2>/dev/null
	fi
	STUB_PID=
}
stop_stubs() {
	stop_stub
	for p in $MORE_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	MORE_PIDS=
}
trap 'stop_stubs' EXIT
trap 'stop_stubs; exit 1' INT TERM

# launch_stub ARGS...: one more stub model server on a free port; sets
# LAUNCHED (its pid), PORT and STATS (its figures).
nstub=0
launch_stub() {
	nstub=$((nstub + 1))
	STATS="$T/stats.$nstub.json"
	rm -f "$T/port.$nstub"
	"$TOOLS/stub-llm" --port 0 --port-file "$T/port.$nstub" --stats-file "$STATS" "$@" \
		>/dev/null 2>"$T/stub.$nstub.log" &
	LAUNCHED=$!
	i=0
	while [ ! -s "$T/port.$nstub" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	PORT=$(cat "$T/port.$nstub" 2>/dev/null)
}

# start_stub ARGS...: a stub model server on a free port, in place of the one
# before; sets PORT, STATS (its figures) and OLLAMA_HOST (exported).
start_stub() {
	stop_stub
	launch_stub "$@"
	STUB_PID=$LAUNCHED
	export OLLAMA_HOST="127.0.0.1:$PORT"
}

# another_stub ARGS...: a stub model server beside the ones running (a
# pool); sets LAUNCHED, PORT and STATS as launch_stub; stopped at exit.
another_stub() {
	launch_stub "$@"
	MORE_PIDS="$MORE_PIDS $LAUNCHED"
}

# stat PATH [FILE]: a figure the stub reports ("peak_concurrency",
# "by_api.chat"), in its stats file (default: the last one started).
stat() { sqlite3 -batch -noheader :memory: "SELECT json_extract(readfile('${2:-$STATS}'), '\$.$1')"; }

# postings N: N postings in $T/postings.json (ids 1 to N) whose descriptions
# pass 3001's description check.
postings() {
	sqlite3 -batch -noheader :memory: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
	  SELECT json_group_array(json_object('posting_id', i, 'job_title', 'Data engineer ' || i,
	    'job_description', 'We are hiring data engineer number ' || i || ' to build pipelines in Python and SQL, '
	    || 'maintain the warehouse, and work with analysts across the company. Remote work is possible.',
	    'external_job_id', 'H' || i, 'external_url', 'https://example.com/jobs/' || i)) FROM n" >"$T/postings.json"
}
# fresh WORKFLOW_FILE WORKFLOW_ID N: a new database with N postings started.
fresh() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
	postings "$3"
	wr init >/dev/null && wr load "$1" "$T/postings.json" >/dev/null &&
		wr start --workflow "$2" --all >/dev/null
}

# wait_stat PATH VALUE: waits (up to 10 s) until the stub reports VALUE, as
# the stub may see a closed connection just after waverunner has exited.
wait_stat() {
	i=0
	while [ "$(stat "$1")" != "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}

# run_wr_t ARGS...: run_wr, bounded, so that a hang fails the test instead of
# stopping the suite.
run_wr_t() {
	timeout 120 "$WAVERUNNER" "$@" >"$T/out" 2>"$T/err"
	STATUS=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
