/* Unit tests of llmreply.c: failure classes, error messages, Retry-After,
 * quoting, URLs. */
#include <stdlib.h>
#include <string.h>

#include "llmreply.h"
#include "tap.h"
#include "util.h"

static void message_is(const char *body, const char *want)
{
	char *m = llmreply_error_message(body, strlen(body));
	is_str(m, want, "error body %.*s", (int)strcspn(body, "\n"), body);
	free(m);
}

static void retry_after_is(const char *line, int64_t now, int64_t want)
{
	size_t shown = strcspn(line, "\r\n");
	is_int(llmreply_retry_after(line, strlen(line), now), want, "header %.*s", (int)shown, line);
}

int main(void)
{
	is_int(llmreply_status_class(404), FC_NOT_FOUND, "404: not found");
	is_int(llmreply_status_class(401), FC_AUTH, "401: auth");
	is_int(llmreply_status_class(403), FC_AUTH, "403: auth");
	is_int(llmreply_status_class(429), FC_RATE_LIMIT, "429: rate limit");
	is_int(llmreply_status_class(400), FC_BAD_REQUEST, "400: bad request");
	is_int(llmreply_status_class(422), FC_BAD_REQUEST, "422: bad request");
	is_int(llmreply_status_class(500), FC_SERVER, "500: server (retried)");
	is_int(llmreply_status_class(503), FC_SERVER, "503: server (retried)");
	is_int(llmreply_status_class(408), FC_TIMEOUT, "408: timeout (retried)");
	is_int(llmreply_status_class(302), FC_BAD_REQUEST, "a redirect: bad request");

	message_is("{\"error\":\"model 'llama9' not found\"}", "model 'llama9' not found");
	message_is("{\"error\":{\"message\":\"Invalid API Key\",\"type\":\"authentication_error\",\"code\":401}}",
		   "Invalid API Key");
	message_is("{\"message\":\"nope\"}", "nope");
	message_is("Bad Gateway\n", "'Bad Gateway\\n'");
	message_is("", "(empty body)");
	message_is("{\"error\":\"line\\nbreak\"}", "line\\nbreak");

	retry_after_is("Retry-After: 7\r\n", 0, 7000);
	retry_after_is("retry-after:1.5", 0, 1500);
	retry_after_is("Retry-After-Ms: 250\r\n", 0, 250);
	retry_after_is("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", 1445412470000LL, 10000);
	retry_after_is("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", 1445412490000LL, 0);
	retry_after_is("Retry-After: soon\r\n", 0, -1);
	retry_after_is("Retry-After: -3\r\n", 0, -1);
	retry_after_is("Content-Type: text/plain\r\n", 0, -1);
	retry_after_is("HTTP/1.1 429 Too Many Requests\r\n", 0, -1);

	char *q = llmreply_quote("a'b\n\x01\xff\xc3\xa9", 8, 100);
	is_str(q, "'a\\'b\\n\\x01\\xff\xc3\xa9'", "quoting escapes and keeps valid UTF-8");
	free(q);
	is_str_free(llmreply_quote("abcdefghij", 10, 5), "'abcde\xe2\x80\xa6'", "quoting shortens to max bytes");

	char *u = llmreply_url_shown("http://user:secret@host:1/v1?x=@y");
	is_str(u, "http://host:1/v1?x=@y", "credentials are left out of a shown URL");
	free(u);
	is_str_free(llmreply_url_shown("http://host:1/a@b"),
		    "http://host:1/a@b", "an @ in the path is not a credential");
	is_str_free(llmreply_origin("HTTP://u:p@Host:8080/v1/chat/completions"),
		    "http://host:8080", "origin: lower case, no credentials or path");
	is_str_free(llmreply_origin("https://example.com/v1"),
		    "https://example.com:443", "origin: the default port made explicit");
	is_str_free(llmreply_origin("http://[::1]:11434"), "http://[::1]:11434", "origin: IPv6");

	struct llm_reply r;
	llmreply_init(&r);
	char big[LLMREPLY_HEAD * 2];
	memset(big, 'x', sizeof big);
	llmreply_note_bytes(&r, big, sizeof big);
	ok(r.head.len == LLMREPLY_HEAD && r.received == sizeof big, "only the first bytes are kept");
	llmreply_release(&r);
	return done_testing();
}
