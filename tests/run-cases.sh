#!/bin/sh
# Runs the command-line cases tests/cases/*.test and prints TAP, one line per
# case. The format is described in tests/cases/FORMAT.md.
set -u
: "${WAVERUNNER:?}"
REPO=${REPO:-$(pwd)}
export REPO
n=0
failed=0
base=$(mktemp -d "${TEST_OUT:-/tmp}/cases.XXXXXX")

[ $# -gt 0 ] || set -- "$REPO"/tests/cases/*.test

# Each case has a number of its own, so that "case 0061" names one case.
dups=$(for c in "$REPO"/tests/cases/*.test; do basename "$c" | cut -d- -f1; done | sort | uniq -d | tr '\n' ' ')
n=$((n + 1))
if [ -z "$dups" ]; then
	echo "ok $n - every case has a number of its own"
else
	failed=$((failed + 1))
	echo "not ok $n - every case has a number of its own"
	echo "#   numbers used twice: $dups"
fi

for case in "$@"; do
	[ -f "$case" ] || continue
	n=$((n + 1))
	id=$(basename "$case" .test)
	T="$base/$id"
	S="$T/sections"
	W="$T/work"
	mkdir -p "$S" "$W" "$T/bin"
	ln -s "$WAVERUNNER" "$T/bin/waverunner"
	awk -v dir="$S" '
		/^\[[a-z][A-Za-z0-9_:.~!\/-]*\]$/ {
			sec = substr($0, 2, length($0) - 2)
			gsub(/[^A-Za-z0-9_.~!-]/, "_", sec)
			out = dir "/" sec
			printf "" > out
			next
		}
		out != "" { print >> out }
	' "$case"
	name=$id
	[ -f "$S/name" ] && name="$id: $(head -n 1 "$S/name")"
	problems=""
	note() { problems="$problems
#   $1"; }

	for f in "$S"/file_*; do
		[ -f "$f" ] || continue
		target="$W/${f##*/file_}"
		mkdir -p "$(dirname "$target")"
		cp "$f" "$target"
	done
	(
		cd "$W" || exit 1
		export PATH="$T/bin:$PATH" WAVERUNNER_DB="$W/test.db" T W
		if [ -f "$S/setup" ]; then
			sh -e "$S/setup" >"$T/setup.out" 2>&1 || { echo "setup failed" >"$T/setup.failed"; exit 0; }
		fi
		sh "$S/cmd" >"$T/stdout" 2>"$T/stderr"
		echo $? >"$T/status"
	)
	if [ -f "$T/setup.failed" ]; then
		note "setup failed:"
		while IFS= read -r line; do note "  $line"; done <"$T/setup.out"
	else
		want=0
		[ -f "$S/exit" ] && want=$(head -n 1 "$S/exit")
		got=$(cat "$T/status")
		[ "$got" = "$want" ] || note "exit status $got, expected $want"
		for stream in stdout stderr; do
			if [ -f "$S/$stream" ] && ! cmp -s "$S/$stream" "$T/$stream"; then
				note "$stream differs:"
				diff "$S/$stream" "$T/$stream" | head -n 20 | while IFS= read -r l; do echo "#     $l"; done >"$T/diff"
				problems="$problems
$(cat "$T/diff")"
			fi
			if [ -f "$S/$stream~" ]; then
				while IFS= read -r line; do
					[ -n "$line" ] || continue
					grep -qF -- "$line" "$T/$stream" || note "$stream lacks: $line"
				done <"$S/$stream~"
			fi
			if [ -f "$S/$stream!" ]; then
				while IFS= read -r line; do
					[ -n "$line" ] || continue
					grep -qF -- "$line" "$T/$stream" && note "$stream should not contain: $line"
				done <"$S/$stream!"
			fi
		done
		if [ -f "$S/sql" ]; then
			sqlite3 -batch -noheader -separator '|' "$W/test.db" <"$S/sql" >"$T/rows" 2>&1
			if ! cmp -s "$S/rows" "$T/rows"; then
				note "database rows differ:"
				problems="$problems
$(diff "$S/rows" "$T/rows" | head -n 20 | sed 's/^/#     /')"
			fi
		fi
		if [ -n "$problems" ]; then
			problems="$problems
#   stderr was: $(head -c 400 "$T/stderr" | tr '\n' ' ')"
		fi
	fi
	if [ -z "$problems" ]; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name$problems"
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
