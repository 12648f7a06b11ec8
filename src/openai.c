/* openai.c: the OpenAI-compatible chat completions protocol, without I/O (openai.h). */
#include "openai.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "llm.h"
#include "protocol.h"
#include "util.h"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

char *openai_endpoint(const char *base, char **error)
{
	*error = NULL;
	char *s = str_trim(xstrdup(base ? base : ""));
	size_t n = strlen(s);
	while (n && s[n - 1] == '/')
		s[--n] = '\0';
	if (!str_starts_with_nocase(s, "http://") && !str_starts_with_nocase(s, "https://")) {
		*error = xasprintf("'%s' is not an http:// or https:// address", base ? base : "");
		free(s);
		return NULL;
	}
	char *url;
	if (ends_with(s, "/chat/completions"))
		url = xstrdup(s);
	else if (ends_with(s, "/v1")) /* the form OPENAI_BASE_URL takes */
		url = xasprintf("%s/chat/completions", s);
	else
		url = xasprintf("%s/v1/chat/completions", s);
	free(s);
	return url;
}

int openai_request(const cJSON *req, char **body, char **error)
{
	*body = *error = NULL;
	struct llm_request_parts parts;
	if (llm_request_parts(req, &parts, error) < 0)
		return -1;
	const char *model = parts.model, *prompt = parts.prompt, *system = parts.system;
	const cJSON *messages = parts.messages;
	cJSON *out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "model", model);
	cJSON *msgs = cJSON_AddArrayToObject(out, "messages");
	const char *first_role = json_str(cJSON_GetArrayItem(messages, 0), "role");
	if (system && !(first_role && !strcmp(first_role, "system")))
		cJSON_AddItemToArray(msgs, llm_message("system", system));
	const cJSON *m;
	cJSON_ArrayForEach(m, messages)
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
	if (prompt)
		cJSON_AddItemToArray(msgs, llm_message("user", prompt));

	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "options");
	static const char *const same[] = { "temperature", "top_p", "seed", "stop", "frequency_penalty",
					    "presence_penalty", NULL };
	for (const char *const *k = same; *k; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(opts, *k);
		if (v && !cJSON_IsNull(v))
			cJSON_AddItemToObject(out, *k, cJSON_Duplicate(v, 1));
	}
	const cJSON *np = cJSON_GetObjectItemCaseSensitive(opts, "num_predict");
	if (cJSON_IsNumber(np) && np->valuedouble > 0) /* -1 and -2 mean "no limit" to Ollama */
		cJSON_AddNumberToObject(out, "max_tokens", np->valuedouble);

	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(req, "format");
	if (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "json")) {
		cJSON *rf = cJSON_AddObjectToObject(out, "response_format");
		cJSON_AddStringToObject(rf, "type", "json_object");
	} else if (cJSON_IsObject(fmt)) {
		cJSON *rf = cJSON_AddObjectToObject(out, "response_format");
		cJSON_AddStringToObject(rf, "type", "json_schema");
		cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
		cJSON_AddStringToObject(js, "name", "answer");
		cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(fmt, 1));
	}
	cJSON_AddTrueToObject(out, "stream");
	/* Usage comes in a last chunk only when asked for. */
	cJSON_AddTrueToObject(cJSON_AddObjectToObject(out, "stream_options"), "include_usage");
	*body = json_print(out);
	cJSON_Delete(out);
	return 0;
}

static void take_count(const cJSON *obj, const char *key, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		*out = (long)v->valuedouble;
}

static double number(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

/* One chunk (or a whole non-streamed completion). */
static void take(struct llm_reply *r, const cJSON *j, int error_event)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (error_event || (e && !cJSON_IsNull(e))) {
		const cJSON *src = e && !cJSON_IsNull(e) ? e : j;
		const char *m = cJSON_IsString(src) ? src->valuestring : json_str(src, "message");
		if (!r->error)
			r->error = xstrdup(m && *m ? m : "the server reported an error without a message");
		return;
	}
	const char *model = json_str(j, "model");
	if (model && !r->model)
		r->model = xstrdup(model);
	const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
	if (choice) {
		const cJSON *part = cJSON_GetObjectItemCaseSensitive(choice, "delta");
		if (!part)
			part = cJSON_GetObjectItemCaseSensitive(choice, "message");
		const char *content = json_str(part, "content");
		if (content)
			llmreply_add_text(r, content);
		const char *reason = json_str(choice, "finish_reason");
		if (reason) {
			free(r->done_reason);
			r->done_reason = xstrdup(reason);
			r->done = 1;
		}
	}
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
	if (cJSON_IsObject(usage)) {
		take_count(usage, "prompt_tokens", &r->prompt_tokens);
		take_count(usage, "completion_tokens", &r->output_tokens);
	}
	/* llama.cpp's server adds its own timings. */
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "timings");
	if (cJSON_IsObject(t)) {
		double pm = number(t, "prompt_ms"), em = number(t, "predicted_ms");
		if (em >= 0)
			r->eval_ms = em;
		if (pm >= 0 && em >= 0)
			r->total_ms = pm + em;
	}
}

static void dispatch(struct llm_reply *r)
{
	int error_event = r->event_error;
	r->event_error = 0;
	if (!r->event.len)
		return;
	const char *data = r->event.data;
	size_t len = r->event.len;
	if (!error_event && len == 6 && !memcmp(data, "[DONE]", 6)) {
		r->done = 1;
	} else if (!r->error && !llmreply_check_nul(r, data, len, 1)) {
		cJSON *j = cJSON_ParseWithLength(data, len);
		if (cJSON_IsObject(j)) {
			take(r, j, error_event);
		} else if (error_event) {
			r->error = llmreply_quote(data, len, 300);
		} else {
			char *q = llmreply_quote(data, len, 120);
			llmreply_set_malformed(r, "an event's data is not a JSON object: %s", q);
			free(q);
		}
		cJSON_Delete(j);
	}
	buf_reset(&r->event);
}

static void on_line(struct llm_reply *r, const char *line, size_t len)
{
	if (!len) {
		dispatch(r);
		return;
	}
	if (line[0] == ':') /* a comment: llama.cpp's keep-alive pings */
		return;
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon ? (size_t)(colon - line) : len;
	const char *value = colon ? colon + 1 : line + len;
	size_t vlen = len - (size_t)(value - line);
	if (vlen && *value == ' ')
		value++, vlen--;
#define FIELD(n) (name_len == sizeof(n) - 1 && !memcmp(line, n, name_len))
	if (FIELD("data") || FIELD("error")) {
		/* llama.cpp's server sends errors as an "error:" field. */
		if (FIELD("error"))
			r->event_error = 1;
		if (r->event.len + vlen > llmreply_max_answer(r) + LLMREPLY_LINE_SLACK) {
			r->too_large = 1; /* data lines without the blank line that ends an event */
			return;
		}
		if (r->event.len)
			buf_putc(&r->event, '\n');
		buf_add(&r->event, value, vlen);
		r->sse_started = 1;
	} else if (FIELD("event")) {
		if (vlen == 5 && !memcmp(value, "error", 5))
			r->event_error = 1;
		r->sse_started = 1;
	} else if (FIELD("id") || FIELD("retry")) {
		r->sse_started = 1;
	} else {
		char *q = llmreply_quote(line, len, 120);
		llmreply_set_malformed(r, "line %ld is not part of a server-sent event stream: %s", r->lines, q);
		free(q);
	}
#undef FIELD
}

void openai_feed(struct llm_reply *r, const char *data, size_t len)
{
	llmreply_note_bytes(r, data, len);
	if (!r->whole_json && !r->sse_started && !r->line.len && !r->lines) {
		/* A server that ignores "stream" answers with one JSON object. */
		size_t i = 0;
		while (i < len && isspace((unsigned char)data[i]))
			i++;
		if (i < len && data[i] == '{')
			r->whole_json = 1;
	}
	if (r->whole_json) {
		if (r->line.len + len > llmreply_max_answer(r) + LLMREPLY_LINE_SLACK) {
			r->too_large = 1;
			return;
		}
		buf_add(&r->line, data, len);
		return;
	}
	llmreply_lines(r, data, len, 0, on_line);
}

void openai_finish(struct llm_reply *r)
{
	if (r->whole_json) {
		if (llmreply_stopped(r) || llmreply_check_nul(r, buf_str(&r->line), r->line.len, 0))
			return;
		cJSON *j = cJSON_ParseWithLength(buf_str(&r->line), r->line.len);
		if (cJSON_IsObject(j)) {
			take(r, j, 0);
			if (!r->error && cJSON_GetObjectItemCaseSensitive(j, "choices"))
				r->done = 1;
		} else {
			char *q = llmreply_quote(r->line.data, r->line.len, 120);
			llmreply_set_malformed(r, "the answer is not JSON: %s", q);
			free(q);
		}
		cJSON_Delete(j);
		buf_reset(&r->line);
		return;
	}
	llmreply_lines(r, "", 0, 1, on_line);
	if (!llmreply_stopped(r))
		dispatch(r);
}

/* ==== The protocol's entry in the table (protocol.h) ===================== */

static char *endpoint(const char *configured, char **error)
{
	const char *base = configured ? configured : getenv("OPENAI_BASE_URL");
	if (!base || !*base) {
		/* There is no sensible default: llama.cpp's port varies, and a
		 * hosted API would be a surprise for a local tool. */
		*error = xstrdup("no OpenAI-compatible server is set: give the actor a \"base_url\" in its "
				 "config or set OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1)");
		return NULL;
	}
	return openai_endpoint(base, error);
}

static int request(const char *ep, const cJSON *req, const cJSON *keep_alive, char **url, char **body,
		   char **error)
{
	(void)keep_alive;
	*url = NULL;
	if (openai_request(req, body, error) < 0)
		return -1;
	*url = xstrdup(ep);
	return 0;
}

/* A key of only blanks is no key. */
static char *auth(void)
{
	const char *key = getenv("OPENAI_API_KEY");
	if (key && *key && strspn(key, " \t") != strlen(key))
		return xasprintf("Authorization: Bearer %s", key);
	return NULL;
}

static char *not_found_hint(const char *model)
{
	(void)model;
	return xstrdup("");
}

/* The endpoint without /chat/completions (and without /v1 for root). */
static char *strip(const char *ep, const char *tail)
{
	size_t n = strlen(ep), t = strlen(tail);
	return n >= t && !strcmp(ep + n - t, tail) ? xasprintf("%.*s", (int)(n - t), ep) : xstrdup(ep);
}

static char *list_url(const char *ep)
{
	char *base = strip(ep, "/chat/completions");
	char *url = xasprintf("%s/models", base);
	free(base);
	return url;
}

static const cJSON *list_of(const cJSON *doc)
{
	return cJSON_GetObjectItemCaseSensitive(doc, "data");
}

static int listed(const cJSON *list, const char *model)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		const char *n = json_str(it, "id");
		if (n && !strcmp(n, model))
			return 1;
	}
	return 0;
}

static const char *only_model(const cJSON *list)
{
	return cJSON_GetArraySize(list) == 1 ? json_str(cJSON_GetArrayItem(list, 0), "id") : NULL;
}

/* llama.cpp's server reports its slots at /props, beside /v1. */
static char *slots_url(const char *ep)
{
	char *base = strip(ep, "/v1/chat/completions");
	char *url = xasprintf("%s/props", base);
	free(base);
	return url;
}

static int slots_of(const cJSON *doc)
{
	long n = 0;
	if (json_get_long(doc, "total_slots", &n) < 0 || n < 1 || n > 4096)
		return 0;
	return (int)n;
}

const struct llm_protocol openai_protocol = {
	.name = "openai",
	.mode = LLM_OPENAI,
	.env = "OPENAI_BASE_URL",
	.kind = "an OpenAI-compatible",
	.accept = "text/event-stream",
	.stream_name = "server-sent events",
	.endpoint = endpoint,
	.request = request,
	.feed = openai_feed,
	.finish = openai_finish,
	.auth = auth,
	.not_found_hint = not_found_hint,
	.auth_hint = "check OPENAI_API_KEY",
	.server_word = "model",
	.list_url = list_url,
	.list_of = list_of,
	.listed = listed,
	.only_model = only_model,
	.slots_url = slots_url,
	.slots_of = slots_of,
};
