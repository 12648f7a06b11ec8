/* llm.c: the stored form of a model request, its replay key, backend choice. */
#include "llm.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "protocol.h"
#include "sha256.h"
#include "util.h"

/* Actor config keys that are not model options. */
static const char *const not_options[] = {
	"model", "system", "backend", "base_url", "keep_alive", "parallel", "format", "fans_out", "builtin",
	"timeout", NULL,
};

/* Options that change how fast a model runs, never what it answers. */
static const char *const speed_only[] = {
	"num_gpu", "num_thread", "num_batch", "main_gpu", "use_mmap", "use_mlock", "low_vram", "numa", NULL,
};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int cmp_items(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* A copy of config's options with the keys sorted; skip_speed drops speed-only ones. */
static cJSON *sorted_options(const cJSON *config, int skip_speed)
{
	cJSON *items[128];
	size_t n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, config) {
		if (in_list(not_options, it->string) || (skip_speed && in_list(speed_only, it->string)))
			continue;
		if (n < ARRAY_LEN(items))
			items[n++] = (cJSON *)it;
	}
	qsort(items, n, sizeof *items, cmp_items);
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToObject(o, items[i]->string, cJSON_Duplicate(items[i], 1));
	return o;
}

char *llm_request_json(const struct wf_actor *a, const char *prompt, const char *system)
{
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "model", wf_actor_model(a));
	if (!system)
		system = json_str(a->config, "system");
	if (system && *system)
		cJSON_AddStringToObject(req, "system", system);
	cJSON_AddStringToObject(req, "prompt", prompt);
	cJSON *opts = sorted_options(a->config, 0);
	if (cJSON_GetArraySize(opts))
		cJSON_AddItemToObject(req, "options", opts);
	else
		cJSON_Delete(opts);
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(a->config, "format");
	if (fmt && !cJSON_IsNull(fmt))
		cJSON_AddItemToObject(req, "format", cJSON_Duplicate(fmt, 1));
	char *s = json_print(req);
	cJSON_Delete(req);
	return s;
}

int llm_request_parts(const cJSON *req, struct llm_request_parts *p, char **error)
{
	const cJSON *messages = cJSON_GetObjectItemCaseSensitive(req, "messages");
	p->model = json_str(req, "model");
	p->prompt = json_str(req, "prompt");
	p->system = json_str(req, "system");
	p->messages = cJSON_IsArray(messages) ? messages : NULL;
	if (!p->model || !*p->model || (!p->prompt && !p->messages)) {
		*error = xstrdup("the stored request has no \"model\" and \"prompt\" (or \"messages\")");
		return -1;
	}
	return 0;
}

cJSON *llm_message(const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", role);
	cJSON_AddStringToObject(m, "content", content);
	return m;
}

int llm_replay_key(const char *request_json, char key[65])
{
	cJSON *req = cJSON_Parse(request_json);
	if (!cJSON_IsObject(req) || !json_str(req, "model") || !json_str(req, "prompt")) {
		cJSON_Delete(req);
		return -1;
	}
	/* Rebuild in the canonical order, without speed-only options. */
	cJSON *canon = cJSON_CreateObject();
	static const char *const keys[] = { "model", "system", "prompt", NULL };
	for (const char *const *k = keys; *k; k++) {
		const char *v = json_str(req, *k);
		if (v)
			cJSON_AddStringToObject(canon, *k, v);
	}
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "options");
	if (cJSON_IsObject(opts)) {
		cJSON *o = sorted_options(opts, 1);
		if (cJSON_GetArraySize(o))
			cJSON_AddItemToObject(canon, "options", o);
		else
			cJSON_Delete(o);
	}
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(req, "format");
	if (fmt && !cJSON_IsNull(fmt))
		cJSON_AddItemToObject(canon, "format", cJSON_Duplicate(fmt, 1));
	char *text = json_print(canon);
	sha256_hex(text, strlen(text), key);
	free(text);
	cJSON_Delete(canon);
	cJSON_Delete(req);
	return 0;
}

static const char *const modes[] = { "actor", "replay", "ollama", "openai", "record", "cache" };

int llm_mode_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(modes); i++)
		if (!strcmp(s, modes[i]))
			return (int)i;
	return -1;
}

const char *llm_mode_name(enum llm_mode m)
{
	return (unsigned)m < ARRAY_LEN(modes) ? modes[m] : "?";
}

/* The protocols of the live backends: one line each (protocol.h). */
static const struct llm_protocol *const protocols[] = { &ollama_protocol, &openai_protocol };

const struct llm_protocol *llm_protocol_of(enum llm_mode m)
{
	for (size_t i = 0; i < ARRAY_LEN(protocols); i++)
		if (protocols[i]->mode == m)
			return protocols[i];
	return NULL;
}

const struct llm_protocol *llm_protocol_named(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_LEN(protocols); i++)
		if (!strcmp(protocols[i]->name, name))
			return protocols[i];
	return NULL;
}

/* The live backend the environment points at when an actor says none: the
 * one protocol whose address is set when only one is (the first, Ollama,
 * otherwise). */
static enum llm_mode live_from_environment(void)
{
	const struct llm_protocol *only = NULL;
	for (size_t i = 0; i < ARRAY_LEN(protocols); i++) {
		const char *v = getenv(protocols[i]->env);
		if (v && *v) {
			if (only)
				return protocols[0]->mode;
			only = protocols[i];
		}
	}
	return only ? only->mode : protocols[0]->mode;
}

enum llm_mode llm_backend_for(const struct wf_actor *a, enum llm_mode m, enum llm_mode live)
{
	if (m == LLM_REPLAY || llm_protocol_of(m))
		return m;
	if (llm_protocol_of(live))
		return live;
	const char *b = json_str(a->config, "backend");
	const struct llm_protocol *p = llm_protocol_named(b);
	if (p)
		return p->mode;
	if (b && !strcmp(b, "replay") && m != LLM_RECORD)
		return LLM_REPLAY;
	return live_from_environment();
}

const char *llm_default_replay_dir(void)
{
	const char *d = getenv("WAVERUNNER_REPLAY_DIR");
	return d && *d ? d : "fixtures/replay";
}

char *llm_replay_path(const char *dir, const char key[65])
{
	return xasprintf("%s/%.2s/%s.json", dir, key, key);
}

/* Appends the comma-separated addresses in s to list. */
static void add_addresses(const char *s, char ***list, size_t *n)
{
	while (*s) {
		size_t len = strcspn(s, ",");
		const char *a = s, *end = s + len;
		while (a < end && (*a == ' ' || *a == '\t'))
			a++;
		while (end > a && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > a) {
			*list = xreallocarray(*list, *n + 1, sizeof **list);
			(*list)[(*n)++] = xstrndup(a, (size_t)(end - a));
		}
		s += len + (s[len] == ',');
	}
}

char **llm_addresses(const cJSON *setting, const char *env, size_t *n)
{
	char **list = NULL;
	*n = 0;
	if (cJSON_IsString(setting)) {
		add_addresses(setting->valuestring, &list, n);
	} else if (cJSON_IsArray(setting)) {
		const cJSON *it;
		cJSON_ArrayForEach(it, setting)
			if (cJSON_IsString(it))
				add_addresses(it->valuestring, &list, n);
	}
	if (!*n && env)
		add_addresses(env, &list, n);
	return list;
}
