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

enum col_type { T_TEXT, T_TIME, T_JSON, T_BOOL, T_STATUS };

/* The descriptive columns a posting file may set, in insert order. */
static const struct {
	const char *name;
	enum col_type type;
	size_t max_len; /* 0: no limit */
} columns[] = {
	{ "posting_name", T_TEXT, 0 },     { "job_title", T_TEXT, 0 },
	{ "job_description", T_TEXT, 0 },  { "location_city", T_TEXT, 0 },
	{ "location_country", T_TEXT, 0 }, { "source", T_TEXT, 50 },
	{ "external_job_id", T_TEXT, 0 },  { "external_id", T_TEXT, 255 },
	{ "external_url", T_TEXT, 0 },     { "posting_status", T_STATUS, 0 },
	{ "first_seen_at", T_TIME, 0 },    { "last_seen_at", T_TIME, 0 },
	{ "updated_at", T_TIME, 0 },       { "source_metadata", T_JSON, 0 },
	{ "invalidated", T_BOOL, 0 },      { "enabled", T_BOOL, 0 },
};

static const char *const result_columns[] = {
	"extracted_summary", "skill_keywords", "ihl_score", "ihl_scale", "ihl_verdict", NULL,
};

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
	const char *name = columns[col].name;
	*text = NULL;
	if (!v || cJSON_IsNull(v))
		return E_OK;
	switch (columns[col].type) {
	case T_JSON:
		*text = json_print(v);
		return E_OK;
	case T_BOOL:
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
	if (columns[col].max_len && utf8_length(s) > columns[col].max_len)
		return err_set(E_INPUT, "%s: '%s' is longer than %zu characters", where, name, columns[col].max_len);
	int bad_time = columns[col].type == T_TIME && !looks_like_time(s);
	int bad_status = columns[col].type == T_STATUS && !posting_status_known(s);
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
	sqlite3_stmt *st = db_prepare(db, given_id ? BY_ID : BY_EXT);
	if (!st)
		return E_DB;
	if (given_id) {
		db_bind_int(st, 1, given_id);
	} else {
		db_bind_text(st, 1, source);
		db_bind_text(st, 2, ext_id);
	}
	int rc = db_step(db, st);
	*id = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
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
	char *values[ARRAY_LEN(columns)] = { 0 };
	long given_id = 0;
	int rc = E_OK;
	if (!cJSON_IsObject(p))
		return err_set(E_INPUT, "%s: a posting must be a JSON object", where);
	const cJSON *item;
	cJSON_ArrayForEach(item, p) {
		int known = !strcmp(item->string, "posting_id");
		for (size_t c = 0; c < ARRAY_LEN(columns); c++)
			if (!strcmp(columns[c].name, item->string))
				known = 1;
		for (const char *const *r = result_columns; *r; r++)
			if (!strcmp(*r, item->string))
				return err_set(E_INPUT, "%s: '%s' is a result; load does not set results", where,
					       item->string);
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
	for (size_t c = 0; !rc && c < ARRAY_LEN(columns); c++)
		rc = column_value(cJSON_GetObjectItemCaseSensitive(p, columns[c].name), c, where, &values[c]);
	if (rc)
		goto out;
	/* posting_name defaults to the title; external_id to external_job_id. */
	if (!values[0] && values[1])
		values[0] = xstrdup(values[1]);
	if (!values[7] && values[6])
		values[7] = xstrdup(values[6]);
	static const size_t required[] = { 0, 6, 8 };
	for (size_t i = 0; i < ARRAY_LEN(required); i++)
		if (!values[required[i]] || !*values[required[i]]) {
			rc = err_set(E_INPUT, "%s: missing '%s'", where,
				     required[i] == 0 ? "posting_name' (or 'job_title" : columns[required[i]].name);
			goto out;
		}
	long existing;
	if ((rc = find_existing(db, given_id, values[5], values[6], &existing)))
		goto out;
	sqlite3_stmt *st = db_prepare(db, existing ? UPDATE : INSERT);
	if (!st) {
		rc = E_DB;
		goto out;
	}
	for (size_t c = 0; c < ARRAY_LEN(columns); c++)
		db_bind_text(st, (int)c + 1, values[c]);
	db_bind_opt_int(st, 17, existing ? existing : given_id, existing || given_id);
	rc = db_run(db, st);
	if (rc) {
		rc = err_wrap(E_INPUT, "%s: posting %s/%s", where, values[5] ? values[5] : "", values[6]);
		goto out;
	}
	*id = existing ? existing : (long)sqlite3_last_insert_rowid(db->sql);
	*inserted = !existing;
out:
	for (size_t c = 0; c < ARRAY_LEN(columns); c++)
		free(values[c]);
	return rc;
}

int db_posting_column(struct db *db, long posting_id, const char *column, char **value)
{
	/* One statement per column keeps every query static and bound. The list
	 * matches vars_posting_columns. */
	static const struct {
		const char *name;
		const char *sql;
	} q[] = {
#define Q(c) { #c, "SELECT " #c " FROM postings WHERE posting_id = ?1" }
		Q(posting_id), Q(posting_name), Q(job_title), Q(job_description), Q(location_city),
		Q(location_country), Q(source), Q(external_job_id), Q(external_id), Q(external_url),
		Q(posting_status), Q(first_seen_at), Q(last_seen_at), Q(updated_at), Q(source_metadata),
		Q(extracted_summary), Q(skill_keywords), Q(ihl_score), Q(ihl_scale), Q(ihl_verdict),
#undef Q
	};
	*value = NULL;
	for (size_t i = 0; i < ARRAY_LEN(q); i++) {
		if (strcmp(q[i].name, column))
			continue;
		sqlite3_stmt *st = db_prepare(db, q[i].sql);
		if (!st)
			return E_DB;
		db_bind_int(st, 1, posting_id);
		int rc = db_step(db, st);
		if (rc == SQLITE_ROW)
			*value = db_col_text(st, 0);
		sqlite3_reset(st);
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
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return -1;
	db_bind_int(st, 1, posting_id);
	int rc = db_step(db, st);
	sqlite3_reset(st);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

int db_posting_ids(struct db *db, const char *status, long **ids, size_t *n)
{
	static const char ALL[] = "SELECT posting_id FROM postings WHERE invalidated = 0 AND enabled = 1 "
				  "ORDER BY posting_id";
	static const char BY_STATUS[] = "SELECT posting_id FROM postings WHERE posting_status = ?1 "
					"AND invalidated = 0 AND enabled = 1 ORDER BY posting_id";
	sqlite3_stmt *st = db_prepare(db, status ? BY_STATUS : ALL);
	*ids = NULL;
	*n = 0;
	if (!st)
		return E_DB;
	if (status)
		db_bind_text(st, 1, status);
	return db_collect_ids(db, st, ids, n);
}

int db_posting_set_summary(struct db *db, long posting_id, const char *summary, long interaction_id)
{
	static const char SQL[] =
		"UPDATE postings SET extracted_summary = ?2, summary_interaction_id = ?3, "
		"updated_by_interaction_id = ?3, results_updated_at = ?4, updated_at = ?4 WHERE posting_id = ?1";
	char now[32];
	iso_now(now);
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, posting_id);
	db_bind_text(st, 2, summary);
	db_bind_int(st, 3, interaction_id);
	db_bind_text(st, 4, now);
	return db_run(db, st);
}

int db_posting_set_skills(struct db *db, long posting_id, const char *skills_json, long interaction_id)
{
	static const char SQL[] =
		"UPDATE postings SET skill_keywords = ?2, skills_interaction_id = ?3, "
		"updated_by_interaction_id = ?3, results_updated_at = ?4, updated_at = ?4 WHERE posting_id = ?1";
	char now[32];
	iso_now(now);
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, posting_id);
	db_bind_text(st, 2, skills_json);
	db_bind_int(st, 3, interaction_id);
	db_bind_text(st, 4, now);
	return db_run(db, st);
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
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, posting_id);
	db_bind_int(st, 2, score);
	db_bind_int(st, 3, scale);
	db_bind_text(st, 4, verdict);
	db_bind_int(st, 5, interaction_id);
	db_bind_text(st, 6, now);
	return db_run(db, st);
}

int db_posting_external_ids(struct db *db, const char *source, char ***ids, size_t *n)
{
	/* BINARY collation orders like memcmp, which is strcmp order for UTF-8. */
	static const char SQL[] = "SELECT external_job_id FROM postings WHERE coalesce(source, '') = ?1 "
				  "AND invalidated = 0 ORDER BY external_job_id COLLATE BINARY";
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_text(st, 1, source ? source : "");
	int rc;
	size_t cap = 0;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = xstrdup(db_col_str(st, 0));
	}
	sqlite3_reset(st);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			free((*ids)[i]);
		free(*ids);
		*ids = NULL;
		*n = 0;
		return E_DB;
	}
	return E_OK;
}

int db_posting_touch(struct db *db, const char *source, const char *external_id, const char *now, long *id)
{
	static const char SQL[] = "UPDATE postings SET last_seen_at = ?3 WHERE coalesce(source, '') = ?1 "
				  "AND external_job_id = ?2 AND invalidated = 0 RETURNING posting_id";
	*id = 0;
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_text(st, 1, source ? source : "");
	db_bind_text(st, 2, external_id);
	db_bind_text(st, 3, now);
	int rc = db_step(db, st);
	if (rc == SQLITE_ROW) {
		*id = (long)sqlite3_column_int64(st, 0);
		rc = db_step(db, st);
	}
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
	sqlite3_stmt *st = db_prepare(db, INSERT);
	if (!st)
		return E_DB;
	db_bind_text(st, 1, p->title);
	db_bind_text(st, 2, p->description);
	db_bind_text(st, 3, p->location_city);
	db_bind_text(st, 4, p->location_country);
	db_bind_text(st, 5, p->source);
	db_bind_text(st, 6, p->external_id);
	/* turing's external_id is varchar(255); a longer id (an externalPath used
	 * as the id) stays in external_job_id only. */
	db_bind_text(st, 7, utf8_length(p->external_id) <= 255 ? p->external_id : NULL);
	db_bind_text(st, 8, p->external_url);
	db_bind_text(st, 9, now);
	db_bind_text(st, 10, p->metadata);
	db_bind_opt_int(st, 11, p->interaction_id, p->interaction_id > 0);
	if ((rc = db_run(db, st)))
		return err_wrap(E_DB, "storing the fetched posting %s", p->external_id);
	*id = (long)sqlite3_last_insert_rowid(db->sql);
	*inserted = 1;
	return E_OK;
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
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_text(st, 1, source ? source : "");
	db_bind_int(st, 2, max_fetches);
	db_bind_int(st, 3, limit);
	int rc;
	size_t cap = 0;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		struct missing_description *m = &(*out)[(*n)++];
		m->posting_id = (long)sqlite3_column_int64(st, 0);
		m->external_path = xstrdup(db_col_str(st, 1));
		m->fetches = (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc < 0) {
		db_missing_descriptions_free(*out, *n);
		*out = NULL;
		*n = 0;
		return E_DB;
	}
	return E_OK;
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
	sqlite3_stmt *st = db_prepare(db, description ? FOUND : MISSING);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, posting_id);
	if (description) {
		db_bind_text(st, 2, description);
		db_bind_text(st, 3, now);
	} else {
		db_bind_text(st, 2, error ? error : "no description");
		db_bind_text(st, 3, transient ? "true" : "false");
	}
	int rc = db_run(db, st);
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
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_text(st, 1, source ? source : "");
	int rc = db_step(db, st);
	if (rc == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}
