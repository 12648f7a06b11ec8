/* db-postings.h: postings, the subjects workflows run over, and the results
 * that land on them. */
#ifndef db_postings_h
#define db_postings_h

#include <stddef.h>

#include <cJSON.h>

struct db;

/* Inserts or updates one posting from its JSON object (turing's column names).
 * A posting is matched by posting_id when given, else by (source,
 * external_job_id); results already on it are never touched. where names the
 * element in messages ("postings.json: [3]"). Sets *id and *inserted.
 * E_INPUT for a malformed posting. Call inside a transaction. */
int db_posting_upsert(struct db *db, const cJSON *p, const char *where, long *id, int *inserted);

/* The value of a posting column as text (NULL for SQL NULL; caller frees).
 * Returns E_OK, or E_INPUT if there is no such posting. column must be one of
 * vars_posting_columns. */
int db_posting_column(struct db *db, long posting_id, const char *column, char **value);

/* 1 if the posting exists, 0 if not, -1 on a database error. */
int db_posting_exists(struct db *db, long posting_id);

/* Posting ids to start a run for: all of them (status NULL) or those with
 * posting_status = status. Caller frees *ids. */
int db_posting_ids(struct db *db, const char *status, long **ids, size_t *n);

/* Results, written by the built-in savers inside the interaction's transaction. */
int db_posting_set_summary(struct db *db, long posting_id, const char *summary, long interaction_id);
int db_posting_set_skills(struct db *db, long posting_id, const char *skills_json, long interaction_id);
int db_posting_set_ihl(struct db *db, long posting_id, int score, int scale, const char *verdict,
		       long interaction_id);

#endif
