/* builtin.c: the actors written in C. They run inside the transaction that
 * finishes their interaction, so a save and the step's completion are one
 * commit. A save that finds nothing usable fails the step ([FAILED]) and says
 * why; it never passes as success. */
#include "builtin.h"

#include <stdlib.h>
#include <string.h>

#include "db-postings.h"
#include "db-query.h"
#include "err.h"
#include "exec.h"
#include "extract.h"
#include "json.h"
#include "util.h"

const char *builtin_of(const struct wf_actor *a)
{
	const char *b = json_str(a->config, "builtin");
	return b ? b : a->name;
}

const struct builtin *builtin_find(const char *name)
{
	for (const struct builtin *b = builtins; b->name; b++)
		if (!strcmp(b->name, name))
			return b;
	return NULL;
}

int builtin_known(const char *name)
{
	return builtin_find(name) != NULL;
}

char *builtin_list(void)
{
	struct buf out = BUF_INIT;
	for (const struct builtin *b = builtins; b->name; b++)
		buf_printf(&out, "%s%s", out.len ? ", " : "", b->name);
	return buf_detach(&out);
}

/* check_description: a description shorter than this is [TOO_SHORT]. */
#define DESCRIPTION_MIN_CHARS 100
/* save_summary: a shorter summary is not saved. */
#define SUMMARY_MIN_CHARS 50
/* save_ihl: the scale of the IHL score. */
#define IHL_SCALE 10

/* Ends the step with a status token and an output object (consumed). */
static void succeed(struct result *res, const char *status, cJSON *out)
{
	cJSON_AddStringToObject(out, "status", status);
	res->ok = 1;
	res->output = json_print(out);
	res->status = xstrdup(status);
	cJSON_Delete(out);
}

/* Ends the step as failed with {"status": "[FAILED]", "error": why}. */
static void fail_step(struct result *res, const char *why)
{
	cJSON *out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", "[FAILED]");
	cJSON_AddStringToObject(out, "error", why);
	result_fail(res, FC_STEP_FAILED, "%s", why);
	res->output = json_print(out);
	res->status = xstrdup("[FAILED]");
	cJSON_Delete(out);
}

/* The string field key of the input, or NULL with the step failed. */
static const char *input_text(struct result *res, const cJSON *in, const char *key, const char *builtin)
{
	const char *s = json_str(in, key);
	if (!s) {
		char *why = xasprintf("%s needs an input object with a \"%s\" string (check the step's template)",
				      builtin, key);
		fail_step(res, why);
		free(why);
	}
	return s;
}

static int needs_posting(struct task *t, const char *builtin)
{
	if (t->r.posting_id)
		return 1;
	char *why = xasprintf("%s works on a posting, and this run has none", builtin);
	fail_step(&t->res, why);
	free(why);
	return 0;
}

static int check_description(struct db *db, struct task *t, const cJSON *in)
{
	(void)db;
	const char *d = input_text(&t->res, in, "description", "check_description");
	if (!d)
		return E_OK;
	char *text = str_trim(xstrdup(d));
	size_t len = utf8_length(text);
	cJSON *out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "length", (double)len);
	succeed(&t->res, !len ? "[NO_DESCRIPTION]" : len < DESCRIPTION_MIN_CHARS ? "[TOO_SHORT]" : "[VALID]", out);
	free(text);
	return E_OK;
}

static int save_summary(struct db *db, struct task *t, const cJSON *in)
{
	const char *s = input_text(&t->res, in, "summary", "save_summary");
	if (!s || !needs_posting(t, "save_summary"))
		return E_OK;
	char *summary = str_trim(xstrdup(s));
	size_t len = utf8_length(summary);
	if (len < SUMMARY_MIN_CHARS) {
		char *why = len ? xasprintf("the summary is too short to save (%zu characters; at least %d)", len,
					    SUMMARY_MIN_CHARS)
				: xstrdup("the summary is empty");
		fail_step(&t->res, why);
		free(why);
		free(summary);
		return E_OK;
	}
	int rc = db_posting_set_summary(db, t->r.posting_id, summary, t->r.id);
	if (!rc) {
		cJSON *out = cJSON_CreateObject();
		cJSON_AddNumberToObject(out, "posting_id", (double)t->r.posting_id);
		cJSON_AddNumberToObject(out, "summary_length", (double)len);
		succeed(&t->res, "[SAVED]", out);
	}
	free(summary);
	return rc;
}

static int save_skills(struct db *db, struct task *t, const cJSON *in)
{
	const char *answer = input_text(&t->res, in, "skills", "save_skills");
	if (!answer || !needs_posting(t, "save_skills"))
		return E_OK;
	cJSON *skills;
	char *why;
	if (extract_skills(answer, &skills, &why) < 0) {
		fail_step(&t->res, why);
		free(why);
		return E_OK;
	}
	char *json = json_print(skills);
	int n = cJSON_GetArraySize(skills);
	cJSON_Delete(skills);
	int rc = db_posting_set_skills(db, t->r.posting_id, json, t->r.id);
	free(json);
	if (!rc) {
		cJSON *out = cJSON_CreateObject();
		cJSON_AddNumberToObject(out, "posting_id", (double)t->r.posting_id);
		cJSON_AddNumberToObject(out, "skills_saved", n);
		succeed(&t->res, "[SAVED]", out);
	}
	return rc;
}

static int save_ihl(struct db *db, struct task *t, const cJSON *in)
{
	const char *answer = input_text(&t->res, in, "answer", "save_ihl");
	if (!answer || !needs_posting(t, "save_ihl"))
		return E_OK;
	int score, derived;
	char *verdict, *why;
	if (extract_ihl(answer, &score, &verdict, &derived, &why) < 0) {
		fail_step(&t->res, why);
		free(why);
		return E_OK;
	}
	int rc = db_posting_set_ihl(db, t->r.posting_id, score, IHL_SCALE, verdict, t->r.id);
	if (!rc) {
		cJSON *out = cJSON_CreateObject();
		cJSON_AddNumberToObject(out, "posting_id", (double)t->r.posting_id);
		cJSON_AddNumberToObject(out, "ihl_score", score);
		cJSON_AddNumberToObject(out, "ihl_scale", IHL_SCALE);
		cJSON_AddStringToObject(out, "verdict", verdict);
		if (derived)
			cJSON_AddStringToObject(out, "note", "the answer had no verdict; it was derived from the score");
		succeed(&t->res, "[SAVED]", out);
	}
	free(verdict);
	return rc;
}

/* {"sql": "SELECT ...", "map": {"1": "[SKIP]", "null": "[RUN]"}, "default": "[RUN]"}:
 * the first column of the first row, mapped to a status token. */
static int sql_query(struct db *db, struct task *t, const cJSON *in)
{
	const char *sql = input_text(&t->res, in, "sql", "sql_query");
	if (!sql)
		return E_OK;
	struct query_params p = { t->r.posting_id, t->r.run_id, t->r.workflow_id, t->r.id };
	char *value, *error;
	int has_row;
	if (db_query_scalar(db, sql, &p, &value, &has_row, &error) < 0) {
		fail_step(&t->res, error);
		free(error);
		return E_OK;
	}
	const char *key = !has_row ? "none" : value ? value : "null";
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(in, "map");
	const char *status = json_str(map, key);
	if (!status && !has_row)
		status = json_str(map, "null");
	if (!status)
		status = json_str(in, "default");
	if (!status)
		status = key;
	cJSON *out = cJSON_CreateObject();
	if (value)
		cJSON_AddStringToObject(out, "value", value);
	else
		cJSON_AddNullToObject(out, "value");
	cJSON_AddBoolToObject(out, "row", has_row);
	succeed(&t->res, status, out);
	free(value);
	return E_OK;
}

const struct builtin builtins[] = {
	{ "check_description", check_description, 1 },
	{ "save_summary", save_summary, 1 },
	{ "save_skills", save_skills, 1 },
	{ "save_ihl", save_ihl, 1 },
	{ "sql_query", sql_query, 1 },
	{ "fetch_jobs", NULL, 0 },
	{ NULL, NULL, 0 },
};

static int builtin_start(struct executor *ex, struct db *db, struct task *t)
{
	(void)ex;
	const char *name = builtin_of(t->actor);
	char *msg = NULL;
	cJSON *in = json_parse(t->r.input ? t->r.input : "", t->r.input ? strlen(t->r.input) : 0, &msg);
	if (!cJSON_IsObject(in)) {
		result_fail(&t->res, FC_INVALID_OUTPUT, "%s needs a JSON object as input: %s", name,
			    msg ? msg : "it is not an object");
		free(msg);
		cJSON_Delete(in);
		return E_OK;
	}
	int rc = E_OK;
	const struct builtin *b = builtin_find(name);
	if (b && b->run)
		rc = b->run(db, t, in);
	else
		result_fail(&t->res, FC_INTERNAL, "no built-in actor named '%s'", name);
	cJSON_Delete(in);
	return rc;
}

static void builtin_destroy(struct executor *ex)
{
	free(ex);
}

struct executor *builtin_executor_new(void)
{
	struct executor *ex = xcalloc(1, sizeof *ex);
	ex->name = "builtin";
	ex->finishes_inline = 1;
	ex->start = builtin_start;
	ex->destroy = builtin_destroy;
	return ex;
}
