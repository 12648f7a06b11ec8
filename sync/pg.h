/* pg.h: the PostgreSQL connection of sync: connecting, statements with
 * parameters, transactions and savepoints, a table's columns. sync/pg.c is the
 * only file that uses libpq; no message it records contains a password. */
#ifndef pg_h
#define pg_h

#include <stddef.h>

#include "util.h"

struct pg;
struct pg_res;

/* Connects with conninfo (a libpq keyword string or a postgresql:// URL; NULL:
 * $WAVERUNNER_PG, else "" so that libpq uses the PG* variables and .pgpass).
 * connect_timeout is 10 s and the database turing unless the connection
 * settings name others. E_REMOTE when the server cannot be reached or refuses,
 * E_INPUT when conninfo cannot be read; the message names the server, never
 * the password. */
int pg_connect(const char *conninfo, struct pg **out);
void pg_close(struct pg *pg);
/* "host 127.0.0.1 port 5433 database turing": where pg is connected. */
const char *pg_where(const struct pg *pg);

/* A statement built from fixed SQL fragments and parameters: values only ever
 * travel as parameters, never inside the SQL text. */
struct pg_query {
	struct buf sql;
	const char *params[32];
	int n;
};
void pg_query_init(struct pg_query *q);
void pg_query_release(struct pg_query *q);
void pg_query_sql(struct pg_query *q, const char *fragment);
/* Adds parameter value (NULL: SQL NULL; borrowed until the query runs) and
 * returns its number N; pg_query_param also appends "$N". */
int pg_query_add(struct pg_query *q, const char *value);
int pg_query_param(struct pg_query *q, const char *value);
/* Appends the "$N" of an earlier parameter again. */
void pg_query_ref(struct pg_query *q, int n);

/* Runs a statement (PQexecParams; parameters as text, NULL for SQL NULL). On
 * success *res (if res is not NULL) holds the rows. Returns E_OK; E_REMOTE when
 * the connection is lost; E_INTERRUPT when pg_cancel_running() cancelled it;
 * E_FAIL when the server rejected the statement (the message is the server's). */
int pg_exec(struct pg *pg, const char *sql, int nparams, const char *const *params, struct pg_res **res);
int pg_run(struct pg *pg, const struct pg_query *q, struct pg_res **res);
/* A bigint[] literal of ids, "{1,2,3}", to pass as one parameter (new). */
char *pg_id_array(const long *ids, size_t n);

/* Runs a script of several statements without parameters (PQexec: a fixed
 * script such as schema/postgres/claims.sql, never one built from input). */
int pg_exec_script(struct pg *pg, const char *sql);
size_t pg_rows(const struct pg_res *r);
/* The text of a field; NULL for SQL NULL. Borrowed until pg_res_free. */
const char *pg_get(const struct pg_res *r, size_t row, int col);
void pg_res_free(struct pg_res *r);

/* Transactions. pg_begin_snapshot: one read-only snapshot for several reads. */
int pg_begin(struct pg *pg);
int pg_begin_snapshot(struct pg *pg);
/* E_OK only when the server reports the commit done. */
int pg_commit(struct pg *pg);
void pg_rollback(struct pg *pg);
/* Ends the transaction: commits when rc is E_OK (and returns what the commit
 * returns), else rolls back and returns rc. */
int pg_end(struct pg *pg, int rc);
int pg_savepoint(struct pg *pg);
int pg_release_savepoint(struct pg *pg);
int pg_rollback_to_savepoint(struct pg *pg);

/* The columns of table (resolved like the statements resolve it) and their
 * types as PostgreSQL names them ("jsonb", "timestamp without time zone").
 * E_INPUT if there is no such table. */
struct pg_column {
	char *name;
	char *type;
};
int pg_columns(struct pg *pg, const char *table, struct pg_column **cols, size_t *n);
void pg_columns_free(struct pg_column *cols, size_t n);
/* The type of column name in cols, or NULL when absent. */
const char *pg_column_type(const struct pg_column *cols, size_t n, const char *name);

/* Asks the server to cancel the statement in progress. Safe to call from a
 * signal handler (libpq's PQcancel is). */
void pg_cancel_running(void);

#endif
