#!/bin/sh
# End to end: workflow 3001 started without postings fetches them from the stub
# job board (fixtures/jobboard/), fans out one run per fetched posting, and, with
# the model responses replayed from fixtures/replay, every fetched posting with a
# description ends with a summary, skills and an IHL score, each in a run of
# its own.
. "$REPO/tests/lib.sh"
"$TOOLS/stub-jobboard" --fixtures "$REPO/fixtures/jobboard" >"$T/port" 2>"$T/board.err" &
board=$!
trap 'kill $board 2>/dev/null' EXIT
i=0
while [ ! -s "$T/port" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
BASE="http://127.0.0.1:$(head -n 1 "$T/port")"

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" >/dev/null
run_wr start --workflow 3001 --param "base_url=$BASE" --param max_jobs=8 --param request_delay_ms=0
check_contains "3001 without postings starts at the fetch" "$OUT" "at conversation 9144 'Fetch job postings'"
run_wr run --llm replay --replay-dir "$REPO/fixtures/replay"
check_eq "the run finishes" "$STATUS" "0"
check_contains "... every run completed" "$OUT" "runs: 9 completed, 0 failed, 0 running"
check_eq "the fetch stored 8 postings and fanned out 8 runs" \
	"$(sql "SELECT json_extract(output, '$.jobs_fetched') || ' ' || json_array_length(output, '$.posting_ids')
	        FROM interactions WHERE conversation_id = 9144")|$(sql "SELECT count(*) FROM workflow_runs WHERE created_by = 'fan-out'")" "8 8|8"
check_eq "each fetched posting has a run of its own" \
	"$(sql "SELECT count(DISTINCT posting_id) FROM workflow_runs WHERE created_by = 'fan-out'")" "8"
check_eq "every posting with a description has a summary, skills and an IHL score" \
	"$(sql "SELECT group_concat(external_job_id, ' ') FROM (SELECT external_job_id FROM postings
	        WHERE extracted_summary IS NOT NULL AND json_array_length(skill_keywords) > 0 AND ihl_score IS NOT NULL
	        AND posting_status = 'complete' ORDER BY external_job_id)")" \
	"R0001 R0002 R0003 R0004 R0006 R0007 R0008"
check_eq "the posting without a description stopped at the check" \
	"$(sql "SELECT json_extract(i.output, '$.status') FROM interactions i JOIN postings p USING (posting_id)
	        WHERE p.external_job_id = 'R0005' AND i.conversation_id = 9193")" "[NO_DESCRIPTION]"
check_eq "no interaction of one posting's run belongs to another posting" \
	"$(sql "SELECT count(*) FROM interactions i JOIN workflow_runs r USING (workflow_run_id) WHERE i.posting_id IS NOT r.posting_id")" "0"
check_eq "each summary was written in its posting's own run" \
	"$(sql "SELECT count(*) FROM postings p JOIN interactions i ON i.interaction_id = p.summary_interaction_id
	        JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id WHERE r.posting_id = p.posting_id")" "7"
check_eq "the German posting's description is correct UTF-8 in the model's prompt" \
	"$(ssql "SELECT instr(json_extract(stored_text(i.input), '$.prompt'), 'für') > 0 FROM interactions i JOIN postings p USING (posting_id)
	        WHERE p.external_job_id = 'R0001' AND i.conversation_id = 3335")" "1"
finish
