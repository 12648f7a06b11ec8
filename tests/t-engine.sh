#!/bin/sh
# The engine's semantics through the real binary and a real SQLite file:
# branching (first verdict, priority bar, END, one child per target, no rule
# matched), bounded loops, fan-out of postings, fan-in, template values, retries
# and backoff, visible save failures, refusing duplicate runs, lease recovery.
# Model answers are scripted with the answer-run tool (tests/tools/answer-run.c).
. "$REPO/tests/lib.sh"
ANSWER="$TOOLS/answer-run"
DATA="$REPO/tests/data"
export WAVERUNNER_RETRY_BASE_MS=20

# fresh WORKFLOW_FILE: a new database with the workflow and the test postings.
fresh() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
	wr init >/dev/null && wr load "$DATA/workflows/$1" "$DATA/postings.json" >/dev/null
}
# answers JSON: write an answers file and run the engine with it.
answers() {
	printf '%s\n' "$1" >"$T/answers.json"
	"$ANSWER" "$DB" "$T/answers.json" >"$T/answer.out" 2>&1
}
path_of() { # posting: the conversations of its runs, in order
	sql "SELECT group_concat(conversation_id, ' ') FROM (SELECT conversation_id FROM interactions
	     WHERE posting_id = $1 ORDER BY workflow_run_id, execution_order, interaction_id)"
}

# --- branching: the first verdict wins; a higher priority suppresses the rest
fresh branching.json
wr start --workflow 101 --all >/dev/null
answers '{"1": {"1010": "[PASS] good, though a worse one would [FAIL]", "1011": "ok"},
          "2": {"1010": "Verdict: [FAIL] wrong city. Not a [PASS].", "1012": "ok"},
          "3": {"1010": "[PASS] but urgent", "1013": "ok"}}'
check_eq "[PASS] before [FAIL]: only the pass step runs" "$(path_of 1)" "1010 1011"
check_eq "[FAIL] before [PASS]: only the fail step runs" "$(path_of 2)" "1010 1012"
check_eq "a matching rule of higher priority suppresses the verdict rules" "$(path_of 3)" "1010 1013"
check_eq "the verdict is recorded with the branching" \
	"$(sql "SELECT json_extract(event_data, '$.verdict') FROM interaction_events e JOIN interactions i USING (interaction_id)
	        WHERE i.posting_id = 1 AND event_type = 'interaction_branched'")" "[PASS]"
check_eq "every run completed" "$(sql "SELECT group_concat(status) FROM workflow_runs")" "completed,completed,completed"
check_eq "the rule that created a child is recorded" \
	"$(sql "SELECT via_rule_id FROM interactions WHERE posting_id = 2 AND conversation_id = 1012")" "10102"

# --- no rule matched: the path ends visibly and the run fails with the reason
fresh branching.json
wr start --workflow 101 --posting 1 >/dev/null
answers '{"1": {"1010": "Looks fine to me."}}'
check_eq "no rule matched: an event is recorded" \
	"$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'no_rule_matched'")" "1"
check_eq "no rule matched: the run failed, saying where" \
	"$(sql "SELECT status || ': ' || status_detail FROM workflow_runs")" \
	"failed: no rule matched after conversation 1010 'grade' (it answered: Looks fine to me.)"
run_wr status
check_contains "status counts the dead end" "$OUT" "no rule matched after conversation 1010 'grade'"
run_wr trace 1
check_contains "trace shows the dead end" "$OUT" "no rule matched: the path ends here"

# --- the priority bar: fan-out at equal priority, one child per target, END in the bar
fresh fanout.json
wr start --workflow 102 --posting 1 --posting 2 >/dev/null
answers '{"1": {"1020": "go", "1021": "l", "1022": "r"}, "2": {"1020": "[STOP] enough"}}'
check_eq "equal priorities fan out; two rules to one step make one child; the lower one is suppressed" \
	"$(path_of 1)" "1020 1021 1022"
check_eq "a matching END at the top priority ends the path" "$(path_of 2)" "1020"
check_eq "... and that run completed" "$(sql "SELECT status FROM workflow_runs WHERE posting_id = 2")" "completed"
check_eq "the two children of the split are parallel (same parent)" \
	"$(sql "SELECT count(DISTINCT p.parent_interaction_id) || '/' || count(*) FROM interaction_parents p
	        JOIN interactions i USING (interaction_id) WHERE i.posting_id = 1")" "1/2"

# --- a bounded loop runs as often as its rule allows, then falls through
fresh loop.json
wr start --workflow 104 --posting 1 >/dev/null
answers '{"1": {"1040": "v0", "1041": ["[AGAIN] v1", "[AGAIN] v2", "[AGAIN] v3"], "1042": "done"}}'
check_eq "the loop rule fired twice (max_iterations 2), then the catch-all" "$(path_of 1)" "1040 1041 1041 1041 1042"
check_eq "the final step sees the latest output of the loop" \
	"$(ssql "SELECT json_extract(stored_text(input), '$.prompt') FROM interactions WHERE conversation_id = 1042")" "final: [AGAIN] v3"
check_eq "the reached bound is recorded" \
	"$(sql "SELECT count(*) FROM interaction_events WHERE json_extract(event_data, '$.bound_reached')")" "1"

# --- fan-in: the synthesis waits for both experts and has both as parents
fresh fanin.json
wr start --workflow 105 --posting 1 >/dev/null
answers '{"1": {"1050": "brief", "1051": "A-view", "1052": "B-view", "1053": "merged"}}'
check_eq "fan-in ran once" "$(sql "SELECT count(*) FROM interactions WHERE conversation_id = 1053")" "1"
check_eq "its parents are both experts" \
	"$(sql "SELECT group_concat(i.conversation_id, ',') FROM interaction_parents p JOIN interactions i
	        ON i.interaction_id = p.parent_interaction_id JOIN interactions s ON s.interaction_id = p.interaction_id
	        WHERE s.conversation_id = 1053 ORDER BY 1")" "1051,1052"
check_eq "its prompt has both outputs" \
	"$(ssql "SELECT json_extract(stored_text(input), '$.prompt') FROM interactions WHERE conversation_id = 1053")" \
	"A said A-view; B said B-view."
check_eq "the run completed" "$(sql "SELECT status FROM workflow_runs")" "completed"

fresh fanin.json
wr start --workflow 105 --posting 1 >/dev/null
answers '{"1": {"1050": "brief", "1051": "A-view", "1052": {"fail": "bad_request", "message": "model refused"}}}'
check_eq "a member that failed leaves the fan-in waiting" \
	"$(sql "SELECT status FROM interactions WHERE conversation_id = 1053")" "waiting"
check_contains "... and the run fails, naming both reasons' first" \
	"$(sql "SELECT status || ': ' || status_detail FROM workflow_runs")" \
	"failed: conversation 1052 'expert b' failed: model refused"

# --- values: NULL is empty; dotted access; a missing field fails the child visibly
fresh values.json
wr start --workflow 107 --posting 2 >/dev/null
answers '{"2": {"1070": "```json\n{\"score\": 7, \"tags\": [\"x\", \"y\"]}\n```", "1071": "fine"}}'
check_eq "a NULL column renders as nothing" \
	"$(ssql "SELECT json_extract(stored_text(input), '$.prompt') FROM interactions WHERE conversation_id = 1070")" "city=[] title=Analyst"
check_eq "dotted access reads fields of a JSON answer (in a fence)" \
	"$(ssql "SELECT json_extract(stored_text(input), '$.prompt') FROM interactions WHERE conversation_id = 1071")" "score 7 of y"
check_eq "a missing field fails that child at creation, naming the placeholder" \
	"$(sql "SELECT status || ' ' || failure_class || ': ' || error_message FROM interactions WHERE conversation_id = 1072")" \
	"failed template: placeholder {conversation_1070_output.nothing}: the JSON output of conversation_1070_output has no field 'nothing'"
check_eq "the run failed, naming the step" "$(sql "SELECT status_detail FROM workflow_runs")" \
	"conversation 1072 'uses missing' failed: placeholder {conversation_1070_output.nothing}: the JSON output of conversation_1070_output has no field 'nothing'"

# --- retries: classified failures, backoff, an attempt budget
fresh retry.json
wr start --workflow 108 --all >/dev/null
answers '{"1": {"1080": [{"fail": "connection", "message": "connection refused"}, "fine"]},
          "2": {"1080": {"fail": "bad_request", "message": "unknown option"}},
          "3": {"1080": [{"fail": "server_error", "message": "503 busy"}]}}'
check_eq "a retryable failure is retried and then succeeds" \
	"$(sql "SELECT status || ' after ' || attempts FROM interactions WHERE posting_id = 1")" "completed after 2"
check_eq "... with a retried event saying why" \
	"$(sql "SELECT json_extract(event_data, '$.failure_class') || ': ' || json_extract(event_data, '$.error')
	        FROM interaction_events e JOIN interactions i USING (interaction_id)
	        WHERE i.posting_id = 1 AND event_type = 'interaction_retried'")" "connection: connection refused"
check_eq "a failure that cannot succeed later fails at once" \
	"$(sql "SELECT status || ' after ' || attempts || ' (' || failure_class || ')' FROM interactions WHERE posting_id = 2")" \
	"failed after 1 (bad_request)"
check_eq "a retryable failure stops at the attempt budget" \
	"$(sql "SELECT status || ' after ' || attempts || ' (' || failure_class || ')' FROM interactions WHERE posting_id = 3")" \
	"failed after 3 (server_error)"
check_eq "each retry waited (backoff recorded)" \
	"$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'interaction_retried' AND json_extract(event_data, '$.retry_in_ms') > 0")" "3"
check_eq "runs: one completed, two failed" \
	"$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM workflow_runs ORDER BY posting_id)")" "completed,failed,failed"

# --- a step of a run without a posting lists posting_ids: one run per posting
fresh postings-fanout.json
run_wr start --workflow 109
check_contains "without postings a workflow starts at its first step" "$OUT" "at conversation 1090 'list'"
answers '{"*": {"1090": "{\"posting_ids\": [1, 3, 999]}", "1091": "noted"}}'
check_eq "one new run per existing posting" \
	"$(sql "SELECT group_concat(posting_id, ',') FROM (SELECT posting_id FROM workflow_runs WHERE posting_id IS NOT NULL ORDER BY posting_id)")" "1,3"
check_eq "each run renders its own posting" \
	"$(ssql "SELECT group_concat(json_extract(input, '$.prompt'), ' | ') FROM (SELECT stored_text(input) AS input FROM interactions WHERE conversation_id = 1091 ORDER BY posting_id)")" \
	"about Data Engineer (1) | about Manager (3)"
check_eq "the unknown posting is reported, not created" \
	"$(sql "SELECT json_extract(event_data, '$.postings_skipped') FROM interaction_events WHERE event_type = 'interaction_branched'")" "[999]"
check_eq "all three runs completed" "$(sql "SELECT count(*) FROM workflow_runs WHERE status = 'completed'")" "3"
run_wr trace 2
check_contains "trace of a posting's run shows the fan-out that started it" "$OUT" "started by interaction 1 (a fan-out)"

# --- saves that find nothing usable fail visibly
fresh savers.json
wr start --workflow 110 --posting 1 --posting 2 >/dev/null
answers '{"1": {"1100": "I would say SQL and Python are key."},
          "2": {"1100": "[\"SQL\", \"Python\"]", "1102": "Hard to say without more context."}}'
check_eq "skills without a JSON array: the save fails and says why" \
	"$(sql "SELECT status || ': ' || error_message FROM interactions WHERE posting_id = 1 AND conversation_id = 1101")" \
	"failed: the answer holds no JSON array of skills (it begins: I would say SQL and Python are key.)"
check_eq "... its output says [FAILED]" \
	"$(sql "SELECT json_extract(output, '$.status') FROM interactions WHERE posting_id = 1 AND conversation_id = 1101")" "[FAILED]"
check_eq "an IHL answer without a score: the save fails" \
	"$(sql "SELECT status FROM interactions WHERE posting_id = 2 AND conversation_id = 1103")" "failed"
check_eq "nothing was written for it" "$(sql "SELECT ihl_score IS NULL AND skill_keywords IS NOT NULL FROM postings WHERE posting_id = 2")" "1"
check_eq "both runs failed" "$(sql "SELECT group_concat(status) FROM workflow_runs")" "failed,failed"

# --- built-ins: the description check, a read-only query mapped to a status, the saver
fresh builtins.json
sql "UPDATE postings SET extracted_summary = 'already there' WHERE posting_id = 3;
     UPDATE postings SET job_description = 'Too short to judge.' WHERE posting_id = 2"
wr start --workflow 111 --all >/dev/null
wr run >/dev/null
check_eq "check_description: valid, too short" \
	"$(sql "SELECT group_concat(posting_id || json_extract(output, '$.status'), ' ') FROM interactions WHERE conversation_id = 1110")" \
	"1[VALID] 2[TOO_SHORT] 3[VALID]"
check_eq "sql_query maps the first value to a status: [RUN] without a summary, [SKIP] with one" \
	"$(sql "SELECT group_concat(posting_id || json_extract(output, '$.status'), ' ') FROM interactions WHERE conversation_id = 1111")" \
	"1[RUN] 3[SKIP]"
check_eq "the saver wrote the summary where the query said to" \
	"$(sql "SELECT group_concat(posting_id || '=' || substr(extracted_summary, 1, 12), ' ') FROM postings")" \
	"1=Summary of D 3=already ther"
check_eq "the saved summary records the interaction that wrote it" \
	"$(sql "SELECT summary_interaction_id = (SELECT interaction_id FROM interactions WHERE conversation_id = 1112)
	        FROM postings WHERE posting_id = 1")" "1"
fresh builtins.json
wr start --workflow 111 --posting 1 >/dev/null
sql "UPDATE instructions SET prompt_template = '{\"sql\": \"DELETE FROM postings\"}' WHERE conversation_id = 1111"
wr run >/dev/null
check_eq "sql_query refuses SQL that would write, and nothing is deleted" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 1111") / $(sql "SELECT count(*) FROM postings")" \
	"the query must only read, and it would delete from table postings / 3"
fresh builtins.json
wr start --workflow 111 --posting 1 >/dev/null
sql "UPDATE instructions SET prompt_template = '{\"sql\": \"SELECT :secret\"}' WHERE conversation_id = 1111"
wr run >/dev/null
check_eq "sql_query names a parameter it does not know" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 1111")" \
	"the query uses parameter :secret; it may use :posting_id, :workflow_run_id, :workflow_id and :interaction_id"

# --- start refuses a second active run of a posting unless asked
fresh retry.json
wr start --workflow 108 --posting 1 >/dev/null
run_wr start --workflow 108 --posting 1
check_eq "a second start of an active posting is refused (exit 1)" "$STATUS" "1"
check_contains "... saying why and how" "$ERR" "skipped 1 posting that already has an active run of workflow 108 (posting 1: run 1); start again with --again"
run_wr start --workflow 108 --posting 1 --again
check_eq "--again starts it anyway" "$(sql "SELECT count(*) FROM workflow_runs")" "2"
run_wr start --workflow 108 --posting 1 --param nothing=1
check_eq "an unknown parameter is a usage error" "$STATUS" "2"
check_contains "... naming it" "$ERR" "workflow 108 has no parameter 'nothing'"
run_wr start --workflow 108 --posting 77
check_eq "an unknown posting is refused" "$STATUS:$ERR" "3:waverunner: start: there is no posting 77"
check_eq "... and nothing of that start was stored" "$(sql "SELECT count(*) FROM workflow_runs")" "2"

# --- a lease left by a process that died is taken back, once
fresh retry.json
wr start --workflow 108 --posting 1 --posting 2 >/dev/null
sql "UPDATE interactions SET status = 'running', attempts = 1, lease_owner = '$(hostname):999999999:1',
     lease_expires_at = '2999-01-01T00:00:00.000Z' WHERE posting_id = 1;
     UPDATE interactions SET status = 'running', attempts = 1, lease_owner = 'elsewhere:1:1',
     lease_expires_at = '2999-01-01T00:00:00.000Z' WHERE posting_id = 2;"
answers '{"*": {"1080": "fine"}}'
check_eq "a dead owner's lease is taken back and the work done" \
	"$(sql "SELECT status || ' ' || attempts FROM interactions WHERE posting_id = 1")" "completed 2"
check_eq "... with an event" "$(sql "SELECT count(*) FROM interaction_events WHERE event_type = 'lease_expired'")" "1"
check_eq "a live lease of another host is left alone until it expires" \
	"$(sql "SELECT status FROM interactions WHERE posting_id = 2")" "running"

finish
