/* db-texts.h: requests stored without repeating themselves (see db-texts.c):
 * the pieces that repeat are kept once in the table texts and the interaction
 * holds a recipe; stored_text() in SQL rebuilds the exact request. */
#ifndef db_texts_h
#define db_texts_h

#include <stddef.h>

struct db;

/* A piece of a request shorter than this stays in its recipe. */
#define TEXTS_MIN_PIECE 64

/* The recipe of input cut at the offsets cuts (any order; those past the end
 * are ignored): each piece of at least TEXTS_MIN_PIECE bytes is stored in
 * texts (once) and named, shorter ones are kept literally. *recipe (caller
 * frees) is NULL when no piece is shared: store input as text then. E_OK or
 * E_DB. */
int db_texts_pack(struct db *db, const char *input, const size_t *cuts, size_t ncuts, unsigned char **recipe,
		  size_t *len);

/* Makes stored_text(value [, same]) known to the connection. E_OK or E_DB. */
int db_texts_register(struct db *db);

#endif
