/* db-stmt.c: the typed statement helpers of dbint.h (db_do, db_get, db_ids,
 * db_first, db_read_rows, db_columns): prepare from the cache, bind by a signature, step,
 * read the row or rows, reset — the pattern every db-*.c function would
 * otherwise write out. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "util.h"

/* Binds the parameters of sig from ap: 'L' long, 'l' long bound as NULL when
 * 0, 'i' int, 'T' text (NULL binds NULL), 'D' double, '-' SQL NULL (takes no
 * argument). */
static void bind_sig(sqlite3_stmt *st, const char *sig, va_list *ap)
{
	int idx = 1;
	for (const char *s = sig; s && *s; s++, idx++) {
		switch (*s) {
		case 'L': db_bind_int(st, idx, va_arg(*ap, long)); break;
		case 'l': {
			long v = va_arg(*ap, long);
			db_bind_opt_int(st, idx, v, v != 0);
			break;
		}
		case 'i': db_bind_int(st, idx, va_arg(*ap, int)); break;
		case 'T': db_bind_text(st, idx, va_arg(*ap, const char *)); break;
		case 'D': db_bind_double(st, idx, va_arg(*ap, double)); break;
		case '-': sqlite3_bind_null(st, idx); break;
		default: abort(); /* a slip in the signature: a programming error */
		}
	}
}

/* Reads the row's columns into the pointers of sig: 'L' long *, 'i' int *,
 * 'T' char ** (a new copy, NULL for SQL NULL), 'D' double *, '-' skips a column. */
static void read_sig(sqlite3_stmt *st, const char *sig, va_list *ap)
{
	int col = 0;
	for (const char *s = sig; s && *s; s++, col++) {
		switch (*s) {
		case 'L': *va_arg(*ap, long *) = (long)sqlite3_column_int64(st, col); break;
		case 'i': *va_arg(*ap, int *) = sqlite3_column_int(st, col); break;
		case 'T': *va_arg(*ap, char **) = db_col_text(st, col); break;
		case 'D': *va_arg(*ap, double *) = sqlite3_column_double(st, col); break;
		case '-': break;
		default: abort();
		}
	}
}

/* The cached statement for sql with the parameters of in bound from ap, or
 * NULL with err set. */
static sqlite3_stmt *prepare_bound(struct db *db, const char *sql, const char *in, va_list *ap)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (st)
		bind_sig(st, in, ap);
	return st;
}

sqlite3_stmt *db_bound(struct db *db, const char *sql, const char *in, ...)
{
	va_list ap;
	va_start(ap, in);
	sqlite3_stmt *st = prepare_bound(db, sql, in, &ap);
	va_end(ap);
	return st;
}

int db_do(struct db *db, const char *sql, const char *in, ...)
{
	va_list ap;
	va_start(ap, in);
	sqlite3_stmt *st = prepare_bound(db, sql, in, &ap);
	va_end(ap);
	return st ? db_run(db, st) : E_DB;
}

int db_get(struct db *db, const char *sql, const char *in, const char *out, ...)
{
	va_list ap;
	va_start(ap, out);
	sqlite3_stmt *st = prepare_bound(db, sql, in, &ap);
	int rc = st ? db_step(db, st) : -1;
	if (rc == SQLITE_ROW)
		read_sig(st, out, &ap);
	va_end(ap);
	if (st)
		sqlite3_reset(st);
	return rc;
}

int db_ids(struct db *db, const char *sql, long **ids, size_t *n, const char *in, ...)
{
	*ids = NULL;
	*n = 0;
	va_list ap;
	va_start(ap, in);
	sqlite3_stmt *st = prepare_bound(db, sql, in, &ap);
	va_end(ap);
	return st ? db_collect_ids(db, st, ids, n) : E_DB;
}

void db_columns(sqlite3_stmt *st, const char *out, ...)
{
	va_list ap;
	va_start(ap, out);
	read_sig(st, out, &ap);
	va_end(ap);
}

int db_first(struct db *db, sqlite3_stmt **st, const char *sql, const char *in, ...)
{
	va_list ap;
	va_start(ap, in);
	*st = prepare_bound(db, sql, in, &ap);
	va_end(ap);
	if (!*st)
		return -1;
	int rc = db_step(db, *st);
	if (rc == SQLITE_DONE)
		sqlite3_reset(*st);
	return rc;
}

int db_read_rows(struct db *db, const char *sql, void *items, size_t *n, size_t size,
		 void (*read)(sqlite3_stmt *st, void *item, size_t i), const char *in, ...)
{
	va_list ap;
	va_start(ap, in);
	sqlite3_stmt *st = prepare_bound(db, sql, in, &ap);
	va_end(ap);
	if (!st)
		return E_DB;
	/* Rows go to an array of their own, grown by doubling, then join *items
	 * (whose capacity is unknown: exactly *n, say). */
	char *got = NULL;
	size_t m = 0, cap = 0;
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		if (m == cap) {
			cap = cap ? cap * 2 : 16;
			got = xreallocarray(got, cap, size);
		}
		memset(got + m * size, 0, size);
		read(st, got + m * size, *n + m);
		m++;
	}
	sqlite3_reset(st);
	void *arr;
	memcpy(&arr, items, sizeof arr);
	if (!arr) {
		arr = got;
	} else if (m) {
		arr = xreallocarray(arr, *n + m, size);
		memcpy((char *)arr + *n * size, got, m * size);
		free(got);
	} else {
		free(got);
	}
	*n += m;
	memcpy(items, &arr, sizeof arr);
	return rc < 0 ? E_DB : E_OK;
}
