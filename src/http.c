/* http.c: HTTP through libcurl (http.h), the only file that includes curl.h:
 * model calls through libcurl's multi interface (the first sections), and the
 * process-wide set-up and a blocking client for the job-board fetcher (the last).
 *
 * Every request streams (Ollama NDJSON, OpenAI server-sent events), so that
 * waiting can be bounded by silence rather than by length: a long answer that
 * keeps coming is fine, a server that stops sending is not. Three limits apply
 * to each call: the step's timeout for the whole call (the engine's deadline),
 * a first-byte window (Ollama sends nothing, not even headers, until the model
 * is loaded; its own load limit is 5 minutes), and an idle window between
 * bytes once the answer has begun. The protocols themselves (endpoints,
 * bodies, stream parsing, auth, error hints) are in the table of protocol.h
 * (ollama.c, openai.c) and llmreply.c; nothing here names one. */
#include "http.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "err.h"
#include "json.h"
#include "llmreply.h"
#include "protocol.h"
#include "util.h"
#include "version.h"

#define CONNECT_MS 5000
/* Model load (up to Ollama's OLLAMA_LOAD_TIMEOUT of 5 min) plus the evaluation
 * of a long prompt may pass before the first byte. */
#define FIRST_BYTE_MS 330000
/* Between two pieces of an answer that has begun. */
#define IDLE_MS 120000
/* The error body of a failed request is kept up to this size. */
#define ERROR_BODY_MAX 65536

/* The load options every request to one model on one server is sent with. */
struct pin {
	char *key; /* origin, space, model */
	cJSON *options;
	int warned;
	struct pin *next;
};

struct xfer {
	struct http *h;
	struct task *t;
	const struct llm_protocol *p;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char *shown; /* the URL without credentials, for messages */
	char *model;
	long status; /* 0 until the first byte of the body */
	struct llm_reply reply;
	struct buf error_body;
	int64_t started, last_byte;
	int64_t retry_after_ms;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;
};

/* Shared by the executors of both backends. */
struct http {
	int refs;
	CURLM *multi;
	struct xfer *xfers;
	size_t nxfers;
	struct task *done; /* finished, to be handed back by collect */
	struct pin *pins;
	char *no_proxy;
	size_t max_answer; /* run --max-answer */
};

struct http_ex {
	struct http *h;
	const struct llm_protocol *p;
};

static struct http *shared;

/* Like Go's clients (Ollama's own), never send a local server's requests to
 * an http_proxy; NO_PROXY still adds to the list. Caller frees. */
static char *no_proxy_list(void)
{
	const char *np = getenv("NO_PROXY");
	if (!np || !*np)
		np = getenv("no_proxy");
	return xasprintf("localhost,127.0.0.1,::1%s%s", np && *np ? "," : "", np && *np ? np : "");
}

size_t http_actor_urls(enum llm_mode backend, const struct wf_actor *a, char ***urls, char **error)
{
	const struct llm_protocol *p = llm_protocol_of(backend);
	*urls = NULL;
	if (!p) {
		*error = xstrdup("not a live model backend");
		return 0;
	}
	size_t naddr, n = 0;
	char **addr = llm_addresses(cJSON_GetObjectItemCaseSensitive(a->config, "base_url"), getenv(p->env), &naddr);
	if (!naddr) { /* none set: the protocol's default, or why there is none */
		char *url = p->endpoint(NULL, error);
		if (!url)
			return 0;
		*urls = xcalloc(1, sizeof **urls);
		(*urls)[0] = url;
		return 1;
	}
	*urls = xcalloc(naddr, sizeof **urls);
	for (size_t i = 0; i < naddr && addr; i++) {
		char *why = NULL, *url = p->endpoint(addr[i], &why);
		if (!url) {
			*error = naddr > 1 ? xasprintf("the address '%s': %s", addr[i], why) : xstrdup(why);
			free(why);
			for (size_t k = 0; k < n; k++)
				free((*urls)[k]);
			free(*urls);
			*urls = NULL;
			n = 0;
			break;
		}
		/* One server however often it is listed: the first address of an origin. */
		char *origin = llmreply_origin(url);
		int seen = 0;
		for (size_t k = 0; k < n && !seen; k++) {
			char *o = llmreply_origin((*urls)[k]);
			seen = !strcmp(o, origin);
			free(o);
		}
		free(origin);
		if (seen)
			free(url);
		else
			(*urls)[n++] = url;
	}
	for (size_t i = 0; i < naddr; i++)
		free(addr[i]);
	free(addr);
	return n;
}

char *http_actor_url(enum llm_mode backend, const struct wf_actor *a, char **error)
{
	char **urls;
	size_t n = http_actor_urls(backend, a, &urls, error);
	for (size_t i = 1; i < n; i++)
		free(urls[i]);
	char *first = n ? urls[0] : NULL;
	free(urls);
	return first;
}

/* Asks the server at url (an endpoint of backend's protocol) one short
 * question at the URL url_of gives for it; the figure count gives from the
 * JSON answer, or 0. */
static int ask_server(enum llm_mode backend, const char *endpoint, char *(*url_of)(const char *),
		      int (*count)(const cJSON *))
{
	const struct llm_protocol *p = llm_protocol_of(backend);
	if (!p || !endpoint)
		return 0;
	char *url = url_of(endpoint);
	char *auth = p->auth();
	const char *headers[] = { "Accept: application/json", auth, NULL };
	struct http_req req = { .method = "GET", .url = url, .headers = headers, .timeout_ms = 3000,
				.connect_timeout_ms = 2000, .max_body = 1 << 20, .model_server = 1 };
	struct http_resp resp;
	char *error = NULL;
	int n = 0;
	if (http_request(NULL, &req, &resp, &error) == 0 && resp.status == 200) {
		cJSON *doc = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.body_len);
		n = count(doc);
		cJSON_Delete(doc);
	}
	free(error);
	http_resp_release(&resp);
	free(auth);
	free(url);
	return n;
}

int http_server_slots(enum llm_mode backend, const char *endpoint)
{
	const struct llm_protocol *p = llm_protocol_of(backend);
	return p && p->slots_url ? ask_server(backend, endpoint, p->slots_url, p->slots_of) : 0;
}

int http_server_loaded(enum llm_mode backend, const char *endpoint)
{
	const struct llm_protocol *p = llm_protocol_of(backend);
	return p && p->loaded_url ? ask_server(backend, endpoint, p->loaded_url, p->loaded_of) : 0;
}

/* The load options of this call, made equal to the first call's for the model. */
static void pin_options(struct http *h, const struct llm_protocol *proto, const char *origin, const char *model,
			cJSON *req)
{
	char *key = xasprintf("%s %s", origin, model);
	struct pin *p;
	for (p = h->pins; p && strcmp(p->key, key); p = p->next)
		;
	if (!p) {
		p = xcalloc(1, sizeof *p);
		p->key = key;
		p->next = h->pins;
		h->pins = p;
	} else {
		free(key);
	}
	cJSON *opts = cJSON_GetObjectItemCaseSensitive(req, "options");
	int had = opts != NULL;
	if (!opts)
		opts = cJSON_AddObjectToObject(req, "options");
	if (proto->pin_load_options(opts, &p->options) && !p->warned) {
		char *want = json_print(p->options);
		warn("requests to model '%s' on %s differ in load options (num_ctx, ...); all are sent with "
		     "the first ones, %s, so that the server does not reload the model",
		     model, origin, want);
		free(want);
		p->warned = 1;
	}
	if (!had && !cJSON_GetArraySize(opts))
		cJSON_DeleteItemFromObjectCaseSensitive(req, "options");
}

static size_t on_header(char *data, size_t size, size_t n, void *priv)
{
	struct xfer *x = priv;
	size_t len = size * n;
	x->last_byte = mono_ms();
	int64_t wait = llmreply_retry_after(data, len, now_ms());
	int precise = len > 14 && !strncasecmp(data, "retry-after-ms", 14);
	if (wait >= 0 && (!x->retry_after_ms || precise))
		x->retry_after_ms = wait; /* retry-after-ms is the more precise of the two */
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *priv)
{
	struct xfer *x = priv;
	size_t len = size * n;
	x->last_byte = mono_ms();
	if (!x->status)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status > 299) {
		if (x->error_body.len < ERROR_BODY_MAX)
			buf_add(&x->error_body, data,
				len < ERROR_BODY_MAX - x->error_body.len ? len : ERROR_BODY_MAX - x->error_body.len);
		return len;
	}
	x->p->feed(&x->reply, data, len);
	/* Nothing good can follow a malformed line, nor an answer over the cap:
	 * stop reading (closing the connection stops the generation). */
	return llmreply_stopped(&x->reply) ? 0 : len;
}

static void xfer_free(struct xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(x->h->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	free(x->body);
	free(x->shown);
	free(x->model);
	llmreply_release(&x->reply);
	buf_release(&x->error_body);
	free(x);
}

static void hand_back(struct http *h, struct task *t)
{
	t->next = h->done;
	h->done = t;
}

/* Fails t before anything was sent. */
static int fail_now(struct http *h, struct task *t, enum fail_class c, const char *msg)
{
	result_fail(&t->res, c, "%s", msg);
	hand_back(h, t);
	return E_OK;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct curl_slist *add_header(struct curl_slist *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	struct curl_slist *n = curl_slist_append(l, s);
	free(s);
	if (!n)
		err_out_of_memory();
	return n;
}

/* The URL and body of t's request to the server the engine chose of its
 * actor's pool (else its first). Returns E_OK, or what fail_now returns
 * when there is none. */
static int build_request(struct http_ex *hx, struct task *t, char **url, char **body)
{
	struct http *h = hx->h;
	struct result *res = &t->res;
	free(res->backend);
	res->backend = xstrdup(hx->p->name);
	cJSON *req = cJSON_Parse(t->r.input ? t->r.input : "");
	const char *model = json_str(req, "model");
	free(res->model);
	res->model = xstrdup(model ? model : "");
	if (!cJSON_IsObject(req) || !model) {
		cJSON_Delete(req);
		return fail_now(h, t, FC_INTERNAL, "the stored input is not a model request");
	}
	char *error = NULL;
	char *base = t->url ? xstrdup(t->url) : http_actor_url(hx->p->mode, t->actor, &error);
	if (!base) {
		int rc = fail_now(h, t, FC_BAD_REQUEST, error);
		free(error);
		cJSON_Delete(req);
		return rc;
	}
	if (hx->p->pin_load_options) {
		char *origin = llmreply_origin(base);
		pin_options(h, hx->p, origin, model, req);
		free(origin);
	}
	hx->p->request(base, req, cJSON_GetObjectItemCaseSensitive(t->actor->config, "keep_alive"), url, body, &error);
	free(base);
	cJSON_Delete(req);
	if (*body)
		return E_OK;
	int rc = fail_now(h, t, FC_INTERNAL, error ? error : "cannot build the request");
	free(error);
	free(*url);
	*url = NULL;
	return rc;
}

/* The headers of t's request. */
static struct curl_slist *request_headers(const struct llm_protocol *p, const struct task *t)
{
	struct curl_slist *l = add_header(NULL, "Content-Type: application/json");
	l = add_header(l, "Accept: %s", p->accept);
	/* Without this libcurl waits up to a second for "100 Continue" before
	 * sending a body over 1 kB, which servers do not send. */
	l = add_header(l, "Expect:");
	l = add_header(l, "X-Waverunner-Interaction: %ld", t->r.id);
	l = add_header(l, "X-Waverunner-Conversation: %ld", t->r.conversation_id);
	if (t->r.posting_id)
		l = add_header(l, "X-Waverunner-Posting: %ld", t->r.posting_id);
	else
		l = add_header(l, "X-Waverunner-Posting;"); /* an empty value */
	char *auth = p->auth();
	if (auth)
		l = add_header(l, "%s", auth);
	free(auth);
	return l;
}

/* The libcurl handle of transfer x to url. */
static void setup_easy(struct xfer *x, CURL *e, const char *url)
{
	int64_t left = x->t->deadline_ms - x->started;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "waverunner/" WAVERUNNER_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_MS);
	/* A backstop only: the deadline is checked in collect, with a better message. */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 0 ? left + 1000 : 1000));
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOPROXY, x->h->no_proxy);
}

static int http_start(struct executor *ex, struct db *db, struct task *t)
{
	struct http_ex *hx = ex->state;
	struct http *h = hx->h;
	(void)db;
	char *url = NULL, *body = NULL;
	int rc = build_request(hx, t, &url, &body);
	if (rc || !body)
		return rc;
	struct xfer *x = xcalloc(1, sizeof *x);
	x->h = h;
	x->t = t;
	x->p = hx->p;
	x->body = body;
	x->shown = llmreply_url_shown(url);
	x->model = xstrdup(t->res.model);
	llmreply_init(&x->reply);
	x->reply.max_answer = h->max_answer;
	x->started = x->last_byte = mono_ms();
	x->headers = request_headers(hx->p, t);
	CURL *e = curl_easy_init();
	if (!e) {
		free(url);
		xfer_free(x);
		return fail_now(h, t, FC_INTERNAL, "libcurl could not make a request handle");
	}
	x->easy = e;
	setup_easy(x, e, url);
	free(url);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		x->easy = NULL;
		xfer_free(x);
		return fail_now(h, t, FC_INTERNAL, "libcurl could not start the request");
	}
	x->next = h->xfers;
	h->xfers = x;
	h->nxfers++;
	/* Send it now, not after the engine's bookkeeping: the server's slot is
	 * free. What this completes of other transfers is collected as usual. */
	int running;
	curl_multi_perform(h->multi, &running);
	return E_OK;
}

static void describe_status(struct xfer *x, struct result *res)
{
	char *msg = llmreply_error_message(x->error_body.data, x->error_body.len);
	long s = x->status;
	enum fail_class c = llmreply_status_class(s);
	switch (c) {
	case FC_NOT_FOUND: {
		char *hint = x->p->not_found_hint(x->model);
		result_fail(res, c, "model '%s' not found at %s (HTTP 404): %s%s", x->model, x->shown, msg, hint);
		free(hint);
		break;
	}
	case FC_AUTH:
		result_fail(res, c, "%s refused the request (HTTP %ld): %s%s%s", x->shown, s, msg,
			    *x->p->auth_hint ? "; " : "", x->p->auth_hint);
		break;
	case FC_RATE_LIMIT:
		result_fail(res, c, "%s is limiting the request rate (HTTP 429): %s", x->shown, msg);
		break;
	case FC_SERVER:
	case FC_TIMEOUT:
		result_fail(res, c, "%s failed (HTTP %ld): %s", x->shown, s, msg);
		break;
	default:
		result_fail(res, c, "%s refused the request (HTTP %ld): %s", x->shown, s, msg);
		break;
	}
	if (c == FC_RATE_LIMIT || c == FC_SERVER)
		res->retry_after_ms = x->retry_after_ms;
	/* 5xx: the server cannot serve now (409 and a 408 are about the request). */
	res->server_down = s >= 500 && s <= 599;
	free(msg);
}

static void describe_curl_error(struct xfer *x, CURLcode code, struct result *res)
{
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		result_fail(res, FC_CONNECTION, "cannot connect to %s: %s (is the %s server running?)", x->shown, why,
			    x->p->server_word);
		break;
	case CURLE_GOT_NOTHING:
		result_fail(res, FC_CONNECTION, "%s closed the connection without answering", x->shown);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (!x->reply.received && !x->status && mono_ms() - x->started < CONNECT_MS + 1000)
			result_fail(res, FC_CONNECTION, "cannot connect to %s within %d s", x->shown, CONNECT_MS / 1000);
		else
			result_fail(res, FC_TIMEOUT, "no complete answer from %s within the step's timeout of %d s",
				    x->shown, x->t->conv->timeout_seconds);
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_PEER_FAILED_VERIFICATION:
		result_fail(res, FC_BAD_REQUEST, "cannot call %s: %s", x->shown, why);
		break;
	default:
		/* Resets, broken streams, TLS handshakes: the next try may well work. */
		result_fail(res, FC_CONNECTION, "the connection to %s failed: %s", x->shown, why);
		break;
	}
	/* Unreachable, refused, reset, nothing answered: the server's failure, not
	 * the request's (a timeout after connecting is the request's). */
	res->server_down = res->fail == FC_CONNECTION && code != CURLE_WRITE_ERROR && code != CURLE_ABORTED_BY_CALLBACK;
}

/* Fills the task's result from a finished transfer. */
static void conclude(struct xfer *x, CURLcode code)
{
	struct result *res = &x->t->res;
	struct llm_reply *r = &x->reply;
	if (code == CURLE_OK && !x->status) /* an answer without a body */
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	int ok_status = x->status >= 200 && x->status <= 299;
	if (code == CURLE_OK && ok_status) {
		x->p->finish(r);
	}
	const char *api = x->p->stream_name;
	if (r->too_large) {
		result_fail(res, FC_TOO_LARGE, "the answer from %s is larger than %zu bytes (run --max-answer); reading "
			    "stopped after %zu bytes", x->shown, llmreply_max_answer(r), r->received);
	} else if (r->refused) {
		result_fail(res, FC_INVALID_OUTPUT, "the answer from %s is refused: %s", x->shown, r->malformed);
	} else if (r->malformed) {
		char *q = llmreply_quote(r->head.data, r->head.len, 160);
		result_fail(res, FC_INVALID_OUTPUT, "the answer from %s is not valid %s (%s); it begins: %s", x->shown,
			    api, r->malformed, q);
		free(q);
	} else if (code != CURLE_OK) {
		describe_curl_error(x, code, res);
	} else if (!ok_status) {
		describe_status(x, res);
	} else if (r->error) {
		/* A failure after the answer began (the runner crashed, the context overflowed). */
		result_fail(res, FC_SERVER, "%s reported an error while answering: %s", x->shown, r->error);
	} else if (!r->received) {
		result_fail(res, FC_INVALID_OUTPUT, "%s sent an empty answer (HTTP %ld)", x->shown, x->status);
	} else if (!r->done) {
		char *q = llmreply_quote(r->head.data, r->head.len, 160);
		result_fail(res, FC_INVALID_OUTPUT, "the answer from %s ended before the server marked it complete; "
			    "it begins: %s", x->shown, q);
		free(q);
	} else {
		res->ok = 1;
		res->output = buf_detach(&r->text);
		if (!res->output)
			res->output = xstrdup("");
		res->prompt_tokens = r->prompt_tokens;
		res->output_tokens = r->output_tokens;
		res->total_ms = r->total_ms;
		res->load_ms = r->load_ms;
		res->eval_ms = r->eval_ms;
		if (r->done_reason)
			res->done_reason = xstrdup(r->done_reason);
	}
}

/* Unlinks x, hands its task back, frees it. */
static void retire(struct http *h, struct xfer *x)
{
	for (struct xfer **p = &h->xfers; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
	h->nxfers--;
	hand_back(h, x->t);
	x->t = NULL;
	xfer_free(x);
}

/* The time at which x has waited too long, and why. */
static int64_t limit_of(const struct xfer *x, const char **why)
{
	int64_t limit = x->t->deadline_ms;
	*why = "deadline";
	int64_t silence = x->reply.received || x->status ? x->last_byte + IDLE_MS : x->started + FIRST_BYTE_MS;
	if (silence < limit) {
		limit = silence;
		*why = x->reply.received || x->status ? "idle" : "first";
	}
	return limit;
}

static void check_limits(struct http *h, int64_t now)
{
	for (struct xfer *x = h->xfers, *next; x; x = next) {
		next = x->next;
		const char *why;
		if (now < limit_of(x, &why))
			continue;
		struct result *res = &x->t->res;
		if (!strcmp(why, "deadline"))
			result_fail(res, FC_TIMEOUT, "no complete answer from %s within the step's timeout of %d s%s",
				    x->shown, x->t->conv->timeout_seconds,
				    x->reply.received ? " (the answer had begun)" : "");
		else if (!strcmp(why, "first"))
			result_fail(res, FC_TIMEOUT, "%s sent nothing for %d s", x->shown, FIRST_BYTE_MS / 1000);
		else
			result_fail(res, FC_TIMEOUT, "%s stopped sending for %d s in the middle of the answer", x->shown,
				    IDLE_MS / 1000);
		retire(h, x);
	}
}

static void http_collect(struct executor *ex, struct task **done)
{
	struct http_ex *hx = ex->state;
	struct http *h = hx->h;
	int running = 0, left;
	curl_multi_perform(h->multi, &running);
	CURLMsg *m;
	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		struct xfer *x = (struct xfer *)priv;
		CURLcode code = m->data.result;
		if (!x)
			continue;
		conclude(x, code);
		retire(h, x); /* invalidates m: nothing of it is read after */
	}
	check_limits(h, mono_ms());
	while (h->done) {
		struct task *t = h->done;
		h->done = t->next;
		t->next = *done;
		*done = t;
	}
}

static void http_wait(struct executor *ex, struct pollfd *extra, size_t n, int timeout_ms)
{
	struct http_ex *hx = ex->state;
	struct curl_waitfd w[512];
	if (n > ARRAY_LEN(w))
		n = ARRAY_LEN(w);
	for (size_t i = 0; i < n; i++) {
		w[i].fd = extra[i].fd;
		w[i].events = (short)(((extra[i].events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
				      ((extra[i].events & POLLPRI) ? CURL_WAIT_POLLPRI : 0) |
				      ((extra[i].events & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
		w[i].revents = 0;
	}
	int numfds = 0;
	curl_multi_poll(hx->h->multi, n ? w : NULL, (unsigned)n, timeout_ms, &numfds);
	for (size_t i = 0; i < n; i++)
		extra[i].revents = (short)(((w[i].revents & CURL_WAIT_POLLIN) ? POLLIN : 0) |
					   ((w[i].revents & CURL_WAIT_POLLPRI) ? POLLPRI : 0) |
					   ((w[i].revents & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
}

static int64_t http_next_wakeup(struct executor *ex, int64_t now)
{
	struct http_ex *hx = ex->state;
	struct http *h = hx->h;
	if (h->done)
		return 0;
	int64_t first = -1;
	for (struct xfer *x = h->xfers; x; x = x->next) {
		const char *why;
		int64_t w = limit_of(x, &why) - now;
		if (w < 0)
			w = 0;
		if (first < 0 || w < first)
			first = w;
	}
	return first;
}

static void http_abort_all(struct executor *ex, struct task **done)
{
	struct http_ex *hx = ex->state;
	struct http *h = hx->h;
	while (h->xfers)
		retire(h, h->xfers); /* closing the connection cancels the generation */
	while (h->done) {
		struct task *t = h->done;
		h->done = t->next;
		t->next = *done;
		*done = t;
	}
}

static size_t http_in_flight(struct executor *ex)
{
	struct http_ex *hx = ex->state;
	return hx->h->nxfers;
}

static void http_destroy(struct executor *ex)
{
	struct http_ex *hx = ex->state;
	struct http *h = hx->h;
	if (--h->refs == 0) {
		while (h->xfers) {
			struct xfer *x = h->xfers;
			h->xfers = x->next;
			task_free(x->t);
			xfer_free(x);
		}
		while (h->done) {
			struct task *t = h->done;
			h->done = t->next;
			task_free(t);
		}
		while (h->pins) {
			struct pin *p = h->pins;
			h->pins = p->next;
			free(p->key);
			cJSON_Delete(p->options);
			free(p);
		}
		curl_multi_cleanup(h->multi);
		curl_global_cleanup();
		free(h->no_proxy);
		free(h);
		shared = NULL;
	}
	free(hx);
	free(ex);
}

struct executor *http_backend_new(enum llm_mode backend, const struct engine_opts *o)
{
	if (!shared) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "waverunner: libcurl could not be initialised\n");
			abort();
		}
		shared = xcalloc(1, sizeof *shared);
		shared->no_proxy = no_proxy_list();
		shared->multi = curl_multi_init();
		if (!shared->multi) {
			fprintf(stderr, "waverunner: libcurl could not be initialised\n");
			abort();
		}
	}
	if (o && o->max_answer)
		shared->max_answer = o->max_answer;
	shared->refs++;
	struct http_ex *hx = xcalloc(1, sizeof *hx);
	hx->h = shared;
	hx->p = llm_protocol_of(backend);
	if (!hx->p) {
		fprintf(stderr, "waverunner: no model protocol for backend %d\n", (int)backend);
		abort();
	}
	struct executor *ex = xcalloc(1, sizeof *ex);
	ex->name = hx->p->name;
	ex->start = http_start;
	ex->collect = http_collect;
	ex->wait = http_wait;
	ex->next_wakeup = http_next_wakeup;
	ex->abort_all = http_abort_all;
	ex->in_flight = http_in_flight;
	ex->destroy = http_destroy;
	ex->state = hx;
	return ex;
}

/* ==== Process-wide set-up ================================================= */

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ==== Blocking client (the fetcher's process) ==============================
 *
 * The fetcher runs in a child process of its own and talks to one job board
 * at a time, so plain curl_easy_perform is the simplest correct tool: no
 * event loop to share. One easy handle per client keeps the connection (and
 * a TLS session) alive across the listing and detail requests. */

struct http_client {
	CURL *curl;
};

struct http_client *http_client_new(void)
{
	struct http_client *c = xcalloc(1, sizeof *c);
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return NULL;
	}
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

struct blocking_sink {
	struct buf b;
	size_t max;
	int too_big;
};

static size_t blocking_write(char *data, size_t size, size_t n, void *arg)
{
	struct blocking_sink *s = arg;
	size_t len = size * n;
	if (s->b.len + len > s->max) {
		s->too_big = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	buf_add(&s->b, data, len);
	return len;
}

void http_resp_release(struct http_resp *resp)
{
	free(resp->body);
	free(resp->content_type);
	memset(resp, 0, sizeof *resp);
}

static enum fail_class blocking_class(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return FC_TIMEOUT;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return FC_BAD_REQUEST;
	default:
		return FC_CONNECTION;
	}
}

int http_request(struct http_client *c, const struct http_req *req, struct http_resp *resp, char **error)
{
	memset(resp, 0, sizeof *resp);
	*error = NULL;
	struct http_client *own = NULL;
	if (!c && !(c = own = http_client_new())) {
		resp->fail = FC_INTERNAL;
		*error = xasprintf("%s %s: libcurl could not be initialised", req->method, req->url);
		return -1;
	}
	CURL *h = c->curl;
	curl_easy_reset(h); /* keeps the connection cache, drops the previous request's options */
	struct blocking_sink sink = { BUF_INIT, req->max_body ? req->max_body : (size_t)8 << 20, 0 };
	struct curl_slist *headers = NULL;
	for (const char *const *hd = req->headers; hd && *hd; hd++)
		headers = curl_slist_append(headers, *hd);
	char errbuf[CURL_ERROR_SIZE] = "";
	int64_t connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000;
	if (connect_ms > req->timeout_ms)
		connect_ms = req->timeout_ms;

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(req->timeout_ms > 0 ? req->timeout_ms : 1));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_ms > 0 ? connect_ms : 1));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "waverunner/" WAVERUNNER_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl can decode */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, blocking_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	char *no_proxy = req->model_server ? no_proxy_list() : NULL;
	if (no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy);
	if (headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
	} else if (strcmp(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	CURLcode cc = curl_easy_perform(h);
	int rc = 0;
	if (cc != CURLE_OK) {
		rc = -1;
		if (sink.too_big) {
			resp->fail = FC_INVALID_OUTPUT;
			*error = xasprintf("%s %s: the response is larger than %zu bytes", req->method, req->url,
					   sink.max);
		} else {
			resp->fail = blocking_class(cc);
			if (cc == CURLE_OPERATION_TIMEDOUT)
				*error = xasprintf("%s %s: no complete answer within %.1f s", req->method, req->url,
						   (double)req->timeout_ms / 1000.0);
			else
				*error = xasprintf("%s %s: %s", req->method, req->url,
						   errbuf[0] ? errbuf : curl_easy_strerror(cc));
		}
	} else {
		long status = 0;
		char *ct = NULL;
		curl_off_t retry = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
#if LIBCURL_VERSION_NUM >= 0x074200
		if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry) != CURLE_OK)
			retry = 0;
#endif
		resp->status = status;
		resp->content_type = ct ? xstrdup(ct) : NULL;
		resp->retry_after_ms = retry > 0 ? (int64_t)retry * 1000 : 0;
		buf_add(&sink.b, "", 0);
		resp->body_len = sink.b.len;
		resp->body = buf_detach(&sink.b);
	}
	buf_release(&sink.b);
	curl_slist_free_all(headers);
	/* The handle outlives this call; it must not keep pointers into our stack. */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, NULL);
	free(no_proxy);
	http_client_free(own);
	return rc;
}
