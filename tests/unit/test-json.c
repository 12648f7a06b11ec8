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
	char *msg;
	is_str_free(extracted("Here you go:\n```json\n[\"SQL\", \"Python\"]\n```\n[SUCCESS]"),
		    "[\"SQL\",\"Python\"]", "JSON inside a fenced block");
	is_str_free(extracted("{\"ihl_score\": 7, \"verdict\": \"COMPLIANCE_THEATER\"}"),
		    "{\"ihl_score\":7,\"verdict\":\"COMPLIANCE_THEATER\"}", "a bare JSON answer");
	is_str_free(extracted("My answer is {\"a\": {\"b\": \"}\"}} and that is all. [SUCCESS]"),
		    "{\"a\":{\"b\":\"}\"}}", "JSON embedded in prose, braces inside strings");
	is_str_free(extracted("```\nnot json\n```\n```json\n{\"x\":1}\n```"),
		    "{\"x\":1}", "the first fence that parses");
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

	j = json_parse("{\"a\": \"x\\u0000y\"}", 17, &msg);
	ok(j == NULL && msg && strstr(msg, "line 1, column 9: \\u0000"), "\\u0000 is refused with its place: %s",
	   msg ? msg : "");
	free(msg);
	j = json_parse("{\"a\\u0000\": 1}", 14, &msg);
	ok(j == NULL && msg, "\\u0000 in a key too");
	free(msg);
	j = json_parse("{\"a\": \"x\\\\u0000y\"}", 18, &msg);
	ok(j != NULL && !strcmp(json_str(j, "a"), "x\\u0000y"), "an escaped backslash, then u0000, is text");
	cJSON_Delete(j);
	j = json_parse("{\"a\": 1,\n \"a\": 2}", 17, &msg);
	ok(j != NULL, "json_parse keeps duplicate keys (model answers)");
	cJSON_Delete(j);
	j = json_parse_strict("{\"a\": 1,\n \"b\": {\"c\": 1, \"\\u0063\": 2}}", 37, &msg);
	ok(j == NULL && msg && strstr(msg, "line 2, column 16: key 'c' appears twice in one object (first at line 2, column 8)"),
	   "json_parse_strict refuses a duplicate key (however escaped) with both places: %s", msg ? msg : "");
	free(msg);
	{
		struct buf big = BUF_INIT;
		buf_puts(&big, "[{");
		for (int i = 0; i < 500; i++)
			buf_printf(&big, "%s\"k%d\": [%d]", i ? ", " : "", i, i);
		buf_puts(&big, ", \"k7\": 0}]");
		j = json_parse_strict(big.data, big.len, &msg);
		ok(j == NULL && msg && strstr(msg, "key 'k7' appears twice"), "a duplicate in a big object: %s",
		   msg ? msg : "");
		free(msg);
		buf_release(&big);
	}
	is_str_free(str_excerpt("ab\ncd\x01" "ef", 100), "ab\\ncd\\x01ef", "str_excerpt escapes control characters");
	is_str_free(str_excerpt("abcdefgh", 3), "abc\xE2\x80\xA6 (8 bytes)", "str_excerpt shortens, giving the size");
	size_t sz = 0;
	ok(parse_size("16M", &sz) == 0 && sz == 16u << 20, "parse_size 16M");
	ok(parse_size("512K", &sz) == 0 && sz == 512u << 10, "parse_size 512K");
	ok(parse_size("100", &sz) == 0 && sz == 100, "parse_size in bytes");
	ok(parse_size("2X", &sz) < 0 && parse_size("-1M", &sz) < 0 && parse_size("0", &sz) < 0, "parse_size refuses");

	j = cJSON_Parse("{\"a\": {\"b\": [10, {\"c\": \"deep\"}]}}");
	const cJSON *c = json_path(j, "a.b.1.c");
	is_str(c ? c->valuestring : NULL, "deep", "json_path follows keys and indexes");
	ok(json_path(j, "a.x") == NULL, "json_path of a missing key is NULL");
	is_str_free(json_value_text(json_path(j, "a.b")), "[10,{\"c\":\"deep\"}]", "an array as text is compact JSON");
	cJSON_Delete(j);

	char hex[65];
	sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");

	ok(utf8_valid("Grüße 日本", strlen("Grüße 日本")), "valid UTF-8");
	ok(!utf8_valid("\xC3\x28", 2), "invalid UTF-8");
	ok(!utf8_valid("\xED\xA0\x80", 3), "a surrogate is invalid");
	is_str_free(utf8_shorten("äöü", 3), "ä…", "shortening never splits a character");
	int64_t ms;
	ok(parse_duration_ms("5m", &ms) == 0 && ms == 300000, "5m is 300000 ms");
	ok(parse_duration_ms("250ms", &ms) == 0 && ms == 250, "250ms");
	ok(parse_duration_ms("5 minutes", &ms) < 0, "a bad duration is refused");
	char t[32];
	iso_time(1764000000123, t);
	is_str(t, "2025-11-24T16:00:00.123Z", "ISO time with milliseconds");
	return done_testing();
}
