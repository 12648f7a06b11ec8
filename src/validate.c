/* validate.c: static checks of a workflow graph before it runs: missing actors
 * and instructions, rules to unknown steps, placeholders that cannot be filled,
 * unreachable steps, loops without a bound, steps whose paths end silently. */
#include "validate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "branch.h"
#include "err.h"
#include "builtin.h"
#include "db-query.h"
#include "json.h"
#include "script.h"
#include "template.h"
#include "util.h"
#include "vars.h"

static void add(struct findings *f, enum severity sev, const struct wf_conv *c, long rule_id,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct findings *f, enum severity sev, const struct wf_conv *c, long rule_id,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->items = xreallocarray(f->items, f->cap, sizeof *f->items);
	}
	struct finding *it = &f->items[f->n++];
	it->severity = sev;
	it->conversation_id = c ? c->id : 0;
	it->rule_id = rule_id;
	it->message = c ? xasprintf("conversation %ld '%s': %s", c->id, c->name, m) : xstrdup(m);
	free(m);
	if (sev == SEV_ERROR)
		f->errors++;
	else
		f->warnings++;
}

void findings_release(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->items[i].message);
	free(f->items);
	memset(f, 0, sizeof *f);
}

void findings_print(const struct findings *f, const char *origin)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *it = &f->items[i];
		if (it->severity == SEV_ERROR)
			note("%s: error: %s", origin, it->message);
		else
			warn("%s: %s", origin, it->message);
	}
}

cJSON *findings_json(const struct findings *f)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *it = &f->items[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "severity", it->severity == SEV_ERROR ? "error" : "warning");
		if (it->conversation_id)
			cJSON_AddNumberToObject(o, "conversation_id", (double)it->conversation_id);
		if (it->rule_id)
			cJSON_AddNumberToObject(o, "rule_id", (double)it->rule_id);
		cJSON_AddStringToObject(o, "message", it->message);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The graph of enabled steps and rules, by index into wf->convs. */
struct graph {
	const struct workflow *wf;
	size_t n;
	size_t **succ;     /* succ[i]: successor indexes */
	int **bounded;     /* bounded[i][k]: the rule behind succ[i][k] has a bound */
	size_t *nsucc;
	int *has_pred;
};

static long index_of(const struct workflow *wf, long id)
{
	for (size_t i = 0; i < wf->nconvs; i++)
		if (wf->convs[i].id == id)
			return (long)i;
	return -1;
}

static void graph_build(struct graph *g, const struct workflow *wf)
{
	g->wf = wf;
	g->n = wf->nconvs;
	g->succ = xcalloc(g->n, sizeof *g->succ);
	g->bounded = xcalloc(g->n, sizeof *g->bounded);
	g->nsucc = xcalloc(g->n, sizeof *g->nsucc);
	g->has_pred = xcalloc(g->n, sizeof *g->has_pred);
	for (size_t i = 0; i < g->n; i++) {
		const struct wf_conv *c = &wf->convs[i];
		g->succ[i] = xcalloc(c->nrules + 1, sizeof **g->succ);
		g->bounded[i] = xcalloc(c->nrules + 1, sizeof **g->bounded);
		if (!c->enabled)
			continue;
		for (size_t r = 0; r < c->nrules; r++) {
			const struct wf_rule *ru = &c->rules[r];
			long j = ru->next && ru->enabled ? index_of(wf, ru->next) : -1;
			if (j < 0 || !wf->convs[j].enabled)
				continue;
			g->succ[i][g->nsucc[i]] = (size_t)j;
			g->bounded[i][g->nsucc[i]] = ru->max_iterations > 0;
			g->nsucc[i]++;
			g->has_pred[j] = 1;
		}
	}
}

static void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->succ[i]);
		free(g->bounded[i]);
	}
	free(g->succ);
	free(g->bounded);
	free(g->nsucc);
	free(g->has_pred);
}

/* Marks in seen every step reachable from the entries without passing through a
 * blocked step. Returns 1 if target was reached (target may be blocked itself:
 * it is the end of the path, not a step on it). */
static int reach(const struct graph *g, const size_t *entries, size_t nentries, const int *blocked,
		 long target, int *seen)
{
	size_t *queue = xcalloc(g->n + 1, sizeof *queue);
	size_t head = 0, tail = 0;
	int found = 0;
	memset(seen, 0, g->n * sizeof *seen);
	for (size_t e = 0; e < nentries; e++) {
		size_t s = entries[e];
		if ((long)s == target)
			found = 1;
		if (seen[s] || (blocked && blocked[s]))
			continue;
		seen[s] = 1;
		queue[tail++] = s;
	}
	while (head < tail) {
		size_t u = queue[head++];
		for (size_t k = 0; k < g->nsucc[u]; k++) {
			size_t v = g->succ[u][k];
			if ((long)v == target)
				found = 1;
			if (seen[v] || (blocked && blocked[v]))
				continue;
			seen[v] = 1;
			queue[tail++] = v;
		}
	}
	free(queue);
	return found;
}

struct check_ctx {
	const struct workflow *wf;
	const struct graph *g;
	const size_t *entries;
	size_t nentries;
	size_t self;             /* index of the conversation whose template this is */
	int is_entry;
	struct findings *out;
	const char *what;        /* "template" or "system prompt" */
};

/* Why alternative name cannot be filled at this step: NULL if it can always be,
 * "" if it can on some paths only, else a reason (static or new string in *owned). */
static const char *alt_problem(struct check_ctx *cx, const char *name, long *conv_out, char **owned)
{
	char *var, *field;
	template_split_name(name, &var, &field);
	const char *problem = NULL;
	long conv;
	*conv_out = 0;
	if (vars_posting_column(var) || vars_is_context(var)) {
		if (field)
			problem = "posting columns and run ids have no fields";
		else if (vars_posting_column(var) && workflow_step_is_global(cx->wf, &cx->wf->convs[cx->self]))
			problem = "this step runs once per workflow, without a posting";
	} else if (!strcmp(var, "parent_response")) {
		if (!cx->g->has_pred[cx->self])
			problem = "this step has no parent (no rule leads to it)";
		else if (cx->is_entry)
			problem = ""; /* no parent when a run starts here */
	} else if (vars_output_conv(var, &conv)) {
		long j = index_of(cx->wf, conv);
		const struct wf_conv *self = &cx->wf->convs[cx->self];
		*conv_out = conv;
		if (j >= 0 && self->wait_for_group && cx->wf->convs[j].parallel_group == self->parallel_group &&
		    !cx->wf->convs[j].wait_for_group && cx->wf->convs[j].enabled) {
			*conv_out = 0; /* a fan-in starts only after every member of its group */
		} else if (j < 0) {
			problem = *owned = xasprintf("conversation %ld is not part of workflow %ld", conv, cx->wf->id);
		} else {
			/* Can conv run before this step at all? */
			int *seen = xcalloc(cx->g->n, sizeof *seen);
			size_t from = (size_t)j;
			int ok = 0;
			if (cx->wf->convs[j].enabled)
				for (size_t k = 0; k < cx->g->nsucc[from]; k++) {
					size_t start = cx->g->succ[from][k];
					if (start == cx->self || reach(cx->g, &start, 1, NULL, (long)cx->self, seen)) {
						ok = 1;
						break;
					}
				}
			free(seen);
			if (!ok)
				problem = *owned = xasprintf("conversation %ld never runs before this step", conv);
		}
	} else if (cx->wf->parameters && cJSON_HasObjectItem(cx->wf->parameters, var)) {
		if (field)
			problem = "run parameters have no fields";
	} else if (str_starts_with(var, "session_") || !strcmp(var, "current_summary")) {
		problem = *owned = xasprintf("no such variable (turing's {%s} is not supported: name the step, "
					     "as in {conversation_3335_output})", var);
	} else {
		problem = "no such variable";
	}
	free(var);
	free(field);
	return problem;
}

static void check_placeholder(void *ctx, const char *text, char *const *alts, size_t nalts)
{
	struct check_ctx *cx = ctx;
	const struct wf_conv *c = &cx->wf->convs[cx->self];
	int *blocked = xcalloc(cx->g->n, sizeof *blocked);
	int always = 0, sometimes = 0;
	char *first_problem = NULL;
	for (size_t i = 0; i < nalts; i++) {
		long conv;
		char *owned = NULL;
		const char *p = alt_problem(cx, alts[i], &conv, &owned);
		if (!p) {
			if (conv) {
				long j = index_of(cx->wf, conv);
				blocked[j] = 1; /* for the all-paths check below */
				sometimes = 1;
			} else {
				always = 1;
			}
		} else if (!*p) {
			sometimes = 1;
		} else if (!first_problem) {
			first_problem = xstrdup(p);
		}
		free(owned);
	}
	if (!always && !sometimes) {
		if (nalts == 1)
			add(cx->out, SEV_ERROR, c, 0, "%s placeholder %s cannot be filled: %s", cx->what, text,
			    first_problem);
		else
			add(cx->out, SEV_ERROR, c, 0, "%s placeholder %s cannot be filled: none of its names has a "
			    "value here (first: %s)", cx->what, text, first_problem);
	} else if (!always) {
		/* Step outputs: is there a path to this step that avoids every one of them? */
		int *seen = xcalloc(cx->g->n, sizeof *seen);
		if (cx->is_entry || reach(cx->g, cx->entries, cx->nentries, blocked, (long)cx->self, seen))
			add(cx->out, SEV_WARNING, c, 0,
			    "%s placeholder %s may have no value: a run can reach this step without it%s", cx->what,
			    text, cx->is_entry ? " (when it starts here)" : "");
		free(seen);
	}
	free(first_problem);
	free(blocked);
}

/* The settings of a script actor (script.h): what it may not have is said
 * before a run, not discovered in one. */
static void check_script_config(struct findings *out, const struct wf_actor *a, const struct wf_conv *c)
{
	long v;
	if (json_get_long(a->config, "max_output_bytes", &v) == 0 && v < 1)
		add(out, SEV_ERROR, c, 0, "actor %ld '%s': config 'max_output_bytes' must be at least 1", a->id,
		    a->name);
	if (json_get_long(a->config, "kill_grace_ms", &v) == 0 && v < 0)
		add(out, SEV_ERROR, c, 0, "actor %ld '%s': config 'kill_grace_ms' must not be negative", a->id,
		    a->name);
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(a->config, "env"), *it;
	if (!cJSON_IsArray(env))
		return;
	cJSON_ArrayForEach(it, env) {
		if (!cJSON_IsString(it))
			continue; /* the type check says so */
		const char *n = it->valuestring;
		if (!script_env_name_ok(n))
			add(out, SEV_ERROR, c, 0, "actor %ld '%s': config 'env' lists '%s', which is not a variable name",
			    a->id, a->name, n);
		else if (script_env_denied(n))
			add(out, SEV_WARNING, c, 0,
			    "actor %ld '%s': config 'env' lists %s, which is never passed to scripts (names with "
			    "PASS, SECRET, TOKEN, KEY, CREDENTIAL, AUTH, DSN, PRIVATE, COOKIE, SESSION and database "
			    "settings are kept from them)",
			    a->id, a->name, n);
	}
}

static void check_config(struct findings *out, const struct wf_actor *a, const struct wf_conv *c)
{
	static const struct {
		const char *key;
		int type; /* 0 number, 1 integer, 2 string, 3 bool, 4 string or array, 5 array of strings,
			     6 string or array of strings */
	} known[] = {
		{ "temperature", 0 }, { "top_p", 0 }, { "top_k", 1 }, { "min_p", 0 }, { "seed", 1 },
		{ "num_ctx", 1 }, { "num_predict", 1 }, { "repeat_penalty", 0 }, { "presence_penalty", 0 },
		{ "frequency_penalty", 0 }, { "model", 2 }, { "system", 2 }, { "keep_alive", 2 },
		{ "backend", 2 }, { "base_url", 6 }, { "parallel", 1 }, { "fans_out", 3 }, { "builtin", 2 },
		{ "stop", 4 }, { "env", 5 }, { "max_output_bytes", 1 }, { "kill_grace_ms", 1 },
	};
	const cJSON *it;
	cJSON_ArrayForEach(it, a->config) {
		for (size_t k = 0; k < ARRAY_LEN(known); k++) {
			if (strcmp(known[k].key, it->string))
				continue;
			int ok;
			long whole;
			switch (known[k].type) {
			case 0: ok = cJSON_IsNumber(it); break;
			case 1: /* never cast before the range check: (long)1e300 is undefined */
				ok = cJSON_IsNumber(it) && double_to_long(it->valuedouble, &whole) == 0;
				if (!ok && cJSON_IsNumber(it)) {
					add(out, SEV_ERROR, c, 0, "actor %ld '%s': config '%s' must be a whole number "
					    "(at most 2^53 in size), not %g", a->id, a->name, it->string, it->valuedouble);
					continue;
				}
				break;
			case 2: ok = cJSON_IsString(it); break;
			case 3: ok = cJSON_IsBool(it); break;
			case 4: ok = cJSON_IsString(it) || cJSON_IsArray(it); break;
			default: {
				ok = cJSON_IsArray(it);
				for (const cJSON *x = ok ? it->child : NULL; x; x = x->next)
					ok = ok && cJSON_IsString(x);
				ok = ok || (known[k].type == 6 && cJSON_IsString(it));
				break;
			}
			}
			if (!ok)
				add(out, SEV_ERROR, c, 0, "actor %ld '%s': config '%s' has the wrong type", a->id,
				    a->name, it->string);
		}
	}
	if (a->kind == ACTOR_SCRIPT)
		check_script_config(out, a, c);
	const char *backend = json_str(a->config, "backend");
	if (backend && strcmp(backend, "ollama") && strcmp(backend, "openai") && strcmp(backend, "replay"))
		add(out, SEV_ERROR, c, 0, "actor %ld '%s': unknown backend '%s' (ollama, openai or replay)",
		    a->id, a->name, backend);
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(a->config, "format");
	if (fmt && !(cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "json")) && !cJSON_IsObject(fmt))
		add(out, SEV_ERROR, c, 0, "actor %ld '%s': config 'format' must be \"json\" or a JSON schema",
		    a->id, a->name);
}

static void check_actor(struct findings *out, const struct workflow *wf, const struct wf_conv *c)
{
	const struct wf_actor *a = workflow_actor(wf, c->actor);
	if (!a) {
		add(out, SEV_ERROR, c, 0, "actor '%s' does not exist", c->actor);
		return;
	}
	if (!a->enabled)
		add(out, SEV_ERROR, c, 0, "actor %ld '%s' is disabled", a->id, a->name);
	if (a->kind == ACTOR_BUILTIN && !builtin_known(builtin_of(a))) {
		char *known = builtin_list();
		add(out, SEV_ERROR, c, 0, "actor %ld '%s': no built-in actor named '%s' (known: %s)", a->id,
		    a->name, builtin_of(a), known);
		free(known);
	}
	if (a->kind == ACTOR_SCRIPT && a->script) {
		char *path = a->script[0] == '/' || !wf->source_dir ? xstrdup(a->script)
								    : xasprintf("%s/%s", wf->source_dir, a->script);
		if ((a->script[0] == '/' || wf->source_dir) && access(path, X_OK) != 0)
			add(out, SEV_ERROR, c, 0, "actor %ld '%s': program %s is missing or not executable",
			    a->id, a->name, path);
		free(path);
	}
	check_config(out, a, c);
}

static enum tpl_lookup no_lookup(void *ctx, const char *name, char **value, char **why)
{
	(void)ctx;
	(void)name;
	(void)value;
	(void)why;
	return TPL_UNKNOWN;
}

/* A sql_query step's statement must be one pure read (db-query.c): checked
 * here when its text is fixed, else only when it runs. */
static void check_sql_query(struct findings *out, const struct workflow *wf, const struct wf_conv *c)
{
	const struct wf_actor *a = workflow_actor(wf, c->actor);
	if (!a || a->kind != ACTOR_BUILTIN || strcmp(builtin_of(a), "sql_query") || !c->has_instruction)
		return;
	cJSON *in = json_parse(c->template, strlen(c->template), NULL);
	char *rendered = NULL, *error = NULL;
	int placeholders = template_scan(c->template, NULL, NULL) > 0;
	if (!in && !placeholders && template_render(c->template, no_lookup, NULL, &rendered, &error) == 0)
		in = json_parse(rendered, strlen(rendered), NULL); /* {{ }} written for literal braces */
	free(rendered);
	free(error);
	rendered = error = NULL;
	const char *sql = json_str(in, "sql");
	if (!in && placeholders) {
		add(out, SEV_WARNING, c, 0, "sql_query: the instruction is JSON only once rendered, so its query "
		    "is checked only when it runs");
	} else if (!sql) {
		add(out, SEV_ERROR, c, 0, "sql_query: the instruction must be a JSON object with a \"sql\" string");
	} else if (template_scan(sql, NULL, NULL)) {
		add(out, SEV_WARNING, c, 0, "sql_query: the query has placeholders, so it is checked only when it "
		    "runs (pass values as :posting_id, :workflow_run_id, :workflow_id or :interaction_id instead)");
	} else if (template_render(sql, no_lookup, NULL, &rendered, &error) == 0 &&
		   db_query_check(rendered, &error) < 0) {
		add(out, SEV_ERROR, c, 0, "sql_query: %s", error);
	}
	free(rendered);
	free(error);
	cJSON_Delete(in);
}

/* Reports each strongly connected set of steps joined by unbounded rules. */
struct tarjan {
	const struct graph *g;
	long *index, *low;
	int *on_stack;
	size_t *stack;
	size_t sp;
	long counter;
	struct findings *out;
};

static void strong(struct tarjan *t, size_t v)
{
	t->index[v] = t->low[v] = t->counter++;
	t->stack[t->sp++] = v;
	t->on_stack[v] = 1;
	int self_loop = 0;
	for (size_t k = 0; k < t->g->nsucc[v]; k++) {
		if (t->g->bounded[v][k])
			continue;
		size_t w = t->g->succ[v][k];
		if (w == v)
			self_loop = 1;
		if (t->index[w] < 0) {
			strong(t, w);
			if (t->low[w] < t->low[v])
				t->low[v] = t->low[w];
		} else if (t->on_stack[w] && t->index[w] < t->low[v]) {
			t->low[v] = t->index[w];
		}
	}
	if (t->low[v] != t->index[v])
		return;
	size_t top = t->sp;
	do
		t->on_stack[t->stack[--t->sp]] = 0;
	while (t->stack[t->sp] != v);
	size_t size = top - t->sp;
	if (size < 2 && !self_loop)
		return;
	struct buf b = BUF_INIT;
	for (size_t i = t->sp; i < top; i++)
		buf_printf(&b, "%s%ld", i > t->sp ? ", " : "", t->g->wf->convs[t->stack[i]].id);
	const struct wf_conv *c = &t->g->wf->convs[v];
	add(t->out, SEV_ERROR, c, 0,
	    "loop through conversations %s has no bound on any of its rules (set max_iterations on one)",
	    buf_str(&b));
	buf_release(&b);
}

/* A parameter named like a posting column or a run id could never be read:
 * those names come first. */
static void check_params(const struct workflow *wf, struct findings *out)
{
	const cJSON *param;
	cJSON_ArrayForEach(param, wf->parameters) {
		long conv;
		if (vars_posting_column(param->string) || vars_is_context(param->string) ||
		    vars_output_conv(param->string, &conv) || !strcmp(param->string, "parent_response"))
			add(out, SEV_ERROR, NULL, 0,
			    "workflow %ld: parameter '%s' has the name of a built-in variable; rename it", wf->id,
			    param->string);
	}
}

/* Each enabled rule of c: its condition parses, its target is an enabled
 * step of wf; and c has not too many rules, or none without being terminal. */
static void check_rules(struct findings *out, const struct workflow *wf, const struct wf_conv *c)
{
	for (size_t r = 0; r < c->nrules; r++) {
		const struct wf_rule *ru = &c->rules[r];
		if (!ru->enabled)
			continue;
		enum cond_kind kind;
		char *arg, *error;
		if (branch_parse(ru->condition, &kind, &arg, &error) < 0)
			add(out, SEV_ERROR, c, ru->id, "rule '%s': %s", ru->condition, error);
		free(arg);
		free(error);
		if (!ru->next)
			continue;
		const struct wf_conv *t = workflow_conv(wf, ru->next);
		if (!t)
			add(out, SEV_ERROR, c, ru->id,
			    "rule '%s' leads to conversation %ld, which is not part of workflow %ld",
			    ru->condition, ru->next, wf->id);
		else if (!t->enabled)
			add(out, SEV_ERROR, c, ru->id, "rule '%s' leads to disabled conversation %ld '%s'",
			    ru->condition, t->id, t->name);
	}
	if (c->nrules > BRANCH_MAX_RULES)
		add(out, SEV_ERROR, c, 0, "has %zu rules; at most %d are allowed", c->nrules, BRANCH_MAX_RULES);
	if (!c->nrules && !c->terminal)
		add(out, SEV_WARNING, c, 0,
		    "has no rules and is not marked terminal: every path through it ends here");
}

/* c's fan-in: it waits for a group that has other members. */
static void check_group(struct findings *out, const struct workflow *wf, const struct wf_conv *c)
{
	if (c->wait_for_group && !c->parallel_group)
		add(out, SEV_ERROR, c, 0, "waits for a group but names none (set parallel_group)");
	if (c->wait_for_group && c->parallel_group) {
		size_t members = 0;
		for (size_t k = 0; k < wf->nconvs; k++)
			if (&wf->convs[k] != c && wf->convs[k].enabled &&
			    wf->convs[k].parallel_group == c->parallel_group && !wf->convs[k].wait_for_group)
				members++;
		if (!members)
			add(out, SEV_ERROR, c, 0, "waits for group %d, which has no other member",
			    c->parallel_group);
	}
}

/* Loops: every cycle needs a bounded rule. */
static void check_loops(struct findings *out, const struct workflow *wf, struct graph *g)
{
	struct tarjan t = { g, xcalloc(g->n, sizeof(long)), xcalloc(g->n, sizeof(long)),
			    xcalloc(g->n, sizeof(int)), xcalloc(g->n + 1, sizeof(size_t)), 0, 0, out };
	for (size_t i = 0; i < g->n; i++)
		t.index[i] = -1;
	for (size_t i = 0; i < g->n; i++)
		if (t.index[i] < 0 && wf->convs[i].enabled)
			strong(&t, i);
	free(t.index);
	free(t.low);
	free(t.on_stack);
	free(t.stack);
}

/* Models that would reload: one model, two different load settings. */
static void check_num_ctx(struct findings *out, const struct workflow *wf)
{
	for (size_t i = 0; i < wf->nactors; i++) {
		const struct wf_actor *a = &wf->actors[i];
		double ctx_a;
		if (a->kind != ACTOR_AI_MODEL || json_get_double(a->config, "num_ctx", &ctx_a))
			continue;
		for (size_t k = i + 1; k < wf->nactors; k++) {
			const struct wf_actor *b = &wf->actors[k];
			double ctx_b;
			if (b->kind == ACTOR_AI_MODEL && !strcmp(wf_actor_model(a), wf_actor_model(b)) &&
			    !json_get_double(b->config, "num_ctx", &ctx_b) && ctx_a != ctx_b)
				add(out, SEV_WARNING, NULL, 0,
				    "actors '%s' and '%s' call model '%s' with different num_ctx (%g, %g); "
				    "waverunner sends the first for both, since a change reloads the model",
				    a->name, b->name, wf_actor_model(a), ctx_a, ctx_b);
		}
	}
}

void validate_workflow(const struct workflow *wf, struct findings *out)
{
	struct graph g;
	graph_build(&g, wf);
	if (!wf->enabled)
		add(out, SEV_WARNING, NULL, 0, "workflow %ld is disabled", wf->id);

	check_params(wf, out);

	size_t entries[2], nentries = 0;
	const struct wf_conv *first = workflow_first_step(wf);
	const struct wf_conv *posting = workflow_posting_entry(wf);
	if (!first)
		add(out, SEV_ERROR, NULL, 0, "workflow %ld has no enabled conversation", wf->id);
	if (first)
		entries[nentries++] = (size_t)(first - wf->convs);
	if (posting && posting != first)
		entries[nentries++] = (size_t)(posting - wf->convs);

	for (size_t i = 0; i < wf->nconvs; i++) {
		const struct wf_conv *c = &wf->convs[i];
		if (!c->enabled)
			continue;
		check_actor(out, wf, c);
		check_sql_query(out, wf, c);
		if (!c->has_instruction)
			add(out, SEV_ERROR, c, 0, "has no instruction (prompt template)");
		check_rules(out, wf, c);
		check_group(out, wf, c);

		struct check_ctx cx = { wf, &g, entries, nentries, i, 0, out, "template" };
		for (size_t e = 0; e < nentries; e++)
			if (entries[e] == i)
				cx.is_entry = 1;
		if (c->has_instruction)
			template_scan(c->template, check_placeholder, &cx);
		if (c->system_prompt) {
			cx.what = "system prompt";
			template_scan(c->system_prompt, check_placeholder, &cx);
		}
	}

	/* Reachability from the entry points. */
	int *seen = xcalloc(g.n + 1, sizeof *seen);
	reach(&g, entries, nentries, NULL, -1, seen);
	for (size_t i = 0; i < wf->nconvs; i++)
		if (wf->convs[i].enabled && !seen[i])
			add(out, SEV_ERROR, &wf->convs[i], 0, "is unreachable: no rule leads to it from the start");
	free(seen);

	check_loops(out, wf, &g);

	check_num_ctx(out, wf);
	graph_release(&g);
}

/* Start-at-a-step: the placeholders that only earlier steps can fill. */
struct start_needs {
	struct buf *names;
	size_t n;
};

static void needs_visit(void *ctx, const char *text, char *const *alts, size_t nalts)
{
	struct start_needs *sn = ctx;
	for (size_t i = 0; i < nalts; i++) {
		char *var, *field;
		long conv;
		template_split_name(alts[i], &var, &field);
		int from_a_step = !strcmp(var, "parent_response") || vars_output_conv(var, &conv);
		free(var);
		free(field);
		if (!from_a_step)
			return; /* this alternative can have a value without earlier steps */
	}
	buf_printf(sn->names, "%s%s", sn->n++ ? ", " : "", text);
}

size_t validate_start_needs(const struct wf_conv *c, struct buf *names)
{
	struct start_needs sn = { names, 0 };
	if (c->has_instruction) {
		template_scan(c->template, needs_visit, &sn);
		if (c->system_prompt)
			template_scan(c->system_prompt, needs_visit, &sn);
	}
	return sn.n;
}
