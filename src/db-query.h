/* db-query.h: the read-only SQL a sql_query step runs, and its check. */
#ifndef db_query_h
#define db_query_h

struct db;

/* Named parameters a query may use: :posting_id, :workflow_run_id,
 * :workflow_id, :interaction_id. */
struct query_params {
	long posting_id;
	long workflow_run_id;
	long workflow_id;
	long interaction_id;
};

/* Runs one read-only statement and returns the first column of its first row:
 * *has_row 0 when it returned none, *value NULL for SQL NULL (else a new string).
 * Returns 0, or -1 with *error (caller frees) when the SQL is not a single
 * read-only statement or fails. Never an E_DB: the error is the step's. */
int db_query_scalar(struct db *db, const char *sql, const struct query_params *p, char **value,
		    int *has_row, char **error);

/* Checks, without running it, that sql is what db_query_scalar accepts: one
 * statement that only reads, compiles against this binary's schema and uses
 * only the parameters above. Returns 0, or -1 with *error (caller frees). */
int db_query_check(const char *sql, char **error);

#endif
