/* Unit tests of db-stmt.c: the typed statement helpers db_do, db_get,
 * db_ids, db_first and db_read_rows, against a real SQLite file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbint.h"
#include "err.h"
#include "tap.h"
#include "tmpdir.h"

static const char CREATE[] = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, x REAL, opt INTEGER)";
static const char INSERT[] = "INSERT INTO t (id, name, n, x, opt) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char ONE[] = "SELECT name, n, x, opt, opt IS NULL FROM t WHERE id = ?1";
static const char IDS[] = "SELECT id FROM t WHERE n >= ?1 ORDER BY id";
static const char BAD[] = "INSERT INTO t (id) VALUES (?1)";
static const char ROWS[] = "SELECT id, name FROM t WHERE n >= ?1 ORDER BY id";
/* Fails at run time, on the first row: abs of the smallest integer. */
static const char FAILS[] = "SELECT id, abs((n - n) - 9223372036854775807 - 1) FROM t ORDER BY id";

struct row {
	long id;
	char *name;
	size_t index;
};

static void read_row(sqlite3_stmt *st, void *item, size_t i)
{
	struct row *r = item;
	r->id = (long)sqlite3_column_int64(st, 0);
	r->name = db_col_text(st, 1);
	r->index = i;
}

static void rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
}

/* db_first and db_read_rows (rows 1 "one" n 10, 2 NULL n 20, 3 "three" n 30). */
static void test_rows(struct db *db)
{
	double x = -1;
	sqlite3_stmt *st = NULL;
	is_int(db_first(db, &st, ONE, "L", 3L), SQLITE_ROW, "db_first stops on the row");
	is_str(db_col_str(st, 0), "three", "and leaves it to read");
	char *text = NULL;
	long nl = 0;
	db_columns(st, "T-DL", &text, &x, &nl);
	is_str(text, "three", "db_columns reads the row by signature");
	ok(x == 0 && nl == 0, "skipping a column ('-'); NULL reads as 0");
	free(text);
	sqlite3_reset(st);
	is_int(db_first(db, &st, ONE, "L", 9L), SQLITE_DONE, "db_first: no row is SQLITE_DONE");
	is_int(db_first(db, &st, FAILS, ""), -1, "db_first: an error is -1");

	struct row *rows = NULL;
	size_t n = 0;
	is_int(db_read_rows(db, ROWS, &rows, &n, sizeof *rows, read_row, "i", 20), E_OK, "db_read_rows reads");
	ok(n == 2 && rows[0].id == 2 && !rows[0].name && rows[1].id == 3, "every row, in order");
	is_str(rows[1].name, "three", "a text column, copied");
	ok(rows[0].index == 0 && rows[1].index == 1, "read gets each element's index");
	is_int(db_read_rows(db, ROWS, &rows, &n, sizeof *rows, read_row, "i", 30), E_OK, "db_read_rows again");
	ok(n == 3 && rows[2].id == 3 && rows[2].index == 2, "appends to what the array holds");
	rows_free(rows, n);
	rows = NULL;
	n = 0;
	is_int(db_read_rows(db, ROWS, &rows, &n, sizeof *rows, read_row, "i", 99), E_OK, "no rows");
	ok(n == 0 && !rows, "none: the array stays NULL");
	is_int(db_read_rows(db, FAILS, &rows, &n, sizeof *rows, read_row, ""), E_DB, "a failing row is E_DB");
	rows_free(rows, n);
}

int main(void)
{
	char path[600];
	if (tmp_file("test-dbstmt", "t.db", path, sizeof path) < 0)
		return 1;
	struct db *db;
	ok(db_open(path, DB_CREATE, &db) == E_OK, "a new database opens");
	ok(db_exec(db, CREATE) == E_OK, "a table");

	ok(db_do(db, INSERT, "LTiDl", 1L, "one", 10, 1.5, 7L) == E_OK, "db_do inserts a row");
	ok(db_do(db, INSERT, "LTiDl", 2L, (const char *)NULL, 20, 2.5, 0L) == E_OK, "NULL text, 'l' 0 as NULL");
	ok(db_do(db, INSERT, "LTi-", 3L, "three", 30) == E_OK, "'-' binds NULL and takes no argument");

	char *name = NULL;
	int n = 0, opt_null = -1;
	double x = 0;
	long opt = 0;
	is_int(db_get(db, ONE, "L", "TiDLi", 1L, &name, &n, &x, &opt, &opt_null), SQLITE_ROW, "db_get finds row 1");
	is_str(name, "one", "a text column, copied");
	is_int(n, 10, "an int column");
	ok(x == 1.5, "a real column");
	is_int(opt, 7, "a long column");
	is_int(opt_null, 0, "'l' with a value binds it");
	free(name);
	name = (char *)"untouched";
	is_int(db_get(db, ONE, "L", "T-D-i", 2L, &name, &x, &opt_null), SQLITE_ROW, "'-' skips a column");
	ok(name == NULL, "SQL NULL reads as a NULL string");
	ok(x == 2.5, "the column after a skipped one");
	is_int(opt_null, 1, "'l' with 0 binds NULL");
	name = (char *)"untouched";
	is_int(db_get(db, ONE, "L", "T", 9L, &name), SQLITE_DONE, "no row: SQLITE_DONE");
	is_str(name, "untouched", "no row leaves the outputs as they were");

	long *ids;
	size_t nids;
	ok(db_ids(db, IDS, &ids, &nids, "i", 20) == E_OK && nids == 2 && ids[0] == 2 && ids[1] == 3,
	   "db_ids collects the first column of every row");
	free(ids);
	ok(db_ids(db, IDS, &ids, &nids, "i", 99) == E_OK && nids == 0 && !ids, "db_ids: none is NULL, 0");

	test_rows(db);

	is_int(db_do(db, BAD, "L", 1L), E_DB, "a failing statement is E_DB");
	ok(strstr(err_msg(), "UNIQUE") != NULL, "with SQLite's message: %s", err_msg());
	/* The statement is reset after a failure: the next use works. */
	ok(db_do(db, BAD, "L", 4L) == E_OK, "the same statement works again after a failure");

	db_close(db);
	tmp_remove_db(path);
	return done_testing();
}
