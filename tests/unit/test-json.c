/* Unit tests of json.c and util.c helpers. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sha256.h"
#include "tap.h"
#include "util.h"

static char *extracted(const char *text)
{
	cJSON *j = json_from_text(text);
	char *s = j ? json_print(j) : NULL;
	cJSON_Delete(j);
	return s;
}

int main(void)
{
	char *s, *msg;
	s = extracted("Here you go:\n```json\n[\"SQL\", \"Python\"]\n```\n[SUCCESS]");
	is_str(s, "[\"SQL\",\"Python\"]", "JSON inside a fenced block");
	free(s);
	s = extracted("{\"ihl_score\": 7, \"verdict\": \"COMPLIANCE_THEATER\"}");
	is_str(s, "{\"ihl_score\":7,\"verdict\":\"COMPLIANCE_THEATER\"}", "a bare JSON answer");
	free(s);
	s = extracted("My answer is {\"a\": {\"b\": \"}\"}} and that is all. [SUCCESS]");
	is_str(s, "{\"a\":{\"b\":\"}\"}}", "JSON embedded in prose, braces inside strings");
	free(s);
	s = extracted("```\nnot json\n```\n```json\n{\"x\":1}\n```");
	is_str(s, "{\"x\":1}", "the first fence that parses");
	free(s);
	ok(extracted("no json here {at all") == NULL, "no JSON gives NULL");

	cJSON *j = json_parse("{\"a\": 1}\n  ", 11, &msg);
	ok(j != NULL, "trailing whitespace is fine");
	cJSON_Delete(j);
	j = json_parse("{\"a\": 1} {\"b\": 2}", 17, &msg);
	ok(j == NULL && msg && strstr(msg, "after the end"), "two documents are refused: %s", msg ? msg : "");
	free(msg);
	j = json_parse("{\n  \"a\": tru\n}", 14, &msg);
	ok(j == NULL && msg && strstr(msg, "line 2"), "the error names the line: %s", msg ? msg : "");
	free(msg);

	j = cJSON_Parse("{\"a\": {\"b\": [10, {\"c\": \"deep\"}]}}");
	const cJSON *c = json_path(j, "a.b.1.c");
	is_str(c ? c->valuestring : NULL, "deep", "json_path follows keys and indexes");
	ok(json_path(j, "a.x") == NULL, "json_path of a missing key is NULL");
	s = json_value_text(json_path(j, "a.b"));
	is_str(s, "[10,{\"c\":\"deep\"}]", "an array as text is compact JSON");
	free(s);
	cJSON_Delete(j);

	char hex[65];
	sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");

	ok(utf8_valid("Grüße 日本", strlen("Grüße 日本")), "valid UTF-8");
	ok(!utf8_valid("\xC3\x28", 2), "invalid UTF-8");
	ok(!utf8_valid("\xED\xA0\x80", 3), "a surrogate is invalid");
	s = utf8_shorten("äöü", 3);
	is_str(s, "ä…", "shortening never splits a character");
	free(s);
	int64_t ms;
	ok(parse_duration_ms("5m", &ms) == 0 && ms == 300000, "5m is 300000 ms");
	ok(parse_duration_ms("250ms", &ms) == 0 && ms == 250, "250ms");
	ok(parse_duration_ms("5 minutes", &ms) < 0, "a bad duration is refused");
	char t[32];
	iso_time(1764000000123, t);
	is_str(t, "2025-11-24T16:00:00.123Z", "ISO time with milliseconds");
	return done_testing();
}
