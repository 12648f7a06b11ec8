/* Unit tests of openai.c: endpoints, request bodies, server-sent events. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "openai.h"
#include "stream.h"
#include "tap.h"
#include "util.h"

static void endpoint_is(const char *base, const char *want)
{
	char *error = NULL;
	char *url = openai_endpoint(base, &error);
	is_str(url, want, "base '%s'", base);
	free(url);
	free(error);
}

static void feed_in(struct llm_reply *r, const char *text, size_t n)
{
	feed_pieces(r, text, strlen(text), n, openai_feed, openai_finish);
}

static void endpoints(void)
{
	endpoint_is("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/chat/completions");
	endpoint_is("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1/chat/completions");
	endpoint_is("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/chat/completions");
	endpoint_is(" http://h/v1/ ", "http://h/v1/chat/completions");
	endpoint_is("https://h/proxy/v1/chat/completions", "https://h/proxy/v1/chat/completions");
	char *error = NULL;
	char *url = openai_endpoint("localhost:8080", &error);
	ok(!url && error && strstr(error, "localhost:8080"), "a base without a scheme is refused: %s",
	   error ? error : "");
	free(error);
}

static void requests(void)
{
	char *body, *error;
	cJSON *req = cJSON_Parse("{\"model\":\"m\",\"system\":\"s\",\"prompt\":\"p\",\"options\":{\"num_ctx\":8192,"
				 "\"num_predict\":100,\"seed\":42,\"temperature\":0,\"top_k\":3},\"format\":\"json\"}");
	ok(openai_request(req, &body, &error) == 0, "a request is built");
	is_str(body,
	       "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"p\"}],"
	       "\"temperature\":0,\"seed\":42,\"max_tokens\":100,\"response_format\":{\"type\":\"json_object\"},"
	       "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
	       "messages, shared options, num_predict as max_tokens, JSON mode; num_ctx and top_k left out");
	free(body);
	cJSON_Delete(req);

	req = cJSON_Parse("{\"model\":\"m\",\"prompt\":\"p\",\"options\":{\"num_predict\":-1},"
			  "\"format\":{\"type\":\"object\"}}");
	ok(openai_request(req, &body, &error) == 0, "a request with a schema");
	cJSON *j = cJSON_Parse(body);
	ok(!cJSON_GetObjectItem(j, "max_tokens"), "num_predict -1 (no limit) sends no max_tokens");
	const cJSON *schema = json_path(j, "response_format.json_schema.schema.type");
	ok(schema && !strcmp(schema->valuestring, "object"), "the schema goes in response_format.json_schema");
	cJSON_Delete(j);
	free(body);
	cJSON_Delete(req);
}

static void streams(void)
{
	static const char sse[] =
		": ping\n"
		"data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
		"\"finish_reason\":null}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\r\n\r\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":12,\"total_tokens\":43},"
		"\"timings\":{\"prompt_ms\":10.5,\"predicted_ms\":200}}\n\n"
		"data: [DONE]\n\n";
	size_t sizes[] = { 1, 2, 13, 4096 };
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		struct llm_reply r;
		llmreply_init(&r);
		feed_in(&r, sse, sizes[i]);
		ok(r.done && !r.malformed && !r.error, "events in pieces of %zu bytes are complete", sizes[i]);
		is_str(buf_str(&r.text), "Hello", "text joined");
		ok(r.prompt_tokens == 31 && r.output_tokens == 12, "usage");
		ok(r.eval_ms == 200 && r.total_ms == 210.5, "llama.cpp's timings");
		is_str(r.done_reason, "length", "finish reason");
		llmreply_release(&r);
	}

	struct llm_reply r;
	llmreply_init(&r);
	feed_in(&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"whole\"},\"finish_reason\":\"stop\"}],"
		    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}", 7);
	ok(r.done && !r.malformed, "a server that did not stream: one JSON object");
	is_str(buf_str(&r.text), "whole", "its text");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "error: {\"code\":400,\"message\":\"the request exceeds the available context size\",\"type\":\"x\"}\n\n", 5);
	ok(r.error && strstr(r.error, "exceeds"), "llama.cpp's error field: %s", r.error ? r.error : "");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "data: {\"error\":{\"message\":\"boom\"}}\n\n", 100);
	ok(r.error && !strcmp(r.error, "boom"), "an error object in a data event");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "<html>oops</html>\n", 3);
	ok(r.malformed != NULL, "HTML is not an event stream: %s", r.malformed ? r.malformed : "");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "data: not json\n\n", 3);
	ok(r.malformed != NULL, "data that is not JSON is malformed");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n", 3);
	ok(!r.done && !r.malformed, "events without an end are not done");
	llmreply_release(&r);

	llmreply_init(&r);
	feed_in(&r, "{\"choices\": [", 3);
	ok(r.malformed != NULL, "a truncated JSON body is malformed");
	llmreply_release(&r);
}

int main(void)
{
	endpoints();
	requests();
	streams();
	return done_testing();
}
