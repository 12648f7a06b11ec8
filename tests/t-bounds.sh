#!/bin/sh
# t-bounds.sh: bounded resources through the real binary: a model answer over
# the cap (an endless one) fails its step as answer_too_large instead of
# growing memory; \u0000 in a model's stream is refused, not cut short; model
# names longer than any fixed buffer keep their own limits; a database that
# cannot grow (ulimit -f) is an error with a message, and running out of
# memory (ulimit -v) says so and exits 6.
. "$(dirname "$0")/lib.sh"
[ -n "$T" ] && [ -d "$T" ] || { echo "not ok 1 - no test directory"; exit 1; }

. "$REPO/tests/stub-llm.sh"


cat >"$T/one.json" <<'EOF'
{"workflow_id": 8001, "name": "One answer",
 "actors": [{"actor_id": 801, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0}},
            {"actor_id": 802, "name": "mistral:latest", "type": "ai_model", "config": {"system": "Be terse."}}],
 "conversations": [
  {"conversation_id": 81, "name": "Answer", "actor": "qwen2.5:7b", "timeout_seconds": 60, "max_attempts": 3,
   "terminal": true, "instruction": {"template": "Say something about {job_title}."}}]}
EOF
sed -e 's/"actor": "qwen2.5:7b"/"actor": "mistral:latest"/' "$T/one.json" >"$T/one-chat.json"

# api_fresh API STUB_ARGS...: a fresh database whose step API serves
# (generate, chat or openai), and a stub started with STUB_ARGS.
api_fresh() {
	wf="$T/one.json"
	[ "$1" = generate ] || wf="$T/one-chat.json"
	fresh "$wf" 8001 1
	shift
	start_stub "$@"
}
# api_run API ARGS...: run_wr_t ARGS... through API's protocol.
api_run() {
	if [ "$1" = openai ]; then
		shift
		OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" run_wr_t "$@" --llm openai
	else
		shift
		run_wr_t "$@" --llm ollama
	fi
}

# --- An endless answer stops at the cap -----------------------------------------
for api in generate chat openai; do
	api_fresh "$api" --latency-ms 10 --endless 1
	api_run "$api" --json run --max-answer 2M
	check_eq "$api: an endless answer ends the run (exit 0, the step failed)" "$STATUS" 0
	check_eq "$api: the step failed as answer_too_large, once (not retried)" \
		"$(sql "SELECT failure_class || '|' || attempts || '|' || status FROM interactions")" \
		"answer_too_large|1|failed"
	check_contains "$api: the error names the cap and the option" \
		"$(sql "SELECT error_message FROM interactions")" "is larger than 2097152 bytes (run --max-answer)"
	echo "# $api: peak RSS of the run with an endless answer and --max-answer 2M:" \
		"$(printf '%s' "$OUT" | sed -n 's/.*"max_rss_kb":\([0-9]*\).*/\1/p') kB"
done
run_wr run --max-answer 2X
check_eq "--max-answer needs a size" "$STATUS:$(printf '%s\n' "$ERR" | head -n 1)" \
	"2:waverunner: run: --max-answer needs a size such as 16M, not '2X'"

# An answer under the cap is whole.
fresh "$T/one.json" 8001 1
start_stub --latency-ms 10
run_wr_t run --llm ollama --max-answer 1K
check_eq "an answer under the cap completes" "$(sql "SELECT status FROM interactions")" completed
fresh "$T/one.json" 8001 1
run_wr_t run --llm ollama --max-answer 100
check_eq "the same answer over a cap of 100 bytes fails" "$(sql "SELECT failure_class FROM interactions")" \
	answer_too_large

# --- \u0000 in the stream --------------------------------------------------------
for api in generate chat openai; do
	api_fresh "$api" --latency-ms 10 --nul 1
	api_run "$api" run
	check_eq "$api: \\u0000 in the answer fails the step, nothing stored cut short" \
		"$(sql "SELECT failure_class || '|' || status || '|' || coalesce(output, 'NULL') FROM interactions")" \
		"invalid_output|failed|NULL"
	case $api in
	generate) where="line 1, byte 17" ;;
	chat) where="line 1, byte 46" ;;
	openai) where="the data of the event that ends at line 4, byte 47" ;;
	esac
	check_contains "$api: the error says where" "$(sql "SELECT error_message FROM interactions")" \
		"refused: $where of the stream holds \\u0000 (a NUL character)"
done

# --- \u0000 in the JSON a model wrote ---------------------------------------------
cat >"$T/skills.json" <<'EOF'
{"workflow_id": 8004, "name": "Skills",
 "actors": [{"actor_id": 841, "name": "qwen2.5:7b", "type": "ai_model"},
            {"actor_id": 842, "name": "skills_saver", "type": "builtin", "config": {"builtin": "save_skills"}}],
 "conversations": [
  {"conversation_id": 841, "name": "Extract", "actor": "qwen2.5:7b", "order": 1,
   "instruction": {"template": "Skills of {job_title}"},
   "rules": [{"condition": "*", "next": 842, "priority": 1}]},
  {"conversation_id": 842, "name": "Save", "actor": "skills_saver", "order": 2, "terminal": true,
   "instruction": {"template": "{\"skills\": \"{conversation_841_output}\"}"}}]}
EOF
printf '{"*": {"841": "[\\"Py\\\\u0000thon\\", \\"SQL\\"]"}}' >"$T/answers-nul.json"
fresh "$T/skills.json" 8004 1
start_stub --latency-ms 10 --answers "$T/answers-nul.json"
run_wr_t run --llm ollama
check_eq "skills JSON holding \\u0000: no skills saved cut short" \
	"$(sql "SELECT coalesce(skill_keywords, 'NULL') FROM postings")" "NULL"
check_contains "skills JSON holding \\u0000: the save fails saying where" \
	"$(sql "SELECT error_message FROM interactions WHERE conversation_id = 842")" \
	"its JSON holds \\u0000 (a NUL character) at line 1, column 5"

# --- Long model names keep their own limits -------------------------------------
# Two workflows, one model each; the names share their first 300 characters.
long=$(printf 'm%0300d' 0)
for m in a b; do
	id=8002
	[ $m = a ] || id=8003
	cat >"$T/long-$m.json" <<EOF
{"workflow_id": $id, "name": "Long name $m",
 "actors": [{"actor_id": $id, "name": "${long}:$m", "type": "ai_model"}],
 "conversations": [{"conversation_id": $id, "name": "Ask", "actor": "${long}:$m", "terminal": true,
   "instruction": {"template": "$m {job_title}"}}]}
EOF
done
rm -f "$DB" "$DB-wal" "$DB-shm"
postings 3
wr init >/dev/null && wr load "$T/long-a.json" "$T/long-b.json" "$T/postings.json" >/dev/null &&
	wr start --workflow 8002 --all >/dev/null && wr start --workflow 8003 --all >/dev/null
start_stub --latency-ms 300 --slots 4 --models "${long}:a,${long}:b"
run_wr_t run --llm ollama --loaded-models 2 --per-model 1
check_eq "long names: the runs complete" "$(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")" 6
check_eq "long names: each model had one request open at a time (--per-model 1), the two at once" \
	"$(stat "by_model.\"${long}:a\".peak_concurrency") $(stat "by_model.\"${long}:b\".peak_concurrency") $(stat peak_concurrency)" \
	"1 1 2"

# --- A database that cannot grow --------------------------------------------------
postings 3000
rm -f "$DB" "$DB-wal" "$DB-shm"
wr init >/dev/null
size=$(($(wc -c <"$DB") / 512 + 400)) # room for 200 kB more
(ulimit -f "$size" && exec "$WAVERUNNER" load "$T/postings.json") >"$T/out" 2>"$T/err"
STATUS=$?
check_eq "ulimit -f: load exits 4 (a database error), not killed by SIGXFSZ" "$STATUS" 4
check_contains "ulimit -f: with a message" "$(cat "$T/err")" "waverunner: load: "
check_eq "ulimit -f: the database is intact and holds nothing of the load" \
	"$(sql "PRAGMA integrity_check"; sql "SELECT count(*) FROM postings")" "ok
0"

# A run that grows the database past the limit stops with a database error;
# the next run, without the limit, finishes the work.
fresh "$T/one.json" 8001 1500
start_stub --latency-ms 1 --slots 8
size=$(($(wc -c <"$DB") / 512 + 100)) # room for 50 kB more
(ulimit -f "$size" && exec timeout 120 "$WAVERUNNER" run --llm ollama --per-model 8) >"$T/out" 2>"$T/err"
STATUS=$?
check_eq "ulimit -f: run exits 4, not killed by SIGXFSZ" "$STATUS" 4
check_contains "ulimit -f: run says why" "$(cat "$T/err")" "waverunner: run: database "
check_eq "ulimit -f: the database is intact" "$(sql "PRAGMA integrity_check")" ok
run_wr_t run --llm ollama --per-model 8
check_eq "ulimit -f: a run without the limit finishes the work" \
	"$STATUS $(sql "SELECT count(*) FROM interactions WHERE status = 'completed'")" "0 1500"

# --- Out of memory ----------------------------------------------------------------
# ASan reserves terabytes of address space: ulimit -v cannot be used under it.
if [ "${SANITIZE:-}" != 1 ]; then
	rm -f "$DB" "$DB-wal" "$DB-shm"
	wr init >/dev/null
	postings 200000 # about 40 MB of JSON: its tree needs several times that
	(ulimit -v 150000 && exec "$WAVERUNNER" load "$T/postings.json") >"$T/out" 2>"$T/err"
	STATUS=$?
	check_eq "ulimit -v: out of memory exits 6 with the message" "$STATUS:$(cat "$T/err")" \
		"6:waverunner: load: out of memory"
	check_eq "ulimit -v: the database is intact" "$(sql "PRAGMA integrity_check"; sql "SELECT count(*) FROM postings")" \
		"ok
0"
fi

finish
