#!/bin/sh
# The main job: workflow 3001 over the fixture postings, offline, from the
# recorded responses in fixtures/replay. Every valid posting ends with a
# summary, a skill list and an IHL score; the postings the description check
# stops end there; the expert answer without a score fails its save visibly.
# The recorded responses reproduce, byte for byte, a run answered from
# fixtures/answers/3001.json.
. "$REPO/tests/lib.sh"
wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
run_wr validate
check_eq "3001 validates without errors or warnings" "$STATUS:$(echo "$OUT" | tail -n 1)" \
	"0:workflow 3001 'Complete Job Processing Pipeline': 0 errors, 0 warnings"
wr start --workflow 3001 --all >/dev/null
run_wr run --llm replay --replay-dir "$REPO/fixtures/replay"
check_eq "the demo run finishes" "$STATUS" "0"
check_contains "... having run every step" "$OUT" "runs: 16 completed, 1 failed, 0 running"
check_eq "no replay misses" "$(sql "SELECT count(*) FROM interactions WHERE failure_class = 'replay_miss'")" "0"
check_eq "every posting with a valid description has a summary, skills and an IHL score (but 10014)" \
	"$(sql "SELECT group_concat(posting_id, ' ') FROM postings WHERE extracted_summary IS NOT NULL
	        AND json_array_length(skill_keywords) > 0 AND ihl_score BETWEEN 0 AND 10 AND ihl_verdict IS NOT NULL
	        AND posting_status = 'complete'")" \
	"10001 10002 10003 10004 10005 10006 10007 10008 10011 10012 10013 10015 10016 10017"
check_eq "no description and too short stop at the check" \
	"$(sql "SELECT group_concat(p.posting_id || ':' || json_extract(i.output, '$.status') || ':' || r.status, ' ')
	        FROM postings p JOIN workflow_runs r USING (posting_id) JOIN interactions i ON i.workflow_run_id = r.workflow_run_id
	        WHERE p.posting_id IN (10009, 10010)")" "10009:[NO_DESCRIPTION]:completed 10010:[TOO_SHORT]:completed"
check_contains "the IHL answer without a score fails its save, saying why" \
	"$(sql "SELECT status_detail FROM workflow_runs WHERE posting_id = 10014")" \
	"conversation 9170 'Save IHL score' failed: the expert's answer has no usable IHL score"
check_eq "a verdict missing from the answer is derived from the score (10006: IHL Score: 4)" \
	"$(sql "SELECT ihl_score || ' ' || ihl_verdict FROM postings WHERE posting_id = 10006")" "4 BORDERLINE"
check_eq "braces, quotes and SQL in a posting pass through to the prompt as they are" \
	"$(ssql "SELECT instr(json_extract(stored_text(input), '$.prompt'), 'Robert''); DROP TABLE postings;--') > 0
	        FROM interactions WHERE posting_id = 10008 AND conversation_id = 3335")" "1"
check_eq "the loop ran twice for 10004, then made a ticket" \
	"$(sql "SELECT group_concat(conversation_id, ' ') FROM (SELECT conversation_id FROM interactions
	        WHERE posting_id = 10004 AND conversation_id IN (3338, 3339, 3340) ORDER BY execution_order)")" \
	"3338 3339 3338 3339 3340"
check_eq "[PASS] first then [FAIL] in prose: a pass (10005)" \
	"$(sql "SELECT count(*) FROM interactions WHERE posting_id = 10005 AND conversation_id = 3338")" "0"
check_eq "[FAIL] first then [PASS] in prose: a fail (10015)" \
	"$(sql "SELECT count(*) FROM interactions WHERE posting_id = 10015 AND conversation_id = 3338")" "1"

# Byte for byte: the replayed run equals a run answered from the answers file.
"$WAVERUNNER" --db "$T/answers.db" init >/dev/null
"$WAVERUNNER" --db "$T/answers.db" load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
"$WAVERUNNER" --db "$T/answers.db" start --workflow 3001 --all >/dev/null
"$TOOLS/answer-run" "$T/answers.db" "$REPO/fixtures/answers/3001.json" >/dev/null
q="SELECT posting_id, conversation_id, status, stored_text(input), output FROM interactions ORDER BY posting_id, execution_order, interaction_id"
check_true "replay reproduces the answered run byte for byte" \
	sh -c "[ \"\$('$TOOLS/stored-sql' '$DB' '$q')\" = \"\$('$TOOLS/stored-sql' '$T/answers.db' '$q')\" ]"
finish
