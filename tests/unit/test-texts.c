/* Unit tests of db-texts.c: a request cut anywhere, packed into a recipe and
 * read back with stored_text(), is the same bytes; shared pieces are stored
 * once; text and NULL pass through; an empty BLOB stands for the second
 * argument. Against a real SQLite file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-texts.h"
#include "dbint.h"
#include "err.h"
#include "tap.h"
#include "tmpdir.h"

/* What stored_text() gives for the recipe (or, when none, the text) of input. */
static char *round_trip(struct db *db, const char *input, const size_t *cuts, size_t ncuts, int *packed)
{
	static const char SQL[] = "SELECT stored_text(?1)";
	unsigned char *recipe;
	size_t len;
	*packed = 0;
	if (db_texts_pack(db, input, cuts, ncuts, &recipe, &len))
		return NULL;
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st) {
		free(recipe);
		return NULL;
	}
	if (recipe) {
		*packed = 1;
		sqlite3_bind_blob(st, 1, recipe, (int)len, SQLITE_TRANSIENT);
	} else {
		db_bind_text(st, 1, input);
	}
	free(recipe);
	char *out = db_step(db, st) == SQLITE_ROW ? db_col_text(st, 0) : NULL;
	sqlite3_reset(st);
	return out;
}

static long count_texts(struct db *db)
{
	long n = -1;
	db_get(db, "SELECT count(*) FROM texts", "", "L", &n);
	return n;
}

int main(void)
{
	char path[600];
	if (tmp_file("test-texts", "t.db", path, sizeof path) < 0)
		return 1;
	struct db *db;
	ok(db_open(path, DB_CREATE, &db) == E_OK, "a new database opens");

	/* A prompt with a long description in the middle, as advance.c cuts it. */
	char desc[400], input[1200];
	for (size_t i = 0; i < sizeof desc - 1; i++)
		desc[i] = (char)('a' + i % 26);
	desc[sizeof desc - 1] = '\0';
	snprintf(input, sizeof input, "{\"model\":\"m\",\"prompt\":\"Summarise the posting below, in sections, "
				      "using only its facts.\\n\\n%s\\n\\nThank you.\"}", desc);
	size_t at = (size_t)(strstr(input, desc) - input);
	size_t cuts[] = { at, at + strlen(desc) };
	int packed;
	char *out = round_trip(db, input, cuts, 2, &packed);
	ok(packed, "a request with long pieces is packed");
	is_str(out, input, "... and read back byte for byte");
	free(out);
	long n = count_texts(db);
	is_int(n, 2, "two pieces of at least %d bytes are stored (the prefix and the description)", TEXTS_MIN_PIECE);
	out = round_trip(db, input, cuts, 2, &packed);
	is_str(out, input, "the same request again reads back the same");
	free(out);
	is_int(count_texts(db), n, "... and stores nothing new");

	/* Every way of cutting: none, out of range, repeated, unsorted, at each byte. */
	size_t odd[] = { 5000, at + 3, 0, at + 3, 1, strlen(input), 64 };
	out = round_trip(db, input, odd, sizeof odd / sizeof *odd, &packed);
	is_str(out, input, "cuts out of range, repeated and unsorted change nothing of the request");
	free(out);
	out = round_trip(db, input, NULL, 0, &packed);
	ok(!packed, "no cuts: stored as text");
	is_str(out, input, "... as it is");
	free(out);
	int all = 1;
	for (size_t c = 0; c <= strlen(input) && all; c += 7) {
		size_t three[] = { c, c + 64, c + 200 };
		out = round_trip(db, input, three, 3, &packed);
		all = out && !strcmp(out, input);
		free(out);
	}
	ok(all, "cut at every 7th byte (with pieces of 64 and 136 bytes after it): always the same request");

	/* Bytes that are not ASCII, and a short request with nothing to share. */
	const char *utf = "{\"prompt\":\"Stellenbeschreibung f\xc3\xbcr Datenanalysten in M\xc3\xbcnchen, "
			  "Voraussetzungen: Erfahrung mit SQL und Python \xe2\x80\x94 mindestens drei Jahre.\"}";
	size_t ucut[] = { 11, strlen(utf) - 2 };
	out = round_trip(db, utf, ucut, 2, &packed);
	ok(packed, "UTF-8: packed");
	is_str(out, utf, "... and exact");
	free(out);
	size_t scut[] = { 3, 9 };
	out = round_trip(db, "{\"a\":\"short\"}", scut, 2, &packed);
	ok(!packed, "pieces all shorter than %d bytes: stored as text", TEXTS_MIN_PIECE);
	is_str(out, "{\"a\":\"short\"}", "... as it is");
	free(out);

	/* The SQL function on its own. */
	char *v = NULL;
	db_get(db, "SELECT stored_text('plain')", "", "T", &v);
	is_str(v, "plain", "a text is itself");
	free(v);
	v = (char *)1;
	db_get(db, "SELECT stored_text(NULL)", "", "T", &v);
	ok(v == NULL, "NULL is NULL");
	db_get(db, "SELECT stored_text(x'', 'the output')", "", "T", &v);
	is_str(v, "the output", "an empty BLOB is the second argument");
	free(v);
	v = NULL;
	is_int(db_get(db, "SELECT stored_text(x'02')", "", "T", &v), -1, "a recipe of another version is an error");
	ok(strstr(err_msg(), "damaged") != NULL, "... that says so: %s", err_msg());
	is_int(db_get(db, "SELECT stored_text(x'0104ab')", "", "T", &v), -1, "a literal longer than the recipe: an error");
	is_int(db_get(db, "SELECT stored_text(x'01ffffffff0f')", "", "T", &v), -1, "a text that does not exist: an error");
	ok(strstr(err_msg(), "does not exist") != NULL, "... that says so: %s", err_msg());

	db_close(db);
	tmp_remove_db(path);
	return done_testing();
}
