#!/bin/sh
# Durability: workflow 3001 is killed with SIGKILL at many moments and rerun
# each time; the final database must match an uninterrupted run: the same
# results per posting, the same interactions per run (none lost, none twice),
# and events consistent with the interactions. Two ways of dying: inside an
# open transaction at chosen points (WAVERUNNER_TEST_CRASH_AFTER), and kill -9
# from outside at random moments.
. "$REPO/tests/lib.sh"

# The workload: the fixture postings with the project's recorded responses
# when they exist, plus generated postings that take every path of 3001.
sh "$REPO/tests/bench/generate.sh" 250 "$T/gen" >/dev/null
prepare() { # DB: a database with 3001, the postings, and runs started
	rm -f "$1" "$1-wal" "$1-shm"
	"$WAVERUNNER" --db "$1" init >/dev/null &&
		"$WAVERUNNER" --db "$1" load "$REPO/fixtures/workflows/3001.json" "$T/gen/postings.json" >/dev/null &&
		"$WAVERUNNER" --db "$1" start --workflow 3001 --all >/dev/null
}
prepare "$T/record.db"
"$TOOLS/answer-run" "$T/record.db" "$T/gen/answers.json" --record "$T/replay" >/dev/null
RUN="run --llm replay --replay-dir $T/replay --quiet"

snapshot() { # DB: what must not depend on interruptions (requests as sent: stored_text)
	"$TOOLS/stored-sql" "$1" "
	SELECT posting_id, posting_status, extracted_summary, skill_keywords, ihl_score, ihl_verdict
	  FROM postings ORDER BY posting_id;
	SELECT r.posting_id, r.status, coalesce(r.status_detail, ''),
	  (SELECT group_concat(x, ';') FROM (SELECT i.conversation_id || ':' || i.status || ':' ||
	     coalesce(i.via_rule_id, '') || ':' || length(coalesce(i.output, '')) || ':' || coalesce(stored_text(i.input), '') AS x
	     FROM interactions i WHERE i.workflow_run_id = r.workflow_run_id ORDER BY 1))
	  FROM workflow_runs r ORDER BY r.posting_id;
	SELECT count(*) FROM interactions;"
}
inconsistent() { # DB: interactions whose events or parents do not fit them
	sqlite3 -batch -noheader "$1" "
	SELECT 'created ' || interaction_id FROM interactions i WHERE (SELECT count(*) FROM interaction_events e
	  WHERE e.interaction_id = i.interaction_id AND e.event_type = 'interaction_created') <> 1
	UNION ALL SELECT 'completed ' || interaction_id FROM interactions i WHERE (SELECT count(*) FROM interaction_events e
	  WHERE e.interaction_id = i.interaction_id AND e.event_type = 'interaction_completed') <> (i.status = 'completed')
	UNION ALL SELECT 'failed ' || interaction_id FROM interactions i WHERE (SELECT count(*) FROM interaction_events e
	  WHERE e.interaction_id = i.interaction_id AND e.event_type = 'interaction_failed') <> (i.status = 'failed')
	UNION ALL SELECT 'orphan ' || interaction_id FROM interactions i WHERE i.via_rule_id IS NOT NULL
	  AND NOT EXISTS (SELECT 1 FROM interaction_parents p WHERE p.interaction_id = i.interaction_id)
	UNION ALL SELECT 'unfinished ' || interaction_id FROM interactions WHERE status NOT IN ('completed', 'failed')
	UNION ALL SELECT 'run ' || workflow_run_id FROM workflow_runs WHERE status = 'running';"
}

prepare "$T/reference.db"
"$WAVERUNNER" --db "$T/reference.db" $RUN >/dev/null
snapshot "$T/reference.db" >"$T/reference.txt"
check_eq "the uninterrupted run finished everything" "$(inconsistent "$T/reference.db")" ""
check_eq "the uninterrupted run has all 250 runs" "$(sqlite3 "$T/reference.db" "SELECT count(*) FROM workflow_runs")" "250"

# 1. Killed inside an open transaction, at chosen points, again and again.
prepare "$T/crash.db"
kills=0
for k in 1 2 5 17 64 100 257 300 511 700 64 999 3 1500; do
	WAVERUNNER_TEST_CRASH_AFTER=$k "$WAVERUNNER" --db "$T/crash.db" $RUN >/dev/null 2>&1
	status=$?
	[ "$status" -eq 137 ] && kills=$((kills + 1))
	[ "$status" -eq 0 ] && break
done
"$WAVERUNNER" --db "$T/crash.db" $RUN >/dev/null 2>&1
check_true "killed inside transactions many times (at least 10)" test "$kills" -ge 10
snapshot "$T/crash.db" >"$T/crash.txt"
check_true "after crashes inside transactions: the same database as the uninterrupted run" \
	cmp -s "$T/reference.txt" "$T/crash.txt"
check_eq "... with events consistent and nothing left running" "$(inconsistent "$T/crash.db")" ""

# 2. kill -9 from outside at random moments.
prepare "$T/kill.db"
kills=0
seed=$$
while [ "$kills" -lt 40 ]; do
	"$WAVERUNNER" --db "$T/kill.db" $RUN >/dev/null 2>&1 &
	pid=$!
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	sleep "0.0$(( seed % 9 + 1 ))"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
	[ -z "$(sqlite3 "$T/kill.db" "SELECT 1 FROM workflow_runs WHERE status = 'running' LIMIT 1")" ] && break
done
"$WAVERUNNER" --db "$T/kill.db" $RUN >/dev/null 2>&1
check_true "killed from outside at least 5 times (got $kills)" test "$kills" -ge 5
snapshot "$T/kill.db" >"$T/kill.txt"
check_true "after kill -9 at random moments: the same database as the uninterrupted run" \
	cmp -s "$T/reference.txt" "$T/kill.txt"
check_eq "... with events consistent and nothing left running" "$(inconsistent "$T/kill.db")" ""
check_eq "the database is intact" "$(sqlite3 "$T/kill.db" "PRAGMA integrity_check")" "ok"

finish
