#!/bin/sh
# Script actors: programs run directly with one JSON document in and one out;
# failures (exit status, signals, bad or huge output, "status": "error",
# timeouts) say which program and why; a hung script does not hold up other
# work; the environment is filtered; the concurrency limit holds.
. "$REPO/tests/lib.sh"

pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for f in "$T"/*/*.pid "$T"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	return 0
}
trap cleanup EXIT INT TERM

export WAVERUNNER_RETRY_BASE_MS=10 WAVERUNNER_RETRY_CAP_MS=50
wr init >/dev/null

# alive PID: the process exists and is not a zombie.
alive() {
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$st" in Z*) return 1 ;; esac
	return 0
}
# gone PID / group_gone PGID: a pid was recorded and nothing runs under it.
gone() { [ -n "$1" ] && ! alive "$1"; }
group_gone() {
	[ -n "$1" ] || return 1
	for p in $(pgrep -g "$1"); do alive "$p" && return 1; done
	return 0
}
# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# conv_field CONV COLUMN: a column of the (latest) interaction of a conversation.
conv_field() { sql "SELECT $2 FROM interactions WHERE conversation_id = $1 ORDER BY interaction_id DESC LIMIT 1"; }
event_data() {
	sql "SELECT e.event_data FROM interaction_events e JOIN interactions i USING (interaction_id)
	     WHERE i.conversation_id = $1 AND e.event_type = '$2' ORDER BY e.event_id DESC LIMIT 1"
}

# --- One workflow, one step per case; each run starts at its case. -------------
W1="$T/w1"
mkdir -p "$W1"
cp -p "$REPO"/tests/data/scripts/*.sh "$W1/"
cp "$W1/echo.sh" "$W1/gone.sh"
cp "$W1/echo.sh" "$W1/noexec.sh"
big=$(head -c 300000 /dev/zero | tr '\0' 'x')

# step ID NAME SCRIPT TEMPLATE [EXTRA]: a conversation and its actor.
actors=""
convs=""
step() {
	actors="$actors${actors:+,}
	{\"actor_id\": $1, \"name\": \"$2\", \"type\": \"script\", \"script\": \"$3\" ${6:+, \"config\": $6}}"
	convs="$convs${convs:+,}
	{\"conversation_id\": $1, \"name\": \"$2\", \"actor\": \"$2\", \"terminal\": true,
	 \"instruction\": {\"template\": $4} ${5:-, \"max_attempts\": 1}}"
}
q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
# The first step routes on its status, which the run's parameter "case" sets:
# [LEFT] or [RIGHT] for the routing case, [Cnnn] to go to case nnn.
cases="110 111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130"
rules='{"condition": "[LEFT]", "next": 101}, {"condition": "[RIGHT]", "next": 102}'
for c in $cases; do rules="$rules, {\"condition\": \"[C$c]\", \"next\": $c}"; done
step 100 route route.sh "$(q '{"status": "{case}"}')" ", \"max_attempts\": 1, \"rules\": [$rules]"
step 101 left echo.sh "$(q '{"side": "left"}')"
step 102 right echo.sh "$(q '{"side": "right", "from": "{conversation_100_output.status}"}')"
step 110 fail-exit fail-exit.sh "$(q '{}')" ', "max_attempts": 3'
step 111 not-json not-json.sh "$(q '{}')"
step 112 two-docs two-docs.sh "$(q '{}')"
step 113 huge huge.sh "$(q '{}')"
step 114 error-status error-status.sh "$(q '{}')" ', "max_attempts": 3'
step 115 retry-status retry-status.sh "$(q '{}')" ', "max_attempts": 2'
step 116 signal signal.sh "$(q '{}')"
step 117 sleep sleep.sh "$(q '{}')" ', "timeout_seconds": 1, "max_attempts": 1'
step 118 ignore-term ignore-term.sh "$(q '{}')" ', "timeout_seconds": 1, "max_attempts": 1' '{"kill_grace_ms": 300}'
step 119 cat cat.sh "$(q "{\"big\": \"$big\"}")"
step 120 no-shebang no-shebang.sh "$(q '{}')"
step 121 leftover leftover.sh "$(q '{}')"
step 122 absolute "$W1/echo.sh" "$(q '[1, 2]')"
step 123 error-exit error-exit.sh "$(q '{}')"
step 124 gone gone.sh "$(q '{}')"
step 125 noexec noexec.sh "$(q '{}')"
step 126 empty empty.sh "$(q '{}')"
step 128 no-read no-read.sh "$(q "{\"big\": \"$big\"}")"
step 129 noisy noisy.sh "$(q '{}')"
step 130 latin1 latin1.sh "$(q '{}')"
step 127 small-limit echo.sh "$(q '{"text": "more than forty bytes of input, echoed back"}')" ', "max_attempts": 1' '{"max_output_bytes": 40}'
cat >"$W1/cases.json" <<EOF
{"workflow_id": 1, "name": "script cases", "parameters": {"case": "[RIGHT]"}, "actors": [$actors],
 "conversations": [$convs]}
EOF
run_wr load "$W1/cases.json"
check_eq "the case workflow loads" "$STATUS" 0
wr start --workflow 1 >/dev/null
for c in $cases; do
	wr start --workflow 1 --again --param "case=[C$c]" >/dev/null || echo "# could not start case $c"
done
# Programs that break after the workflow was checked and started.
rm "$W1/gone.sh"
chmod -x "$W1/noexec.sh"
run_wr run --quiet
check_eq "run ends normally" "$STATUS" 0

# Happy path and routing on the status.
check_eq "the route step completed with its status as branch text" \
	"$(sql "SELECT status || ' ' || branch_text FROM interactions WHERE conversation_id = 100
	        AND workflow_run_id = (SELECT workflow_run_id FROM interactions WHERE conversation_id = 102)")" \
	"completed [RIGHT]"
check_eq "[RIGHT] led to the right step, not the left" \
	"$(sql "SELECT group_concat(conversation_id) FROM interactions WHERE conversation_id IN (101, 102)")" "102"
out=$(conv_field 102 output)
check_contains "the input arrives with the rendered template" "$out" '"side":"right","from":"[RIGHT]"'
run=$(conv_field 102 workflow_run_id)
id=$(conv_field 102 interaction_id)
check_contains "the input carries its _context" "$out" \
	"\"_context\":{\"interaction_id\":$id,\"workflow_run_id\":$run,\"workflow_id\":1,\"conversation_id\":102,\"posting_id\":null,\"attempt\":1}"
check_contains "stderr is kept in the completed event" "$(event_data 102 interaction_completed)" \
	'"stderr":"echo.sh: read '
ev=$(event_data 129 interaction_completed)
check_contains "a long stderr is kept to its end" "$ev" 'noisy.sh: the last line"'
check_contains "... saying how much was not kept" "$ev" '"stderr":"(' 
check_eq "... about 64 kB of it (JSON-escaped)" "$(printf '%s' "$ev" | wc -c | awk '{ print ($1 > 65536 && $1 < 68000) ? "yes" : "no: " $1 }')" yes
run_wr trace "$run"
check_contains "trace shows the script's stderr" "$OUT" "stderr: echo.sh: read"
out=$(conv_field 122 output)
check_contains "an absolute program path works; a non-object input is wrapped" "$out" \
	'"input":{"input":[1,2],"_context":{'

# Failures name the program and the problem.
check_eq "non-zero exit: failed, class script, not retried" \
	"$(conv_field 110 "status || ' ' || failure_class || ' ' || attempts")" "failed script_error 1"
check_eq "non-zero exit: the message gives the status and the end of stderr" "$(conv_field 110 error_message)" \
	"script $W1/fail-exit.sh exited with status 3: fail-exit.sh: starting | fail-exit.sh: the disk is on fire"
check_eq "a JSON error on stdout with exit 1 is quoted" "$(conv_field 123 error_message)" \
	"script $W1/error-exit.sh exited with status 1: could not connect to the job board"
check_eq "not JSON: invalid_output" "$(conv_field 111 "status || ' ' || failure_class")" "failed invalid_output"
check_contains "not JSON: the message quotes the output" "$(conv_field 111 error_message)" \
	"script $W1/not-json.sh did not print one JSON document (line 1, column 1"
check_contains "not JSON: the output is quoted" "$(conv_field 111 error_message)" \
	'stdout was: "Saved the summary. [SAVED]"'
check_eq "two documents: invalid_output" "$(conv_field 112 failure_class)" "invalid_output"
check_contains "two documents: the message says there is text after the document" \
	"$(conv_field 112 error_message)" "script $W1/two-docs.sh did not print one JSON document (line 2, column 1: text after the end of the JSON document)"
check_eq "nothing on stdout: invalid_output" "$(conv_field 126 "failure_class || ': ' || error_message")" \
	"invalid_output: script $W1/empty.sh printed nothing on stdout (it must print one JSON document)"
check_eq "output that is not UTF-8: invalid_output, the bytes shown escaped" \
	"$(conv_field 130 "failure_class || ': ' || error_message")" \
	"invalid_output: script $W1/latin1.sh printed output that is not valid UTF-8 (stdout began: \"{\"status\": \"caf\\xe9\"}\")"
check_eq "endless output: stopped at the default limit" "$(conv_field 113 "failure_class || ': ' || error_message")" \
	"invalid_output: script $W1/huge.sh printed more than 8388608 bytes on stdout (the limit; the actor's config \"max_output_bytes\" sets it)"
check_contains "max_output_bytes sets the limit" "$(conv_field 127 error_message)" \
	"script $W1/echo.sh printed more than 40 bytes on stdout"
check_eq "status \"error\" with exit 0 is a failure, not a success" \
	"$(conv_field 114 "status || ' ' || failure_class || ' ' || attempts")" "failed step_failed 1"
check_eq "... with the script's reason" "$(conv_field 114 error_message)" \
	"script $W1/error-status.sh reported status \"error\": posting has no description to save"
check_contains "... and its output kept" "$(conv_field 114 output)" '"status":"error"'
check_eq "\"retryable\": true is retried up to max_attempts" \
	"$(conv_field 115 "status || ' ' || failure_class || ' ' || attempts")" "failed step_failed 2"
check_eq "... and each retry is recorded" \
	"$(sql "SELECT count(*) FROM interaction_events e JOIN interactions i USING (interaction_id)
	        WHERE i.conversation_id = 115 AND e.event_type = 'interaction_retried'")" "1"
check_eq "killed by a signal: class script_error" "$(conv_field 116 failure_class)" script_error
check_contains "... the signal is named" "$(conv_field 116 error_message)" \
	"script $W1/signal.sh was killed by SIGUSR1 (signal "
check_contains "... with the end of stderr" "$(conv_field 116 error_message)" "): signal.sh: about to die"
check_eq "no #! line: said so" "$(conv_field 120 error_message)" \
	"could not start script $W1/no-shebang.sh: it is not a program the system can execute (a script needs a #! line)"
check_eq "a program that disappeared: named, class script_error" "$(conv_field 124 "failure_class || ': ' || error_message")" \
	"script_error: script $W1/gone.sh (actor 'gone'): No such file or directory"
check_eq "a program that is not executable: named" "$(conv_field 125 error_message)" \
	"script $W1/noexec.sh (actor 'noexec') is not executable (chmod +x it)"

# Big input and output through the pipes together.
out=$(conv_field 119 output)
expected="{\"big\":\"$big\",\"_context\":{\"interaction_id\":$(conv_field 119 interaction_id),\"workflow_run_id\":$(conv_field 119 workflow_run_id),\"workflow_id\":1,\"conversation_id\":119,\"posting_id\":null,\"attempt\":1}}"
check_eq "a 300 kB input echoed back as it is written (no deadlock)" \
	"$([ "$out" = "$expected" ] && echo same || echo "differs: ${#out} bytes, expected ${#expected}")" same
check_eq "... completed" "$(conv_field 119 status)" "completed"
check_eq "a script that does not read its big input completes (waverunner survives the closed pipe)" \
	"$(conv_field 128 "status || ' ' || branch_text")" "completed [DONE]"

# Timeouts.
check_eq "a hung script times out (class timeout)" "$(conv_field 117 "status || ' ' || failure_class")" "failed timeout"
check_eq "... stopped by SIGTERM" "$(conv_field 117 error_message)" \
	"script $W1/sleep.sh timed out after 1 s (sent SIGTERM)"
check_eq "a script that ignores SIGTERM is killed" "$(conv_field 118 "status || ' ' || failure_class")" "failed timeout"
check_eq "... and the message says so" "$(conv_field 118 error_message)" \
	"script $W1/ignore-term.sh timed out after 1 s (sent SIGTERM, then SIGKILL after 300 ms); stderr: ignore-term.sh: ignoring SIGTERM"
pg=$(cat "$W1/ignore-term.pid" 2>/dev/null)
check_true "... and nothing of its process group is left" wait_for 10 group_gone "$pg"
check_true "the timed-out sleep.sh is gone" wait_for 10 group_gone "$(cat "$W1/sleep.pid" 2>/dev/null)"
check_eq "a script that leaves a process behind completes" "$(conv_field 121 status)" "completed"
check_true "... and what it left is killed" wait_for 10 gone "$(cat "$W1/leftover.pid" 2>/dev/null)"

run_wr status
check_contains "status shows the failures" "$OUT" "failed"

# --- Environment: built, not inherited. ----------------------------------------
W2="$T/w2"
mkdir -p "$W2"
cat >"$W2/env.json" <<EOF
{"workflow_id": 2, "name": "env", "actors": [
 {"actor_id": 200, "name": "w2-env", "type": "script", "script": "$REPO/tests/data/scripts/env.sh",
  "config": {"env": ["MY_SETTING", "PGPASSWORD", "SECRET_X", "UNSET_ONE", "MY_PASSPHRASE", "SENTRY_DSN",
                     "http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "MY_URL", "MY_PLAIN_URL"]}}],
 "conversations": [{"conversation_id": 200, "name": "env", "actor": "w2-env", "terminal": true,
  "instruction": {"template": "{}"}}]}
EOF
# The script writes into its working directory, the workflow's.
cp "$REPO/tests/data/scripts/env.sh" "$W2/env.sh"
sed -i "s|$REPO/tests/data/scripts/env.sh|env.sh|" "$W2/env.json"
run_wr load "$W2/env.json"
check_eq "a workflow listing secret names loads" "$STATUS" 0
check_contains "... with a warning naming them" "$OUT$ERR" \
	"config 'env' lists PGPASSWORD, which is never passed to scripts"
check_contains "... each of them" "$OUT$ERR" "config 'env' lists SECRET_X, which is never passed"
check_contains "... a passphrase too" "$OUT$ERR" "config 'env' lists MY_PASSPHRASE, which is never passed"
check_contains "... and a DSN" "$OUT$ERR" "config 'env' lists SENTRY_DSN, which is never passed"
wr start --workflow 2 >/dev/null
env PGPASSWORD=pg-secret OPENAI_API_KEY=sk-secret SECRET_X=x-secret DATABASE_URL=postgres://u:p@h/db \
	WAVERUNNER_PG=host=h MY_SETTING=visible NOT_LISTED=hidden LC_ALL=C \
	MY_PASSPHRASE=correct-horse SENTRY_DSN=https://abc123@o1.ingest.example/42 \
	http_proxy=http://proxyuser:proxypw@proxy.example:3128 https_proxy=http://proxy.example:3128 \
	ftp_proxy=proxyuser:proxypw@proxy.example:2121 \
	HTTP_PROXY=http://proxy.example:3128 ALL_PROXY=socks5://proxy.example:1080 no_proxy=localhost,127.0.0.1 \
	MY_URL=postgres://app:dbpw@db.example/x MY_PLAIN_URL=https://api.example/v1?user=a@b \
	USER=tester LOGNAME=tester TERM=dumb LANGUAGE=de \
	"$WAVERUNNER" run --quiet >"$T/env-run.out" 2>&1
check_eq "run with secrets in its environment ends normally" "$?" 0
check_eq "the env script ran" "$(conv_field 200 status)" "completed"
envout=$(cat "$W2/env.out" 2>/dev/null)
for v in PGPASSWORD OPENAI_API_KEY SECRET_X DATABASE_URL WAVERUNNER_PG NOT_LISTED UNSET_ONE; do
	check_not_contains "the script does not see $v" "$envout" "$v="
done
check_contains "it sees a listed variable" "$envout" "MY_SETTING=visible"
# The allow-list: names that look like secrets and URLs with credentials are
# never passed, even when listed; proxy variables only when listed.
envlines="
$envout"
for v in MY_PASSPHRASE SENTRY_DSN http_proxy ftp_proxy HTTP_PROXY ALL_PROXY MY_URL; do
	check_not_contains "the script does not see $v" "$envlines" "
$v="
done
check_not_contains "no credentials reach it at all" "$envout" "proxypw"
check_not_contains "... nor the DSN's key" "$envout" "abc123"
check_contains "a listed proxy without credentials passes" "$envlines" "
https_proxy=http://proxy.example:3128"
check_contains "... and a listed no_proxy" "$envlines" "
no_proxy=localhost,127.0.0.1"
check_contains "a listed URL whose @ is not in its host part passes" "$envlines" "
MY_PLAIN_URL=https://api.example/v1?user=a@b"
for v in USER=tester LOGNAME=tester TERM=dumb LANGUAGE=de; do
	check_contains "it sees ${v%%=*}" "$envlines" "
$v"
done
check_contains "it sees LC_*" "$envout" "LC_ALL=C"
check_contains "it sees PATH" "$envout" "PATH="
check_contains "it sees its interaction id" "$envout" "WAVERUNNER_INTERACTION_ID=$(conv_field 200 interaction_id)"
check_contains "it sees its run id" "$envout" "WAVERUNNER_RUN_ID=$(conv_field 200 workflow_run_id)"
check_contains "it sees its workflow and conversation" "$envout" "WAVERUNNER_CONVERSATION_ID=200"
check_contains "it sees the database, as an absolute path" "$envout" "WAVERUNNER_DB=$(cd "$(dirname "$DB")" && pwd -P)/test.db"
check_not_contains "no posting: no WAVERUNNER_POSTING_ID" "$envout" "WAVERUNNER_POSTING_ID="
check_eq "it runs in the workflow file's directory" "$(cat "$W2/pwd.out" 2>/dev/null)" "$(cd "$W2" && pwd -P)"

# --- Concurrency limit: --scripts 2 with four slow scripts. --------------------
W3="$T/w3"
mkdir -p "$W3"
cp -p "$REPO/tests/data/scripts/route.sh" "$REPO/tests/data/scripts/slow.sh" "$W3/"
cat >"$W3/fan.json" <<'EOF'
{"workflow_id": 3, "name": "fan", "actors": [
 {"actor_id": 300, "name": "w3-route", "type": "script", "script": "route.sh"},
 {"actor_id": 301, "name": "w3-slow", "type": "script", "script": "slow.sh"}],
 "conversations": [
 {"conversation_id": 300, "name": "fan", "actor": "w3-route", "instruction": {"template": "{\"status\": \"[GO]\"}"},
  "rules": [{"condition": "*", "next": 301}, {"condition": "*", "next": 302},
            {"condition": "*", "next": 303}, {"condition": "*", "next": 304}]},
 {"conversation_id": 301, "name": "s1", "actor": "w3-slow", "terminal": true, "instruction": {"template": "{}"}},
 {"conversation_id": 302, "name": "s2", "actor": "w3-slow", "terminal": true, "instruction": {"template": "{}"}},
 {"conversation_id": 303, "name": "s3", "actor": "w3-slow", "terminal": true, "instruction": {"template": "{}"}},
 {"conversation_id": 304, "name": "s4", "actor": "w3-slow", "terminal": true, "instruction": {"template": "{}"}}]}
EOF
wr load "$W3/fan.json" >/dev/null && wr start --workflow 3 >/dev/null
run_wr run --quiet --scripts 2 --workflow 3
check_eq "four slow scripts completed" \
	"$(sql "SELECT count(*) FROM interactions WHERE conversation_id BETWEEN 301 AND 304 AND status = 'completed'")" 4
peak=$(sort -n "$W3/counts" 2>/dev/null | tail -n 1)
check_eq "at most 2 ran at once (--scripts 2)" "$([ "${peak:-9}" -le 2 ] && echo yes || echo "no: $peak")" yes
check_eq "... and 2 did run at once" "$peak" 2

# --- A hung script does not hold up model calls or other scripts. --------------
W4="$T/w4"
mkdir -p "$W4"
cp -p "$REPO/tests/data/scripts/route.sh" "$REPO/tests/data/scripts/hang.sh" "$REPO/tests/data/scripts/echo.sh" "$W4/"
cat >"$W4/hang.json" <<'EOF'
{"workflow_id": 4, "name": "hang", "actors": [
 {"actor_id": 400, "name": "w4-route", "type": "script", "script": "route.sh"},
 {"actor_id": 401, "name": "w4-hang", "type": "script", "script": "hang.sh"},
 {"actor_id": 402, "name": "test-model", "type": "ai_model", "config": {"temperature": 0, "seed": 42}},
 {"actor_id": 403, "name": "w4-echo", "type": "script", "script": "echo.sh"}],
 "conversations": [
 {"conversation_id": 400, "name": "fan", "actor": "w4-route", "instruction": {"template": "{\"status\": \"[GO]\"}"},
  "rules": [{"condition": "*", "next": 401}, {"condition": "*", "next": 402}]},
 {"conversation_id": 401, "name": "hang", "actor": "w4-hang", "terminal": true, "timeout_seconds": 300,
  "max_attempts": 1, "instruction": {"template": "{}"}},
 {"conversation_id": 402, "name": "ask", "actor": "test-model", "instruction": {"template": "Say done."},
  "rules": [{"condition": "[DONE]", "next": 403}]},
 {"conversation_id": 403, "name": "after", "actor": "w4-echo", "terminal": true,
  "instruction": {"template": "{\"answer\": \"{conversation_402_output}\"}"}}]}
EOF
fixture=$("$TOOLS/replay-key" "$T/replay" "$W4/hang.json" test-model "Say done.")
mkdir -p "$(dirname "$fixture")"
printf '{"response": "[DONE] as asked"}\n' >"$fixture"
wr load "$W4/hang.json" >/dev/null && wr start --workflow 4 >/dev/null
"$WAVERUNNER" run --quiet --workflow 4 --llm replay --replay-dir "$T/replay" >"$T/hang.out" 2>&1 &
runner=$!
pids="$pids $runner"
after_done() { [ "$(conv_field 403 status)" = completed ]; }
wait_for 60 after_done
check_eq "the model step answered while the script hung" "$(conv_field 402 status)" "completed"
check_eq "... and the script after it ran too" "$(conv_field 403 status)" "completed"
check_eq "... while the hung script was still running" "$(conv_field 401 status)" "running"
check_true "... (its process too)" alive "$(cat "$W4/hang.pid" 2>/dev/null)"
touch "$W4/release"
wait "$runner"
check_eq "released, the runner finishes normally" "$?" 0
check_eq "the hung script then completed" "$(conv_field 401 "status || ' ' || branch_text")" "completed [RELEASED]"
check_eq "the run completed" "$(sql "SELECT status FROM workflow_runs WHERE workflow_id = 4")" "completed"
check_eq "completion order: the model's branch before the hung script" \
	"$(sql "SELECT group_concat(conversation_id, ' ') FROM (SELECT conversation_id FROM interactions
	        WHERE conversation_id IN (401, 402, 403) ORDER BY completed_at, interaction_id)")" "402 403 401"

# --- Interrupted: the script is stopped and its interaction taken back. --------
rm -f "$W4/release" "$W4/hang.pid"
wr start --workflow 4 --again >/dev/null 2>&1 || wr start --workflow 4 >/dev/null
"$WAVERUNNER" run --quiet --workflow 4 --grace 300ms --llm replay --replay-dir "$T/replay" >"$T/int.out" 2>&1 &
runner=$!
pids="$pids $runner"
hang_started() { [ -s "$W4/hang.pid" ]; }
wait_for 60 hang_started
hp=$(cat "$W4/hang.pid" 2>/dev/null)
kill -INT "$runner"
wait "$runner"
check_eq "interrupted run exits with 130" "$?" 130
check_true "the hung script was stopped" wait_for 10 group_gone "$hp"
check_eq "its interaction is pending again, no attempt counted" \
	"$(sql "SELECT status || ' ' || attempts FROM interactions WHERE conversation_id = 401 ORDER BY interaction_id DESC LIMIT 1")" \
	"pending 0"

finish
