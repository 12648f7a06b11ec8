#!/bin/sh
# What the database stores per posting (schema 0009, src/db-texts.c): the
# pieces of requests that repeat are stored once, and every request read back
# is exact. On a real run of workflow 3001 over the demo fixtures (and a rerun
# of part of it):
# - each request, rebuilt, equals the one the release before stored
#   (tests/data/3001-requests.sha256, made by it: one line per interaction,
#   its posting, step, status and the SHA-256 of its input and branch text);
# - what show --json and trace --json print, every run and every posting, is
#   byte for byte what they print from the same database with every row
#   rewritten to the old form (the whole text in input and branch_text);
# - the requests take a fraction of their size, a description is stored once;
# - a damaged recipe is an error, never a wrong request.
. "$(dirname "$0")/lib.sh"
REPLAY="$REPO/fixtures/replay"
GOLDEN="$REPO/tests/data/3001-requests.sha256"

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
wr start --workflow 3001 --all >/dev/null
wr run --llm replay --replay-dir "$REPLAY" --quiet >/dev/null 2>&1
wr rerun --from 3337 --all >/dev/null 2>&1
wr run --llm replay --replay-dir "$REPLAY" --quiet >/dev/null 2>&1
check_eq "the run and the rerun finished" "$(sql "SELECT count(*) FROM workflow_runs WHERE status = 'running'")" "0"

# requests DB: a line per interaction of the first run of each posting, in
# order: posting|step|status|sha256 of input|sha256 of branch text.
requests() {
	"$TOOLS/stored-sql" "$1" "SELECT i.interaction_id, i.posting_id, i.conversation_id, i.status FROM interactions i
		WHERE i.workflow_run_id = (SELECT min(workflow_run_id) FROM workflow_runs r WHERE r.posting_id = i.posting_id)
		ORDER BY i.posting_id, i.execution_order, i.interaction_id" |
	while IFS='|' read -r id posting conv status; do
		in=$("$TOOLS/stored-sql" "$1" "SELECT stored_text(input) FROM interactions WHERE interaction_id = $id" |
			sha256sum | cut -c1-64)
		bt=$("$TOOLS/stored-sql" "$1" "SELECT stored_text(branch_text, output) FROM interactions WHERE interaction_id = $id" |
			sha256sum | cut -c1-64)
		echo "$posting|$conv|$status|$in|$bt"
	done
}
if [ -n "${STORE_GOLDEN_WRITE:-}" ]; then
	# Run with the release before (and its stored-sql stand-in) to make the file.
	requests "$DB" >"$GOLDEN"
fi
requests "$DB" >"$T/requests"
check_eq "every request (and branch text) is the one the release before stored" \
	"$(diff "$GOLDEN" "$T/requests" | head -n 5)" ""
check_eq "... all $(wc -l <"$GOLDEN" | tr -d ' ') of them" "$(wc -l <"$T/requests" | tr -d ' ')" \
	"$(wc -l <"$GOLDEN" | tr -d ' ')"

# Everything show and trace print, as JSON.
views() {
	for run in $(sqlite3 "$1" "SELECT workflow_run_id FROM workflow_runs ORDER BY 1"); do
		"$WAVERUNNER" --db "$1" --json trace "$run" || echo "trace $run failed"
	done
	for p in $(sqlite3 "$1" "SELECT posting_id FROM postings ORDER BY 1"); do
		"$WAVERUNNER" --db "$1" --json show "$p" || echo "show $p failed"
	done
}
views "$DB" >"$T/new.json"
cp "$DB" "$T/old.db"
"$TOOLS/stored-sql" "$T/old.db" "UPDATE interactions SET input = stored_text(input),
	branch_text = stored_text(branch_text, output)"
check_eq "the old form: no recipe left" \
	"$(sqlite3 "$T/old.db" "SELECT count(*) FROM interactions WHERE typeof(input) = 'blob' OR typeof(branch_text) = 'blob'")" "0"
views "$T/old.db" >"$T/old.json"
check_eq "the new form was used (recipes and shared branch texts)" \
	"$(sql "SELECT count(*) > 100, (SELECT count(*) > 50 FROM interactions WHERE typeof(branch_text) = 'blob')
	        FROM interactions WHERE typeof(input) = 'blob'")" "1|1"
check_true "trace --json and show --json print the same from both forms" cmp -s "$T/new.json" "$T/old.json"
check_eq "... for every run and posting" "$(grep -c 'failed$' "$T/new.json")" "0"
check_contains "... with the requests in them" "$(cat "$T/new.json")" '"input":"{\"model\":\"qwen2.5:7b\",\"prompt\":\"You write precise summaries'
# The report's header names its file and the time it was made: the rest is compared.
last=$(sql "SELECT max(workflow_run_id) FROM workflow_runs")
wr report --run "$last" -o "$T/new.html" >/dev/null 2>&1
"$WAVERUNNER" --db "$T/old.db" report --run "$last" -o "$T/old.html" >/dev/null 2>&1
check_eq "the HTML report of a rerun is the same from both forms" \
	"$(grep -v '<header><h1>' "$T/new.html" | sha256sum)" "$(grep -v '<header><h1>' "$T/old.html" | sha256sum)"
check_contains "... and shows the requests" "$(cat "$T/new.html")" "You write precise summaries of job postings"

# The space they take.
total=$(ssql "SELECT sum(length(stored_text(input))) FROM interactions")
stored=$(sql "SELECT sum(length(input)) + (SELECT sum(length(body)) FROM texts) FROM interactions")
check_true "the requests, recipes and texts together, take less than a fifth of their size ($stored of $total bytes)" \
	[ $((${stored:-$total} * 5)) -lt "$total" ]
check_eq "a posting's description is stored once, for all the steps that send it" \
	"$(sql "SELECT count(*) FROM texts WHERE instr(body, 'Nordhafen Bank is a mid-sized commercial bank') > 0")" "1"
check_eq "... and a step's fixed text once, for all postings" \
	"$(sql "SELECT count(*) FROM texts WHERE instr(body, 'You write precise summaries of job postings') > 0")" "1"

# A recipe that names no text, or is cut short, is an error that says so.
run=$(sql "SELECT min(workflow_run_id) FROM workflow_runs")
sql "UPDATE interactions SET input = x'01ffffff7f' WHERE interaction_id = (SELECT min(interaction_id) FROM interactions WHERE workflow_run_id = $run AND typeof(input) = 'blob')"
run_wr trace "$run"
check_eq "a recipe naming a missing text: trace fails (exit 4)" "$STATUS" "4"
check_contains "... saying why" "$ERR" "a stored request names a text that does not exist"
sql "UPDATE interactions SET input = x'01ff' WHERE interaction_id = (SELECT min(interaction_id) FROM interactions WHERE workflow_run_id = $run AND typeof(input) = 'blob')"
run_wr trace "$run"
check_contains "a recipe cut short: trace fails, saying why" "$STATUS:$ERR" "4:"
check_contains "..." "$ERR" "a stored request is damaged"
finish
