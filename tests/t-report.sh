#!/bin/sh
# graph and report on the demo: workflow 3001 over the fixture postings,
# replayed. The DOT renders with Graphviz's dot; the HTML pages reference
# nothing outside themselves and escape what the database holds; and in
# headless Chromium, driven through chromedriver's WebDriver API with curl, the
# workflow page loads with no console errors and no network requests and draws
# every step of 3001, a run's highlighted path is the path `waverunner trace`
# shows, and expanding an interaction shows its prompt. Screenshots are kept in
# $TEST_OUT (report-workflow.png, report-run.png).
. "$REPO/tests/lib.sh"
SHOTS=${TEST_OUT:-$T}

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
wr start --workflow 3001 --all >/dev/null
wr run --llm replay --replay-dir "$REPO/fixtures/replay" --quiet >/dev/null 2>&1
steps=$(sql "SELECT group_concat(conversation_id, ' ') FROM (SELECT conversation_id FROM workflow_conversations
             WHERE workflow_id = 3001 ORDER BY conversation_id)")
check_eq "the demo ran: 16 steps, 17 runs" "$(echo $steps | wc -w) $(sql "SELECT count(*) FROM workflow_runs")" "16 17"
# The known run: posting 10004, whose summary failed review twice and got a ticket.
RUN=$(sql "SELECT workflow_run_id FROM workflow_runs WHERE posting_id = 10004")
# What the database holds may be markup: a title and a prompt that try to end
# the page's elements and run a script.
sql "UPDATE postings SET job_title = job_title || ' </td></script><script>window.pwned = 1</script><b x=\"''y' WHERE posting_id = 10004"
ssql "UPDATE interactions SET input = json_set(stored_text(input), '\$.prompt', json_extract(stored_text(input), '\$.prompt') ||
     ' </pre></details><script>window.pwned = 2</script>') WHERE workflow_run_id = $RUN AND conversation_id = 3335"

# --- graph
if command -v dot >/dev/null 2>&1; then
	wr graph --workflow 3001 >"$T/3001.dot"
	dot -Tsvg "$T/3001.dot" >"$T/3001.svg" 2>"$T/dot.err"
	check_eq "graph: Graphviz's dot renders the DOT of 3001, without a warning" "$?:$(cat "$T/dot.err")" "0:"
	missing=""
	for s in $steps; do grep -qE "id=\"w(-|&#45;)s$s\"" "$T/3001.svg" || missing="$missing $s"; done
	check_eq "... and the drawing has every step of 3001" "${missing:-none}" "none"
	# Names that need escaping: quotes, backslashes, markup, braces.
	cat >"$T/odd.json" <<'EOF'
{"workflow_id": 77, "name": "odd \"names\" \\ <b>",
 "actors": [{"actor_id": 1, "name": "m \"q\" \\", "type": "ai_model"}],
 "conversations": [
  {"conversation_id": 770, "name": "say \"hi\" \\n {x} <script>", "actor": "m \"q\" \\", "instruction": {"template": "x"},
   "rules": [{"id": 7701, "condition": "contains:\"a\\\" | #b <c>", "next": 771, "priority": 3},
             {"id": 7702, "condition": "[FAIL]", "next": 770, "priority": 9, "max_iterations": 2}]},
  {"conversation_id": 771, "name": "end \\", "actor": "m \"q\" \\", "terminal": true, "instruction": {"template": "y"}}]}
EOF
	wr load "$T/odd.json" >/dev/null
	wr graph --workflow 77 | dot -Tsvg >"$T/odd.svg" 2>"$T/dot.err"
	check_eq "graph: names with quotes, backslashes and markup are valid DOT" "$?:$(cat "$T/dot.err")" "0:"
	check_contains "... drawn as they are written" "$(cat "$T/odd.svg")" "say &quot;hi&quot; \\n {x} &lt;script&gt;"
else
	_not_ok "graph: Graphviz's dot is installed" "install the Debian package graphviz (sh tests/install-deps.sh does)"
fi

# --- the pages
run_wr report --workflow 3001 -o "$T/workflow.html"
check_contains "report: writes the workflow page" "$STATUS:$OUT" "0:wrote $T/workflow.html ("
run_wr report --run "$RUN" -o "$T/run.html"
check_contains "report --run: writes the run page" "$STATUS:$OUT" "0:wrote $T/run.html ("
run_wr report --posting 10014 -o "$T/posting.html"
check_contains "report --posting: writes the posting page" "$STATUS:$OUT" "0:wrote $T/posting.html ("
for page in workflow run posting; do
	f="$T/$page.html"
	refs=$(grep -oiE '<[a-z][^>]*[[:space:]](src|action|xlink:href|srcset|poster|data|background)[[:space:]]*=|<link|<iframe|<object|<embed|<img|@import|url\(' "$f" |
		sort -u | tr '\n' ' ')
	check_eq "$page page: no src=, <link>, @import or url()" "${refs:-none}" "none"
	hrefs=$(grep -oE 'href="[^"]*"' "$f" | grep -v '^href="#' | sort -u | head -3 | tr '\n' ' ')
	check_eq "$page page: every href is an anchor in the page" "${hrefs:-none}" "none"
	check_contains "$page page: a policy that forbids every fetch" "$(cat "$f")" "content=\"default-src 'none';"
	check_not_contains "$page page: the title from the database cannot start a script" "$(cat "$f")" "<script>window.pwned"
done
check_eq "workflow page: no http:// or https:// at all" "$(grep -cE 'https?://' "$T/workflow.html")" "0"
check_contains "run page: the prompt's markup is text" "$(cat "$T/run.html")" \
	" &lt;/pre&gt;&lt;/details&gt;&lt;script&gt;window.pwned = 2&lt;/script&gt;"
check_contains "workflow page: the failed run's reason, grouped" "$(cat "$T/workflow.html")" \
	"conversation 9170 &#39;Save IHL score&#39; failed: the expert&#39;s answer has no usable IHL score"

# --- in the browser
# The path run RUN took, as waverunner trace shows it: "#N  interaction ID: CONV NAME ...".
trace=$(wr trace "$RUN" | sed -n 's/^#[0-9]*  interaction [0-9]*: \([0-9]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//')
trace_set=$(printf '%s\n' $trace | sort -u | tr '\n' ' ' | sed 's/ $//')
check_eq "the known run took the loop twice (trace)" "$trace" \
	"9193 3335 3336 3337 3338 3339 3338 3339 3340 3341 9168 9121 9169 9161 9162 9163 9170"

CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
DRIVER=$(command -v chromedriver || true)
if [ -z "$CHROME" ] || [ -z "$DRIVER" ]; then
	_not_ok "Chromium and chromedriver are installed" \
		"the browser test needs the Debian packages chromium and chromium-driver (sh tests/install-deps.sh installs them)"
	finish
	exit 1
fi
PORT=$(free_port)
"$DRIVER" --port="$PORT" >"$T/chromedriver.log" 2>&1 &
DRIVER_PID=$!
trap 'kill $DRIVER_PID 2>/dev/null' EXIT
WD="http://127.0.0.1:$PORT"
i=0
until curl -s "$WD/status" 2>/dev/null | grep -q '"ready":true'; do
	i=$((i + 1))
	[ $i -lt 200 ] || break
	sleep 0.1
done

# wd METHOD PATH [JSON]: one WebDriver call; prints the response.
wd() { curl -s -X "$1" "$WD$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
# js SCRIPT: runs SCRIPT (which returns a string without quotes or backslashes)
# in the page and prints what it returned.
js() {
	body=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')
	wd POST "/session/$SID/execute/sync" "{\"script\":\"$body\",\"args\":[]}" |
		sed -n 's/^{"value":"\(.*\)"}$/\1/p'
}
# js_until EXPECTED SCRIPT: js SCRIPT until it prints EXPECTED (at most 10 s);
# prints what it printed last.
js_until() {
	n=0
	while :; do
		got=$(js "$2")
		[ "$got" = "$1" ] || [ $n -ge 100 ] && break
		n=$((n + 1))
		sleep 0.1
	done
	printf '%s\n' "$got"
}
# errors: the browser's console messages of level SEVERE since the last call.
errors() { wd POST "/session/$SID/se/log" '{"type":"browser"}' | grep -o '"level":"SEVERE","message":"[^"]*' || true; }
shot() { wd GET "/session/$SID/screenshot" | sed 's/^{"value":"//; s/"}$//' | base64 -d >"$1"; }

caps='{"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:loggingPrefs":{"browser":"ALL"},
 "goog:chromeOptions":{"binary":"'"$CHROME"'","args":["--headless","--no-sandbox","--disable-gpu","--disable-quic",
 "--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync",
 "--disable-dev-shm-usage","--window-size=1500,1300","--user-data-dir='"$T"'/profile"]}}}}'
SID=$(wd POST /session "$caps" | sed -n 's/.*"sessionId":"\([0-9a-f]*\)".*/\1/p')
if [ -z "$SID" ]; then
	_not_ok "chromedriver starts a headless Chromium" "see $T/chromedriver.log"
	finish
	exit 1
fi
_ok "chromedriver starts a headless Chromium"

# The workflow page.
wd POST "/session/$SID/url" "{\"url\":\"file://$T/workflow.html\"}" >/dev/null
check_eq "workflow page: loads (its title)" "$(js "return document.title")" \
	"workflow 3001: Complete Job Processing Pipeline"
check_eq "workflow page: no network requests" "$(js "return String(performance.getEntriesByType('resource').length)")" "0"
check_eq "workflow page: the graph shows every step of 3001" \
	"$(js "return Array.from(document.querySelectorAll('#graph svg g.node.step')).map(function(g){return g.id.slice(3)}).sort().join(' ')")" \
	"$steps"
loops=$(sql "SELECT count(DISTINCT i.workflow_run_id) FROM interactions i JOIN interaction_events e USING (interaction_id),
             json_each(e.event_data, '$.rules') j WHERE e.event_type = 'interaction_branched' AND j.value = 33391")
check_eq "workflow page: an edge says how many runs took it (the loop back, $loops)" \
	"$(js "return document.getElementById('w-r33391').textContent.replace(/\\s+/g, ' ').trim()")" \
	"s3339->s3338 [FAIL] (prio 20) loop: at most 1× $loops run"
check_eq "workflow page: a step says how many of its interactions completed, failed and were retried" \
	"$(js "return document.getElementById('w-s9170').textContent.replace(/\\s+/g, ' ').match(/✓ [0-9]+ ✗ [0-9]+ ↻ [0-9]+/)[0]")" \
	"✓ $(sql "SELECT count(*) FROM interactions WHERE conversation_id = 9170 AND status = 'completed'") ✗ 1 ↻ 0"
check_eq "workflow page: the table lists every run" "$(js "return String(document.querySelectorAll('#runtable tbody tr').length)")" "17"
check_eq "workflow page: no script from the database ran" "$(js "return String(window.pwned)")" "undefined"
wd POST "/session/$SID/execute/sync" '{"script":"document.querySelector(\"#runtable th\").click(); document.querySelector(\"#runtable th\").click(); return 1","args":[]}' >/dev/null
check_eq "workflow page: a click on a heading sorts (run, descending)" \
	"$(js "return document.querySelector('#runtable tbody tr td').textContent")" "$(sql "SELECT max(workflow_run_id) FROM workflow_runs")"
el=$(wd POST "/session/$SID/element" "{\"using\":\"css selector\",\"value\":\"#row-$RUN a\"}" | sed -n 's/.*":"\([^"]*\)"}}$/\1/p')
wd POST "/session/$SID/element/$el/click" '{}' >/dev/null
# The page draws the path after the click's event; a loaded machine may take a moment.
check_eq "workflow page: a click on a run highlights its steps" \
	"$(js_until "$trace_set" "return Array.from(document.querySelectorAll('#graph svg g.node.step.hl')).map(function(g){return g.id.slice(3)}).sort().join(' ')")" \
	"$trace_set"
check_eq "... and lists its path as trace shows it" \
	"$(js_until "$trace" "return Array.from(document.querySelectorAll('#runpanel li')).map(function(l){return l.dataset.conv}).join(' ')")" "$trace"
check_eq "workflow page: no console errors" "$(errors)" ""
js "window.scrollTo(0, 0); return 'top'" >/dev/null
shot "$SHOTS/report-workflow.png"
check_true "workflow page: a screenshot ($SHOTS/report-workflow.png)" test -s "$SHOTS/report-workflow.png"

# The run page.
wd POST "/session/$SID/url" "{\"url\":\"file://$T/run.html\"}" >/dev/null
check_eq "run page: no network requests" "$(js "return String(performance.getEntriesByType('resource').length)")" "0"
check_eq "run page: the highlighted steps are the steps of its trace" \
	"$(js "return Array.from(document.querySelectorAll('#graph-$RUN svg g.node.step.hl')).map(function(g){return g.id.split('-s')[1]}).sort().join(' ')")" \
	"$trace_set"
check_eq "run page: the highlighted rules are the rules that fired (its events)" \
	"$(js "return Array.from(document.querySelectorAll('#graph-$RUN svg g.edge.hl')).map(function(g){return g.id.split('-')[1]}).filter(function(x){return x[0]==='r'}).map(function(x){return x.slice(1)}).sort().join(' ')")" \
	"$(sql "SELECT group_concat(r, ' ') FROM (SELECT DISTINCT CAST(j.value AS TEXT) AS r FROM interactions i
	        JOIN interaction_events e USING (interaction_id), json_each(e.event_data, '$.rules') j
	        WHERE i.workflow_run_id = $RUN AND e.event_type = 'interaction_branched' ORDER BY 1)")"
check_eq "run page: the path, in order, is the path of waverunner trace" \
	"$(js "return Array.from(document.querySelectorAll('details.ix')).map(function(d){return d.dataset.conv}).join(' ')")" "$trace"
visible="var p=document.querySelector('details.ix[data-conv=\"3335\"] pre.prompt'); return p.checkVisibility() ? 'visible: ' + (p.innerText.indexOf('You write precise summaries of job postings.') === 0) + ' ' + (p.innerText.indexOf('<script>window.pwned = 2</script>') > 0) : 'hidden'"
check_eq "run page: a prompt is hidden until its interaction is expanded" "$(js "$visible")" "hidden"
el=$(wd POST "/session/$SID/element" '{"using":"css selector","value":"details.ix[data-conv=\"3335\"] > summary"}' |
	sed -n 's/.*":"\([^"]*\)"}}$/\1/p')
wd POST "/session/$SID/element/$el/click" '{}' >/dev/null
check_eq "run page: a click expands it and shows its prompt, markup as text" "$(js_until "visible: true true" "$visible")" "visible: true true"
check_eq "run page: no script from the database ran" "$(js "return String(window.pwned)")" "undefined"
check_eq "run page: no console errors" "$(errors)" ""
shot "$SHOTS/report-run.png"
check_true "run page: a screenshot ($SHOTS/report-run.png)" test -s "$SHOTS/report-run.png"

# Many runs: the table shows the first 100 rows until asked for all; a sort
# sorts them all.
sh "$REPO/tests/bench/generate.sh" 150 "$T/many" >/dev/null
M="$T/many/many.db"
"$WAVERUNNER" --db "$M" init >/dev/null
"$WAVERUNNER" --db "$M" load "$REPO/fixtures/workflows/3001.json" "$T/many/postings.json" >/dev/null
"$WAVERUNNER" --db "$M" start --workflow 3001 --all >/dev/null
"$TOOLS/answer-run" "$M" "$T/many/answers.json" >/dev/null
"$WAVERUNNER" --db "$M" report -o "$T/many.html" >/dev/null
wd POST "/session/$SID/url" "{\"url\":\"file://$T/many.html\"}" >/dev/null
rows="return String(Array.from(document.querySelectorAll('#runtable tbody tr')).filter(function(r){return r.getClientRects().length}).length)"
check_eq "150 runs: the table shows the first 100" "$(js "$rows")" "100"
wd POST "/session/$SID/execute/sync" '{"script":"document.querySelector(\"#runtable th\").click(); document.querySelector(\"#runtable th\").click(); return 1","args":[]}' >/dev/null
check_eq "... a sort sorts them all (run, descending: the last run first)" \
	"$(js "return document.querySelector('#runtable tbody tr td').textContent + ' ' + $(echo "$rows" | sed 's/^return //')")" \
	"$("$WAVERUNNER" --db "$M" --json status >/dev/null; sqlite3 "$M" "SELECT max(workflow_run_id) FROM workflow_runs") 100"
el=$(wd POST "/session/$SID/element" '{"using":"css selector","value":"#showall"}' | sed -n 's/.*":"\([^"]*\)"}}$/\1/p')
wd POST "/session/$SID/element/$el/click" '{}' >/dev/null
check_eq "... and a click shows all 150" "$(js_until 150 "$rows")" "150"
check_eq "150 runs: no console errors" "$(errors)" ""
wd DELETE "/session/$SID" >/dev/null
finish
