#!/bin/sh
# t-scale.sh: several instances share one turing through claims (sync setup,
# sync pull --claim, work), against a throwaway PostgreSQL (tests/pg.sh) and
# the stub model server, whose request log shows which postings were asked
# about. Three instances, each with its own SQLite file, work through 300
# postings: each posting is processed by exactly one of them and pushed once.
# One instance is killed with SIGKILL mid-run: its postings finish on the
# others once its leases expire, none lost, none pushed twice. A claim that
# expired while its instance was stopped (SIGSTOP) cannot overwrite the new
# owner's result, and neither can a plain push of a claim taken over. A step
# longer than a lease keeps its claims (work extends them); Ctrl-C gives back
# what is unfinished.
. "$REPO/tests/lib.sh"
. "$REPO/tests/pg.sh"

unset OLLAMA_HOST OPENAI_BASE_URL OPENAI_API_KEY WAVERUNNER_REPLAY_DIR WAVERUNNER_TEST_LEASE_MS
pg_start
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	pg_cleanup
}
trap cleanup EXIT

# bounded COMMAND...: a hang fails the test instead of stopping the suite.
bounded() {
	if command -v timeout >/dev/null 2>&1; then timeout 120 "$@"; else "$@"; fi
}
# run_b COMMAND...: like run_wr, bounded.
run_b() {
	bounded "$@" >"$T/out" 2>"$T/err"
	STATUS=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
	n=$(($1 * 20))
	shift
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -gt "$n" ] && return 1
		sleep 0.05
	done
}
# stub NAME ARGS...: a stub model server logging requests to $T/NAME.log; sets NAME_PORT.
stub() {
	name=$1
	shift
	rm -f "$T/$name.port"
	"$TOOLS/stub-llm" --port 0 --port-file "$T/$name.port" --request-log "$T/$name.log" "$@" \
		>/dev/null 2>"$T/$name.err" &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$T/$name.port"
	eval "${name}_PORT=\$(cat \"\$T/\$name.port\")"
}
# instance NAME: a database of its own with the workflow loaded.
instance() {
	"$WAVERUNNER" --db "$T/$1.db" init >/dev/null
	"$WAVERUNNER" --db "$T/$1.db" load "$REPO/tests/data/scale/workflow.json" >/dev/null
}
isql() { sqlite3 -batch -noheader "$T/$1.db" "$2"; }
# postings FROM TO: postings in turing.
postings() {
	pg_psql -c "INSERT INTO postings (posting_id, posting_name, job_title, job_description, external_job_id,
		external_url, posting_status, updated_at)
		SELECT n, 'Job ' || n, 'Engineer ' || n, 'Posting ' || n || ': build data pipelines for the risk team.',
			'S' || n, 'https://careers.example/S' || n, 'active', '2026-01-01 10:00:00'
		FROM generate_series($1, $2) AS n"
}
columns() { pg_psql -c "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'postings'"; }

postings 1 300
# Every write of a summary in turing, to count them.
pg_psql -c "CREATE TABLE summary_writes (posting_id int, summary text)" \
	-c "CREATE FUNCTION log_summary() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
		INSERT INTO summary_writes VALUES (NEW.posting_id, NEW.extracted_summary); RETURN NEW; END \$\$" \
	-c "GRANT INSERT ON summary_writes TO $PG_USER" \
	-c "CREATE TRIGGER log_summary AFTER UPDATE OF extracted_summary ON postings FOR EACH ROW
		WHEN (OLD.extracted_summary IS DISTINCT FROM NEW.extracted_summary) EXECUTE FUNCTION log_summary()"
instance a
instance b
instance c

# ---- setup ----
run_wr --db "$T/a.db" sync pull --claim 5
check_eq "a claim before sync setup: exit status 3" "$STATUS" 3
check_contains "... saying what to run" "$ERR" "has no table waverunner_claims: run waverunner sync setup once"
BEFORE=$(columns)
run_wr sync setup
check_eq "sync setup: exit status 0" "$STATUS" 0
check_contains "sync setup queues every posting" "$OUT" "table waverunner_claims, 300 postings queued"
run_wr sync setup
check_contains "sync setup again changes nothing" "$STATUS $OUT" "0 claims ready"
check_contains "... and queues nothing twice" "$OUT" "0 postings queued"
check_eq "turing's postings table keeps its shape" "$(columns)" "$BEFORE"

# ---- three instances, 300 postings ----
stub fast --latency-ms 10 --slots 8
export OLLAMA_HOST="127.0.0.1:$fast_PORT"
for i in a b c; do
	bounded "$WAVERUNNER" --db "$T/$i.db" work --workflow 8001 --claim 10 --lease 5s --per-model 4 \
		>"$T/$i.out" 2>"$T/$i.err" &
	eval "W_$i=\$!"
done
for i in a b c; do
	eval "wait \$W_$i"
	check_eq "work on instance $i: exit status 0" "$?" 0
	check_contains "work on instance $i: ends when nothing is left" "$(cat "$T/$i.out")" "nothing left to claim"
done
check_eq "the model server was asked about 300 postings" "$(cut -d' ' -f1 "$T/fast.log" | sort -u | wc -l)" 300
check_eq "... each of them once" "$(cut -d' ' -f1 "$T/fast.log" | sort | uniq -d | head -3)" ""
check_eq "each posting ran on exactly one instance" \
	"$(for i in a b c; do isql $i "SELECT posting_id FROM workflow_runs"; done | sort | uniq -c | awk '{print $1}' | sort -u)" 1
check_eq "all 300 results are in turing" "$(pg_psql -c "SELECT count(*) FROM postings WHERE extracted_summary IS NOT NULL")" 300
check_eq "... each written once" "$(pg_psql -c "SELECT count(*), count(DISTINCT posting_id) FROM summary_writes")" "300|300"
check_eq "every claim is done" "$(pg_psql -c "SELECT state, count(*) FROM waverunner_claims GROUP BY 1")" "done|300"
check_eq "no instance holds a claim any more" "$(for i in a b c; do isql $i "SELECT count(*) FROM posting_claims"; done | sort -u)" 0
run_wr --db "$T/a.db" sync status
check_contains "sync status: postings by state" "$OUT" "postings: 300 queued: 0 free, 0 claimed, 0 expired claims, 300 done, 0 failed, 0 skipped"
A_ID=$(isql a "SELECT value FROM sync_state WHERE key = 'claims.instance'")
check_contains "sync status: claims per instance" "$OUT" "$A_ID"
check_contains "sync status: which instance this database is" "$OUT" "this database is instance $A_ID and holds 0 claims"
check_eq "the three instances have names of their own" \
	"$(for i in a b c; do isql $i "SELECT value FROM sync_state WHERE key = 'claims.instance'"; done | sort -u | wc -l)" 3

# ---- kill -9 mid-run ----
postings 1001 1150
pg_psql -c "DELETE FROM summary_writes"
stub slow --latency-ms 400 --slots 8
instance k
# k works slowly: 5 postings a round, 400 ms a call; killed in its second round.
# (Not under timeout(1): the signals must reach waverunner itself.)
OLLAMA_HOST="127.0.0.1:$slow_PORT" "$WAVERUNNER" --db "$T/k.db" work --workflow 8001 --claim 5 --lease 3s \
	--per-model 5 >"$T/k.out" 2>"$T/k.err" &
K=$!
PIDS="$PIDS $K"
# Its second round has asked the model: its claims are held, its calls in flight.
k_round_two() { [ "$(wc -l <"$T/slow.log")" -gt 5 ]; }
if wait_for 60 grep -q "round 1 " "$T/k.out" && wait_for 30 k_round_two; then
	_ok "the instance to be killed finished a round and started another"
else
	_not_ok "the instance to be killed finished a round and started another" "$(cat "$T/k.out" "$T/k.err")"
fi
kill -KILL "$K"
wait "$K" 2>/dev/null
KILLED=$(pg_psql -c "SELECT string_agg(posting_id::text, ',' ORDER BY posting_id) FROM waverunner_claims WHERE state = 'claimed'")
check_eq "the killed instance held claims" "$(pg_psql -c "SELECT count(*) > 0 FROM waverunner_claims WHERE state = 'claimed'")" t
for i in a b; do
	bounded "$WAVERUNNER" --db "$T/$i.db" work --workflow 8001 --claim 10 --lease 5s --per-model 4 \
		>"$T/$i.out" 2>"$T/$i.err" &
	eval "W_$i=\$!"
done
for i in a b; do
	eval "wait \$W_$i"
	check_eq "after the kill, work on instance $i: exit status 0" "$?" 0
done
check_contains "the killed instance's claims were taken over once they expired" "$(cat "$T/a.out" "$T/b.out")" "taken over from expired claims"
check_eq "its postings were finished by the others" \
	"$(for id in $(echo "$KILLED" | tr ',' ' '); do isql a "SELECT posting_id FROM postings WHERE posting_id = $id AND extracted_summary IS NOT NULL"; isql b "SELECT posting_id FROM postings WHERE posting_id = $id AND extracted_summary IS NOT NULL"; done | sort -n | tr '\n' ',' | sed 's/,$//')" "$KILLED"
check_eq "none lost: all 150 results are in turing" "$(pg_psql -c "SELECT count(*) FROM postings WHERE posting_id > 1000 AND extracted_summary IS NOT NULL")" 150
check_eq "none pushed twice" "$(pg_psql -c "SELECT count(*), count(DISTINCT posting_id) FROM summary_writes")" "150|150"
check_eq "every claim is done" "$(pg_psql -c "SELECT state, count(*) FROM waverunner_claims GROUP BY 1")" "done|450"

# ---- a claim that expired while its instance was stopped ----
postings 2001 2003
pg_psql -c "DELETE FROM summary_writes"
printf '{"*": {"81": "Summary written by the stopped instance, after its claims had expired."}}' >"$T/stopped.json"
stub stopped --latency-ms 1500 --slots 8 --answers "$T/stopped.json"
instance s
OLLAMA_HOST="127.0.0.1:$stopped_PORT" "$WAVERUNNER" --db "$T/s.db" work --workflow 8001 --claim 3 --lease 2s \
	--per-model 3 >"$T/s.out" 2>"$T/s.err" &
S=$!
PIDS="$PIDS $S"
asked_three() { [ "$(wc -l <"$T/stopped.log")" -ge 3 ]; }
if wait_for 30 asked_three; then _ok "the instance to be stopped asked the model"; else _not_ok "the instance to be stopped asked the model" "$(cat "$T/s.out" "$T/s.err")"; fi
kill -STOP "$S"
expired_three() { [ "$(pg_psql -c "SELECT count(*) FROM waverunner_claims WHERE state = 'claimed' AND expires_at < now()")" = 3 ]; }
wait_for 30 expired_three
run_b "$WAVERUNNER" --db "$T/c.db" work --workflow 8001 --claim 10 --lease 5s
check_eq "another instance takes the expired claims and finishes them" "$STATUS" 0
check_contains "... saying so" "$OUT" "claimed 3 postings (3 taken over from expired claims)"
kill -CONT "$S"
wait "$S"
check_eq "the stopped instance, resumed: exit status 1 (conflicts)" "$?" 1
check_contains "... it says its claims were lost" "$(cat "$T/s.err")" "claim lost (it expired and another instance took it over)"
check_contains "... and that its result is fenced" "$(cat "$T/s.err")" "posting 2001: conflict: its claim expired and instance"
check_contains "... by the token" "$(cat "$T/s.err")" "not pushed (the claim token fences it)"
check_eq "turing has the new owner's results" \
	"$(pg_psql -c "SELECT count(*) FROM postings WHERE posting_id > 2000 AND extracted_summary NOT LIKE '%stopped instance%'")" 3
check_eq "... each written once" "$(pg_psql -c "SELECT count(*), count(DISTINCT posting_id) FROM summary_writes")" "3|3"

# ---- the fence with plain sync commands ----
postings 3001 3001
instance d
instance e
run_wr --db "$T/d.db" sync pull --claim 1 --lease 1s
check_contains "pull --claim: claims and pulls" "$OUT" "claimed 1 posting in PostgreSQL"
check_eq "... the posting is here with its claim" "$(isql d "SELECT posting_id FROM posting_claims")" 3001
isql d "UPDATE postings SET extracted_summary = 'Summary by d.', results_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE posting_id = 3001"
isql d "INSERT INTO workflow_runs (workflow_id, posting_id, status, started_at, updated_at) VALUES (8001, 3001, 'completed', 'x', 'x')"
sleep 1.2
run_wr --db "$T/e.db" sync pull --claim 1
check_contains "an expired claim is taken over" "$OUT" "1 of them taken over from expired claims of"
run_wr --db "$T/d.db" sync push --dry-run
check_contains "a dry run says the claim was taken over" "$OUT" "posting 3001: conflict: its claim expired and instance"
run_wr --db "$T/d.db" sync push
check_eq "a push under a claim taken over: exit status 1" "$STATUS" 1
check_contains "... a conflict fenced by the token" "$ERR" "posting 3001: conflict: its claim expired and instance $(isql e "SELECT value FROM sync_state WHERE key = 'claims.instance'") holds it now"
check_eq "... nothing written" "$(pg_psql -c "SELECT coalesce(extracted_summary, '-') FROM postings WHERE posting_id = 3001")" "-"
isql e "UPDATE postings SET extracted_summary = 'Summary by e.', results_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE posting_id = 3001"
isql e "INSERT INTO workflow_runs (workflow_id, posting_id, status, started_at, updated_at) VALUES (8001, 3001, 'completed', 'x', 'x')"
run_wr --db "$T/e.db" sync push
check_eq "the new owner pushes" "$STATUS" 0
check_contains "... and its claim is done" "$OUT" "claims ended: 1 done, 0 failed"
check_eq "turing has the new owner's result" "$(pg_psql -c "SELECT extracted_summary || ' ' || (SELECT state FROM waverunner_claims WHERE posting_id = 3001) FROM postings WHERE posting_id = 3001")" "Summary by e. done"
isql d "UPDATE postings SET extracted_summary = 'Summary by e.', results_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE posting_id = 3001"
run_wr --db "$T/d.db" sync push
check_contains "an identical result under a lost claim is not a conflict" "$STATUS $OUT" "0 push to PostgreSQL"
check_contains "... it is already up to date" "$OUT" "1 already up to date"

# ---- leases are extended while a step takes longer than a lease ----
postings 4001 4002
stub long --latency-ms 3000 --slots 8
instance l
OLLAMA_HOST="127.0.0.1:$long_PORT" bounded "$WAVERUNNER" --db "$T/l.db" work --workflow 8001 --claim 2 --lease 1s \
	--per-model 2 >"$T/l.out" 2>"$T/l.err" &
L=$!
asked_two() { [ "$(wc -l <"$T/long.log")" -ge 2 ]; }
wait_for 30 asked_two
sleep 1.5
run_wr --db "$T/d.db" sync pull --claim 5 --lease 1s
check_contains "while the calls outlast the lease, no other instance can take the claims" "$STATUS $OUT" \
	"0 claimed 0 postings"
wait "$L"
check_eq "the long calls finish: exit status 0" "$?" 0
check_contains "... and are pushed" "$(cat "$T/l.out")" "nothing left to claim: 1 round, 2 postings pushed, 2 claims done"
check_eq "... with no claim lost" "$(cat "$T/l.err")" ""

# ---- Ctrl-C: the current step ends, what is done is pushed, the rest given back ----
postings 5001 5006
stub ctrlc --latency-ms 1500 --slots 8
instance i
OLLAMA_HOST="127.0.0.1:$ctrlc_PORT" "$WAVERUNNER" --db "$T/i.db" work --workflow 8001 --claim 6 --lease 30s \
	--per-model 3 >"$T/i.out" 2>"$T/i.err" &
I=$!
PIDS="$PIDS $I"
asked_three_i() { [ "$(wc -l <"$T/ctrlc.log")" -ge 3 ]; }
wait_for 30 asked_three_i
kill -INT "$I"
wait "$I"
check_eq "work, interrupted: exit status 130" "$?" 130
check_eq "... the model calls in flight finished and were recorded" \
	"$(isql i "SELECT count(*) FROM interactions WHERE conversation_id = 81 AND status = 'completed'")" 3
check_contains "... it says nothing was left to push and the claims were given back" "$(cat "$T/i.err")" \
	"interrupted: results pushed (0 postings this time), 6 unfinished claims given back"
check_eq "... they are free again in turing" \
	"$(pg_psql -c "SELECT string_agg(state, ' ' ORDER BY posting_id) FROM waverunner_claims WHERE posting_id > 5000")" \
	"free free free free free free"
check_eq "... and the instance holds no claim" "$(isql i "SELECT count(*) FROM posting_claims WHERE released_at IS NULL")" 0
run_b "$WAVERUNNER" --db "$T/a.db" work --workflow 8001 --claim 10
check_contains "another instance finishes them" "$STATUS $OUT" "0 instance"
check_contains "... all six" "$OUT" "nothing left to claim: 1 round, 6 postings pushed, 6 claims done"

finish
