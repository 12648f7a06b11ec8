/* db-texts.c: how requests are stored without repeating themselves. An
 * interaction's input is the exact request sent; the pieces of it that repeat
 * (a template's fixed text, a posting's description, an earlier step's answer
 * pasted into a prompt) are stored once each in the table texts (schema 0009),
 * and the input column holds a recipe, a BLOB, from which the request is
 * rebuilt byte for byte. A TEXT input (every row written before 0009, and
 * requests with nothing worth sharing) is the request itself. Likewise a
 * branch_text that is the output again is stored as an empty BLOB.
 *
 * The SQL function stored_text(value [, same]) gives what a stored column
 * stands for: a recipe rebuilt, an empty BLOB as same, anything else as it is.
 * Every reader of interactions.input and .branch_text goes through it.
 *
 * A recipe is a version byte (1), then items, each an unsigned LEB128 number
 * v: v even, v / 2 bytes of literal text follow; v odd, the body of text
 * (v - 1) / 2. */
#include "db-texts.h"

#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "sha256.h"
#include "util.h"

#define RECIPE_VERSION 1

struct bytes {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct bytes *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_varint(struct bytes *b, uint64_t v)
{
	unsigned char c;
	do {
		c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		put(b, &c, 1);
	} while (v);
}

/* Reads one varint at *p (before end); -1 when it is cut short. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* The first 8 bytes of the SHA-256 of body, as a signed integer. */
static int64_t text_hash(const char *body, size_t len)
{
	struct sha256 s;
	unsigned char d[32];
	sha256_init(&s);
	sha256_update(&s, body, len);
	sha256_final(&s, d);
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | d[i];
	return (int64_t)h;
}

/* The id of the text body, stored now if it was not: E_OK or E_DB. */
static int text_id(struct db *db, const char *body, size_t len, long *id)
{
	static const char FIND[] = "SELECT text_id, body FROM texts WHERE hash = ?1";
	static const char ADD[] = "INSERT INTO texts (hash, body) VALUES (?1, ?2)";
	int64_t h = text_hash(body, len);
	sqlite3_stmt *st = db_prepare(db, FIND);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, h);
	int rc;
	*id = 0;
	while (!*id && (rc = db_step(db, st)) == SQLITE_ROW)
		if ((size_t)sqlite3_column_bytes(st, 1) == len && !memcmp(sqlite3_column_blob(st, 1), body, len))
			*id = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!*id && rc < 0)
		return E_DB;
	if (*id)
		return E_OK;
	if (!(st = db_bound(db, ADD, "L", (long)h)))
		return E_DB;
	sqlite3_bind_text(st, 2, body, (int)len, SQLITE_STATIC);
	if (db_run(db, st))
		return E_DB;
	*id = (long)sqlite3_last_insert_rowid(db->sql);
	return E_OK;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

int db_texts_pack(struct db *db, const char *input, const size_t *cuts, size_t ncuts, unsigned char **recipe,
		  size_t *len)
{
	*recipe = NULL;
	*len = 0;
	if (!input || !ncuts)
		return E_OK;
	size_t n = strlen(input), *at = xmalloc((ncuts + 1) * sizeof *at);
	memcpy(at, cuts, ncuts * sizeof *at);
	qsort(at, ncuts, sizeof *at, cmp_size);
	at[ncuts] = n;
	struct bytes b = { 0 }, lit = { 0 };
	unsigned char version = RECIPE_VERSION;
	put(&b, &version, 1);
	int shared = 0, rc = E_OK;
	for (size_t i = 0, from = 0; !rc && i <= ncuts; i++) {
		size_t to = at[i] < n ? at[i] : n;
		if (to <= from)
			continue;
		if (to - from < TEXTS_MIN_PIECE) {
			put(&lit, input + from, to - from);
		} else {
			long id;
			if (!(rc = text_id(db, input + from, to - from, &id))) {
				if (lit.len) {
					put_varint(&b, (uint64_t)lit.len << 1);
					put(&b, lit.p, lit.len);
					lit.len = 0;
				}
				put_varint(&b, (uint64_t)id << 1 | 1);
				shared = 1;
			}
		}
		from = to;
	}
	if (lit.len) {
		put_varint(&b, (uint64_t)lit.len << 1);
		put(&b, lit.p, lit.len);
	}
	free(lit.p);
	free(at);
	if (rc || !shared) {
		free(b.p);
		return rc;
	}
	*recipe = b.p;
	*len = b.len;
	return E_OK;
}

/* Appends the body of text id to out; -1 with *why set when it is missing. */
static int append_text(struct db *db, long id, struct bytes *out, const char **why)
{
	static const char SQL[] = "SELECT body FROM texts WHERE text_id = ?1";
	sqlite3_stmt *st = db_bound(db, SQL, "L", id);
	int rc = st ? db_step(db, st) : -1;
	if (rc == SQLITE_ROW)
		put(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	else
		*why = rc < 0 ? "reading a stored text failed" : "a stored request names a text that does not exist";
	if (st)
		sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Rebuilds the request of recipe r into out; -1 with *why set. */
static int unpack(struct db *db, const unsigned char *r, size_t len, struct bytes *out, const char **why)
{
	const unsigned char *p = r + 1, *end = r + len;
	*why = "a stored request is damaged";
	if (r[0] != RECIPE_VERSION)
		return -1;
	while (p < end) {
		uint64_t v;
		if (get_varint(&p, end, &v) < 0)
			return -1;
		if (v & 1) {
			if (append_text(db, (long)(v >> 1), out, why) < 0)
				return -1;
		} else {
			if ((uint64_t)(end - p) < v >> 1)
				return -1;
			put(out, p, v >> 1);
			p += v >> 1;
		}
	}
	return 0;
}

/* stored_text(value [, same]): see the top of this file. */
static void stored_text_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	int len = sqlite3_value_bytes(argv[0]);
	if (len == 0) {
		if (argc > 1)
			sqlite3_result_value(ctx, argv[1]);
		else
			sqlite3_result_null(ctx);
		return;
	}
	/* The recipe is copied: looking texts up may move the value's memory. */
	unsigned char *r = xmalloc((size_t)len);
	memcpy(r, sqlite3_value_blob(argv[0]), (size_t)len);
	struct bytes out = { 0 };
	const char *why;
	if (unpack(sqlite3_user_data(ctx), r, (size_t)len, &out, &why) < 0) {
		sqlite3_result_error(ctx, why, -1);
		free(out.p);
	} else {
		put(&out, "", 1);
		sqlite3_result_text(ctx, (char *)out.p, (int)out.len - 1, free);
	}
	free(r);
}

int db_texts_register(struct db *db)
{
	for (int argc = 1; argc <= 2; argc++)
		if (sqlite3_create_function(db->sql, "stored_text", argc, SQLITE_UTF8, db, stored_text_fn, NULL,
					    NULL) != SQLITE_OK)
			return db_error(db, "registering stored_text()");
	return E_OK;
}
