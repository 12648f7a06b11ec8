/* db-postings.h: postings, the subjects workflows run over, and the results
 * that land on them. */
#ifndef db_postings_h
#define db_postings_h

#include <stddef.h>

#include <cJSON.h>

struct db;

/* The columns of postings waverunner knows by name, listed once:
 * X(name, kind, max_len, var) for each. kind: PC_ID, PC_TEXT, PC_TIME,
 * PC_JSON, PC_BOOL, PC_STATUS (what a posting file may set, checked so) or
 * PC_RESULT (what the built-ins save and push sends; a posting file may not
 * set it); max_len in characters, 0 for no limit; var 1 when a template may
 * read it as {name}. The order is load's: the columns a posting file sets are
 * bound as ?1..?16 by their index here. */
#define POSTING_COLUMNS(X) \
	X(posting_id, PC_ID, 0, 1) \
	X(posting_name, PC_TEXT, 0, 1) \
	X(job_title, PC_TEXT, 0, 1) \
	X(job_description, PC_TEXT, 0, 1) \
	X(location_city, PC_TEXT, 0, 1) \
	X(location_country, PC_TEXT, 0, 1) \
	X(source, PC_TEXT, 50, 1) \
	X(external_job_id, PC_TEXT, 0, 1) \
	X(external_id, PC_TEXT, EXTERNAL_ID_MAX, 1) \
	X(external_url, PC_TEXT, 0, 1) \
	X(posting_status, PC_STATUS, 0, 1) \
	X(first_seen_at, PC_TIME, 0, 1) \
	X(last_seen_at, PC_TIME, 0, 1) \
	X(updated_at, PC_TIME, 0, 1) \
	X(source_metadata, PC_JSON, 0, 1) \
	X(invalidated, PC_BOOL, 0, 0) \
	X(enabled, PC_BOOL, 0, 0) \
	X(extracted_summary, PC_RESULT, 0, 1) \
	X(skill_keywords, PC_RESULT, 0, 1) \
	X(ihl_score, PC_RESULT, 0, 1) \
	X(ihl_scale, PC_RESULT, 0, 1) \
	X(ihl_verdict, PC_RESULT, 0, 1)

/* turing's external_id is varchar(255): characters. */
#define EXTERNAL_ID_MAX 255

enum posting_col_kind { PC_ID, PC_TEXT, PC_TIME, PC_JSON, PC_BOOL, PC_STATUS, PC_RESULT };

/* PCOL_posting_id, PCOL_posting_name, ...: a column's index in posting_columns. */
enum posting_col {
#define POSTING_COL_ENUM(name, kind, max_len, var) PCOL_##name,
	POSTING_COLUMNS(POSTING_COL_ENUM)
#undef POSTING_COL_ENUM
	NPOSTING_COLUMNS
};

struct posting_column {
	const char *name;
	enum posting_col_kind kind;
	size_t max_len;
	int var;
};
extern const struct posting_column posting_columns[NPOSTING_COLUMNS];

/* Inserts or updates one posting from its JSON object (turing's column names).
 * A posting is matched by posting_id when given, else by (source,
 * external_job_id); results already on it are never touched. where names the
 * element in messages ("postings.json: [3]"). Sets *id and *inserted.
 * E_INPUT for a malformed posting. Call inside a transaction. */
int db_posting_upsert(struct db *db, const cJSON *p, const char *where, long *id, int *inserted);

/* The value of a posting column as text (NULL for SQL NULL; caller frees).
 * Returns E_OK, or E_INPUT if there is no such posting or column. */
int db_posting_column(struct db *db, long posting_id, const char *column, char **value);

/* 1 if s is a posting_status the schema allows: pending, active, complete,
 * filled or invalid. */
int posting_status_known(const char *s);

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

/* The fetcher ---------------------------------------------------------------- */

/* The external_job_ids of the postings of source that are not invalidated, in
 * strcmp order (for bsearch). Caller frees each string and the array. */
int db_posting_external_ids(struct db *db, const char *source, char ***ids, size_t *n);

/* A posting the fetcher found on a job board. */
struct fetched_posting {
	const char *source;
	const char *external_id;      /* external_job_id, and external_id when it fits (255) */
	const char *title;            /* posting_name and job_title */
	const char *description;      /* job_description; NULL when the page gave none */
	const char *location_city;    /* NULL when not derivable */
	const char *location_country;
	const char *external_url;
	const char *metadata;         /* source_metadata, a JSON object text */
	long interaction_id;          /* created_by_interaction_id */
};

/* Records a posting the fetcher found: one already known (same source and
 * external_job_id, not invalidated) only gets last_seen_at = now, and
 * *inserted = 0; a new one is inserted as pending, first and last seen now.
 * *id is the posting's id. Call inside a transaction. */
int db_posting_record_fetched(struct db *db, const struct fetched_posting *p, const char *now, long *id,
			      int *inserted);

/* Sets last_seen_at = now on the posting of source with external_job_id
 * external_id (not invalidated); *id is its id, 0 when there is none. */
int db_posting_touch(struct db *db, const char *source, const char *external_id, const char *now, long *id);

/* A posting stored without a description whose detail page may answer if
 * asked again. */
struct missing_description {
	long posting_id;
	char *external_path;   /* source_metadata's external_path */
	long fetches;          /* how many fetches asked for its page so far */
};

/* The postings of source (not invalidated, enabled) that have no description
 * and whose source_metadata says the failure may pass
 * ("description_fetch_transient": true) after fewer than max_fetches fetches
 * ("description_fetches", 1 when absent), at most limit of them, fewest
 * fetches first. Caller frees with db_missing_descriptions_free. */
int db_posting_missing_descriptions(struct db *db, const char *source, long max_fetches, long limit,
				    struct missing_description **out, size_t *n);
void db_missing_descriptions_free(struct missing_description *m, size_t n);

/* The outcome of asking again for the page of a posting without a
 * description: with description (not NULL), it is stored and the error
 * removed from source_metadata, *stored = 1, unless the posting got a
 * description meanwhile (*stored = 0); else source_metadata gets the new
 * error and whether it may pass. Either way "description_fetches" grows by
 * one. Call inside a transaction. */
int db_posting_refetched(struct db *db, long posting_id, const char *description, const char *error,
			 int transient, const char *now, int *stored);

/* How many postings of source (not invalidated) have no description. */
int db_posting_count_missing(struct db *db, const char *source, long *n);

#endif
