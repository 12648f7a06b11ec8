#!/bin/sh
# sql_query only reads. Each class of statement that is not a pure read
# (transaction control, savepoints, ATTACH/DETACH, PRAGMAs, writes, writes in a
# CTE, VACUUM, schema changes) is refused by validate and load, naming the
# workflow and conversation; put into the database behind validate's back, it
# fails its step with a clear message, leaves the database intact, and a later
# run works. Workflow 111 (tests/data/workflows/builtins.json): check the
# description, then the sql_query step 1111, then save a summary; all three
# are built-ins, so they finish inside one transaction of the engine.
. "$REPO/tests/lib.sh"
DATA="$REPO/tests/data"
GOOD="SELECT extracted_summary IS NOT NULL FROM postings WHERE posting_id = :posting_id"

fresh() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
	wr init >/dev/null && wr load "$DATA/workflows/builtins.json" "$DATA/postings.json" >/dev/null
}
# workflow_with SQL FILE: builtins.json with SQL as the query of step 1111.
workflow_with() {
	sqlite3 :memory: "SELECT json_set(readfile('$DATA/workflows/builtins.json'),
		'\$.conversations[1].instruction.template',
		json_object('sql', '$(printf '%s' "$1" | sed "s/'/''/g")', 'map', json('{\"1\": \"[SKIP]\", \"0\": \"[RUN]\"}')) || '')" >"$2"
}

# STATEMENT|what the message says after "the query must only read"
cat >"$T/classes" <<'EOF'
BEGIN|, and it would control the transaction (BEGIN)
COMMIT|, and it would control the transaction (COMMIT)
ROLLBACK|, and it would control the transaction (ROLLBACK)
SAVEPOINT s1|, and it would set savepoint s1
RELEASE s1|, and it would release savepoint s1
ROLLBACK TO s1|, and it would roll back to savepoint s1
ATTACH 'other.db' AS other|, and it would attach database other.db
DETACH other|, and it would detach database other
PRAGMA query_only = 1|, and it would run PRAGMA query_only = 1
PRAGMA writable_schema = ON|, and it would run PRAGMA writable_schema = ON
PRAGMA foreign_keys|, and it would run PRAGMA foreign_keys
SELECT * FROM pragma_table_info('postings')|, and it would run PRAGMA table_info
WITH x AS (SELECT 1) INSERT INTO postings (posting_name, external_job_id, external_url) SELECT 'a', 'b', 'c' FROM x|, and it would insert into table postings
WITH x AS (SELECT 1) DELETE FROM postings WHERE posting_id IN (SELECT * FROM x)|, and it would delete from table postings
VACUUM| (a SELECT), and this statement is not one
REINDEX|, and it would rebuild indexes (REINDEX)
INSERT INTO postings (posting_name, external_job_id, external_url) VALUES ('a', 'b', 'c')|, and it would insert into table postings
REPLACE INTO postings (posting_id, posting_name, external_job_id, external_url) VALUES (1, 'a', 'b', 'c')|, and it would insert into table postings
UPDATE postings SET job_title = 'x' RETURNING 1|, and it would update table postings
DELETE FROM postings RETURNING 1|, and it would delete from table postings
CREATE TABLE t (a)|, and it would create table t
CREATE TEMP VIEW v AS SELECT 1|, and it would create view v
DROP TABLE postings|, and it would drop table postings
ALTER TABLE postings ADD COLUMN z|, and it would alter table postings
ANALYZE|, and it would gather statistics (ANALYZE)
SELECT load_extension('x')|, and it would call function load_extension
EOF

# --- validate and load refuse each class, naming workflow and conversation
fresh
sql "SELECT count(*) FROM sqlite_master" >"$T/objects"
i=0
while IFS='|' read -r stmt why; do
	i=$((i + 1))
	workflow_with "$stmt" "$T/w$i.json"
	run_wr validate "$T/w$i.json"
	check_eq "validate refuses $stmt (exit 1)" "$STATUS" "1"
	check_contains "... naming the conversation and why" "$ERR" \
		"w$i.json: error: conversation 1111 'summary exists?': sql_query: the query must only read$why"
	run_wr load "$T/w$i.json"
	check_eq "load refuses $stmt (exit 3), naming the workflow" "$STATUS:$(echo "$ERR" | tail -n 1)" \
		"3:waverunner: load: $T/w$i.json: workflow 111 not loaded: 1 error (see above) (nothing was loaded)"
done <"$T/classes"
check_eq "nothing of it was stored" \
	"$(sql "SELECT prompt_template LIKE '%:posting_id%' FROM instructions WHERE conversation_id = 1111")" "1"
check_eq "no database was attached and created" "$(ls "$T" | grep -c '^other.db')" "0"

workflow_with "SELECT 1; DELETE FROM postings" "$T/two.json"
run_wr validate "$T/two.json"
check_contains "a second statement is refused" "$ERR" "sql_query: the query must be a single statement"
workflow_with "SELECT count(*) FROM postings p, json_each(p.skill_keywords)
	WHERE p.posting_id = :posting_id; -- skills" "$T/read.json"
run_wr validate "$T/read.json"
check_eq "a pure read (a table-valued function, a trailing comment) passes" "$STATUS:$ERR" "0:"
# query_workflow FILE TEMPLATE: workflow 5, one sql_query step whose
# instruction is TEMPLATE (as it stands in the JSON string).
query_workflow() {
	printf '{"workflow_id": 5, "name": "q",
 "actors": [{"actor_id": 2, "name": "sql_query", "type": "builtin"}],
 "conversations": [{"conversation_id": 50, "name": "q", "actor": "sql_query", "terminal": true,
   "instruction": {"template": "%s"}}]}\n' "$2" >"$1"
}
query_workflow "$T/braces.json" '{{\"sql\": \"DELETE FROM postings\"}}'
run_wr validate "$T/braces.json"
check_contains "an instruction written with {{ }} is checked as it will run" "$ERR" \
	"conversation 50 'q': sql_query: the query must only read, and it would delete from table postings"
query_workflow "$T/bare.json" 'SELECT 1'
run_wr validate "$T/bare.json"
check_contains "an instruction that is no JSON object is refused" "$ERR" \
	"conversation 50 'q': sql_query: the instruction must be a JSON object with a \"sql\" string"
query_workflow "$T/late.json" '{\"sql\": \"SELECT {job_title}\"}'
run_wr validate "$T/late.json"
check_eq "a query with placeholders is only warned about (exit 0)" "$STATUS" "0"
check_contains "... saying it is checked when it runs" "$ERR" \
	"sql_query: the query has placeholders, so it is checked only when it runs"
query_workflow "$T/stored.json" '{\"sql\": \"SELECT count(stored_text(input)) FROM interactions\"}'
run_wr validate "$T/stored.json"
check_eq "a query may read requests as they were sent (stored_text, as on every connection)" "$STATUS:$ERR" "0:"

# --- behind validate's back: the step fails, the database stays whole
i=0
while IFS='|' read -r stmt why; do
	i=$((i + 1))
	fresh
	wr start --workflow 111 --posting 1 --posting 3 >/dev/null
	sql "UPDATE instructions SET prompt_template = json_object('sql', '$(printf '%s' "$stmt" | sed "s/'/''/g")')
	     WHERE conversation_id = 1111"
	run_wr run
	check_eq "at run time $stmt fails its step, not retried" \
		"$(sql "SELECT group_concat(status || ' ' || attempts || ' ' || failure_class || ' ' || error_message, '; ')
		        FROM interactions WHERE conversation_id = 1111")" \
		"failed 1 step_failed the query must only read$why; failed 1 step_failed the query must only read$why"
	check_eq "... the steps before it are recorded, the runs failed, nothing left open" \
		"$(sql "SELECT group_concat(status, ' ') FROM (SELECT status FROM interactions WHERE conversation_id = 1110
		        UNION ALL SELECT status FROM workflow_runs
		        UNION ALL SELECT count(*) FROM interactions WHERE status IN ('pending', 'running'))")" \
		"completed completed failed failed 0"
	check_eq "... the database is intact" \
		"$(sql "PRAGMA integrity_check; SELECT count(*) FROM postings; SELECT count(*) FROM sqlite_master")" \
		"$(printf 'ok\n3\n%s' "$(cat "$T/objects")")"
	sql "UPDATE instructions SET prompt_template = json_object('sql', '$GOOD',
	     'map', json_object('1', '[SKIP]', '0', '[RUN]')) WHERE conversation_id = 1111"
	wr start --workflow 111 --posting 1 --again >/dev/null
	run_wr run
	check_eq "... and a later run works" \
		"$STATUS:$(sql "SELECT status FROM workflow_runs WHERE workflow_run_id = 3"):$(sql "SELECT group_concat(posting_id) FROM postings WHERE extracted_summary IS NOT NULL")" \
		"0:completed:1"
done <"$T/classes"
check_eq "no database was attached and created at run time" "$(ls "$T" | grep -c '^other.db')" "0"

fresh
wr start --workflow 111 --posting 1 >/dev/null
sql "UPDATE instructions SET prompt_template = '{\"sql\": \"SELECT 1; COMMIT\"}' WHERE conversation_id = 1111"
wr run >/dev/null
check_eq "at run time a second statement fails the step" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 1111")" \
	"the query must be a single statement"

finish
