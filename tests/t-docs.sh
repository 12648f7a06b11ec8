#!/bin/sh
# The manual against the program: for every command that `waverunner --help`
# lists, man/waverunner-CMD.1 exists, its SYNOPSIS renders the usage line of
# `waverunner CMD --help`, and its OPTIONS name exactly the long options of
# that help; waverunner.1 lists every command with its summary, the global
# options, and every exit code of src/err.h with its number and meaning; every
# page is lint-clean; and the example of waverunner-workflow.5 loads and runs
# as its text says.
. "$REPO/tests/lib.sh"
MAN="$REPO/man"

if ! command -v mandoc >/dev/null 2>&1; then
	_not_ok "mandoc is installed" "the manual tests need mandoc: install the Debian package mandoc" \
		"(sh tests/install-deps.sh does)"
	finish
	exit 1
fi

BS=$(printf '\b')
# render PAGE: the page as plain text, wide enough that no line wraps.
render() {
	mandoc -T ascii -O width=1000 "$1" 2>/dev/null | if command -v col >/dev/null 2>&1; then
		col -bx
	else
		sed "s/.$BS//g"
	fi
}
# section NAME: the lines of one section of a rendered page on stdin.
section() { awk -v name="$1" '$0 == name { f = 1; next } /^[^ \t]/ { f = 0 } f'; }
# squeeze: all white space, newlines included, as single spaces; trimmed.
squeeze() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }
# long_options: the --long options named in the text on stdin, one per line.
long_options() {
	grep -oE '(^|[^A-Za-z0-9_-])--[a-z][a-z0-9-]*' | sed 's/^[^-]*//' | sort -u
}
# same_options WHAT FROM_HELP FROM_PAGE: both lists name the same options.
same_options() {
	printf '%s\n' "$2" >"$T/a"
	printf '%s\n' "$3" >"$T/b"
	missing=$(comm -23 "$T/a" "$T/b" | grep . | tr '\n' ' ')
	extra=$(comm -13 "$T/a" "$T/b" | grep . | tr '\n' ' ')
	if [ -z "$missing" ] && [ -z "$extra" ]; then
		_ok "$1"
	else
		_not_ok "$1" "in --help but not in the page: ${missing:-none}" \
			"in the page but not in --help: ${extra:-none}"
	fi
}

# --- every page is lint-clean
for page in "$MAN"/*.[1-9]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	status=$?
	check_eq "$(basename "$page") passes mandoc -Tlint -W warning" "$status:$out" "0:"
done

# --- the commands, as waverunner --help lists them
help=$(wr --help)
cmds=$(printf '%s\n' "$help" | awk '/^commands:/ { f = 1; next } /^$/ { f = 0 } f { print $1 }')
check_true "waverunner --help lists commands" test -n "$cmds"

main=$(render "$MAN/waverunner.1")
commands=$(printf '%s\n' "$main" | section COMMANDS | squeeze)
for cmd in $cmds; do
	page="$MAN/waverunner-$cmd.1"
	if [ ! -f "$page" ]; then
		_not_ok "man/waverunner-$cmd.1 exists" "waverunner --help lists '$cmd' but it has no page"
		continue
	fi
	_ok "man/waverunner-$cmd.1 exists"
	text=$(render "$page")
	cmdhelp=$(wr "$cmd" --help)
	check_eq "waverunner $cmd --help succeeds" "$?" "0"

	usage=$(printf '%s\n' "$cmdhelp" | sed -n 's/^usage: waverunner \[--db FILE\] \[--json\] //p' | squeeze)
	check_true "waverunner $cmd --help has a usage line" test -n "$usage"
	check_contains "waverunner-$cmd.1: SYNOPSIS shows the usage of --help" \
		" $(printf '%s\n' "$text" | section SYNOPSIS | squeeze) " " waverunner [--db FILE] [--json] $usage "

	same_options "waverunner-$cmd.1: OPTIONS names the long options of --help, and no others" \
		"$(printf '%s\n' "$cmdhelp" | long_options)" \
		"$(printf '%s\n' "$text" | section OPTIONS | long_options)"

	summary=$(printf '%s\n' "$help" | awk -v c="$cmd" '$1 == c { $1 = ""; print }' | squeeze)
	check_contains "waverunner.1: COMMANDS has $cmd with its summary" " $commands " " $cmd $summary"
	check_contains "waverunner.1: COMMANDS points to waverunner-$cmd(1)" "$commands" "waverunner-$cmd(1)"
	check_contains "waverunner-$cmd.1: NAME is waverunner-$cmd" \
		"$(printf '%s\n' "$text" | section NAME | squeeze)" "waverunner-$cmd - "
done

# --- a page for a command that is not there
for page in "$MAN"/waverunner-*.1; do
	cmd=$(basename "$page" .1)
	cmd=${cmd#waverunner-}
	check_true "waverunner-$cmd.1 documents a command waverunner --help lists" \
		sh -c 'printf "%s\n" "$1" | grep -qxF "$2"' sh "$cmds" "$cmd"
done

# --- waverunner.1: global options and exit status
check_contains "waverunner.1: SYNOPSIS" "$(printf '%s\n' "$main" | section SYNOPSIS | squeeze)" \
	"waverunner [--db FILE] [--json] COMMAND [ARGS]"
same_options "waverunner.1: GLOBAL OPTIONS names the options of waverunner --help, and no others" \
	"$(printf '%s\n' "$help" | sed -n '/^global options:/,$p' | long_options)" \
	"$(printf '%s\n' "$main" | section 'GLOBAL OPTIONS' | long_options)"

exits=$(printf '%s\n' "$main" | section 'EXIT STATUS' | squeeze)
codes=$(sed -n 's|^[[:space:]]*\(E_[A-Z_]*\) = \([0-9]*\),\{0,1\}[[:space:]]*/\* \(.*\) \*/.*|\2 \1: \3|p' "$REPO/src/err.h")
check_true "src/err.h has exit codes" test -n "$codes"
printf '%s\n' "$codes" >"$T/codes"
while IFS= read -r line; do
	check_contains "waverunner.1: EXIT STATUS has ${line%%:*}" " $exits " " $line"
done <"$T/codes"

# --- every waverunner page the pages refer to exists
for page in "$MAN"/*.[1-9]; do
	missing=""
	for ref in $(render "$page" | grep -oE 'waverunner-[a-z]+\([1-9]\)' | sort -u); do
		name=${ref%(*}
		sec=${ref#*(}
		sec=${sec%)}
		[ -f "$MAN/$name.$sec" ] || missing="$missing $ref"
	done
	check_eq "$(basename "$page"): every waverunner page it refers to exists" "${missing:-none}" "none"
done

# --- the example of waverunner-workflow.5 validates, loads and runs as it says
render "$MAN/waverunner-workflow.5" | section EXAMPLES |
	awk '/^     \{$/ { f = 1 } f { print } f && /^     \}$/ { exit }' | sed 's/^     //' >"$T/summaries.json"
run_wr init
run_wr validate "$T/summaries.json"
check_eq "the example workflow of waverunner-workflow.5 validates clean" "$STATUS:$OUT" \
	"0:$T/summaries.json: workflow 10 'Summaries': 0 errors, 0 warnings"
run_wr load "$T/summaries.json" "$REPO/tests/data/postings.json"
check_eq "... and loads" "$STATUS" "0"
first=$(sql "SELECT min(posting_id) FROM postings WHERE length(job_description) > 0")
second=$(sql "SELECT min(posting_id) FROM postings WHERE length(job_description) > 0 AND posting_id > $first")
wr start --workflow 10 "$first" "$second" >/dev/null
summary="Role: data engineer. Builds and runs the data pipelines of a bank; Python, SQL, Spark."
cat >"$T/answers.json" <<EOF
{"$first": {"101": "$summary", "102": "[PASS] accurate"},
 "$second": {"101": "$summary", "102": "[FAIL] invented facts", "103": "$summary"}}
EOF
"$TOOLS/answer-run" "$DB" "$T/answers.json" >"$T/answer.out" 2>&1
check_eq "... a [PASS] saves the summary" \
	"$(sql "SELECT extracted_summary IS NOT NULL FROM postings WHERE posting_id = $first")" "1"
check_eq "... a [FAIL] improves at most twice, then ends the run, completed, without a summary" \
	"$(sql "SELECT group_concat(conversation_id, ' ') FROM (SELECT conversation_id FROM interactions
	        WHERE posting_id = $second ORDER BY execution_order, interaction_id)") $(sql "SELECT status
	        FROM workflow_runs WHERE posting_id = $second") $(sql "SELECT extracted_summary IS NULL
	        FROM postings WHERE posting_id = $second")" \
	"101 102 103 102 103 102 completed 1"

finish
