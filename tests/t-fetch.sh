#!/bin/sh
# t-fetch.sh: the fetch_jobs built-in against the stub job board
# (tests/tools/stub-jobboard.c serving fixtures/jobboard): pagination and its
# stop rules, max_jobs, failures ([FAILED], [RATE_LIMITED], [TIMEOUT]),
# postings already known, text stored as correct UTF-8, and the fan-out of the
# fetched postings into runs of their own (a built-ins-only workflow, and the
# first step of 3001).
. "$REPO/tests/lib.sh"

BOARD_PIDS=""
cleanup() {
	for p in $BOARD_PIDS; do kill "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
# Retries after a [FAILED] fetch come quickly.
export WAVERUNNER_RETRY_BASE_MS=10

# Two workflows: 7001 (fetch -> check_description -> save_summary, all
# built-ins) and 7002, the same with a fetch timeout of 3 s for the stalls.
workflow() { # ID CONV_BASE FETCH_TIMEOUT
	cat <<EOF
{
 "workflow_id": $1,
 "name": "Fetch test $1",
 "description": "fetch, check the description, save it as the summary",
 "version": 1,
 "parameters": {"base_url": "http://127.0.0.1:1", "tenant_path": "/wday/cxs/example/Careers",
   "search_text": "", "max_jobs": 50, "page_size": 20, "request_delay_ms": 0, "posting_source": "stub_board",
   "detail_retries": "", "retry_delay_ms": 1, "retry_max_delay_ms": 20, "refetch_max": "", "refetch_fetches": "",
   "max_pages_without_new": "", "detail_timeout_ms": ""},
 "actors": [
  {"actor_id": 56, "name": "db_job_fetcher", "type": "builtin", "config": {"builtin": "fetch_jobs"}},
  {"actor_id": 84, "name": "check_description", "type": "builtin"},
  {"actor_id": 77, "name": "summary_saver", "type": "builtin", "config": {"builtin": "save_summary"}}
 ],
 "conversations": [
  {"conversation_id": ${2}1, "name": "Fetch", "actor": "db_job_fetcher", "order": 10,
   "timeout_seconds": $3, "max_attempts": 2,
   "instruction": {"instruction_id": ${2}1, "name": "fetch", "template": "{\"base_url\": \"{base_url}\", \"tenant_path\": \"{tenant_path}\", \"search_text\": \"{search_text}\", \"max_jobs\": \"{max_jobs}\", \"page_size\": \"{page_size}\", \"request_delay_ms\": \"{request_delay_ms}\", \"source\": \"{posting_source}\", \"detail_retries\": \"{detail_retries}\", \"retry_delay_ms\": \"{retry_delay_ms}\", \"retry_max_delay_ms\": \"{retry_max_delay_ms}\", \"refetch_max\": \"{refetch_max}\", \"refetch_fetches\": \"{refetch_fetches}\", \"max_pages_without_new\": \"{max_pages_without_new}\", \"detail_timeout_ms\": \"{detail_timeout_ms}\"}"},
   "rules": [{"id": ${2}11, "condition": "[RATE_LIMITED]", "next": ${2}2, "priority": 100},
             {"id": ${2}12, "condition": "success", "next": ${2}2, "priority": 50},
             {"id": ${2}13, "condition": "[TIMEOUT]", "next": ${2}2, "priority": 49}]},
  {"conversation_id": ${2}2, "name": "Check", "actor": "check_description", "order": 20,
   "timeout_seconds": 30, "max_attempts": 1,
   "instruction": {"instruction_id": ${2}2, "name": "check", "template": "{\"description\": \"{job_description}\"}"},
   "rules": [{"id": ${2}21, "condition": "[VALID]", "next": ${2}3, "priority": 10},
             {"id": ${2}22, "condition": "[NO_DESCRIPTION]", "next": null, "priority": 10},
             {"id": ${2}23, "condition": "[TOO_SHORT]", "next": null, "priority": 10}]},
  {"conversation_id": ${2}3, "name": "Save", "actor": "summary_saver", "order": 30,
   "timeout_seconds": 30, "max_attempts": 1,
   "instruction": {"instruction_id": ${2}3, "name": "save", "template": "{\"summary\": \"{job_description}\"}"},
   "rules": [{"id": ${2}31, "condition": "[SAVED]", "next": null, "priority": 10}]}
 ]
}
EOF
}
workflow 7001 7100 60 >"$T/wf-7001.json"
workflow 7002 7200 3 >"$T/wf-7002.json"

# fresh NAME: a new database with both workflows loaded.
fresh() {
	export WAVERUNNER_DB="$T/$1.db"
	DB=$WAVERUNNER_DB
	wr init >/dev/null && wr load "$T/wf-7001.json" "$T/wf-7002.json" >/dev/null ||
		_not_ok "set up database $1"
}

# board [KNOBS...]: starts a stub job board; sets BASE and STATS.
boards=0
board() {
	boards=$((boards + 1))
	STATS="$T/stats-$boards.json"
	"$TOOLS/stub-jobboard" --fixtures "$REPO/fixtures/jobboard" --stats-file "$STATS" "$@" \
		>"$T/port-$boards" 2>>"$T/board.err" &
	BOARD_PID=$!
	BOARD_PIDS="$BOARD_PIDS $BOARD_PID"
	i=0
	while [ ! -s "$T/port-$boards" ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	BASE="http://127.0.0.1:$(head -n 1 "$T/port-$boards")"
}
board_stop() {
	kill "$BOARD_PID" 2>/dev/null
	wait "$BOARD_PID" 2>/dev/null
}
# stat PATH: a value from the board's statistics ("$.listing_requests").
stat() { sqlite3 :memory: "SELECT json_extract(readfile('$STATS'), '$1')"; }

# fetch [WORKFLOW] -- [--param ...]: starts the workflow against the board and runs it to the end.
fetch() {
	wf=$1
	shift
	wr start --workflow "$wf" --param "base_url=$BASE" "$@" >"$T/start.out" 2>&1
	wr run --quiet >"$T/run.out" 2>&1
	RUN_STATUS=$?
}
# out KEY: a field of the latest fetch interaction's output.
out() { sql "SELECT json_extract(output, '\$.$1') FROM interactions WHERE conversation_id IN (71001, 72001) ORDER BY interaction_id DESC LIMIT 1"; }
fetch_col() { sql "SELECT $1 FROM interactions WHERE conversation_id IN (71001, 72001) ORDER BY interaction_id DESC LIMIT 1"; }
desc() { sql "SELECT job_description FROM postings WHERE external_job_id = '$1'"; }

# ---- A full fetch, with one posting already known --------------------------
fresh full
cat >"$T/known.json" <<'EOF'
[{"posting_name": "Compliance Officer", "job_title": "Compliance Officer", "source": "stub_board",
  "external_job_id": "R0009", "external_url": "https://example.com/R0009", "posting_status": "active",
  "first_seen_at": "2020-01-01T00:00:00Z", "last_seen_at": "2020-01-01T00:00:00Z",
  "job_description": "Known before the fetch."}]
EOF
wr load "$T/known.json" >/dev/null
board
fetch 7001
check_eq "the fetch completes with status success" "$(fetch_col status)|$(out status)" "completed|success"
check_eq "it stops at the short last page (20 + 5)" "$(out stopped)|$(out pages_fetched)|$(out total_available)" \
	"short_page|2|25"
check_eq "listing requests asked for offsets 0 and 20, 20 at a time" \
	"$(stat '$.listing[0].offset'),$(stat '$.listing[1].offset')|$(stat '$.listing[0].limit')|$(stat '$.listing_requests')" \
	"0,20|20|2"
check_eq "24 new postings, 1 already known" "$(out jobs_fetched)|$(out jobs_updated)" "24|1"
check_eq "posting_ids lists the 24 new postings" "$(sql "SELECT json_array_length(output, '\$.posting_ids') FROM interactions WHERE conversation_id = 71001")" "24"
check_eq "no detail page is fetched for the known posting" "$(stat '$.detail_requests')|$(stat '$.requests."GET /Careers/job/Singapore/Compliance-Officer_R0009"')" "24|"
check_eq "the known posting is not duplicated" "$(sql "SELECT count(*) FROM postings WHERE external_job_id = 'R0009'")|$(sql "SELECT count(*) FROM postings")" "1|25"
check_eq "the known posting only has last_seen_at updated" \
	"$(sql "SELECT last_seen_at > '2021', first_seen_at, posting_status, job_description FROM postings WHERE external_job_id = 'R0009'")" \
	"1|2020-01-01T00:00:00Z|active|Known before the fetch."
check_eq "the known posting is not fanned out" \
	"$(sql "SELECT count(*) FROM workflow_runs r JOIN postings p USING (posting_id) WHERE p.external_job_id = 'R0009'")" "0"
check_eq "one run per new posting, all completed, plus the fetch run" \
	"$(sql "SELECT count(*), count(DISTINCT posting_id), sum(status = 'completed') FROM workflow_runs WHERE created_by = 'fan-out'")|$(sql "SELECT status FROM workflow_runs WHERE posting_id IS NULL")" \
	"24|24|24|completed"
check_eq "each run starts at the check, with the fetch as its parent" \
	"$(sql "SELECT count(*) FROM interactions i JOIN interaction_parents ip USING (interaction_id) WHERE i.conversation_id = 71002 AND ip.parent_interaction_id = (SELECT interaction_id FROM interactions WHERE conversation_id = 71001)")" "24"
check_eq "each posting with a description has its own summary, written in its own run" \
	"$(sql "SELECT count(*) FROM postings p JOIN interactions i ON i.interaction_id = p.summary_interaction_id JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id WHERE r.posting_id = p.posting_id AND p.extracted_summary = p.job_description")" "23"
check_eq "new postings: pending, source, first and last seen, created by the fetch" \
	"$(sql "SELECT count(*) FROM postings WHERE posting_status = 'pending' AND source = 'stub_board' AND first_seen_at = last_seen_at AND created_by_interaction_id = (SELECT interaction_id FROM interactions WHERE conversation_id = 71001)")" "24"
check_eq "title, URL and metadata of a fetched posting" \
	"$(sql "SELECT posting_name, job_title, external_id, substr(external_url, length('$BASE') + 1), json_extract(source_metadata, '\$.posted_on'), json_extract(source_metadata, '\$.external_path'), json_extract(source_metadata, '\$.api_response.bulletFields[0]') FROM postings WHERE external_job_id = 'R0001'")" \
	"Data Engineer (m/w/d)|Data Engineer (m/w/d)|R0001|/Careers/job/Berlin/Data-Engineer-m-w-d_R0001|Posted Today|/job/Berlin/Data-Engineer-m-w-d_R0001|R0001"
check_eq "city and country from the location text" \
	"$(sql "SELECT group_concat(coalesce(location_city, '-') || '/' || coalesce(location_country, '-'), ';') FROM (SELECT * FROM postings WHERE external_job_id IN ('R0001', 'R0004', 'R0005', 'R0010') ORDER BY external_job_id)")" \
	"Berlin/Germany;Mumbai/India;-/-;New York/United States"
check_eq "German umlauts and entities (&amp; &quot; &#8217; &ndash; &auml; &lt;) as UTF-8" "$(desc R0001)" \
	'Über uns: Wir suchen eine*n Data Engineer für unser Team in Berlin & München. Du arbeitest mit "Big Data"-Plattformen, Spaß an SQL & Python ist ein Muss. We’re looking for someone who enjoys clean pipelines – and gräbt gern in Daten. Größe zählt nicht: <Qualität> schon.'
check_eq "UTF-8 served without a charset is not mojibake" "$(desc R0002)" \
	'Über den Bereich: Wir bauen den Zahlungsverkehr von morgen – we’re a team of twelve engineers in Frankfurt. Du entwickelst Services in Java und Kotlin, prüfst Änderungen im Review und übernimmst Verantwortung für den Betrieb.'
check_eq "Chinese text" "$(desc R0003)" \
	'我们正在寻找一名数据分析师，负责上海团队的数据建模、指标体系与报表自动化。要求：熟练掌握 SQL 和 Python，三年以上相关经验，具备良好的沟通能力与责任心。We offer hybrid work & training — 欢迎加入我们！'
check_eq "a windows-1252 page declared by its meta tag" "$(desc R0004)" \
	'Risk Analyst – Mumbai. You’ll model credit risk for our €2bn portfolio; Erfahrung mit Märkten ist ein Plus. We value “clear thinking”… and teamwork.'
check_eq "og:description in single quotes after content, decoys ignored" "$(desc R0006)" \
	"Quant Developer in London: build pricing libraries in C++ and Python. You'll work with traders & quants on \"exotic\" derivatives — numerics matter."
check_eq "a generated page" "$(desc R0007)" \
	"Backend Engineer (Java): you will build and run the systems of the Backend Engineer (Java) team. Requirements: three years of experience, fluent English, and care for detail. Posting R0007."
check_eq "stored text is valid UTF-8 (the database's own check)" \
	"$(sql "SELECT count(*) FROM postings WHERE job_description IS NOT NULL AND CAST(CAST(job_description AS BLOB) AS TEXT) = job_description AND instr(job_description, char(65533)) = 0")" "24"
check_eq "an empty og:description: stored without one, with the reason, counted" \
	"$(sql "SELECT job_description IS NULL, json_extract(source_metadata, '\$.description_fetch_error') FROM postings WHERE external_job_id = 'R0005'")|$(out description_errors)" \
	"1|the detail page's og:description is empty|1"
check_eq "its run ends visibly at the check" \
	"$(sql "SELECT r.status, i.branch_text FROM workflow_runs r JOIN postings p USING (posting_id) JOIN interactions i USING (workflow_run_id) WHERE p.external_job_id = 'R0005' AND i.conversation_id = 71002")" \
	"completed|[NO_DESCRIPTION]"
cp "$DB" "$T/full-copy.db"

# Fetching again: everything is known.
before_runs=$(sql "SELECT count(*) FROM workflow_runs")
fetch 7001
check_eq "a second fetch finds nothing new and marks all 25 seen" \
	"$(out status)|$(out jobs_fetched)|$(out jobs_updated)|$(sql "SELECT json_array_length(output, '\$.posting_ids') FROM interactions WHERE conversation_id = 71001 ORDER BY interaction_id DESC LIMIT 1")" \
	"success|0|25|0"
check_eq "no posting is duplicated or fanned out again" \
	"$(sql "SELECT count(*) FROM postings")|$(sql "SELECT count(*) FROM workflow_runs")" "25|$((before_runs + 1))"
check_eq "no detail page is fetched again" "$(stat '$.detail_requests')" "24"
board_stop

# ---- The same postings served as ISO-8859-1 ---------------------------------
fresh latin1
board --latin1
fetch 7001
check_eq "pages that fit were served as ISO-8859-1" "$(stat '$.latin1_served')" "22"
check_eq "and stored exactly as the UTF-8 pages were" \
	"$(sql "SELECT group_concat(external_job_id || '=' || coalesce(job_description, ''), char(10)) FROM (SELECT * FROM postings WHERE external_job_id <> 'R0009' ORDER BY external_job_id)")" \
	"$(sqlite3 "$T/full-copy.db" "SELECT group_concat(external_job_id || '=' || coalesce(job_description, ''), char(10)) FROM (SELECT * FROM postings WHERE external_job_id <> 'R0009' ORDER BY external_job_id)")"
board_stop

# ---- Pagination -------------------------------------------------------------
fresh pages
board
fetch 7001 --param page_size=5
check_eq "page size 5: five pages, stopped at offset >= total" \
	"$(out stopped)|$(out pages_fetched)|$(stat '$.listing_requests')|$(stat '$.listing[4].offset')|$(stat '$.listing[0].limit')" \
	"end_of_total|5|5|20|5"
check_eq "all 25 stored and fanned out" "$(out jobs_fetched)|$(sql "SELECT count(*) FROM workflow_runs WHERE created_by = 'fan-out' AND status = 'completed'")" "25|25"
board_stop

fresh empty
board --total 1000
fetch 7001 --param page_size=5
check_eq "a total that lies: the empty page after the last ends the fetch" \
	"$(out stopped)|$(out pages_fetched)|$(stat '$.listing_requests')|$(stat '$.listing[5].offset')|$(out jobs_fetched)|$(out total_available)" \
	"empty_page|6|6|25|25|1000"
board_stop

fresh short
board --total 1000
fetch 7001
check_eq "a short page ends the fetch even when the total says more" \
	"$(out stopped)|$(stat '$.listing_requests')|$(out jobs_fetched)" "short_page|2|25"
board_stop

fresh firsttotal
board --total-first-only
fetch 7001 --param page_size=5
check_eq "a total reported on the first page only still bounds the fetch" \
	"$(out stopped)|$(stat '$.listing_requests')|$(out total_available)|$(out jobs_fetched)" "end_of_total|5|25|25"
board_stop

fresh search
board
fetch 7001 --param search_text=engineer
check_eq "searchText is sent and narrows the listing" \
	"$(stat '$.listing[0].searchText')|$(out jobs_fetched)|$(out stopped)" "engineer|9|short_page"
board_stop

# ---- max_jobs ---------------------------------------------------------------
fresh max
board
fetch 7001 --param max_jobs=3
check_eq "max_jobs 3: three postings, one listing page, three detail pages" \
	"$(out stopped)|$(out jobs_fetched)|$(stat '$.listing_requests')|$(stat '$.detail_requests')|$(out jobs_deferred)" \
	"max_jobs|3|1|3|17"
check_eq "three runs fanned out" "$(sql "SELECT count(*) FROM workflow_runs WHERE created_by = 'fan-out'")" "3"
board_stop

# ---- Failures ---------------------------------------------------------------
fresh fail500
board --fail-500-at 2
fetch 7001 --param page_size=5
check_eq "HTTP 500 on a listing page fails the step, retried once, then failed" \
	"$(fetch_col status)|$(fetch_col failure_class)|$(fetch_col attempts)|$(fetch_col branch_text)" \
	"failed|step_failed|2|[FAILED]"
check_eq "its output says [FAILED], why, and what it had found" \
	"$(out status)|$(out pages_fetched)|$(out jobs_new)|$(out jobs_fetched)|$(out retryable)" "[FAILED]|1|5|0|1"
check_contains "the error names the status and the page" "$(fetch_col error_message)" "HTTP 500 at offset 5"
check_eq "nothing is stored or fanned out, and the run failed" \
	"$(sql "SELECT count(*) FROM postings")|$(sql "SELECT count(*) FROM workflow_runs WHERE created_by = 'fan-out'")|$(sql "SELECT status FROM workflow_runs")" \
	"0|0|failed"
check_eq "the page before the failure was asked for twice (once per attempt)" "$(stat '$.listing_requests')" "4"
board_stop

fresh ratelimit
board --rate-limit-at 2
fetch 7001 --param page_size=5
check_eq "HTTP 429 ends the fetch as [RATE_LIMITED] with what it had" \
	"$(fetch_col status)|$(out status)|$(out stopped)|$(out jobs_fetched)|$(out retry_after_s)" \
	"completed|[RATE_LIMITED]|rate_limited|5|30"
check_eq "[RATE_LIMITED] routes on, and the five postings fan out" \
	"$(sql "SELECT json_extract(event_data, '\$.rules[0]') FROM interaction_events WHERE event_type = 'interaction_branched' AND interaction_id = (SELECT interaction_id FROM interactions WHERE conversation_id = 71001)")|$(sql "SELECT count(*) FROM workflow_runs WHERE created_by = 'fan-out' AND status = 'completed'")" \
	"710011|5"
board_stop

fresh detail500
board --detail-500 R0010
fetch 7001
check_eq "a detail page that fails: the posting is stored without a description, with the reason" \
	"$(sql "SELECT job_description IS NULL, json_extract(source_metadata, '\$.description_fetch_error') LIKE '%HTTP 500 (tried 3 times)' FROM postings WHERE external_job_id = 'R0010'")|$(out description_errors)|$(out jobs_fetched)" \
	"1|1|2|25"
check_eq "and its run ends at the check" \
	"$(sql "SELECT r.status || ' ' || i.branch_text FROM workflow_runs r JOIN postings p USING (posting_id) JOIN interactions i USING (workflow_run_id) WHERE p.external_job_id = 'R0010' AND i.conversation_id = 71002")" \
	"completed [NO_DESCRIPTION]"
board_stop

# ---- The description is the og:description or nothing -----------------------
fresh noog
board --no-og R0011
fetch 7001
check_eq "a page without og:description: no description, not the site's generic one" \
	"$(sql "SELECT job_description IS NULL FROM postings WHERE external_job_id = 'R0011'")|$(sql "SELECT count(*) FROM postings WHERE job_description LIKE '%Example Group careers%' OR extracted_summary LIKE '%Example Group careers%'")" \
	"1|0"
check_eq "the reason is recorded, as a failure that asking again will not fix, and counted (with the empty one)" \
	"$(sql "SELECT json_extract(source_metadata, '\$.description_fetch_error'), json_extract(source_metadata, '\$.description_fetch_transient') FROM postings WHERE external_job_id = 'R0011'")|$(out description_errors)|$(out detail_retries)" \
	"no og:description on the detail page|0|2|0"
check_eq "its run ends at the check, with nothing summarised" \
	"$(sql "SELECT i.branch_text || ' ' || coalesce(p.extracted_summary, '-') FROM workflow_runs r JOIN postings p USING (posting_id) JOIN interactions i USING (workflow_run_id) WHERE p.external_job_id = 'R0011' AND i.conversation_id = 71002")" \
	"[NO_DESCRIPTION] -"
board_stop

# ---- A detail page that fails is asked again within the fetch --------------
# dreq ID: how often the board was asked for the detail page of R00ID.
dreq() {
	case $1 in
	10) path=/Careers/job/New-York-1-Columbus-Circle/Credit-Risk-Manager_R0010 ;;
	11) path=/Careers/job/Berlin/Frontend-Engineer-React_R0011 ;;
	12) path=/Careers/job/Bucharest/Business-Analyst_R0012 ;;
	esac
	v=$(stat "\$.requests.\"GET $path\"")
	echo "${v:-0}"
}
meta() { sql "SELECT json_extract(source_metadata, '\$.$2') FROM postings WHERE external_job_id = '$1'"; }

fresh retry
board --detail-fail R0010:1:503 --detail-fail R0012:1:429
fetch 7001
check_eq "a page that answers 503 once, one that answers 429 once: both stored with their description" \
	"$(sql "SELECT count(*) FROM postings WHERE external_job_id IN ('R0010', 'R0012') AND length(job_description) > 100 AND json_type(source_metadata, '\$.description_fetch_error') IS NULL")|$(out status)|$(out description_errors)" \
	"2|success|1"
check_eq "each was asked twice; two retries counted" "$(dreq 10)|$(dreq 12)|$(out detail_retries)" "2|2|2"
check_eq "Retry-After (1 s, 2 s) was honoured up to retry_max_delay_ms (20 ms)" "$(out retry_wait_ms)" "40"
board_stop

fresh retryafter
board --detail-fail R0010:1:503
fetch 7001 --param retry_max_delay_ms=5000 --param retry_delay_ms=10
check_eq "under the cap, the wait is the board's Retry-After (1 s), not the backoff" \
	"$(out retry_wait_ms)|$(out detail_retries)|$(sql "SELECT job_description IS NOT NULL FROM postings WHERE external_job_id = 'R0010'")" \
	"1000|1|1"
board_stop

fresh reset
board --detail-fail R0011:2:reset
fetch 7001
check_eq "a page whose connection is reset twice: asked again until it answers" \
	"$(sql "SELECT job_description IS NOT NULL FROM postings WHERE external_job_id = 'R0011'")|$(meta R0011 description_fetch_error)|$(dreq 11)|$(out description_errors)" \
	"1||3|1"
board_stop

fresh ratelimited
board --detail-fail R0003:0:429
fetch 7001 --param page_size=5 --param detail_retries=1
check_eq "a detail page that answers 429 past its retries ends the fetch as [RATE_LIMITED], the posting left for next time" \
	"$(out status)|$(out stopped)|$(out retry_after_s)|$(out jobs_fetched)|$(sql "SELECT count(*) FROM postings WHERE external_job_id = 'R0003'")|$(stat '$.requests."GET /Careers/job/Shanghai/Data-Analyst_R0003"')" \
	"[RATE_LIMITED]|rate_limited|2|2|0|2"
board_stop

fresh retrydeadline
board --detail-fail R0010:0:500
fetch 7002 --param retry_delay_ms=5000 --param retry_max_delay_ms=10000
check_eq "no retry whose wait would pass the step's timeout (3 s): stored with the error, for a later fetch" \
	"$(fetch_col status)|$(out status)|$(out detail_retries)|$(dreq 10)|$(meta R0010 description_fetch_error | sed 's/.*: //')|$(meta R0010 description_fetch_transient)|$(out jobs_fetched)" \
	"completed|success|0|1|HTTP 500|1|25"
board_stop

fresh detailstall
board --detail-fail R0012:1:stall
fetch 7001 --param detail_timeout_ms=300
check_eq "a detail page that times out once (detail_timeout_ms 300): asked again, stored with its description" \
	"$(out status)|$(sql "SELECT length(job_description) > 100 FROM postings WHERE external_job_id = 'R0012'")|$(meta R0012 description_fetch_error)|$(dreq 12)|$(out detail_retries)" \
	"success|1||2|1"
board_stop

# ---- Postings without a description are asked again by later fetches -------
fresh refetch
board --detail-fail R0010:0:503 --detail-fail R0011:0:404
fetch 7001 --param detail_retries=1
check_eq "a page that always answers 503: stored without a description after 2 tries, as a failure that may pass" \
	"$(sql "SELECT job_description IS NULL FROM postings WHERE external_job_id = 'R0010'")|$(meta R0010 description_fetch_error | sed 's/.*: //')|$(meta R0010 description_fetch_transient)|$(meta R0010 description_fetches)|$(dreq 10)" \
	"1|HTTP 503 (tried 2 times)|1|1|2"
check_eq "a 404 is not asked again, and will not be" \
	"$(meta R0011 description_fetch_error | sed 's/.*: //')|$(meta R0011 description_fetch_transient)|$(dreq 11)|$(out description_errors)|$(out still_missing)" \
	"HTTP 404|0|1|3|3"
r10=$(sql "SELECT posting_id FROM postings WHERE external_job_id = 'R0010'")
board_stop
board --detail-fail R0010:1:503
fetch 7001
check_eq "the next fetch asks for that page again (only that one) and stores its description" \
	"$(out refetched)|$(out refetch_recovered)|$(out still_missing)|$(out jobs_fetched)|$(stat '$.detail_requests')|$(dreq 10)" \
	"1|1|2|0|2|2"
check_eq "the error is gone from its metadata; the fetches are counted" \
	"$(sql "SELECT length(job_description) > 100, json_type(source_metadata, '\$.description_fetch_error'), json_type(source_metadata, '\$.description_fetch_transient'), json_extract(source_metadata, '\$.description_fetches') FROM postings WHERE posting_id = $r10")" \
	"1|||2"
check_eq "the posting is fanned out again and its new run saves the description as summary" \
	"$(out posting_ids)|$(sql "SELECT count(*) FROM workflow_runs WHERE posting_id = $r10")|$(sql "SELECT extracted_summary = job_description FROM postings WHERE posting_id = $r10")" \
	"[$r10]|2|1"
board_stop

fresh refetchlimit
board --detail-fail R0010:0:503 --detail-fail R0012:0:503
fetch 7001 --param detail_retries=0
fetch 7001 --param detail_retries=0 --param refetch_max=1
check_eq "refetch_max 1: one posting asked again per fetch" \
	"$(out refetched)|$(out refetch_recovered)|$(out still_missing)|$(meta R0010 description_fetches)|$(meta R0012 description_fetches)" \
	"1|0|3|2|1"
fetch 7001 --param detail_retries=0 --param refetch_max=1
check_eq "the next takes the one asked the fewest times" \
	"$(out refetched)|$(meta R0010 description_fetches)|$(meta R0012 description_fetches)" "1|2|2"
fetch 7001 --param detail_retries=0
fetch 7001 --param detail_retries=0
check_eq "after refetch_fetches (3) fetches a posting's page is not asked again" \
	"$(out refetched)|$(out still_missing)|$(meta R0010 description_fetches)|$(dreq 10)|$(dreq 12)" "0|3|3|3|3"
board_stop

# ---- Pages with nothing new -------------------------------------------------
fresh idle
board
fetch 7001 --param page_size=2 --param max_jobs=12
check_eq "12 postings stored from 6 pages" "$(out jobs_fetched)|$(out stopped)|$(stat '$.listing_requests')" "12|max_jobs|6"
fetch 7001 --param page_size=2
check_eq "a fetch whose first 5 pages hold only known postings stops there (the default)" \
	"$(out status)|$(out stopped)|$(out pages_fetched)|$(out jobs_fetched)|$(out jobs_updated)|$(stat '$.listing_requests')" \
	"success|no_new_postings|5|0|10|11"
fetch 7001 --param page_size=2 --param max_pages_without_new=3
check_eq "max_pages_without_new 3: three pages" "$(out stopped)|$(out pages_fetched)|$(stat '$.listing_requests')" \
	"no_new_postings|3|14"
fetch 7001 --param page_size=2 --param max_pages_without_new=0
check_eq "max_pages_without_new 0: no such stop; the new postings after 6 known pages are fetched" \
	"$(out stopped)|$(out pages_fetched)|$(out jobs_fetched)" "short_page|13|13"
board_stop

fresh stall
board --stall
fetch 7002
check_eq "a stalled board: [TIMEOUT] within the step's 3 s, nothing fetched" \
	"$(fetch_col status)|$(out status)|$(out stopped)|$(out jobs_fetched)|$(sql "SELECT status FROM workflow_runs")" \
	"completed|[TIMEOUT]|timeout|0|completed"
board_stop

fresh stallat
board --stall-at 2
fetch 7002 --param page_size=5
check_eq "a board that stalls on page 2: [TIMEOUT] with page 1's postings, fanned out" \
	"$(out status)|$(out jobs_fetched)|$(sql "SELECT count(*) FROM workflow_runs WHERE created_by = 'fan-out' AND status = 'completed'")" \
	"[TIMEOUT]|5|5"
board_stop

fresh interrupted
board --stall
wr start --workflow 7001 --param "base_url=$BASE" >/dev/null
"$WAVERUNNER" run --quiet --grace 1s >"$T/run.out" 2>&1 &
run_pid=$!
i=0
while [ "$(fetch_col status 2>/dev/null)" != running ] && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -TERM "$run_pid"
wait "$run_pid"
check_eq "interrupted during a fetch: exit 130, the fetch is handed back without counting an attempt" \
	"$?|$(fetch_col status)|$(fetch_col attempts)" "130|pending|0"
board_stop
board
sql "UPDATE workflow_runs SET params = json_set(params, '\$.base_url', '$BASE')"
ssql "UPDATE interactions SET input = json_set(stored_text(input), '\$.base_url', '$BASE') WHERE conversation_id = 71001"
wr run --quiet >"$T/run.out" 2>&1
check_eq "a rerun does the fetch" "$(fetch_col status)|$(out jobs_fetched)|$(fetch_col attempts)" "completed|25|1"
board_stop

fresh refused
BASE="http://127.0.0.1:$(free_port)"
fetch 7001
check_eq "nothing listening: [FAILED], retryable, failed after its attempts" \
	"$(fetch_col status)|$(fetch_col attempts)|$(out status)|$(out retryable)" "failed|2|[FAILED]|1"

fresh badparam
board
fetch 7001 --param page_size=50
check_eq "a page size Workday does not serve fails at once, not retried" \
	"$(fetch_col status)|$(fetch_col attempts)|$(fetch_col failure_class)|$(stat '$.listing_requests')" "failed|1|step_failed|0"
check_contains "and says why" "$(fetch_col error_message)" "page_size must be from 1 to 20, not 50"
board_stop

# ---- Workflow 3001 started without postings ---------------------------------
fresh w3001
wr load "$REPO/fixtures/workflows/3001.json" >/dev/null
board
run_wr start --workflow 3001 --param "base_url=$BASE" --param max_jobs=3
check_contains "start --workflow 3001 without postings starts at the fetch" "$OUT" \
	"started 1 run of workflow 3001 at conversation 9144"
wr run --max-interactions 1 --quiet >"$T/run.out" 2>&1
check_eq "the fetch completes and stores 3 postings" \
	"$(sql "SELECT status, json_extract(output, '\$.status'), json_extract(output, '\$.jobs_fetched') FROM interactions WHERE conversation_id = 9144")|$(sql "SELECT group_concat(source) FROM (SELECT DISTINCT source FROM postings)")" \
	"completed|success|3|workday_demo"
check_eq "3 runs, one per posting, each starting at 9193 with the fetch as parent" \
	"$(sql "SELECT count(DISTINCT r.workflow_run_id), count(DISTINCT r.posting_id), group_concat(DISTINCT i.conversation_id), group_concat(DISTINCT i.status), group_concat(DISTINCT ip.parent_interaction_id = (SELECT interaction_id FROM interactions WHERE conversation_id = 9144)) FROM workflow_runs r JOIN interactions i USING (workflow_run_id) JOIN interaction_parents ip USING (interaction_id) WHERE r.created_by = 'fan-out'")" \
	"3|3|9193|pending|1"
check_eq "each of those runs renders its own posting's description" \
	"$(ssql "SELECT count(*) FROM interactions i JOIN postings p USING (posting_id) WHERE i.conversation_id = 9193 AND json_extract(stored_text(i.input), '\$.description') = p.job_description")" "3"
board_stop

finish
