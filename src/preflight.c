/* preflight.c: configuration checks before run claims work (preflight.h).
 *
 * A wrong address, path or model name is the same mistake for every posting:
 * found here, it stops run before any interaction is touched, instead of
 * failing each posting in turn. */
#include "preflight.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db-outage.h"
#include "defs.h"
#include "engine.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "llm.h"
#include "llmreply.h"
#include "protocol.h"
#include "util.h"

struct server {
	const struct llm_protocol *p;
	char *list_url;   /* where its models are listed */
	char *setting;    /* what sets its address, for messages */
	char **models;    /* the models actors want from it */
	char **actors;    /* the actor that wants each */
	size_t nmodels;
};

struct check {
	struct server *servers;
	size_t nservers;
	struct buf problems;
	size_t nproblems;
};

static void problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	/* The same actor can be in several workflows: say it once. */
	if (!c->problems.len || !strstr(buf_str(&c->problems), s)) {
		buf_printf(&c->problems, "\n  %s", s);
		c->nproblems++;
	}
	free(s);
}

/* What sets the address of actor a's server, in words. */
static char *setting_of(const struct llm_protocol *p, const struct wf_actor *a)
{
	const char *configured = json_str(a->config, "base_url");
	if (configured && *configured)
		return xasprintf("the config \"base_url\" of actor '%s'", a->name);
	return xstrdup(p->env);
}

/* Adds what actor a wants of the server at url (one of its pool). */
static void add_server(struct check *c, const struct wf_actor *a, const struct llm_protocol *p, const char *url)
{
	char *list = p->list_url(url);
	struct server *s = NULL;
	for (size_t i = 0; i < c->nservers && !s; i++)
		if (c->servers[i].p == p && !strcmp(c->servers[i].list_url, list))
			s = &c->servers[i];
	if (!s) {
		c->servers = xreallocarray(c->servers, c->nservers + 1, sizeof *c->servers);
		s = &c->servers[c->nservers++];
		memset(s, 0, sizeof *s);
		s->p = p;
		s->list_url = list;
		s->setting = setting_of(p, a);
	} else {
		free(list);
	}
	const char *model = wf_actor_model(a);
	for (size_t i = 0; i < s->nmodels; i++)
		if (!strcmp(s->models[i], model))
			return;
	s->models = xreallocarray(s->models, s->nmodels + 1, sizeof *s->models);
	s->actors = xreallocarray(s->actors, s->nmodels + 1, sizeof *s->actors);
	s->models[s->nmodels] = xstrdup(model);
	s->actors[s->nmodels++] = xstrdup(a->name);
}

/* Every server of actor a's pool is checked: a wrong address among them is
 * a mistake; one that does not answer is an outage (the others take its
 * work). */
static void add_actor(struct check *c, const struct wf_actor *a, enum llm_mode backend)
{
	char *error = NULL, **urls;
	const struct llm_protocol *p = llm_protocol_of(backend);
	size_t n = http_actor_urls(backend, a, &urls, &error);
	if (!n) {
		char *setting = setting_of(p, a);
		if (strstr(error, p->env)) /* unset: the message names both settings */
			problem(c, "actor '%s': %s", a->name, error);
		else
			problem(c, "actor '%s': %s: %s", a->name, setting, error);
		free(error);
		free(setting);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		add_server(c, a, p, urls[i]);
		free(urls[i]);
	}
	free(urls);
}

static void check_server(struct check *c, const struct server *s)
{
	char *auth = s->p->auth();
	const char *headers[] = { "Accept: application/json", auth, NULL };
	struct http_req req = { .method = "GET", .url = s->list_url, .headers = headers, .timeout_ms = 10000,
				.connect_timeout_ms = 5000, .model_server = 1 };
	struct http_resp resp;
	char *error = NULL;
	char *shown = llmreply_url_shown(s->list_url);
	int rc = http_request(NULL, &req, &resp, &error);
	free(auth);
	free(error);
	if (rc < 0 || resp.status >= 500) {
		/* Not answering now: an outage, which run waits out. */
	} else if (resp.status == 401 || resp.status == 403) {
		problem(c, "%s refused the request (HTTP %ld)%s%s", shown, resp.status, *s->p->auth_hint ? ": " : "",
			s->p->auth_hint);
	} else if (resp.status == 404) {
		problem(c, "wrong path: %s is not found (HTTP 404): %s is not the address of %s server", shown,
			s->setting, s->p->kind);
	} else if (resp.status < 200 || resp.status > 299) {
		problem(c, "%s answered HTTP %ld: check %s", shown, resp.status, s->setting);
	} else {
		cJSON *doc = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.body_len);
		const cJSON *list = s->p->list_of(doc);
		int n = cJSON_GetArraySize(list);
		if (!cJSON_IsArray(list)) {
			problem(c, "%s is not %s model list: %s is not the address of such a server", shown,
				s->p->kind, s->setting);
		} else {
			for (size_t i = 0; i < s->nmodels; i++) {
				if (s->p->listed(list, s->models[i]))
					continue;
				const char *only = s->p->only_model ? s->p->only_model(list) : NULL;
				if (only) {
					/* llama.cpp's server serves its one model whatever the name asked for. */
					warn("actor '%s': model '%s' is not the one %s lists (%s); it serves that one", s->actors[i],
					     s->models[i], shown, only);
					continue;
				}
				char *hint = s->p->not_found_hint(s->models[i]);
				problem(c, "actor '%s': unknown model '%s': not among the %d models of %s (%s)%s",
					s->actors[i], s->models[i], n, shown, s->setting, hint);
				free(hint);
			}
		}
		cJSON_Delete(doc);
	}
	free(shown);
	http_resp_release(&resp);
}

int preflight_check(struct db *db, const struct engine_opts *o)
{
	if (o->model_executor || o->llm == LLM_REPLAY)
		return E_OK;
	long *ids;
	size_t n;
	int rc = db_scope_workflows(db, &o->scope, o->retry_failed, &ids, &n);
	if (rc)
		return rc;
	struct defs defs = { 0 };
	struct check c = { .problems = BUF_INIT };
	for (size_t w = 0; w < n; w++) {
		const struct workflow *wf;
		if ((rc = defs_get(&defs, db, ids[w], &wf)) == E_INPUT) {
			err_clear(); /* gone: the engine fails its interactions, saying why */
			rc = E_OK;
			continue;
		}
		if (rc)
			break;
		for (size_t i = 0; i < wf->nactors; i++) {
			const struct wf_actor *a = &wf->actors[i];
			if (a->kind != ACTOR_AI_MODEL)
				continue;
			enum llm_mode b = llm_backend_for(a, o->llm, o->live);
			if (b != LLM_REPLAY)
				add_actor(&c, a, b);
		}
	}
	for (size_t i = 0; !rc && i < c.nservers; i++)
		check_server(&c, &c.servers[i]);
	if (!rc && c.nproblems)
		rc = err_set(E_INPUT, "nothing was run: the model servers' configuration has %zu mistake%s:%s",
			     c.nproblems, c.nproblems == 1 ? "" : "s", buf_str(&c.problems));
	for (size_t i = 0; i < c.nservers; i++) {
		struct server *s = &c.servers[i];
		for (size_t k = 0; k < s->nmodels; k++) {
			free(s->models[k]);
			free(s->actors[k]);
		}
		free(s->models);
		free(s->actors);
		free(s->list_url);
		free(s->setting);
	}
	free(c.servers);
	buf_release(&c.problems);
	defs_release(&defs);
	free(ids);
	return rc;
}
