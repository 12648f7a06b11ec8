# pg.sh: a throwaway PostgreSQL server for the sync tests. Source it after
# lib.sh and call pg_start. The server lives in a temporary directory (initdb),
# listens on a free loopback port with password authentication (scram), and on
# a socket in that directory without one (for the tests' own psql). pg_start
# creates the role $PG_USER with password $PG_PASSWORD and the database turing
# holding turing's tables (schema/postgres/turing.sql), exports WAVERUNNER_PG,
# and stops the server when the test exits. Without the PostgreSQL server
# programs the test fails, naming the package to install.

PG_USER=alice
PG_PASSWORD="Sekr3t-pw-$$"
PG_DIR=""

# The directory holding initdb and pg_ctl: Debian's, newest version first, else PATH.
pg_bindir() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	p=$(command -v initdb 2>/dev/null) || return 1
	d=$(dirname "$p")
	[ -x "$d/pg_ctl" ] || return 1
	echo "$d"
}

# Runs a server program as the owner of the data directory (PostgreSQL refuses root).
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# psql as the superuser, over the socket: pg_psql [DB] -c SQL ... (prints rows unaligned).
pg_psql() {
	db=turing
	case "${1:-}" in -*) ;; *) db=$1; shift ;; esac
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "$db" "$@"
}

pg_server_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 120 start >"$PG_DIR/pg_ctl.log" 2>&1
}

# Stops the server at once, as a crash would (the next start recovers).
pg_server_stop() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 120 stop >>"$PG_DIR/pg_ctl.log" 2>&1
}

pg_cleanup() {
	if [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ]; then
		pg_server_stop || true
	fi
	[ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
	PG_DIR=""
}

pg_fail() {
	echo "not ok - $1"
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/server.log" ] && sed 's/^/#   /' "$PG_DIR/server.log" | tail -20
	exit 1
}

pg_start() {
	PG_BIN=$(pg_bindir) ||
		pg_fail "PostgreSQL server programs (initdb, pg_ctl) not found: install the Debian package postgresql (sh tests/install-deps.sh)"
	[ -x "$PG_BIN/psql" ] || pg_fail "psql not found next to initdb: install the Debian package postgresql"
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		pg_fail "running as root needs the user postgres to run the server (the Debian package postgresql creates it)"
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/waverunner-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
	trap 'pg_cleanup' EXIT
	trap 'exit 1' INT TERM
	PG_PORT=$(free_port)
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --auth-host=scram-sha-256 -E UTF8 \
		--no-locale >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; pg_fail "initdb failed"; }
	cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
# A stop with -m immediate is a crash: committed work must survive it, so
# synchronous_commit stays on; fsync only matters when the machine fails.
fsync = off
full_page_writes = off
max_connections = 30
EOF
	pg_server_start || pg_fail "the PostgreSQL server did not start"
	pg_psql postgres -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" \
		-c "CREATE DATABASE turing OWNER $PG_USER" || pg_fail "cannot create the database turing"
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U "$PG_USER" -d turing \
		-f "$REPO/schema/postgres/turing.sql" >/dev/null || pg_fail "cannot load schema/postgres/turing.sql"
	export WAVERUNNER_PG="host=127.0.0.1 port=$PG_PORT dbname=turing user=$PG_USER password=$PG_PASSWORD"
}
