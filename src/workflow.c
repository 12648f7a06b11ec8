/* workflow.c: the workflow file format (man/waverunner-workflow.5) to and from
 * the in-memory definition. Shape errors are reported here, precisely; whether
 * the graph makes sense is validate.c's question. */
#include "workflow.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "err.h"
#include "json.h"
#include "util.h"

/* Where in the file we are, for messages: "3001.json: conversation 3337 'Grade'". */
struct ctx {
	const char *origin;
	char *where;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->where)
		err_set(E_INPUT, "%s: %s: %s", c->origin, c->where, m);
	else
		err_set(E_INPUT, "%s: %s", c->origin, m);
	free(m);
	return E_INPUT;
}

static void set_where(struct ctx *c, char *where)
{
	free(c->where);
	c->where = where;
}

/* A member of an object of the file: its key, how it is read ('L' a long
 * from min to max, 'i' an int from min to max, 'T' a string, 'X' a text,
 * 'b' a bool; '-' read by other code), whether it is required (for 'b': its
 * default), the default of a number, and where it goes (offsetof). A table
 * ends with a NULL key. */
struct field {
	const char *key;
	char kind;
	int required;
	long min, max, dflt;
	size_t off;
};

/* The keys of obj are those of fields. */
static int check_keys(struct ctx *c, const cJSON *obj, const struct field *fields)
{
	const cJSON *item;
	cJSON_ArrayForEach(item, obj) {
		int ok = 0;
		for (const struct field *f = fields; f->key; f++)
			if (!strcmp(f->key, item->string))
				ok = 1;
		if (!ok) {
			char *key = str_excerpt(item->string, 40);
			int rc = fail(c, "unknown key '%s'", key);
			free(key);
			return rc;
		}
	}
	return E_OK;
}

static int get_string(struct ctx *c, const cJSON *obj, const char *key, int required, char **out)
{
	const char *s = NULL;
	int r = json_get_string(obj, key, &s);
	if (r < 0)
		return fail(c, "'%s' must be a string", key);
	if (r > 0) {
		if (required)
			return fail(c, "missing '%s'", key);
		*out = NULL;
		return E_OK;
	}
	*out = xstrdup(s);
	return E_OK;
}

/* A template is a string or an array of lines joined with "\n". */
static int get_text(struct ctx *c, const cJSON *obj, const char *key, int required, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsArray(v)) {
		struct buf b = BUF_INIT;
		const cJSON *line;
		int first = 1;
		cJSON_ArrayForEach(line, v) {
			if (!cJSON_IsString(line)) {
				buf_release(&b);
				return fail(c, "'%s' must be a string or an array of strings", key);
			}
			if (!first)
				buf_putc(&b, '\n');
			buf_puts(&b, line->valuestring);
			first = 0;
		}
		*out = buf_detach(&b);
		return E_OK;
	}
	if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
		return fail(c, "'%s' must be a string or an array of strings", key);
	return get_string(c, obj, key, required, out);
}

static int get_int(struct ctx *c, const cJSON *obj, const char *key, int required, long min,
		   long max, long dflt, long *out)
{
	long v;
	int r = json_get_long(obj, key, &v);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (r < 0 && cJSON_IsNumber(n)) /* 1e300, 2.5: named as given, never converted */
		return fail(c, "'%s' must be a whole number from %ld to %ld, not %g", key, min, max, n->valuedouble);
	if (r < 0)
		return fail(c, "'%s' must be an integer", key);
	if (r > 0) {
		if (required)
			return fail(c, "missing '%s'", key);
		*out = dflt;
		return E_OK;
	}
	if (v < min || v > max)
		return fail(c, "'%s' must be between %ld and %ld, not %ld", key, min, max, v);
	*out = v;
	return E_OK;
}

static int get_bool(struct ctx *c, const cJSON *obj, const char *key, int dflt, int *out)
{
	int r = json_get_bool(obj, key, out);
	if (r < 0)
		return fail(c, "'%s' must be true or false", key);
	if (r > 0)
		*out = dflt;
	return E_OK;
}

/* Reads the fields [from, to) of the table into base, in order; stops at the
 * first error. */
static int get_fields(struct ctx *c, const cJSON *obj, const struct field *fields, size_t from, size_t to,
		      void *base)
{
	int rc = E_OK;
	for (size_t i = from; !rc && i < to; i++) {
		const struct field *f = &fields[i];
		void *at = (char *)base + f->off;
		long v;
		switch (f->kind) {
		case 'L': rc = get_int(c, obj, f->key, f->required, f->min, f->max, f->dflt, at); break;
		case 'i':
			if (!(rc = get_int(c, obj, f->key, f->required, f->min, f->max, f->dflt, &v)))
				*(int *)at = (int)v;
			break;
		case 'T': rc = get_string(c, obj, f->key, f->required, at); break;
		case 'X': rc = get_text(c, obj, f->key, f->required, at); break;
		case 'b': rc = get_bool(c, obj, f->key, f->required, at); break;
		default: break;
		}
	}
	return rc;
}

enum actor_kind actor_kind_parse(const char *type)
{
	static const char *const names[] = { [ACTOR_AI_MODEL] = "ai_model", [ACTOR_SCRIPT] = "script",
					     [ACTOR_BUILTIN] = "builtin" };
	for (size_t k = ACTOR_AI_MODEL; type && k < ARRAY_LEN(names); k++)
		if (!strcmp(type, names[k]))
			return (enum actor_kind)k;
	return ACTOR_UNKNOWN;
}

static int parse_actor(struct ctx *c, const cJSON *j, size_t idx, struct wf_actor *a)
{
#define F(key, kind, req, min, max, dflt, member) { key, kind, req, min, max, dflt, offsetof(struct wf_actor, member) }
	static const struct field fields[] = {
		F("actor_id", 'L', 1, 1, LONG_MAX, 0, id), F("name", 'T', 1, 0, 0, 0, name),
		F("type", 'T', 1, 0, 0, 0, type),	  F("script", 'T', 0, 0, 0, 0, script),
		F("enabled", 'b', 1, 0, 0, 0, enabled),	  { "config", '-', 0, 0, 0, 0, 0 },
		{ 0 },
	};
#undef F
	set_where(c, xasprintf("actors[%zu]", idx));
	if (!cJSON_IsObject(j))
		return fail(c, "must be an object");
	int rc = get_fields(c, j, fields, 0, 2, a);
	if (rc)
		return rc;
	set_where(c, xasprintf("actor %ld '%s'", a->id, a->name));
	rc = check_keys(c, j, fields);
	if (!rc)
		rc = get_fields(c, j, fields, 2, 3, a);
	if (!rc && !(a->kind = actor_kind_parse(a->type)))
		rc = fail(c, "'type' must be ai_model, script or builtin, not '%s'", a->type);
	if (!rc)
		rc = get_fields(c, j, fields, 3, 5, a);
	if (rc)
		return rc;
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	if (cfg && !cJSON_IsNull(cfg) && !cJSON_IsObject(cfg))
		return fail(c, "'config' must be an object");
	a->config = cfg && cJSON_IsObject(cfg) ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject();
	if (a->kind == ACTOR_SCRIPT && !a->script)
		return fail(c, "a script actor needs 'script', the program to run");
	if (a->kind != ACTOR_SCRIPT && a->script)
		return fail(c, "'script' is only for script actors");
	return E_OK;
}

static int parse_rule(struct ctx *c, const cJSON *j, size_t idx, struct wf_rule *r, const char *conv_label)
{
#define F(key, kind, req, min, max, dflt, member) { key, kind, req, min, max, dflt, offsetof(struct wf_rule, member) }
	static const struct field fields[] = {
		F("id", 'L', 0, 1, LONG_MAX, 0, id),
		F("condition", 'T', 1, 0, 0, 0, condition),
		F("name", 'T', 0, 0, 0, 0, name),
		F("next", 'L', 0, 1, LONG_MAX, 0, next),
		F("priority", 'i', 0, INT_MIN, INT_MAX, 5, priority),
		F("max_iterations", 'i', 0, 1, INT_MAX, 0, max_iterations),
		F("description", 'T', 0, 0, 0, 0, description),
		F("enabled", 'b', 1, 0, 0, 0, enabled),
		{ 0 },
	};
#undef F
	set_where(c, xasprintf("%s: rules[%zu]", conv_label, idx));
	if (!cJSON_IsObject(j))
		return fail(c, "must be an object");
	int rc = check_keys(c, j, fields);
	return rc ? rc : get_fields(c, j, fields, 0, ARRAY_LEN(fields) - 1, r);
}

static int parse_instruction(struct ctx *c, const cJSON *j, struct wf_conv *cv)
{
#define F(key, kind, req, member) { key, kind, req, 1, LONG_MAX, 0, offsetof(struct wf_conv, member) }
	static const struct field fields[] = {
		F("instruction_id", 'L', 0, instruction_id), F("name", 'T', 0, instruction_name),
		F("template", 'X', 1, template),	     F("system", 'X', 0, system_prompt),
		{ 0 },
	};
#undef F
	if (!cJSON_IsObject(j))
		return fail(c, "'instruction' must be an object");
	int rc = check_keys(c, j, fields);
	if (!rc)
		rc = get_fields(c, j, fields, 0, ARRAY_LEN(fields) - 1, cv);
	if (!rc)
		cv->has_instruction = 1;
	return rc;
}

static int parse_conv(struct ctx *c, const cJSON *j, size_t idx, struct wf_conv *cv)
{
#define F(key, kind, req, min, max, dflt, member) { key, kind, req, min, max, dflt, offsetof(struct wf_conv, member) }
	static const struct field fields[] = {
		F("conversation_id", 'L', 1, 1, LONG_MAX, 0, id),
		F("name", 'T', 1, 0, 0, 0, name),
		F("canonical_name", 'T', 0, 0, 0, 0, canonical_name),
		F("description", 'T', 0, 0, 0, 0, description),
		F("actor", 'T', 1, 0, 0, 0, actor),
		F("order", 'i', 0, INT_MIN, INT_MAX, 0, order),
		F("timeout_seconds", 'i', 0, 1, 7 * 24 * 3600, 300, timeout_seconds),
		F("max_attempts", 'i', 0, 1, 100, 3, max_attempts),
		F("terminal", 'b', 0, 0, 0, 0, terminal),
		F("enabled", 'b', 1, 0, 0, 0, enabled),
		F("parallel_group", 'i', 0, 1, INT_MAX, 0, parallel_group),
		F("wait_for_group", 'b', 0, 0, 0, 0, wait_for_group),
		{ "instruction", '-', 0, 0, 0, 0, 0 },
		{ "rules", '-', 0, 0, 0, 0, 0 },
		{ 0 },
	};
#undef F
	set_where(c, xasprintf("conversations[%zu]", idx));
	if (!cJSON_IsObject(j))
		return fail(c, "must be an object");
	int rc = get_fields(c, j, fields, 0, 2, cv);
	if (rc)
		return rc;
	char *label = workflow_conv_label(cv);
	set_where(c, xstrdup(label));
	rc = check_keys(c, j, fields);
	if (!rc)
		rc = get_fields(c, j, fields, 2, ARRAY_LEN(fields) - 1, cv);
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(j, "instruction");
	if (!rc && ins && !cJSON_IsNull(ins))
		rc = parse_instruction(c, ins, cv);
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(j, "rules");
	if (!rc && rules && !cJSON_IsNull(rules)) {
		if (!cJSON_IsArray(rules)) {
			rc = fail(c, "'rules' must be an array");
		} else {
			cv->nrules = (size_t)cJSON_GetArraySize(rules);
			cv->rules = xcalloc(cv->nrules, sizeof *cv->rules);
			size_t i = 0;
			const cJSON *r;
			cJSON_ArrayForEach(r, rules) {
				if ((rc = parse_rule(c, r, i, &cv->rules[i], label)))
					break;
				cv->rules[i].seq = (int)i;
				i++;
			}
		}
	}
	free(label);
	return rc;
}

#define F(key, kind, req, min, max, dflt, member) { key, kind, req, min, max, dflt, offsetof(struct workflow, member) }
/* The members of a workflow file's top object. */
static const struct field workflow_fields[] = {
	F("workflow_id", 'L', 1, 1, LONG_MAX, 0, id),
	F("name", 'T', 1, 0, 0, 0, name),
	F("description", 'X', 0, 0, 0, 0, description),
	F("version", 'i', 0, 1, INT_MAX, 1, version),
	F("enabled", 'b', 1, 0, 0, 0, enabled),
	{ "parameters", '-', 0, 0, 0, 0, 0 },
	{ "actors", '-', 0, 0, 0, 0, 0 },
	{ "conversations", '-', 0, 0, 0, 0, 0 },
	{ 0 },
};
#undef F

int workflow_from_json(const cJSON *root, const char *origin, struct workflow *wf)
{
	struct ctx c = { origin, NULL };
	memset(wf, 0, sizeof *wf);
	int rc = E_OK;
	if (!cJSON_IsObject(root)) {
		rc = fail(&c, "a workflow file holds one JSON object");
		goto out;
	}
	rc = check_keys(&c, root, workflow_fields);
	if (!rc)
		rc = get_fields(&c, root, workflow_fields, 0, ARRAY_LEN(workflow_fields) - 1, wf);
	if (rc)
		goto out;
	set_where(&c, xasprintf("workflow %ld", wf->id));
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
	if (params && !cJSON_IsNull(params) && !cJSON_IsObject(params)) {
		rc = fail(&c, "'parameters' must be an object of names and default values");
		goto out;
	}
	wf->parameters = cJSON_IsObject(params) ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();

	const cJSON *actors = cJSON_GetObjectItemCaseSensitive(root, "actors");
	if (actors && !cJSON_IsArray(actors)) {
		rc = fail(&c, "'actors' must be an array");
		goto out;
	}
	wf->nactors = (size_t)cJSON_GetArraySize(actors);
	wf->actors = xcalloc(wf->nactors, sizeof *wf->actors);
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, actors) {
		if ((rc = parse_actor(&c, it, i, &wf->actors[i])))
			goto out;
		for (size_t k = 0; k < i; k++) {
			if (wf->actors[k].id == wf->actors[i].id)
				rc = fail(&c, "actor id %ld is defined twice", wf->actors[i].id);
			else if (!strcmp(wf->actors[k].name, wf->actors[i].name))
				rc = fail(&c, "actor name '%s' is defined twice", wf->actors[i].name);
			if (rc)
				goto out;
		}
		i++;
	}

	const cJSON *convs = cJSON_GetObjectItemCaseSensitive(root, "conversations");
	set_where(&c, xasprintf("workflow %ld", wf->id));
	if (!cJSON_IsArray(convs) || !cJSON_GetArraySize(convs)) {
		rc = fail(&c, "'conversations' must be a non-empty array");
		goto out;
	}
	wf->nconvs = (size_t)cJSON_GetArraySize(convs);
	wf->convs = xcalloc(wf->nconvs, sizeof *wf->convs);
	i = 0;
	cJSON_ArrayForEach(it, convs) {
		if ((rc = parse_conv(&c, it, i, &wf->convs[i])))
			goto out;
		if (!cJSON_HasObjectItem(it, "order"))
			wf->convs[i].order = (int)(i + 1) * 10;
		for (size_t k = 0; k < i; k++) {
			if (wf->convs[k].id == wf->convs[i].id)
				rc = fail(&c, "conversation id %ld is defined twice", wf->convs[i].id);
			else if (wf->convs[k].order == wf->convs[i].order)
				rc = fail(&c, "conversations %ld and %ld have the same order %d",
					  wf->convs[k].id, wf->convs[i].id, wf->convs[i].order);
			if (rc)
				goto out;
		}
		i++;
	}
	/* Rule ids are unique across the file, like turing's instruction_step_id. */
	for (size_t a = 0; a < wf->nconvs; a++)
		for (size_t r = 0; r < wf->convs[a].nrules; r++) {
			long id = wf->convs[a].rules[r].id;
			for (size_t b = a; id && b < wf->nconvs; b++)
				for (size_t s = (b == a ? r + 1 : 0); s < wf->convs[b].nrules; s++)
					if (wf->convs[b].rules[s].id == id) {
						rc = fail(&c, "rule id %ld is used twice", id);
						goto out;
					}
		}
	workflow_sort(wf);
out:
	free(c.where);
	if (rc)
		workflow_release(wf);
	return rc;
}

int workflow_read_file(const char *path, struct workflow *wf)
{
	char *text, *msg;
	size_t len;
	if ((msg = read_input_file(path, INPUT_FILE_MAX, &text, &len))) {
		err_set(E_INPUT, "%s: %s", path, msg);
		free(msg);
		return E_INPUT;
	}
	cJSON *root = json_parse_strict(text, len, &msg);
	free(text);
	if (!root) {
		err_set(E_INPUT, "%s: %s", path, msg);
		free(msg);
		return E_INPUT;
	}
	int rc = workflow_from_json(root, path, wf);
	cJSON_Delete(root);
	if (!rc) {
		char *copy = xstrdup(path);
		char *real = realpath(dirname(copy), NULL);
		wf->source_dir = real ? xstrdup(real) : NULL;
		free(real);
		free(copy);
	}
	return rc;
}

static void add_text(cJSON *obj, const char *key, const char *text)
{
	if (!strchr(text, '\n')) {
		cJSON_AddStringToObject(obj, key, text);
		return;
	}
	cJSON *lines = cJSON_AddArrayToObject(obj, key);
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		char *line = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
		cJSON_AddItemToArray(lines, cJSON_CreateString(line));
		free(line);
		if (!nl)
			break;
		p = nl + 1;
	}
}

cJSON *workflow_to_json(const struct workflow *wf)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "workflow_id", (double)wf->id);
	cJSON_AddStringToObject(root, "name", wf->name);
	if (wf->description)
		add_text(root, "description", wf->description);
	cJSON_AddNumberToObject(root, "version", wf->version);
	if (!wf->enabled)
		cJSON_AddFalseToObject(root, "enabled");
	if (wf->parameters && cJSON_GetArraySize(wf->parameters))
		cJSON_AddItemToObject(root, "parameters", cJSON_Duplicate(wf->parameters, 1));
	cJSON *actors = cJSON_AddArrayToObject(root, "actors");
	for (size_t i = 0; i < wf->nactors; i++) {
		const struct wf_actor *a = &wf->actors[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "actor_id", (double)a->id);
		cJSON_AddStringToObject(o, "name", a->name);
		cJSON_AddStringToObject(o, "type", a->type);
		if (a->script)
			cJSON_AddStringToObject(o, "script", a->script);
		if (a->config && cJSON_GetArraySize(a->config))
			cJSON_AddItemToObject(o, "config", cJSON_Duplicate(a->config, 1));
		if (!a->enabled)
			cJSON_AddFalseToObject(o, "enabled");
		cJSON_AddItemToArray(actors, o);
	}
	cJSON *convs = cJSON_AddArrayToObject(root, "conversations");
	for (size_t i = 0; i < wf->nconvs; i++) {
		const struct wf_conv *cv = &wf->convs[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "conversation_id", (double)cv->id);
		cJSON_AddStringToObject(o, "name", cv->name);
		if (cv->canonical_name)
			cJSON_AddStringToObject(o, "canonical_name", cv->canonical_name);
		cJSON_AddStringToObject(o, "actor", cv->actor);
		cJSON_AddNumberToObject(o, "order", cv->order);
		cJSON_AddNumberToObject(o, "timeout_seconds", cv->timeout_seconds);
		cJSON_AddNumberToObject(o, "max_attempts", cv->max_attempts);
		if (cv->terminal)
			cJSON_AddTrueToObject(o, "terminal");
		if (!cv->enabled)
			cJSON_AddFalseToObject(o, "enabled");
		if (cv->parallel_group)
			cJSON_AddNumberToObject(o, "parallel_group", cv->parallel_group);
		if (cv->wait_for_group)
			cJSON_AddTrueToObject(o, "wait_for_group");
		if (cv->description)
			add_text(o, "description", cv->description);
		if (cv->has_instruction) {
			cJSON *ins = cJSON_AddObjectToObject(o, "instruction");
			if (cv->instruction_id)
				cJSON_AddNumberToObject(ins, "instruction_id", (double)cv->instruction_id);
			if (cv->instruction_name)
				cJSON_AddStringToObject(ins, "name", cv->instruction_name);
			add_text(ins, "template", cv->template);
			if (cv->system_prompt)
				add_text(ins, "system", cv->system_prompt);
		}
		cJSON *rules = cJSON_AddArrayToObject(o, "rules");
		for (size_t r = 0; r < cv->nrules; r++) {
			const struct wf_rule *ru = &cv->rules[r];
			cJSON *ro = cJSON_CreateObject();
			if (ru->id)
				cJSON_AddNumberToObject(ro, "id", (double)ru->id);
			/* A name load made up (db-defs.c) is left out, as the file had it. */
			char *made_up = xasprintf("%ld %s -> %s", cv->id, ru->condition, ru->next ? "next" : "END");
			if (ru->name && strcmp(ru->name, made_up))
				cJSON_AddStringToObject(ro, "name", ru->name);
			free(made_up);
			cJSON_AddStringToObject(ro, "condition", ru->condition);
			if (ru->next)
				cJSON_AddNumberToObject(ro, "next", (double)ru->next);
			else
				cJSON_AddNullToObject(ro, "next");
			cJSON_AddNumberToObject(ro, "priority", ru->priority);
			if (ru->max_iterations)
				cJSON_AddNumberToObject(ro, "max_iterations", ru->max_iterations);
			if (ru->description)
				cJSON_AddStringToObject(ro, "description", ru->description);
			if (!ru->enabled)
				cJSON_AddFalseToObject(ro, "enabled");
			cJSON_AddItemToArray(rules, ro);
		}
		cJSON_AddItemToArray(convs, o);
	}
	return root;
}

void workflow_release(struct workflow *wf)
{
	for (size_t i = 0; i < wf->nactors; i++) {
		free(wf->actors[i].name);
		free(wf->actors[i].type);
		free(wf->actors[i].script);
		cJSON_Delete(wf->actors[i].config);
	}
	for (size_t i = 0; i < wf->nconvs; i++) {
		struct wf_conv *cv = &wf->convs[i];
		free(cv->name);
		free(cv->canonical_name);
		free(cv->description);
		free(cv->actor);
		free(cv->instruction_name);
		free(cv->template);
		free(cv->system_prompt);
		for (size_t r = 0; r < cv->nrules; r++) {
			free(cv->rules[r].name);
			free(cv->rules[r].condition);
			free(cv->rules[r].description);
		}
		free(cv->rules);
	}
	free(wf->actors);
	free(wf->convs);
	free(wf->name);
	free(wf->description);
	free(wf->source_dir);
	cJSON_Delete(wf->parameters);
	memset(wf, 0, sizeof *wf);
}

struct wf_conv *workflow_conv(const struct workflow *wf, long id)
{
	for (size_t i = 0; i < wf->nconvs; i++)
		if (wf->convs[i].id == id)
			return &wf->convs[i];
	return NULL;
}

struct wf_actor *workflow_actor(const struct workflow *wf, const char *name)
{
	for (size_t i = 0; i < wf->nactors; i++)
		if (!strcmp(wf->actors[i].name, name))
			return &wf->actors[i];
	return NULL;
}

static int cmp_conv(const void *a, const void *b)
{
	const struct wf_conv *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct wf_rule *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	/* Equal priorities keep the order of the file (or of the ids). */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void workflow_sort(struct workflow *wf)
{
	/* qsort must not be given a NULL array, even an empty one. */
	if (wf->nconvs > 1)
		qsort(wf->convs, wf->nconvs, sizeof *wf->convs, cmp_conv);
	for (size_t i = 0; i < wf->nconvs; i++)
		if (wf->convs[i].nrules > 1)
			qsort(wf->convs[i].rules, wf->convs[i].nrules, sizeof *wf->convs[i].rules, cmp_rule);
}

char *workflow_conv_label(const struct wf_conv *c)
{
	return xasprintf("conversation %ld '%s'", c->id, c->name);
}

const char *wf_actor_model(const struct wf_actor *a)
{
	const char *m = json_str(a->config, "model");
	return m ? m : a->name;
}

int workflow_step_is_global(const struct workflow *wf, const struct wf_conv *c)
{
	const struct wf_actor *a = workflow_actor(wf, c->actor);
	if (!a)
		return 0;
	int fans_out = 0;
	if (json_get_bool(a->config, "fans_out", &fans_out) == 0 && fans_out)
		return 1;
	/* A built-in that does not run inline is the fetch, which fans out. */
	const struct builtin *b = a->kind == ACTOR_BUILTIN ? builtin_find(builtin_of(a)) : NULL;
	return b && !b->runs_inline;
}

const struct wf_conv *workflow_first_step(const struct workflow *wf)
{
	for (size_t i = 0; i < wf->nconvs; i++) /* sorted by order */
		if (wf->convs[i].enabled)
			return &wf->convs[i];
	return NULL;
}

const struct wf_conv *workflow_posting_entry(const struct workflow *wf)
{
	for (size_t i = 0; i < wf->nconvs; i++)
		if (wf->convs[i].enabled && !workflow_step_is_global(wf, &wf->convs[i]))
			return &wf->convs[i];
	return NULL;
}
