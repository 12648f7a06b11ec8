/* db-query.c: read-only SQL for sql_query steps, always with bound parameters. */
#include "db-query.h"

#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "util.h"

int db_query_scalar(struct db *db, const char *sql, const struct query_params *p, char **value,
		    int *has_row, char **error)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	*value = NULL;
	*has_row = 0;
	*error = NULL;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, &tail) != SQLITE_OK) {
		*error = xasprintf("the query does not compile: %s", sqlite3_errmsg(db->sql));
		return -1;
	}
	if (!st) {
		*error = xstrdup("the query is empty");
		return -1;
	}
	while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';' || *tail == '\r'))
		tail++;
	if (tail && *tail) {
		*error = xstrdup("the query must be a single statement");
		sqlite3_finalize(st);
		return -1;
	}
	if (!sqlite3_stmt_readonly(st)) {
		*error = xstrdup("the query must only read (it would change the database)");
		sqlite3_finalize(st);
		return -1;
	}
	struct {
		const char *name;
		long value;
	} named[] = {
		{ ":posting_id", p->posting_id },
		{ ":workflow_run_id", p->workflow_run_id },
		{ ":workflow_id", p->workflow_id },
		{ ":interaction_id", p->interaction_id },
	};
	int nparams = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= nparams; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);
		int known = 0;
		for (size_t k = 0; name && k < ARRAY_LEN(named); k++)
			if (!strcmp(name, named[k].name)) {
				sqlite3_bind_int64(st, i, named[k].value);
				known = 1;
			}
		if (!known) {
			*error = xasprintf("the query uses parameter %s; it may use :posting_id, :workflow_run_id, "
					   ":workflow_id and :interaction_id", name ? name : "?");
			sqlite3_finalize(st);
			return -1;
		}
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*has_row = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	} else if (rc != SQLITE_DONE) {
		*error = xasprintf("the query failed: %s", sqlite3_errmsg(db->sql));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}
