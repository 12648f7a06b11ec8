#!/bin/sh
# Upgrades: every database in tests/upgrade/, made by a waverunner of an older
# schema version (tests/upgrade/make-db.sh says how), is opened by this one,
# validated, run to the end from the replayed responses and traced; its
# results equal those of a run begun in a new database, and afterwards its
# schema is a new database's, text for text, and PRAGMA integrity_check is ok.
# Also: shipped migrations are pinned (schema/SHIPPED), and a migration that
# fails half-way leaves the database at the version before it.
. "$REPO/tests/lib.sh"
REPLAY="$REPO/fixtures/replay"
SCHEMA_Q="SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
POSTINGS="10001 10004 10009 10014 10015"
q() { sqlite3 -batch -noheader -separator '|' "$@"; }
start_args() { for p in $POSTINGS; do printf ' --posting %s' "$p"; done; }

# --- shipped migrations are pinned
out=$(sh "$REPO/tests/upgrade/check-pins.sh" "$REPO/schema" 2>&1)
check_eq "no shipped migration has changed (schema/SHIPPED)" "$?:$out" "0:"
cp -r "$REPO/schema" "$T/schema"
printf '\n' >>"$T/schema/0001-init.sql"
out=$(sh "$REPO/tests/upgrade/check-pins.sh" "$T/schema" 2>&1)
check_contains "an edited shipped migration is caught, with what to do instead" "$?:$out" \
	"1:schema/0001-init.sql changed after it shipped: migrations are append-only; add schema/NNNN-...sql"
newest=$(grep -v '^#' "$REPO/schema/SHIPPED" | tail -n 1 | sed 's/^[0-9a-f]*  0*\([0-9]*\)-.*/\1/')
have=""
for f in "$REPO"/tests/upgrade/*.sqlite; do
	[ "$(q "$f" "PRAGMA user_version")" = "$newest" ] && have="$f"
done
check_true "the newest shipped schema version ($newest) has a database in tests/upgrade/" test -n "$have"

# --- the reference: the same runs, begun in a new database
REF="$T/ref.db"
"$WAVERUNNER" --db "$REF" init >/dev/null
"$WAVERUNNER" --db "$REF" load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
# shellcheck disable=SC2046
"$WAVERUNNER" --db "$REF" start --workflow 3001 $(start_args) >/dev/null
"$WAVERUNNER" --db "$REF" run --llm replay --replay-dir "$REPLAY" --quiet >/dev/null
RESULTS_Q="SELECT posting_id, conversation_id, status, stored_text(input), output FROM interactions
	   ORDER BY posting_id, execution_order, interaction_id"
POSTINGS_Q="SELECT posting_id, posting_status, extracted_summary, skill_keywords, ihl_score, ihl_scale, ihl_verdict
	    FROM postings ORDER BY posting_id"
RUNS_Q="SELECT posting_id, status, status_detail FROM workflow_runs ORDER BY posting_id"
check_eq "the reference run ends with every run finished" \
	"$(q "$REF" "SELECT group_concat(status, ' ') FROM workflow_runs ORDER BY posting_id")" \
	"completed completed completed failed completed"

# --- each database of an older version, through the current binary
for f in "$REPO"/tests/upgrade/*.sqlite; do
	name=$(basename "$f" .sqlite)
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp "$f" "$DB"
	chmod u+w "$DB"
	running=$(sql "SELECT count(*) FROM interactions WHERE status = 'running'")
	runs=$(sql "SELECT count(*) FROM workflow_runs")
	run_wr status
	check_eq "$name: status opens and upgrades it" "$STATUS" "0"
	check_eq "$name: it is at the newest schema version" "$(sql "PRAGMA user_version")" \
		"$(q "$REF" "PRAGMA user_version")"
	check_eq "$name: its schema is a new database's, text for text" "$(sql "$SCHEMA_Q")" "$(q "$REF" "$SCHEMA_Q")"
	run_wr validate
	if [ "$runs" -eq 0 ] && [ "$STATUS" -ne 0 ]; then
		# 1891a09's workflow 3001 had a parameter named 'source', which
		# validate refuses since e3337fa (a change of the workflow, not of the
		# schema): its user loads the current file before starting runs.
		check_contains "$name: validate names the old definition's problem" "$ERR" \
			"parameter 'source' has the name of a built-in variable"
		wr load "$REPO/fixtures/workflows/3001.json" >/dev/null
		run_wr validate
	fi
	check_eq "$name: validate finds nothing wrong" "$STATUS:$(echo "$OUT" | tail -n 1)" \
		"0:workflow 3001 'Complete Job Processing Pipeline': 0 errors, 0 warnings"
	if [ "$runs" -eq 0 ]; then
		# shellcheck disable=SC2046
		run_wr start --workflow 3001 $(start_args)
		check_eq "$name: start starts the runs" "$STATUS" "0"
	fi
	run_wr run --llm replay --replay-dir "$REPLAY" --quiet
	check_eq "$name: run goes to the end" "$STATUS" "0"
	check_contains "$name: ... with every run finished" "$OUT" "runs: 4 completed, 1 failed, 0 running"
	check_eq "$name: the interactions left running by a killed process were taken back" \
		"$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'lease_expired'")" "$running"
	check_eq "$name: every step as in a new database (inputs and outputs)" \
		"$(ssql "$RESULTS_Q" | sha256sum)" "$("$TOOLS/stored-sql" "$REF" "$RESULTS_Q" | sha256sum)"
	check_eq "$name: the postings' results as in a new database" "$(sql "$POSTINGS_Q")" "$(q "$REF" "$POSTINGS_Q")"
	check_eq "$name: the runs end as in a new database" "$(sql "$RUNS_Q")" "$(q "$REF" "$RUNS_Q")"
	run_wr trace "$(sql "SELECT workflow_run_id FROM workflow_runs WHERE posting_id = 10004")"
	check_contains "$name: trace shows a run's path" "$STATUS:$OUT" "0:run "
	check_contains "$name: ... to its ticket" "$OUT" "3340 "
	check_eq "$name: PRAGMA integrity_check" "$(sql "PRAGMA integrity_check")" "ok"
	check_eq "$name: PRAGMA foreign_key_check" "$(sql "PRAGMA foreign_key_check")" ""
done

# --- a migration that fails half-way leaves the database as it was
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$REPO/tests/upgrade/v1-6c30308.sqlite" "$DB"
chmod u+w "$DB"
# 0002 rewrites the tables' text and the index interactions_ready, then makes
# interactions_pending, which a table of that name makes fail.
sql "CREATE TABLE interactions_pending (x)"
before=$(sql "$SCHEMA_Q")
run_wr status
check_eq "a failing migration: the command fails (exit 4)" "$STATUS" "4"
check_contains "... naming the migration" "$ERR" "applying migration 0002-"
check_eq "... and the database stays at version 1" "$(sql "PRAGMA user_version")" "1"
check_eq "... with its schema as it was" "$(sql "$SCHEMA_Q")" "$before"
check_eq "... and intact" "$(sql "PRAGMA integrity_check")" "ok"
sql "DROP TABLE interactions_pending"
run_wr status
check_eq "once the obstacle is gone, the upgrade succeeds" "$STATUS:$(sql "$SCHEMA_Q" | sha256sum)" \
	"0:$(q "$REF" "$SCHEMA_Q" | sha256sum)"
finish
