/* stored-sql: runs SQL against a waverunner database the way sqlite3 -batch
 * -noheader -separator '|' does, on a connection opened by waverunner, so
 * that stored_text() (src/db-texts.c) is there: a test reads the exact
 * request of an interaction with stored_text(input).
 *
 *   stored-sql DB SQL
 *
 * Every statement of SQL runs in turn; each row is printed on a line, its
 * columns separated by '|', NULL as nothing. */
#include <stdio.h>

#include "dbint.h"
#include "err.h"

static int run(struct db *db, const char *sql)
{
	const char *tail = sql;
	while (tail && *tail) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db->sql, tail, -1, &st, &tail) != SQLITE_OK) {
			fprintf(stderr, "stored-sql: %s\n", sqlite3_errmsg(db->sql));
			return 1;
		}
		if (!st)
			continue;
		int rc, n = sqlite3_column_count(st);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int i = 0; i < n; i++) {
				if (i)
					putchar('|');
				fwrite(sqlite3_column_blob(st, i), 1, (size_t)sqlite3_column_bytes(st, i), stdout);
			}
			putchar('\n');
		}
		if (rc != SQLITE_DONE)
			fprintf(stderr, "stored-sql: %s\n", sqlite3_errmsg(db->sql));
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: stored-sql DB SQL\n");
		return 2;
	}
	struct db *db;
	if (db_open(argv[1], 0, &db)) {
		fprintf(stderr, "stored-sql: %s\n", err_msg());
		return 1;
	}
	int rc = run(db, argv[2]);
	db_close(db);
	return rc;
}
