/* Unit tests of ollama.c: OLLAMA_HOST, request bodies, load options, NDJSON. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ollama.h"
#include "stream.h"
#include "tap.h"
#include "util.h"

static void host_is(const char *host, const char *want)
{
	char *error = NULL;
	char *url = ollama_base_url(host, &error);
	is_str(url, want, "OLLAMA_HOST '%s' -> %s", host ? host : "(unset)", want);
	free(url);
	free(error);
}

static void feed_in(struct llm_reply *r, const char *text, size_t n)
{
	feed_pieces(r, text, strlen(text), n, ollama_feed, ollama_finish);
}

static void hosts(void)
{
	/* Ollama's own table (envconfig TestHost), with the client's rule that an
	 * empty or unspecified host is dialled on the loopback interface. */
	host_is(NULL, "http://127.0.0.1:11434");
	host_is("", "http://127.0.0.1:11434");
	host_is("1.2.3.4", "http://1.2.3.4:11434");
	host_is(":1234", "http://127.0.0.1:1234");
	host_is("1.2.3.4:1234", "http://1.2.3.4:1234");
	host_is("example.com", "http://example.com:11434");
	host_is("example.com:1234", "http://example.com:1234");
	host_is(":0", "http://127.0.0.1:0");
	host_is(":66000", "http://127.0.0.1:11434");
	host_is(":-1", "http://127.0.0.1:11434");
	host_is("[::1]", "http://[::1]:11434");
	host_is("[::]", "http://[::1]:11434");
	host_is("::1", "http://[::1]:11434");
	host_is("[::1]:1337", "http://[::1]:1337");
	host_is(" 1.2.3.4 ", "http://1.2.3.4:11434");
	host_is("\"1.2.3.4\"", "http://1.2.3.4:11434");
	host_is(" \" 1.2.3.4 \" ", "http://1.2.3.4:11434");
	host_is("'1.2.3.4'", "http://1.2.3.4:11434");
	host_is("http://1.2.3.4", "http://1.2.3.4:80");
	host_is("http://1.2.3.4:4321", "http://1.2.3.4:4321");
	host_is("https://1.2.3.4", "https://1.2.3.4:443");
	host_is("https://1.2.3.4:4321", "https://1.2.3.4:4321");
	host_is("https://example.com/ollama", "https://example.com:443/ollama");
	host_is("https://example.com/ollama/", "https://example.com:443/ollama");
	host_is("ollama.com", "https://ollama.com:443");
	host_is("0.0.0.0", "http://127.0.0.1:11434");
	host_is("0.0.0.0:8000", "http://127.0.0.1:8000");
	host_is("HTTP://Host:1", "http://Host:1");
	host_is("http://user:pw@host:1", "http://user:pw@host:1");
	char *error = NULL;
	char *url = ollama_base_url("ftp://x", &error);
	ok(!url && error && strstr(error, "ftp://x"), "another scheme is refused, naming it: %s", error ? error : "");
	free(error);
	url = ollama_base_url("[::1", &error);
	ok(!url && error, "an unclosed IPv6 bracket is refused");
	free(error);
}

static void requests(void)
{
	const char *path;
	char *body, *error;
	cJSON *req = cJSON_Parse("{\"model\":\"m\",\"prompt\":\"hi\",\"options\":{\"seed\":1},\"format\":\"json\"}");
	ok(ollama_request(req, NULL, &path, &body, &error) == 0, "a prompt without a system prompt");
	is_str(path, "/api/generate", "goes to /api/generate");
	is_str(body, "{\"model\":\"m\",\"prompt\":\"hi\",\"options\":{\"seed\":1},\"format\":\"json\",\"stream\":true}",
	       "the stored request, streaming");
	free(body);
	cJSON_Delete(req);

	req = cJSON_Parse("{\"model\":\"m\",\"system\":\"be brief\",\"prompt\":\"hi\",\"format\":{\"type\":\"object\"}}");
	cJSON *keep = cJSON_CreateString("30m");
	ok(ollama_request(req, keep, &path, &body, &error) == 0, "a prompt with a system prompt");
	is_str(path, "/api/chat", "goes to /api/chat");
	is_str(body,
	       "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\","
	       "\"content\":\"hi\"}],\"format\":{\"type\":\"object\"},\"stream\":true,\"keep_alive\":\"30m\"}",
	       "system and prompt as messages, the schema and keep_alive kept");
	free(body);
	cJSON_Delete(keep);
	cJSON_Delete(req);

	req = cJSON_Parse("{\"prompt\":\"hi\"}");
	ok(ollama_request(req, NULL, &path, &body, &error) < 0 && error, "no model: refused (%s)", error ? error : "");
	free(error);
	cJSON_Delete(req);
}

static void load_options(void)
{
	cJSON *pinned = NULL;
	cJSON *a = cJSON_Parse("{\"num_ctx\":8192,\"temperature\":0}");
	ok(ollama_pin_load_options(a, &pinned) == 0, "the first request sets the load options");
	char *s = json_print(pinned);
	is_str(s, "{\"num_ctx\":8192}", "only load options are pinned");
	free(s);
	cJSON *b = cJSON_Parse("{\"num_ctx\":4096,\"num_batch\":256,\"temperature\":0.5}");
	ok(ollama_pin_load_options(b, &pinned) == 1, "a request with other load options is changed");
	is_str_free(json_print(b),
		    "{\"temperature\":0.5,\"num_ctx\":8192}", "it gets the first ones, its sampling options kept");
	cJSON *c = cJSON_Parse("{\"temperature\":0,\"num_ctx\":8192}");
	ok(ollama_pin_load_options(c, &pinned) == 0, "a request with the same load options is left alone");
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(pinned);
	ok(ollama_is_load_option("num_ctx") && !ollama_is_load_option("seed"), "num_ctx reloads a model, seed not");
}

static void streams(void)
{
	static const char stream[] =
		"{\"model\":\"m\",\"created_at\":\"x\",\"response\":\"The\",\"done\":false}\n"
		"{\"model\":\"m\",\"created_at\":\"x\",\"response\":\" sky \xc3\xa9\",\"done\":false}\n"
		"\n"
		"{\"model\":\"m\",\"created_at\":\"x\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\","
		"\"total_duration\":912000000,\"load_duration\":41000000,\"prompt_eval_count\":12,"
		"\"prompt_eval_duration\":30000000,\"eval_count\":2,\"eval_duration\":20000000}\n";
	size_t sizes[] = { 1, 3, 7, 64, 4096 };
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		struct llm_reply r;
		llmreply_init(&r);
		feed_in(&r, stream, sizes[i]);
		ok(r.done && !r.malformed && !r.error, "a stream in pieces of %zu bytes is complete", sizes[i]);
		is_str(buf_str(&r.text), "The sky \xc3\xa9", "its text is joined");
		ok(r.prompt_tokens == 12 && r.output_tokens == 2, "token counts");
		ok(r.total_ms == 912 && r.load_ms == 41 && r.eval_ms == 20, "durations in ms");
		is_str(r.done_reason, "stop", "done reason");
		is_str(r.model, "m", "model");
		llmreply_release(&r);
	}

	struct llm_reply r;
	llmreply_init(&r);
	feed_in(&r, "{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"a\\\":1}\"},\"done\":false}\r\n"
		    "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"eval_count\":3}", 5);
	ok(r.done && r.prompt_tokens == 0 && r.output_tokens == 3,
	   "chat pieces; a missing prompt_eval_count is 0 (a cached prompt); CRLF and no final newline");
	is_str(buf_str(&r.text), "{\"a\":1}", "chat text");
	ok(r.total_ms < 0, "a duration not reported stays unknown");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "{\"response\":\"par\",\"done\":false}\n{\"error\":\"llama runner process has terminated\"}\n", 9);
	ok(!r.done && r.error && !strcmp(r.error, "llama runner process has terminated"),
	   "an error line in a stream is the error");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "<html>\n<body>Bad Gateway</body>\n</html>\n", 4);
	ok(r.malformed && strstr(r.malformed, "line 1") && strstr(r.malformed, "<html>"),
	   "an HTML page is malformed, quoted: %s", r.malformed ? r.malformed : "");
	ok(r.head.len > 0 && !memcmp(r.head.data, "<html>", 6), "the first bytes are kept");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "{\"response\":\"abc\\u0000def\",\"done\":false}\n{\"response\":\"\",\"done\":true}\n", 5);
	ok(r.refused && r.malformed && strstr(r.malformed, "line 1, byte 17") && !r.text.len,
	   "\\u0000 in a piece refuses the answer, saying where: %s", r.malformed ? r.malformed : "");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "{\"response\":\"abc\\\\u0000def\",\"done\":true}\n", 5);
	is_str(buf_str(&r.text), "abc\\u0000def", "an escaped backslash before u0000 is text");
	llmreply_release(&r);

	llmreply_init(&r);
	r.max_answer = 5;
	feed_in(&r, "{\"response\":\"abc\",\"done\":false}\n{\"response\":\"def\",\"done\":false}\n"
		    "{\"response\":\"ghi\",\"done\":true}\n", 7);
	ok(r.too_large && llmreply_stopped(&r) && !strcmp(buf_str(&r.text), "abc"),
	   "an answer over the cap stops, keeping no more than the cap");
	llmreply_release(&r);

	llmreply_init(&r);
	r.max_answer = 5;
	feed_in(&r, "{\"response\":\"abcde\",\"done\":true}\n", 3);
	ok(!r.too_large && r.done && !strcmp(buf_str(&r.text), "abcde"), "an answer of exactly the cap is whole");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "[1,2]\n", 100);
	ok(r.malformed != NULL, "a line that is JSON but not an object is malformed");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "{\"response\":\"a\",\"done\":false}\n", 100);
	ok(!r.done && !r.malformed && !r.error, "a stream that stops early is not done");
	llmreply_release(&r);
}

int main(void)
{
	hosts();
	requests();
	load_options();
	streams();
	return done_testing();
}
