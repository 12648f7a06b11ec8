# lib.sh: helpers for the scenario tests (tests/t-*.sh). Source it; then use
# wr (waverunner on the test database), sql, and the check_* functions, which
# print TAP. End with finish.
set -u
: "${WAVERUNNER:?}" "${REPO:?}"
T=$(mktemp -d "${TEST_OUT:-/tmp}/$(basename "$0" .sh).XXXXXX")
export WAVERUNNER_DB="$T/test.db"
DB="$WAVERUNNER_DB"
_n=0
_failed=0

wr() { "$WAVERUNNER" "$@"; }
sql() { sqlite3 -batch -noheader -separator '|' "$DB" "$@"; }
# The same through waverunner's connection, where stored_text() rebuilds an
# interaction's request: ssql "SELECT stored_text(input) FROM interactions".
ssql() { "$TOOLS/stored-sql" "$DB" "$@"; }

_ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
_not_ok() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	echo "not ok $_n - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# check_eq WHAT GOT EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then _ok "$1"; else _not_ok "$1" "got:      $2" "expected: $3"; fi
}
# check_contains WHAT TEXT NEEDLE
check_contains() {
	case "$2" in
	*"$3"*) _ok "$1" ;;
	*) _not_ok "$1" "text:     $(printf '%s' "$2" | head -c 600)" "expected to contain: $3" ;;
	esac
}
check_not_contains() {
	case "$2" in
	*"$3"*) _not_ok "$1" "text:     $(printf '%s' "$2" | head -c 600)" "expected not to contain: $3" ;;
	*) _ok "$1" ;;
	esac
}
# check_true WHAT COMMAND...: passes when the command succeeds.
check_true() {
	what=$1
	shift
	if "$@" >/dev/null 2>&1; then _ok "$what"; else _not_ok "$what" "command failed: $*"; fi
}
# run_wr ARGS...: runs waverunner; sets OUT, ERR and STATUS.
run_wr() {
	"$WAVERUNNER" "$@" >"$T/out" 2>"$T/err"
	STATUS=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
# A free TCP port on the loopback interface.
free_port() { "$TOOLS/free-port"; }
finish() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
