/* http.c: HTTP through libcurl (http.h): process-wide set-up, and a blocking
 * client for the job-board fetcher. The model-server executor (libcurl's
 * multi interface) is a section of its own. */
#include "http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "version.h"

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
	http_client_free(own);
	return rc;
}
