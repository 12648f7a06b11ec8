#!/bin/sh
# sync against a real PostgreSQL server (tests/pg.sh): connecting without
# showing the password, pulling postings (selected, incremental), a pull -> run
# -> push round trip checked in PostgreSQL, idempotent pushes, conflicts, a
# missing column, a constraint violation, the server stopping in the middle of
# a push, a periodic push that outlives the server going away, and importing
# workflow 3001 from turing's tables.
. "$REPO/tests/lib.sh"
. "$REPO/tests/pg.sh"

pg_start

BG=""
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	pg_cleanup
}
trap cleanup EXIT

# interrupt_bg: Ctrl-C to the command in the background ($BG); its exit status in STATUS.
interrupt_bg() {
	kill -INT "$BG"
	wait "$BG"
	STATUS=$?
	BG=""
}

# wait_for COMMAND...: polls until the command succeeds (at most 90 s).
wait_for() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -gt 450 ] && return 1
		sleep 0.2
	done
}

# Six postings in turing, each updated on its own day of January.
pg_psql -c "INSERT INTO postings (posting_id, posting_name, job_title, job_description, location_city, source,
	external_job_id, external_url, posting_status, first_seen_at, updated_at, source_metadata)
	SELECT n, 'Job ' || n, 'Job ' || n,
		'Posting ' || n || ': ' || repeat('Build data pipelines in SQL and Python {for} the risk team. ', 3),
		'Frankfurt', 'deutsche_bank', 'R' || n, 'https://careers.example/R' || n,
		CASE WHEN n IN (3, 5) THEN 'pending' WHEN n = 6 THEN 'filled' ELSE 'active' END,
		'2025-12-01 08:00:00', timestamp '2026-01-01 10:00:00' + (n - 1) * interval '1 day',
		jsonb_build_object('posted_on', 'Posted ' || n || ' days ago')
	FROM generate_series(1, 6) AS n"

ids() { sql "SELECT group_concat(posting_id, ',') FROM (SELECT posting_id FROM postings ORDER BY 1)"; }
pg_summaries() { pg_psql -c "SELECT string_agg(posting_id || '=' || coalesce(extracted_summary, '-'), ' | ' ORDER BY posting_id) FROM postings"; }
pg_versions() { pg_psql -c "SELECT string_agg(updated_at::text, ',' ORDER BY posting_id) FROM postings"; }
# local_result ID TEXT: a new summary saved locally (as a run would save it).
local_result() {
	sql "UPDATE postings SET extracted_summary = '$2', results_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE posting_id = $1"
}
use_db() {
	export WAVERUNNER_DB="$T/$1.db"
	DB=$WAVERUNNER_DB
	wr init >/dev/null
}

# ---- connecting ----
use_db conn
BAD=WrongPassw0rd-$$
run_wr sync pull --pg "host=127.0.0.1 port=$PG_PORT dbname=turing user=$PG_USER password=$BAD"
check_eq "a wrong password: exit status 5" "$STATUS" 5
check_contains "a wrong password: the error names the server and the reason" "$ERR" \
	"waverunner: sync: cannot connect to PostgreSQL at host 127.0.0.1 port $PG_PORT database turing: password authentication failed for user \"$PG_USER\""
check_not_contains "a wrong password: it is not shown" "$OUT$ERR" "$BAD"
run_wr sync pull --pg "postgresql://$PG_USER:$BAD@127.0.0.1:$PG_PORT/turing"
check_eq "a wrong password in a URL: exit status 5" "$STATUS" 5
check_not_contains "a wrong password in a URL: it is not shown" "$OUT$ERR" "$BAD"
run_wr sync pull --pg "postgresql://$PG_USER:${BAD}%zz@127.0.0.1:$PG_PORT/turing"
check_eq "an unreadable URL: exit status 3" "$STATUS" 3
check_contains "an unreadable URL: shown with its password hidden" "$ERR" "postgresql://$PG_USER:***@127.0.0.1"
check_not_contains "an unreadable URL: the password is not shown" "$OUT$ERR" "$BAD"
NOPORT=$(free_port)
run_wr sync push --pg "host=127.0.0.1 port=$NOPORT user=$PG_USER password=$BAD connect_timeout=5"
check_eq "no server: exit status 5" "$STATUS" 5
check_contains "no server: the error says where" "$ERR" "cannot connect to PostgreSQL at host 127.0.0.1 port $NOPORT"
check_not_contains "no server: the password is not shown" "$OUT$ERR" "$BAD"
run_wr sync pull --ids 1 --pg "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/turing"
check_eq "a URL with the right password connects" "$STATUS" 0
(
	unset WAVERUNNER_PG
	export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=$PG_USER PGPASSWORD=$PG_PASSWORD
	unset PGDATABASE
	"$WAVERUNNER" sync pull --ids 2 >"$T/env.out" 2>&1
	echo $? >"$T/env.status"
)
check_eq "libpq's PG* variables, database turing by default: exit status 0" "$(cat "$T/env.status")" 0
check_contains "libpq's PG* variables: it connected to turing" "$(cat "$T/env.out")" "database turing: 1 fetched"
check_not_contains "the password is not shown by a successful pull" "$(cat "$T/env.out")" "$PG_PASSWORD"
check_eq "the password is nowhere in the SQLite file" "$(cat "$DB"* | grep -c -a "$PG_PASSWORD")" 0

# ---- choosing postings ----
use_db select
run_wr sync pull --ids 2,4
check_contains "pull --ids: two fetched" "$OUT" "2 fetched (2 new, 0 updated, 0 unchanged)"
check_eq "pull --ids: exactly those postings" "$(ids)" "2,4"
run_wr sync pull --ids 3,77
check_eq "pull --ids with one PostgreSQL does not have: exit status 1" "$STATUS" 1
check_contains "... it is named" "$ERR" "posting 77 is not in PostgreSQL"
check_contains "... and the others are pulled" "$OUT" "1 fetched (1 new, 0 updated, 0 unchanged)"
use_db status
run_wr sync pull --status pending
check_eq "pull --status pending: the pending postings" "$(ids)" "3,5"
use_db since
run_wr sync pull --since 2026-01-05
check_eq "pull --since: postings updated at or after it" "$(ids)" "5,6"
run_wr sync pull --since yesterday-ish
check_eq "pull --since with a bad time: usage error" "$STATUS" 2
use_db limit
run_wr sync pull --limit 4
check_eq "pull --limit 4: the first four by updated_at" "$(ids)" "1,2,3,4"
run_wr sync pull
check_contains "the next plain pull continues after them" "$OUT" "2 fetched (2 new, 0 updated, 0 unchanged)"
check_eq "... and then every posting is here" "$(ids)" "1,2,3,4,5,6"
check_eq "descriptive columns came along" "$(sql "SELECT job_title, location_city, source, external_url, posting_status, source_metadata FROM postings WHERE posting_id = 6")" \
	'Job 6|Frankfurt|deutsche_bank|https://careers.example/R6|filled|{"posted_on":"Posted 6 days ago"}'

# ---- a page that rolls back is not counted ----
use_db rollback
sql "CREATE TRIGGER boom BEFORE INSERT ON posting_sync WHEN NEW.posting_id = 4 BEGIN SELECT RAISE(ABORT, 'boom'); END;"
run_wr sync pull
check_eq "a pull whose page fails to store: exit status 4" "$STATUS" 4
check_eq "... nothing of the page is stored" "$(sql "SELECT count(*) FROM postings")" 0
check_contains "... and the report counts nothing either" "$OUT" "0 fetched (0 new, 0 updated, 0 unchanged)"
sql "DROP TRIGGER boom"
run_wr sync pull
check_contains "the next pull stores and counts the whole page" "$OUT" "6 fetched (6 new, 0 updated, 0 unchanged)"

# ---- incremental pulls ----
use_db incr
run_wr sync pull
check_contains "a first pull fetches everything" "$OUT" "6 fetched (6 new, 0 updated, 0 unchanged)"
run_wr sync pull
check_contains "a second pull fetches nothing" "$OUT" "0 fetched (0 new, 0 updated, 0 unchanged)"
check_contains "... and says it looked for changes only" "$OUT" "changed since the last pull"
pg_psql -c "UPDATE postings SET job_title = 'Senior Job 3' WHERE posting_id = 3"
run_wr sync pull
check_contains "a pull after a change in PostgreSQL fetches only that posting" "$OUT" "1 fetched (0 new, 1 updated, 0 unchanged)"
check_eq "... and updates it here" "$(sql "SELECT job_title FROM postings WHERE posting_id = 3")" "Senior Job 3"
local_result 4 "The summary written here."
pg_psql -c "UPDATE postings SET extracted_summary = 'A summary written in turing.', job_title = 'Job 4b' WHERE posting_id = 4"
run_wr sync pull
check_eq "a pull never overwrites local results" "$(sql "SELECT extracted_summary, job_title FROM postings WHERE posting_id = 4")" \
	"The summary written here.|Job 4b"
check_contains "... and warns that they wait on a changed posting" "$ERR" "posting 4 changed in PostgreSQL while its results wait to be pushed"
run_wr --json sync pull --full
check_contains "pull --full fetches everything again (json)" "$OUT" '"mode":"all","fetched":6,"new":0,"updated":0,"unchanged":6'

# ---- pull, run, push ----
use_db roundtrip
wr sync pull >/dev/null
wr load "$REPO/tests/sync/builtins.json" >/dev/null
wr start --workflow 7001 --all >/dev/null
run_wr run
check_contains "the built-in workflow ran over the pulled postings" "$OUT" "runs: 6 completed, 0 failed, 0 running"
run_wr sync push
check_eq "push: exit status 0" "$STATUS" 0
check_contains "push: six postings pushed" "$OUT" "pushed 6 postings, 0 conflicts, 0 rejected"
LOCAL=$(sql "SELECT group_concat(posting_id || '=' || extracted_summary, ' | ') FROM (SELECT * FROM postings ORDER BY posting_id)")
check_eq "PostgreSQL has the summaries" "$(pg_summaries)" "$LOCAL"
check_eq "PostgreSQL has the skills, the IHL score (0-10, as stored) and the status" \
	"$(pg_psql -c "SELECT count(*) FROM postings WHERE skill_keywords = '[{\"name\": \"SQL\"}, {\"name\": \"Python\"}]'::jsonb AND ihl_score = 6 AND posting_status = 'complete' AND updated_by_interaction_id IS NULL")" 6
check_eq "the local file knows what it pushed" \
	"$(sql "SELECT count(*) FROM postings JOIN posting_sync USING (posting_id) WHERE pushed_results_at = results_updated_at")" 6
V1=$(pg_versions)
run_wr sync push
check_contains "a second push sends nothing" "$OUT" "pushed 0 postings, 0 conflicts, 0 rejected"
check_eq "... and PostgreSQL's updated_at is unchanged" "$(pg_versions)" "$V1"

# dry run
local_result 1 "A better summary of posting one, with enough words to be a summary."
S1=$(pg_summaries)
run_wr sync push --dry-run
check_eq "push --dry-run: exit status 0" "$STATUS" 0
check_contains "push --dry-run shows the posting" "$OUT" "posting 1 would be sent:"
check_contains "push --dry-run shows each column" "$OUT" "extracted_summary          \"A better summary of posting one"
check_eq "push --dry-run changes nothing in PostgreSQL" "$(pg_summaries)$(pg_versions)" "$S1$V1"
check_eq "push --dry-run marks nothing here" "$(sql "SELECT pushed_results_at = results_updated_at FROM postings JOIN posting_sync USING (posting_id) WHERE posting_id = 1")" 0
run_wr --json sync push
check_contains "push --json: counts and postings" "$OUT" '"pushed":1,'
check_contains "push --json: the posting and its columns" "$OUT" '{"posting_id":1,"result":"pushed","columns":["extracted_summary","skill_keywords","ihl_score","posting_status"]}'
check_eq "the new summary is in PostgreSQL" "$(pg_psql -c "SELECT extracted_summary FROM postings WHERE posting_id = 1")" \
	"A better summary of posting one, with enough words to be a summary."

# conflicts
local_result 2 "Summary two, second version."
local_result 3 "Summary three, second version."
pg_psql -c "UPDATE postings SET job_description = job_description || ' Updated.' WHERE posting_id = 2"
run_wr sync push
check_eq "a conflict: exit status 1" "$STATUS" 1
check_contains "a conflict is reported" "$ERR" "posting 2: conflict: changed in PostgreSQL after it was pulled"
check_contains "... and the other posting is pushed" "$OUT" "pushed 1 posting, 1 conflict, 0 rejected"
check_eq "the changed posting keeps PostgreSQL's values" "$(pg_psql -c "SELECT extracted_summary <> 'Summary two, second version.' FROM postings WHERE posting_id = 2")" t
run_wr sync push
check_contains "the conflict stays until it is resolved" "$ERR" "posting 2: conflict"
run_wr sync push --force
check_eq "push --force: exit status 0" "$STATUS" 0
check_eq "push --force writes over it" "$(pg_psql -c "SELECT extracted_summary FROM postings WHERE posting_id = 2")" "Summary two, second version."

# a conflict found by a pull: the results predate the change
local_result 4 "Summary four, second version."
pg_psql -c "UPDATE postings SET job_title = 'Job 4, renamed' WHERE posting_id = 4"
wr sync pull >/dev/null 2>&1
run_wr sync push
check_contains "results saved before a pull brought a change are a conflict" "$ERR" "posting 4: conflict: changed in PostgreSQL (a pull brought the change"
wr start --workflow 7001 --posting 4 --again >/dev/null
wr run >/dev/null
run_wr sync push
check_eq "after running it again it pushes" "$STATUS:$(pg_psql -c "SELECT extracted_summary LIKE 'Summary of Job 4, renamed:%' FROM postings WHERE posting_id = 4")" "0:t"

# a column PostgreSQL does not have
pg_psql -c "ALTER TABLE postings DROP COLUMN skill_keywords"
local_result 5 "Summary five, second version."
run_wr sync push
check_eq "a missing column: exit status 0" "$STATUS" 0
check_contains "a missing column is named as skipped" "$OUT" "skipped column skill_keywords: PostgreSQL's postings table has no such column"
check_eq "... and the rest is pushed" "$(pg_psql -c "SELECT extracted_summary FROM postings WHERE posting_id = 5")" "Summary five, second version."
pg_psql -c "ALTER TABLE postings ADD COLUMN skill_keywords jsonb"

# a row the server refuses
pg_psql -c "ALTER TABLE postings ADD CONSTRAINT ihl_not_seven CHECK (ihl_score IS DISTINCT FROM 7)"
sql "UPDATE postings SET ihl_score = 7, results_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE posting_id = 5"
local_result 6 "Summary six, second version."
run_wr sync push
check_eq "a rejected row: exit status 1" "$STATUS" 1
check_contains "a rejected row is reported with the server's reason" "$ERR" \
	"posting 5: rejected by PostgreSQL: new row for relation \"postings\" violates check constraint \"ihl_not_seven\""
check_eq "the others are pushed" "$(pg_psql -c "SELECT ihl_score || ' ' || (SELECT extracted_summary FROM postings WHERE posting_id = 6) FROM postings WHERE posting_id = 5")" \
	"6 Summary six, second version."
pg_psql -c "ALTER TABLE postings DROP CONSTRAINT ihl_not_seven"
run_wr sync push
check_eq "once the server accepts it, it is pushed" "$STATUS:$(pg_psql -c "SELECT ihl_score FROM postings WHERE posting_id = 5")" "0:7"

# the server stops in the middle of a push (and, first, a push is interrupted)
sleeping() { [ "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ]; }
pg_psql -c "CREATE FUNCTION slow_four() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(300); RETURN NEW; END \$\$" \
	-c "CREATE TRIGGER slow_four BEFORE UPDATE ON postings FOR EACH ROW WHEN (NEW.posting_id = 4) EXECUTE FUNCTION slow_four()"
# Ctrl-C while PostgreSQL works on a batch: the statement is cancelled and
# nothing of the batch stays.
local_result 3 "Summary 3, interrupted version."
local_result 4 "Summary 4, interrupted version."
OLD34=$(pg_psql -c "SELECT string_agg(extracted_summary, ' | ' ORDER BY posting_id) FROM postings WHERE posting_id IN (3, 4)")
"$WAVERUNNER" sync push >"$T/int.out" 2>"$T/int.err" &
BG=$!
if wait_for sleeping; then _ok "the push reached the slow posting"; else _not_ok "the push reached the slow posting" "$(cat "$T/int.out" "$T/int.err")"; fi
interrupt_bg
check_eq "Ctrl-C during a push: exit status 130" "$STATUS" 130
check_contains "... says what happens to the batch" "$(cat "$T/int.err")" "interrupted: what was not committed in PostgreSQL is not marked pushed"
check_eq "... nothing of the batch is in PostgreSQL" "$(pg_psql -c "SELECT string_agg(extracted_summary, ' | ' ORDER BY posting_id) FROM postings WHERE posting_id IN (3, 4)")" "$OLD34"
check_eq "... nor marked pushed here" "$(sql "SELECT count(*) FROM posting_sync JOIN postings USING (posting_id) WHERE posting_id IN (3, 4) AND pushed_results_at = results_updated_at")" 0
check_eq "... and PostgreSQL is not left waiting" "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" 0

for n in 1 2 3 4; do local_result $n "Summary $n, third version."; done
OLD34=$(pg_psql -c "SELECT string_agg(extracted_summary, ' | ' ORDER BY posting_id) FROM postings WHERE posting_id IN (3, 4)")
"$WAVERUNNER" sync push --batch 2 >"$T/stop.out" 2>"$T/stop.err" &
BG=$!
if wait_for sleeping; then
	_ok "the push reached the slow posting in its second batch"
else
	_not_ok "the push reached the slow posting in its second batch" "$(cat "$T/stop.out" "$T/stop.err")"
fi
pg_server_stop
wait "$BG"
STATUS=$?
BG=""
check_eq "the server stopped mid-push: exit status 5" "$STATUS" 5
check_contains "... says the connection was lost and what was not pushed" "$(cat "$T/stop.err")" \
	"lost the connection to PostgreSQL at host 127.0.0.1 port $PG_PORT database turing"
pg_server_start
check_eq "the first batch is in PostgreSQL, nothing of the second" \
	"$(pg_psql -c "SELECT string_agg(extracted_summary, ' | ' ORDER BY posting_id) FROM postings WHERE posting_id <= 4")" \
	"Summary 1, third version. | Summary 2, third version. | $OLD34"
check_eq "only the first batch is marked pushed here" \
	"$(sql "SELECT group_concat(posting_id) FROM (SELECT posting_id FROM postings JOIN posting_sync USING (posting_id) WHERE pushed_results_at = results_updated_at AND posting_id <= 4 ORDER BY 1)")" "1,2"
pg_psql -c "DROP TRIGGER slow_four ON postings"
run_wr sync push
check_contains "the next push completes the rest" "$STATUS $OUT" "0 push to PostgreSQL"
check_contains "... sending only what was not pushed" "$OUT" "pushed 2 postings, 0 conflicts, 0 rejected"
check_eq "... and PostgreSQL has it all" "$(pg_psql -c "SELECT count(*) FROM postings WHERE extracted_summary LIKE '%third version.'")" 4

# a periodic push outlives the server going away
local_result 1 "Summary 1, fourth version."
"$WAVERUNNER" sync push --every 1s >"$T/every.out" 2>"$T/every.err" &
BG=$!
if wait_for grep -q "pushed 1 posting" "$T/every.out"; then _ok "push --every: the first round pushes"; else _not_ok "push --every: the first round pushes" "$(cat "$T/every.out" "$T/every.err")"; fi
pg_server_stop
if wait_for grep -q "cannot connect to PostgreSQL" "$T/every.err"; then _ok "push --every: a round without the server says so"; else _not_ok "push --every: a round without the server says so" "$(cat "$T/every.err")"; fi
local_result 2 "Summary 2, fourth version."
pg_server_start
if wait_for sh -c "\"$PG_BIN/psql\" -X -At -h '$PG_DIR' -p $PG_PORT -U postgres -d turing -c \"SELECT extracted_summary FROM postings WHERE posting_id = 2\" | grep -q 'fourth version'"; then
	_ok "push --every: a later round pushes once the server is back"
else
	_not_ok "push --every: a later round pushes once the server is back" "$(tail -n 5 "$T/every.out" "$T/every.err")"
fi
interrupt_bg
check_eq "push --every stops on Ctrl-C with exit status 130" "$STATUS" 130
check_contains "push --every numbers its rounds" "$(cat "$T/every.out")" "round 1 at "

# postings made here are not pushed
wr load "$REPO/tests/sync/local-posting.json" >/dev/null
sql "UPDATE postings SET extracted_summary = 'made here', results_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE posting_id = 900"
run_wr sync push
check_contains "a posting that was not pulled is named, not pushed" "$OUT" "not pushed: 1 posting with results that did not come from PostgreSQL (900)"
check_eq "... and PostgreSQL has no such posting" "$(pg_psql -c "SELECT count(*) FROM postings WHERE posting_id = 900")" 0

# ---- workflow definitions ----
use_db workflows
pg_psql -v wf="$(cat "$REPO/fixtures/workflows/3001.json")" -f "$REPO/tests/sync/turing-3001.sql"
run_wr sync pull --workflows 3001
check_eq "pull --workflows 3001: exit status 1 (a step cannot run here)" "$STATUS" 1
check_contains "... and says so at the end" "$ERR" "workflow 3001 is stored but cannot run as it is (waverunner validate --workflow 3001 lists why)"
check_contains "it is stored" "$OUT" "workflow 3001 'Complete Job Processing Pipeline': 17 conversations, 25 rules, stored"
check_contains "script savers become built-ins" "$OUT" \
	"actor 77 'summary_saver' (script core/wave_runner/actors/summary_saver.py) runs as built-in save_summary"
check_contains "the description check on the SQL executor becomes the built-in" "$OUT" \
	"conversation 9193 'Validate job description': actor 74 'sql_query_executor' (its description check) runs as built-in check_description"
check_contains "model settings turing did not send are left out, and said so" "$OUT" \
	"actor 45 'qwen2.5:7b': execution_config keys model, num_ctx, timeout, num_predict left out"
check_contains "the human step is reported" "$ERR" \
	"conversation 9999 'Human review of the ticket': actor 90 'hr_reviewer' is a human actor: waverunner cannot run it"
check_eq "postings are not pulled with --workflows alone" "$(sql "SELECT count(*) FROM postings")" 0
check_eq "actors as stored" "$(sql "SELECT group_concat(actor_name || ':' || actor_type || ':' || execution_config || ':' || enabled, ' ') FROM (SELECT * FROM actors ORDER BY actor_id)")" \
	'mistral:latest:ai_model:{"seed":42,"temperature":0}:1 qwen2.5:7b:ai_model:{"seed":42,"temperature":0}:1 db_job_fetcher:builtin:{"builtin":"fetch_jobs"}:1 summary_saver:builtin:{"builtin":"save_summary"}:1 ihl_score_saver:builtin:{"builtin":"save_ihl"}:1 posting_skills_saver:builtin:{"builtin":"save_skills"}:1 hr_reviewer:script:{}:0 check_description:builtin:{"builtin":"check_description"}:1'
check_eq "built-ins get the input they need" \
	"$(sql "SELECT group_concat(conversation_id || ' ' || prompt_template, ' | ') FROM (SELECT * FROM instructions WHERE conversation_id IN (9168, 9169, 9170, 9193) ORDER BY conversation_id)")" \
	'9168 {"summary": "{conversation_3341_output}"} | 9169 {"skills": "{conversation_9121_output}"} | 9170 {"answer": "{conversation_9163_output}"} | 9193 {"description": "{job_description}"}'
check_eq "the enabled step-1 instruction is the one used" "$(sql "SELECT instruction_id FROM instructions WHERE conversation_id = 3337")" 3337
check_contains "braces turing sent as text stay text" "$(sql "SELECT prompt_template FROM instructions WHERE conversation_id = 3341")" \
	"{{conversation_3338_output|conversation_3335_output}"
check_contains "... also doubled ones" "$(sql "SELECT prompt_template FROM instructions WHERE conversation_id = 9999")" \
	'{"approved": {"by": "your name"}}}'
check_eq "rules as turing has them" "$(sql "SELECT group_concat(instruction_step_id || ':' || branch_condition || ':' || coalesce(next_conversation_id, 'END') || ':' || branch_priority || ':' || coalesce(max_iterations, '-'), ' ') FROM (SELECT * FROM instruction_steps WHERE instruction_id IN (3339, 3340) ORDER BY 1)")" \
	"33391:[FAIL]:3338:20:1 33392:[PASS]:3341:10:- 33393:[FAIL]:3340:10:- 33401:*:3341:10:- 33402:[ESCALATE]:9999:20:-"
run_wr validate --workflow 3001
check_eq "validate: the human step is the one error" "$STATUS:$(echo "$ERR" | grep -c 'error:')" "1:1"
check_contains "validate names it" "$ERR" "conversation 9999 'Human review of the ticket': actor 90 'hr_reviewer' is disabled"
run_wr --json sync pull --workflows 3001
check_contains "pull --workflows --json" "$OUT" '"workflows":[{"workflow_id":3001,"name":"Complete Job Processing Pipeline","conversations":17,"rules":25,"errors":1,"warnings":0'
run_wr sync pull --workflows 4242
check_eq "a workflow turing does not have: exit status 3" "$STATUS" 3
check_contains "... named" "$ERR" "workflow 4242: PostgreSQL at host 127.0.0.1 port $PG_PORT database turing has no workflow 4242"

# a pulled workflow may not change what a local workflow uses
use_db clash
printf '%s\n' '{"workflow_id": 500, "name": "local",
 "actors": [{"actor_id": 1, "name": "local_check", "type": "builtin", "config": {"builtin": "check_description"}}],
 "conversations": [{"conversation_id": 3337, "name": "mine", "actor": "local_check", "terminal": true,
   "instruction": {"template": "{\"description\": \"{job_description}\"}"}}]}' >"$T/local.json"
wr load "$T/local.json" >/dev/null
run_wr sync pull --workflows 3001
check_eq "pull of a workflow that would redefine a local workflow's step: exit status 3" "$STATUS" 3
check_contains "... naming the clash" "$ERR" \
	"workflow 3001: workflow 3001 clashes with another workflow: conversation 3337 'Grade summary (qwen)' belongs to workflow 500 'local'; workflow 3001 defines it differently: name, canonical_name, actor 'qwen2.5:7b', stored as 'local_check',"
check_eq "... and nothing of it is stored" \
	"$(sql "SELECT count(*) FROM workflows; SELECT conversation_name FROM conversations WHERE conversation_id = 3337")" "$(printf '1\nmine')"

finish
