/* ollama.c: Ollama's native protocol, without I/O (ollama.h). */
#include "ollama.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "llm.h"
#include "protocol.h"
#include "util.h"

/* Trims the characters of set from both ends of s, in place. */
static char *trim_set(char *s, const char *set)
{
	while (*s && strchr(set, *s))
		s++;
	size_t n = strlen(s);
	while (n && strchr(set, s[n - 1]))
		s[--n] = '\0';
	return s;
}

char *ollama_base_url(const char *host, char **error)
{
	*error = NULL;
	char *copy = xstrdup(host ? host : "");
	/* As Ollama reads OLLAMA_HOST: spaces, then quotes, then spaces again. */
	char *s = trim_set(trim_set(trim_set(copy, " \t\r\n"), "\"'"), " \t\r\n");
	const char *scheme = "http";
	const char *dport = "11434";
	char *rest = s, *sep = strstr(s, "://");
	if (sep) {
		*sep = '\0';
		scheme = s;
		rest = sep + 3;
		if (!strcasecmp(scheme, "http"))
			dport = "80";
		else if (!strcasecmp(scheme, "https"))
			dport = "443";
		else {
			*error = xasprintf("'%s' is not an http:// or https:// address", host);
			free(copy);
			return NULL;
		}
	} else if (!strcmp(s, "ollama.com")) {
		scheme = "https";
		dport = "443";
	}
	char *path = strchr(rest, '/');
	char *path_copy = xstrdup(path ? path : "");
	if (path)
		*path = '\0';
	size_t pl = strlen(path_copy);
	while (pl && path_copy[pl - 1] == '/')
		path_copy[--pl] = '\0';
	char *userinfo = NULL, *hostport = rest, *at = strrchr(rest, '@');
	if (at) {
		*at = '\0';
		userinfo = rest;
		hostport = at + 1;
	}
	char *h = hostport, *port = NULL;
	if (*hostport == '[') {
		char *close = strchr(hostport, ']');
		if (!close || (close[1] && close[1] != ':')) {
			*error = xasprintf("'%s' is not a host, host:port or URL", host);
			free(path_copy);
			free(copy);
			return NULL;
		}
		*close = '\0';
		h = hostport + 1;
		if (close[1] == ':')
			port = close + 2;
	} else {
		char *first = strchr(hostport, ':');
		if (first && first == strrchr(hostport, ':')) { /* one colon: host:port */
			*first = '\0';
			port = first + 1;
		} /* more colons: a bare IPv6 address */
	}
	long p;
	const char *use_port = dport;
	if (port && *port && parse_long(port, &p) == 0 && p >= 0 && p <= 65535)
		use_port = port;
	/* A server listening on every address is dialled on the loopback one. */
	if (!*h || !strcmp(h, "0.0.0.0"))
		h = "127.0.0.1";
	else if (!strcmp(h, "::"))
		h = "::1";
	int v6 = strchr(h, ':') != NULL;
	char *url = xasprintf("%s://%s%s%s%s%s:%s%s", scheme, userinfo ? userinfo : "", userinfo ? "@" : "",
			      v6 ? "[" : "", h, v6 ? "]" : "", use_port, path_copy);
	/* The scheme as written may be upper-case; URLs compare better in lower case. */
	for (char *c = url; *c != ':'; c++)
		*c = (char)tolower((unsigned char)*c);
	free(path_copy);
	free(copy);
	return url;
}

int ollama_is_load_option(const char *name)
{
	/* The runner options of Ollama's needsReload, and the memory settings that
	 * go with them. */
	static const char *const load[] = {
		"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "use_mlock", "num_thread",
		"low_vram", "numa", "draft_num_predict", NULL,
	};
	for (const char *const *l = load; *l; l++)
		if (!strcmp(*l, name))
			return 1;
	return 0;
}

int ollama_pin_load_options(cJSON *options, cJSON **pinned)
{
	cJSON *it;
	if (!*pinned) {
		*pinned = cJSON_CreateObject();
		cJSON_ArrayForEach(it, options)
			if (it->string && ollama_is_load_option(it->string))
				cJSON_AddItemToObject(*pinned, it->string, cJSON_Duplicate(it, 1));
		return 0;
	}
	if (!cJSON_IsObject(options))
		return 0;
	int changed = 0;
	/* Drop load options that differ from (or are absent in) the pinned set. */
	for (it = options->child; it;) {
		cJSON *next = it->next;
		if (it->string && ollama_is_load_option(it->string)) {
			const cJSON *want = cJSON_GetObjectItemCaseSensitive(*pinned, it->string);
			if (!want || !cJSON_Compare(want, it, 1)) {
				cJSON_Delete(cJSON_DetachItemViaPointer(options, it));
				changed = 1;
			}
		}
		it = next;
	}
	cJSON_ArrayForEach(it, *pinned)
		if (!cJSON_GetObjectItemCaseSensitive(options, it->string)) {
			cJSON_AddItemToObject(options, it->string, cJSON_Duplicate(it, 1));
			changed = 1;
		}
	return changed;
}

int ollama_request(const cJSON *req, const cJSON *keep_alive, const char **path, char **body, char **error)
{
	*body = *error = NULL;
	struct llm_request_parts parts;
	if (llm_request_parts(req, &parts, error) < 0)
		return -1;
	const char *model = parts.model, *prompt = parts.prompt, *system = parts.system;
	const cJSON *messages = parts.messages;
	cJSON *out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "model", model);
	if (system || cJSON_IsArray(messages)) {
		/* Chat carries the system prompt as the first message. */
		*path = "/api/chat";
		cJSON *msgs = cJSON_AddArrayToObject(out, "messages");
		const cJSON *first = cJSON_GetArrayItem(messages, 0);
		const char *first_role = json_str(first, "role");
		if (system && !(first_role && !strcmp(first_role, "system")))
			cJSON_AddItemToArray(msgs, llm_message("system", system));
		const cJSON *m;
		cJSON_ArrayForEach(m, messages)
			cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
		if (prompt)
			cJSON_AddItemToArray(msgs, llm_message("user", prompt));
	} else {
		*path = "/api/generate";
		cJSON_AddStringToObject(out, "prompt", prompt);
	}
	static const char *const copied[] = { "options", "format", NULL };
	for (const char *const *k = copied; *k; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, *k);
		if (v && !cJSON_IsNull(v))
			cJSON_AddItemToObject(out, *k, cJSON_Duplicate(v, 1));
	}
	/* Streaming lets an idle timeout tell a slow answer from a dead server. */
	cJSON_AddTrueToObject(out, "stream");
	if (keep_alive && !cJSON_IsNull(keep_alive))
		cJSON_AddItemToObject(out, "keep_alive", cJSON_Duplicate(keep_alive, 1));
	*body = json_print(out);
	cJSON_Delete(out);
	return 0;
}

static void take_ms(const cJSON *j, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (cJSON_IsNumber(v) && v->valuedouble >= 0)
		*out = v->valuedouble / 1e6; /* Ollama reports nanoseconds */
}

static void take_count(const cJSON *j, const char *key, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		*out = (long)v->valuedouble;
	else
		*out = 0; /* omitted when zero (a fully cached prompt) */
}

static void on_line(struct llm_reply *r, const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)line[i]))
		i++;
	if (i == len || r->done || r->error || llmreply_check_nul(r, line, len, 0))
		return;
	cJSON *j = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(j)) {
		char *q = llmreply_quote(line, len, 120);
		llmreply_set_malformed(r, "line %ld is not a JSON object: %s", r->lines, q);
		free(q);
		cJSON_Delete(j);
		return;
	}
	/* An error after the headers arrives as a line of its own (status 200). */
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (e && !cJSON_IsNull(e)) {
		const char *m = cJSON_IsString(e) ? e->valuestring : json_str(e, "message");
		r->error = xstrdup(m && *m ? m : "the server reported an error without a message");
		cJSON_Delete(j);
		return;
	}
	const char *piece = json_str(j, "response");
	if (!piece)
		piece = json_str(cJSON_GetObjectItemCaseSensitive(j, "message"), "content");
	if (piece)
		llmreply_add_text(r, piece);
	const char *model = json_str(j, "model");
	if (model && !r->model)
		r->model = xstrdup(model);
	int done = 0;
	if (json_get_bool(j, "done", &done) == 0 && done) {
		r->done = 1;
		const char *reason = json_str(j, "done_reason");
		if (reason && *reason)
			r->done_reason = xstrdup(reason);
		take_count(j, "prompt_eval_count", &r->prompt_tokens);
		take_count(j, "eval_count", &r->output_tokens);
		take_ms(j, "total_duration", &r->total_ms);
		take_ms(j, "load_duration", &r->load_ms);
		take_ms(j, "eval_duration", &r->eval_ms);
	}
	cJSON_Delete(j);
}

void ollama_feed(struct llm_reply *r, const char *data, size_t len)
{
	llmreply_note_bytes(r, data, len);
	llmreply_lines(r, data, len, 0, on_line);
}

void ollama_finish(struct llm_reply *r)
{
	llmreply_lines(r, "", 0, 1, on_line);
}

/* ==== The protocol's entry in the table (protocol.h) ===================== */

static char *endpoint(const char *configured, char **error)
{
	return ollama_base_url(configured ? configured : getenv("OLLAMA_HOST"), error);
}

static int request(const char *base, const cJSON *req, const cJSON *keep_alive, char **url, char **body,
		   char **error)
{
	const char *path;
	*url = NULL;
	if (ollama_request(req, keep_alive, &path, body, error) < 0)
		return -1;
	*url = xasprintf("%s%s", base, path);
	return 0;
}

static char *no_auth(void)
{
	return NULL;
}

static char *not_found_hint(const char *model)
{
	return xasprintf("; pull it with: ollama pull %s", model);
}

static char *list_url(const char *base)
{
	return xasprintf("%s/api/tags", base);
}

static const cJSON *list_of(const cJSON *doc)
{
	return cJSON_GetObjectItemCaseSensitive(doc, "models");
}

/* "mistral" is "mistral:latest"; an entry is named by "name" or "model". */
static int listed(const cJSON *list, const char *model)
{
	const cJSON *it;
	size_t ml = strlen(model);
	cJSON_ArrayForEach(it, list) {
		const char *names[2] = { json_str(it, "name"), json_str(it, "model") };
		for (int k = 0; k < 2; k++) {
			const char *n = names[k];
			if (n && (!strcmp(n, model) ||
				  (!strchr(model, ':') && !strncmp(n, model, ml) && !strcmp(n + ml, ":latest"))))
				return 1;
		}
	}
	return 0;
}

static char *loaded_url(const char *base)
{
	return xasprintf("%s/api/ps", base);
}

static int loaded_of(const cJSON *doc)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "models"));
}

const struct llm_protocol ollama_protocol = {
	.name = "ollama",
	.mode = LLM_OLLAMA,
	.env = "OLLAMA_HOST",
	.kind = "an Ollama",
	.accept = "application/x-ndjson",
	.stream_name = "NDJSON",
	.pin_load_options = ollama_pin_load_options,
	.endpoint = endpoint,
	.request = request,
	.feed = ollama_feed,
	.finish = ollama_finish,
	.auth = no_auth,
	.not_found_hint = not_found_hint,
	.auth_hint = "",
	.server_word = "Ollama",
	.list_url = list_url,
	.list_of = list_of,
	.listed = listed,
	.loaded_url = loaded_url,
	.loaded_of = loaded_of,
};
