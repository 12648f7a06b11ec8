/* db-postings.c: postings and their results. */
#include "db-postings.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "vars.h"

const struct posting_column posting_columns[NPOSTING_COLUMNS] = {
#define POSTING_COL_ROW(name, kind, max_len, var) { #name, kind, max_len, var },
	POSTING_COLUMNS(POSTING_COL_ROW)
#undef POSTING_COL_ROW
};

/* A column a posting file may set. */
static int file_column(size_t col)
{
	return posting_columns[col].kind != PC_ID && posting_columns[col].kind != PC_RESULT;
}

static int looks_like_time(const char *s)
{
	/* YYYY-MM-DD, optionally followed by a time. */
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return 0;
		} else if (!isdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[10] == '\0' || s[10] == 'T' || s[10] == ' ';
}

/* Checks one value; on success *text is what to store (new string or NULL). */
static int column_value(const cJSON *v, size_t col, const char *where, char **text)
{
	const char *name = posting_columns[col].name;
	*text = NULL;
	if (!v || cJSON_IsNull(v))
		return E_OK;
	switch (posting_columns[col].kind) {
	case PC_JSON:
		*text = json_print(v);
		return E_OK;
	case PC_BOOL:
		if (!cJSON_IsBool(v))
			return err_set(E_INPUT, "%s: '%s' must be true or false", where, name);
		*text = xstrdup(cJSON_IsTrue(v) ? "1" : "0");
		return E_OK;
	default:
		break;
	}
	if (!cJSON_IsString(v))
		return err_set(E_INPUT, "%s: '%s' must be a string", where, name);
	const char *s = v->valuestring;
	if (!utf8_valid(s, strlen(s)))
		return err_set(E_INPUT, "%s: '%s' is not valid UTF-8", where, name);
	size_t max_len = posting_columns[col].max_len;
	if (max_len && utf8_length(s) > max_len)
		return err_set(E_INPUT, "%s: '%s' is longer than %zu characters", where, name, max_len);
	int bad_time = posting_columns[col].kind == PC_TIME && !looks_like_time(s);
	int bad_status = posting_columns[col].kind == PC_STATUS && !posting_status_known(s);
	if (bad_time || bad_status) {
		char *shown = str_excerpt(s, 40);
		if (bad_time)
			err_set(E_INPUT, "%s: '%s' must be a time such as 2026-11-24T08:00:00Z, not '%s'", where, name,
				shown);
		else
			err_set(E_INPUT, "%s: 'posting_status' must be pending, active, complete, filled or invalid, "
				"not '%s'", where, shown);
		free(shown);
		return E_INPUT;
	}
	*text = xstrdup(s);
	return E_OK;
}

static int find_existing(struct db *db, long given_id, const char *source, const char *ext_id, long *id)
{
	static const char BY_ID[] = "SELECT posting_id FROM postings WHERE posting_id = ?1";
	static const char BY_EXT[] =
		"SELECT posting_id FROM postings WHERE coalesce(source, '') = coalesce(?1, '') "
		"AND external_job_id = ?2 AND invalidated = 0";
	*id = 0;
	int rc = given_id ? db_get(db, BY_ID, "L", "L", given_id, id) : db_get(db, BY_EXT, "TT", "L", source, ext_id, id);
	return rc < 0 ? E_DB : E_OK;
}

int db_posting_upsert(struct db *db, const cJSON *p, const char *where, long *id, int *inserted)
{
	static const char INSERT[] =
		"INSERT INTO postings (posting_id, posting_name, job_title, job_description, location_city, "
		"location_country, source, external_job_id, external_id, external_url, posting_status, "
		"first_seen_at, last_seen_at, updated_at, source_metadata, invalidated, enabled) "
		"VALUES (?17, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, coalesce(?10, 'active'), ?11, ?12, ?13, ?14, "
		"coalesce(?15, 0), coalesce(?16, 1))";
	/* A posting that is complete locally keeps that status: it carries results. */
	static const char UPDATE[] =
		"UPDATE postings SET posting_name = ?1, job_title = ?2, job_description = ?3, location_city = ?4, "
		"location_country = ?5, source = ?6, external_job_id = ?7, external_id = ?8, external_url = ?9, "
		"posting_status = CASE WHEN posting_status = 'complete' THEN posting_status "
		"ELSE coalesce(?10, posting_status) END, first_seen_at = coalesce(?11, first_seen_at), "
		"last_seen_at = coalesce(?12, last_seen_at), updated_at = coalesce(?13, updated_at), "
		"source_metadata = ?14, invalidated = coalesce(?15, invalidated), enabled = coalesce(?16, enabled) "
		"WHERE posting_id = ?17";
	char *values[NPOSTING_COLUMNS] = { 0 };
	long given_id = 0;
	int rc = E_OK;
	if (!cJSON_IsObject(p))
		return err_set(E_INPUT, "%s: a posting must be a JSON object", where);
	const cJSON *item;
	cJSON_ArrayForEach(item, p) {
		int known = 0;
		for (size_t c = 0; c < NPOSTING_COLUMNS; c++) {
			if (strcmp(posting_columns[c].name, item->string))
				continue;
			if (posting_columns[c].kind == PC_RESULT)
				return err_set(E_INPUT, "%s: '%s' is a result; load does not set results", where,
					       item->string);
			known = 1;
		}
		if (!known) {
			char *key = str_excerpt(item->string, 40);
			err_set(E_INPUT, "%s: unknown key '%s'", where, key);
			free(key);
			return E_INPUT;
		}
	}
	int r = json_get_long(p, "posting_id", &given_id);
	if (r < 0 || (r == 0 && given_id <= 0))
		return err_set(E_INPUT, "%s: 'posting_id' must be a positive integer", where);
	for (size_t c = 0; !rc && c < NPOSTING_COLUMNS; c++)
		if (file_column(c))
			rc = column_value(cJSON_GetObjectItemCaseSensitive(p, posting_columns[c].name), c, where,
					  &values[c]);
	if (rc)
		goto out;
	/* posting_name defaults to the title; external_id to external_job_id. */
	if (!values[PCOL_posting_name] && values[PCOL_job_title])
		values[PCOL_posting_name] = xstrdup(values[PCOL_job_title]);
	if (!values[PCOL_external_id] && values[PCOL_external_job_id])
		values[PCOL_external_id] = xstrdup(values[PCOL_external_job_id]);
	static const enum posting_col required[] = { PCOL_posting_name, PCOL_external_job_id, PCOL_external_url };
	for (size_t i = 0; i < ARRAY_LEN(required); i++)
		if (!values[required[i]] || !*values[required[i]]) {
			rc = err_set(E_INPUT, "%s: missing '%s'", where,
				     required[i] == PCOL_posting_name ? "posting_name' (or 'job_title"
								      : posting_columns[required[i]].name);
			goto out;
		}
	long existing;
	if ((rc = find_existing(db, given_id, values[PCOL_source], values[PCOL_external_job_id], &existing)))
		goto out;
	sqlite3_stmt *st = db_prepare(db, existing ? UPDATE : INSERT);
	if (!st) {
		rc = E_DB;
		goto out;
	}
	for (size_t c = 0; c < NPOSTING_COLUMNS; c++)
		if (file_column(c))
			db_bind_text(st, (int)c, values[c]); /* ?1..?16: posting_id is index 0 */
	db_bind_opt_int(st, 17, existing ? existing : given_id, existing || given_id);
	rc = db_run(db, st);
	if (rc) {
		rc = err_wrap(E_INPUT, "%s: posting %s/%s", where, values[PCOL_source] ? values[PCOL_source] : "",
			      values[PCOL_external_job_id]);
		goto out;
	}
	*id = existing ? existing : (long)sqlite3_last_insert_rowid(db->sql);
	*inserted = !existing;
out:
	for (size_t c = 0; c < NPOSTING_COLUMNS; c++)
		free(values[c]);
	return rc;
}

int db_posting_column(struct db *db, long posting_id, const char *column, char **value)
{
	/* One statement per column keeps every query static and bound. */
	static const char *const sql[NPOSTING_COLUMNS] = {
#define POSTING_COL_SQL(name, kind, max_len, var) [PCOL_##name] = "SELECT " #name " FROM postings WHERE posting_id = ?1",
		POSTING_COLUMNS(POSTING_COL_SQL)
#undef POSTING_COL_SQL
	};
	*value = NULL;
	for (size_t i = 0; i < NPOSTING_COLUMNS; i++) {
		if (!posting_columns[i].var || strcmp(posting_columns[i].name, column))
			continue;
		int rc = db_get(db, sql[i], "L", "T", posting_id, value);
		if (rc < 0)
			return E_DB;
		if (rc != SQLITE_ROW)
			return err_set(E_INPUT, "there is no posting %ld", posting_id);
		return E_OK;
	}
	return err_set(E_INPUT, "postings have no column '%s'", column);
}

int posting_status_known(const char *s)
{
	return !strcmp(s, "pending") || !strcmp(s, "active") || !strcmp(s, "complete") || !strcmp(s, "filled") ||
	       !strcmp(s, "invalid");
}

int db_posting_exists(struct db *db, long posting_id)
{
	static const char SQL[] = "SELECT 1 FROM postings WHERE posting_id = ?1";
	int rc = db_get(db, SQL, "L", "", posting_id);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

int db_posting_ids(struct db *db, const char *status, long **ids, size_t *n)
{
	static const char ALL[] = "SELECT posting_id FROM postings WHERE invalidated = 0 AND enabled = 1 "
				  "ORDER BY posting_id";
	static const char BY_STATUS[] = "SELECT posting_id FROM postings WHERE posting_status = ?1 "
					"AND invalidated = 0 AND enabled = 1 ORDER BY posting_id";
	return status ? db_ids(db, BY_STATUS, ids, n, "T", status) : db_ids(db, ALL, ids, n, "");
}

/* Runs sql, an UPDATE of one text result: ?1 the posting, ?2 the value, ?3
 * the interaction that made it, ?4 now. */
static int set_result(struct db *db, const char *sql, long posting_id, const char *value, long interaction_id)
{
	char now[32];
	iso_now(now);
	return db_do(db, sql, "LTLT", posting_id, value, interaction_id, now);
}

int db_posting_set_summary(struct db *db, long posting_id, const char *summary, long interaction_id)
{
	static const char SQL[] =
		"UPDATE postings SET extracted_summary = ?2, summary_interaction_id = ?3, "
		"updated_by_interaction_id = ?3, results_updated_at = ?4, updated_at = ?4 WHERE posting_id = ?1";
	return set_result(db, SQL, posting_id, summary, interaction_id);
}

int db_posting_set_skills(struct db *db, long posting_id, const char *skills_json, long interaction_id)
{
	static const char SQL[] =
		"UPDATE postings SET skill_keywords = ?2, skills_interaction_id = ?3, "
		"updated_by_interaction_id = ?3, results_updated_at = ?4, updated_at = ?4 WHERE posting_id = ?1";
	return set_result(db, SQL, posting_id, skills_json, interaction_id);
}

int db_posting_set_ihl(struct db *db, long posting_id, int score, int scale, const char *verdict,
		       long interaction_id)
{
	static const char SQL[] =
		"UPDATE postings SET ihl_score = ?2, ihl_scale = ?3, ihl_verdict = ?4, ihl_interaction_id = ?5, "
		"updated_by_interaction_id = ?5, posting_status = 'complete', results_updated_at = ?6, "
		"updated_at = ?6 WHERE posting_id = ?1";
	char now[32];
	iso_now(now);
	return db_do(db, SQL, "LiiTLT", posting_id, score, scale, verdict, interaction_id, now);
}

static void read_external_id(sqlite3_stmt *st, void *item, size_t i)
{
	*(char **)item = xstrdup(db_col_str(st, 0));
	(void)i;
}

int db_posting_external_ids(struct db *db, const char *source, char ***ids, size_t *n)
{
	/* BINARY collation orders like memcmp, which is strcmp order for UTF-8. */
	static const char SQL[] = "SELECT external_job_id FROM postings WHERE coalesce(source, '') = ?1 "
				  "AND invalidated = 0 ORDER BY external_job_id COLLATE BINARY";
	*ids = NULL;
	*n = 0;
	if (!db_read_rows(db, SQL, ids, n, sizeof **ids, read_external_id, "T", source ? source : ""))
		return E_OK;
	for (size_t i = 0; i < *n; i++)
		free((*ids)[i]);
	free(*ids);
	*ids = NULL;
	*n = 0;
	return E_DB;
}

int db_posting_touch(struct db *db, const char *source, const char *external_id, const char *now, long *id)
{
	static const char SQL[] = "UPDATE postings SET last_seen_at = ?3 WHERE coalesce(source, '') = ?1 "
				  "AND external_job_id = ?2 AND invalidated = 0 RETURNING posting_id";
	*id = 0;
	sqlite3_stmt *st;
	int rc = db_first(db, &st, SQL, "TTT", source ? source : "", external_id, now);
	if (rc == SQLITE_ROW) {
		*id = (long)sqlite3_column_int64(st, 0);
		rc = db_step(db, st);
	}
	if (rc >= 0)
		sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

int db_posting_record_fetched(struct db *db, const struct fetched_posting *p, const char *now, long *id,
			      int *inserted)
{
	static const char INSERT[] =
		"INSERT INTO postings (posting_name, job_title, job_description, location_city, location_country, "
		"source, external_job_id, external_id, external_url, posting_status, first_seen_at, last_seen_at, "
		"updated_at, source_metadata, created_by_interaction_id) "
		"VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?9, ?9, ?10, ?11)";
	*inserted = 0;
	int rc = db_posting_touch(db, p->source, p->external_id, now, id);
	if (rc || *id)
		return rc;
	/* turing's external_id is varchar(255); a longer id (an externalPath used
	 * as the id) stays in external_job_id only. */
	const char *external_id = utf8_length(p->external_id) <= EXTERNAL_ID_MAX ? p->external_id : NULL;
	if ((rc = db_do(db, INSERT, p->interaction_id > 0 ? "TTTTTTTTTTL" : "TTTTTTTTTT-", p->title,
			p->description, p->location_city, p->location_country, p->source, p->external_id, external_id,
			p->external_url, now, p->metadata, p->interaction_id)))
		return err_wrap(E_DB, "storing the fetched posting %s", p->external_id);
	*id = (long)sqlite3_last_insert_rowid(db->sql);
	*inserted = 1;
	return E_OK;
}

static void read_missing(sqlite3_stmt *st, void *item, size_t i)
{
	struct missing_description *m = item;
	db_columns(st, "LTL", &m->posting_id, &m->external_path, &m->fetches);
	(void)i;
}

int db_posting_missing_descriptions(struct db *db, const char *source, long max_fetches, long limit,
				    struct missing_description **out, size_t *n)
{
	static const char SQL[] =
		"SELECT posting_id, json_extract(source_metadata, '$.external_path'), "
		"coalesce(json_extract(source_metadata, '$.description_fetches'), 1) AS fetches FROM postings "
		"WHERE coalesce(source, '') = ?1 AND invalidated = 0 AND enabled = 1 AND job_description IS NULL "
		"AND json_extract(source_metadata, '$.description_fetch_transient') = 1 "
		"AND json_type(source_metadata, '$.external_path') = 'text' "
		"AND coalesce(json_extract(source_metadata, '$.description_fetches'), 1) < ?2 "
		"ORDER BY fetches, posting_id LIMIT ?3";
	*out = NULL;
	*n = 0;
	if (!db_read_rows(db, SQL, out, n, sizeof **out, read_missing, "TLL", source ? source : "", max_fetches,
			  limit))
		return E_OK;
	db_missing_descriptions_free(*out, *n);
	*out = NULL;
	*n = 0;
	return E_DB;
}

void db_missing_descriptions_free(struct missing_description *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].external_path);
	free(m);
}

int db_posting_refetched(struct db *db, long posting_id, const char *description, const char *error,
			 int transient, const char *now, int *stored)
{
	static const char FOUND[] =
		"UPDATE postings SET job_description = ?2, updated_at = ?3, source_metadata = "
		"json_remove(json_set(source_metadata, '$.description_fetches', "
		"coalesce(json_extract(source_metadata, '$.description_fetches'), 1) + 1), "
		"'$.description_fetch_error', '$.description_fetch_transient') "
		"WHERE posting_id = ?1 AND job_description IS NULL AND invalidated = 0";
	static const char MISSING[] =
		"UPDATE postings SET source_metadata = json_set(source_metadata, '$.description_fetch_error', ?2, "
		"'$.description_fetch_transient', json(?3), '$.description_fetches', "
		"coalesce(json_extract(source_metadata, '$.description_fetches'), 1) + 1) "
		"WHERE posting_id = ?1 AND job_description IS NULL AND invalidated = 0";
	*stored = 0;
	int rc = description ? db_do(db, FOUND, "LTT", posting_id, description, now)
			     : db_do(db, MISSING, "LTT", posting_id, error ? error : "no description",
				     transient ? "true" : "false");
	if (rc)
		return err_wrap(E_DB, "storing the description of posting %ld", posting_id);
	*stored = description && sqlite3_changes(db->sql) > 0;
	return E_OK;
}

int db_posting_count_missing(struct db *db, const char *source, long *n)
{
	static const char SQL[] = "SELECT count(*) FROM postings WHERE coalesce(source, '') = ?1 "
				  "AND invalidated = 0 AND job_description IS NULL";
	*n = 0;
	return db_get(db, SQL, "T", "L", source ? source : "", n) < 0 ? E_DB : E_OK;
}
