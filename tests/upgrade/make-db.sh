#!/bin/sh
# make-db.sh: makes one of the databases in tests/upgrade/ with the waverunner
# of an old commit, left as a user of that version would leave it: workflow
# 3001 and the fixture postings loaded, runs started for five postings, some
# of their interactions completed (replayed responses), others pending, and
# two left running by a process killed while it waited for a model server.
# A commit whose waverunner has no start and run (1891a09) stops after load.
# t-upgrade.sh opens each database with the current waverunner and runs it
# to the end.
#
# Usage, from the top directory of a clone (needs git, make, sqlite3):
#   sh tests/upgrade/make-db.sh COMMIT tests/upgrade/vN-COMMIT.sqlite
# The commit is built from `git archive` in a temporary directory (no
# worktree, nothing in the clone changes but the database written). After a
# new migration ships, make one with the commit that ships it (schema/README.md).
#
# The databases here, each named by its schema version and commit:
#   v1-1891a09.sqlite  the first 0001-init.sql (1891a09 had only init and load)
#   v1-6c30308.sqlite  the first 0001-init.sql, by the last commit before eb1866a
#   v1-eb1866a.sqlite  0001-init.sql as eb1866a edited it (no 0002 yet)
#   v2-cdfb99b.sqlite  0001 and 0002, by the commit that added 0002
#   v3-a2d051a.sqlite  0001 to 0003 (the events table with any kind of event)
#   v8-0af2f44.sqlite  0001 to 0008 (0004 and 0005 were never used)
#   v10-2c8736f.sqlite 0001 to 0010 (requests stored once per piece; status counts)
set -eu
[ $# -eq 2 ] || { echo "usage: sh tests/upgrade/make-db.sh COMMIT OUTPUT.sqlite" >&2; exit 2; }
commit=$1
out=$2
POSTINGS="10001 10004 10009 10014 10015"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-db.XXXXXX")
stub=
trap 'if [ -n "$stub" ]; then kill "$stub" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git archive "$commit" | tar -x -C "$tmp/src"
make -s -C "$tmp/src" waverunner >/dev/null
W="$tmp/src/waverunner"
DB="$tmp/db"
wr() { "$W" --db "$DB" "$@"; }

# From inside the tree, so that the paths it stores say nothing of this machine.
cd "$tmp/src"
wr init
wr load fixtures/workflows/3001.json
# 1891a09 had no fixture postings yet: it loads today's (the same file since).
if [ -f fixtures/postings/postings.json ]; then
	wr load fixtures/postings/postings.json
else
	wr load "$OLDPWD/fixtures/postings/postings.json"
fi
if "$W" --help | grep -q '^  *start '; then
	args=
	for p in $POSTINGS; do args="$args --posting $p"; done
	# shellcheck disable=SC2086
	wr start --workflow 3001 $args
	wr run --llm replay --replay-dir fixtures/replay --max-interactions 14 --quiet
	# Two interactions running when their process dies: a model server that
	# takes its time, and SIGKILL once both requests are in flight.
	make -s build/rel/tests/stub-llm >/dev/null
	build/rel/tests/stub-llm --port 0 --port-file "$tmp/port" --latency-ms 600000 --slots 4 \
		>/dev/null 2>&1 &
	stub=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	OLLAMA_HOST="127.0.0.1:$(cat "$tmp/port")" "$W" --db "$DB" run --llm ollama --parallel 2 \
		--per-model 2 --quiet >/dev/null 2>&1 &
	run=$!
	i=0
	while [ "$(sqlite3 "$DB" "SELECT count(*) FROM interactions WHERE status = 'running'")" -lt 2 ]; do
		[ $i -lt 400 ] || { echo "make-db.sh: nothing started running" >&2; exit 1; }
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$run"
	wait "$run" 2>/dev/null || true
fi
# The one path stored is where the workflow file was; it names this machine's
# temporary directory, so it becomes the path in the repository.
sqlite3 "$DB" "UPDATE workflows SET source_dir = 'fixtures/workflows';
	PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
cd "$OLDPWD"
cp "$DB" "$out"
sqlite3 "$out" "SELECT 'made $out: schema version ' || (SELECT user_version FROM pragma_user_version) ||
	', interactions ' || coalesce((SELECT group_concat(status || ' ' || n, ', ') FROM
	(SELECT status, count(*) AS n FROM interactions GROUP BY status)), 'none')"
ls -l "$out"
