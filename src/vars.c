/* vars.c: the variables of a template and how each is found (see vars.h). */
#include "vars.h"

#include <stdlib.h>
#include <string.h>

#include "db-postings.h"
#include "db-runs.h"
#include "err.h"
#include "json.h"
#include "util.h"

const char *vars_posting_column(const char *name)
{
	if (!strcmp(name, "variations_param_1"))
		return "job_description";
	if (!strcmp(name, "variations_param_2"))
		return "job_title";
	if (!strcmp(name, "variations_param_3"))
		return "location_city";
	for (size_t c = 0; c < NPOSTING_COLUMNS; c++)
		if (posting_columns[c].var && !strcmp(posting_columns[c].name, name))
			return posting_columns[c].name;
	return NULL;
}

int vars_output_conv(const char *var, long *conv)
{
	static const char prefix[] = "conversation_", suffix[] = "_output";
	size_t len = strlen(var);
	if (!str_starts_with(var, prefix) || len <= sizeof prefix - 1 + sizeof suffix - 1 ||
	    strcmp(var + len - (sizeof suffix - 1), suffix))
		return 0;
	char *digits = xstrndup(var + sizeof prefix - 1, len - (sizeof prefix - 1) - (sizeof suffix - 1));
	long v;
	int ok = parse_long(digits, &v) == 0 && v > 0 && digits[0] != '+';
	free(digits);
	if (ok)
		*conv = v;
	return ok;
}

int vars_is_context(const char *var)
{
	return !strcmp(var, "workflow_run_id") || !strcmp(var, "workflow_id");
}

/* A field of a step's output: the output parsed as JSON (or the JSON found in
 * a model's answer). */
static enum tpl_lookup output_field(const char *output, const char *field, const char *var, char **value,
				    char **why)
{
	char *refused;
	cJSON *doc = json_find(output, &refused);
	if (!doc) {
		*why = refused ? xasprintf("the output of %s holds no JSON to read '%s' from: %s", var, field, refused)
			       : xasprintf("the output of %s holds no JSON to read '%s' from", var, field);
		free(refused);
		return TPL_NO_VALUE;
	}
	const cJSON *item = json_path(doc, field);
	if (!item) {
		*why = xasprintf("the JSON output of %s has no field '%s'", var, field);
		cJSON_Delete(doc);
		return TPL_NO_VALUE;
	}
	*value = json_value_text(item);
	cJSON_Delete(doc);
	return TPL_FOUND;
}

enum tpl_lookup vars_lookup(void *ctx, const char *name, char **value, char **why)
{
	struct vars_env *env = ctx;
	char *var, *field;
	enum tpl_lookup r = TPL_UNKNOWN;
	long conv;
	template_split_name(name, &var, &field);
	*value = NULL;
	*why = NULL;
	const char *column = vars_posting_column(var);
	if (column && !field) {
		if (!env->posting_id) {
			*why = xasprintf("this run has no posting, so {%s} has no value", var);
			r = TPL_NO_VALUE;
		} else if (db_posting_column(env->db, env->posting_id, column, value) == E_OK) {
			if (!*value)
				*value = xstrdup(""); /* NULL is empty */
			r = TPL_FOUND;
		} else {
			*why = xstrdup(err_msg());
			r = TPL_NO_VALUE;
		}
	} else if (vars_is_context(var) && !field) {
		*value = xasprintf("%ld", !strcmp(var, "workflow_id") ? env->workflow_id : env->run_id);
		r = TPL_FOUND;
	} else if (!strcmp(var, "parent_response") || vars_output_conv(var, &conv)) {
		char *output = NULL;
		int found = 0;
		int rc = !strcmp(var, "parent_response")
			? db_parent_output(env->db, env->parents, env->nparents, &output, &found)
			: db_ancestor_output(env->db, env->run_id, env->parents, env->nparents, conv, &output, &found);
		if (rc) {
			*why = xstrdup(err_msg());
			r = TPL_NO_VALUE;
		} else if (!found) {
			*why = !strcmp(var, "parent_response")
				? xstrdup("this step has no parent")
				: xasprintf("conversation %ld has not run before this step in this run", conv);
			r = TPL_NO_VALUE;
		} else if (field) {
			r = output_field(output ? output : "", field, var, value, why);
		} else {
			*value = output ? xstrdup(output) : xstrdup("");
			r = TPL_FOUND;
		}
		free(output);
	} else {
		cJSON *params = env->params ? cJSON_Parse(env->params) : NULL;
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(params, var);
		if (p) {
			const cJSON *item = field ? json_path(p, field) : p;
			if (item) {
				*value = json_value_text(item);
				r = TPL_FOUND;
			} else {
				*why = xasprintf("run parameter '%s' has no field '%s'", var, field);
				r = TPL_NO_VALUE;
			}
		}
		cJSON_Delete(params);
	}
	free(var);
	free(field);
	return r;
}
