/* dbint.h: what the db-*.c modules share: the connection, the statement cache
 * and binding helpers. Only src/db*.c include this file. */
#ifndef dbint_h
#define dbint_h

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct db_cached_stmt {
	const char *sql; /* the key: the address of a static SQL string */
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *sql;
	char *path;
	struct db_cached_stmt *cache;
	size_t ncache;
	size_t cache_cap;
	int in_transaction;
	int query_authorizer;  /* db-query.c's authorizer is installed */
	void *query_guard;     /* set while a sql_query statement compiles */
};

/* Returns the prepared statement for the static string sql (prepared once per
 * connection, reset and with bindings cleared), or NULL with err set (E_DB). */
sqlite3_stmt *db_prepare(struct db *db, const char *sql);
/* Runs SQL without parameters (may hold several statements). */
int db_exec(struct db *db, const char *sql);
/* Steps st: returns SQLITE_ROW or SQLITE_DONE, or -1 with err set. */
int db_step(struct db *db, sqlite3_stmt *st);
/* Steps st to completion (for statements that return no rows): E_OK or E_DB. */
int db_run(struct db *db, sqlite3_stmt *st);
/* Records the connection's error as E_DB with a context prefix; returns E_DB. */
int db_error(struct db *db, const char *context);

/* Steps a prepared and bound statement to its end, collecting the integer in
 * its first column of each row into *ids (caller frees; NULL when none).
 * E_OK or E_DB. */
int db_collect_ids(struct db *db, sqlite3_stmt *st, long **ids, size_t *n);

/* A row as a JSON object (cJSON, from <cJSON.h>): the keys are the query's
 * column names (its AS aliases), the values follow the column's type, SQL NULL
 * is null. A column named "NAME_json" holds JSON text and appears, parsed, as
 * NAME. */
struct cJSON *db_row_object(sqlite3_stmt *st);
/* Steps st (prepared and bound) to its end, appending each row to array. */
int db_rows_into(struct db *db, sqlite3_stmt *st, struct cJSON *array);
/* The one row of st (prepared and bound) as an object; NULL with *rc set when
 * there is none (E_INPUT: "there is no WHAT ID") or on an error (E_DB). */
struct cJSON *db_row_one(struct db *db, sqlite3_stmt *st, const char *what, long id, int *rc);

struct migration;
/* Applies the migrations of list ({ 0, NULL, NULL }-terminated, in version
 * order) newer than the database's PRAGMA user_version, each in a transaction
 * of its own with its version. A database newer than the list's last is
 * refused. E_OK, or E_DB with the database at the version of the last one
 * that succeeded. db_open applies schema_migrations; tests give other lists. */
int db_migrate(struct db *db, const struct migration *list);

/* Typed statement helpers, in the spirit of pkg's SQL signatures: sql is a
 * static string (the statement cache's key); in names the parameters that
 * follow, one letter each, bound as ?1, ?2, ...: 'L' long, 'l' long bound as
 * NULL when 0, 'i' int, 'T' text (NULL binds NULL), 'D' double, '-' NULL (no
 * argument). out names the
 * columns of the row, read into the pointers that follow the parameters: 'L'
 * long *, 'i' int *, 'T' char ** (a new copy, NULL for NULL), 'D' double *,
 * '-' a column skipped. */
/* A statement that returns no rows: E_OK or E_DB. */
int db_do(struct db *db, const char *sql, const char *in, ...);
/* At most one row: SQLITE_ROW with out filled, SQLITE_DONE with out
 * untouched, or -1 with err set; the statement is reset either way. */
int db_get(struct db *db, const char *sql, const char *in, const char *out, ...);
/* The integers of the first column of every row into *ids (caller frees;
 * NULL when none): E_OK or E_DB. */
int db_ids(struct db *db, const char *sql, long **ids, size_t *n, const char *in, ...);
/* The statement prepared and bound, for the caller to step (and reset), or
 * NULL with err set (E_DB). */
sqlite3_stmt *db_bound(struct db *db, const char *sql, const char *in, ...);

/* Reads the current row of st from its first column into the pointers that
 * follow, as out names them (the letters of db_get's out). */
void db_columns(sqlite3_stmt *st, const char *out, ...);
/* Steps the statement once: SQLITE_ROW with *st on the row for the caller to
 * read and then sqlite3_reset, SQLITE_DONE (reset), or -1 with err set. */
int db_first(struct db *db, sqlite3_stmt **st, const char *sql, const char *in, ...);
/* Every row: appends an element of size bytes to the array *items (items
 * points to the array pointer; *n elements) for each row, zeroed and then
 * filled by read(st, item, its index). E_OK, or E_DB with the rows read so
 * far in *items (the caller frees). */
int db_read_rows(struct db *db, const char *sql, void *items, size_t *n, size_t size,
		 void (*read)(sqlite3_stmt *st, void *item, size_t i), const char *in, ...);

/* Binding helpers; a NULL string binds SQL NULL. */
void db_bind_text(sqlite3_stmt *st, int idx, const char *s);
void db_bind_int(sqlite3_stmt *st, int idx, int64_t v);
void db_bind_opt_int(sqlite3_stmt *st, int idx, int64_t v, int present);
void db_bind_double(sqlite3_stmt *st, int idx, double v);
/* Binds a named parameter (":name") if the statement has it. */
int db_bind_named_text(sqlite3_stmt *st, const char *name, const char *s);

/* Column helpers: a new copy of a text column, or NULL for SQL NULL (caller frees). */
char *db_col_text(sqlite3_stmt *st, int col);
/* A borrowed text column: "" for NULL; valid until the next step/reset. */
const char *db_col_str(sqlite3_stmt *st, int col);
int db_col_is_null(sqlite3_stmt *st, int col);

#endif
