/* Unit tests of template.c: one-pass rendering, escapes, alternatives, fields. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template.h"
#include "util.h"

/* Variables for the tests: a=1, brace="{a}", empty="", obj has fields. */
static enum tpl_lookup lookup(void *ctx, const char *name, char **value, char **why)
{
	(void)ctx;
	if (!strcmp(name, "a"))
		*value = xstrdup("1");
	else if (!strcmp(name, "brace"))
		*value = xstrdup("{a} and {{b}}");
	else if (!strcmp(name, "empty"))
		*value = xstrdup("");
	else if (!strcmp(name, "quote"))
		*value = xstrdup("say \"hi\"\n\\ok");
	else if (!strcmp(name, "obj.x"))
		*value = xstrdup("X");
	else if (!strcmp(name, "later")) {
		*why = xstrdup("it has not run yet");
		return TPL_NO_VALUE;
	} else
		return TPL_UNKNOWN;
	return TPL_FOUND;
}

static void check(const char *tpl, const char *want, const char *what)
{
	char *out, *err;
	int rc = template_render(tpl, lookup, NULL, &out, &err);
	if (rc == 0)
		is_str(out, want, "%s", what);
	else
		ok(0, "%s (error: %s)", what, err);
	free(out);
	free(err);
}

static void check_error(const char *tpl, const char *want_error, const char *what)
{
	char *out, *err;
	int rc = template_render(tpl, lookup, NULL, &out, &err);
	ok(rc < 0, "%s fails", what);
	is_str(err, want_error, "%s: message", what);
	free(out);
	free(err);
}

static void count_visit(void *ctx, const char *text, char *const *alts, size_t n)
{
	(void)text;
	(void)alts;
	*(size_t *)ctx += n;
}

int main(void)
{
	check("x={a}", "x=1", "a placeholder is replaced");
	check("{brace}", "{a} and {{b}}", "substituted text is never scanned again");
	check("{{a}} {{ }}", "{a} { }", "doubled braces are literal braces");
	check("{\"k\": 1} { a} {a b} {1x} {}", "{\"k\": 1} { a} {a b} {1x} {}",
	      "braces that do not form a placeholder are kept");
	check("[{empty}]", "[]", "an empty value renders as nothing");
	check("{later|a}", "1", "the first alternative with a value wins");
	check("{nope|a}", "1", "an unknown alternative is skipped");
	check("{obj.x}", "X", "a dotted name reaches a field");
	check("", "", "an empty template renders empty");
	check("ünïcödé {a} 日本", "ünïcödé 1 日本", "UTF-8 text passes through");
	check_error("hello {session_4_output}", "unknown placeholder {session_4_output}",
		    "an unknown placeholder");
	check_error("{later}", "placeholder {later}: it has not run yet", "a variable without a value");
	check_error("{nope|later}", "placeholder {nope|later}: it has not run yet",
		    "alternatives that all lack a value");

	char *out, *err;
	ok(template_render_json("{\"s\": \"{quote}\", \"n\": [\"{a}\"]}", lookup, NULL, &out, &err) == 0,
	   "a JSON template renders");
	is_str(out, "{\"s\":\"say \\\"hi\\\"\\n\\\\ok\",\"n\":[\"1\"]}", "substituted text cannot break the JSON");
	free(out);
	free(err);
	ok(template_render_json("{a}", lookup, NULL, &out, &err) == 0, "a text template that renders to JSON");
	is_str(out, "1", "... gives that JSON");
	free(out);
	free(err);
	ok(template_render_json("not json {a}", lookup, NULL, &out, &err) < 0, "a template that is not JSON fails");
	ok(err && strstr(err, "not one JSON document"), "... saying so: %s", err ? err : "");
	free(out);
	free(err);

	size_t nalts = 0;
	is_int(template_scan("{a} {{b}} {c|d.e} {x y}", count_visit, &nalts), 2, "scan finds two placeholders");
	is_int(nalts, 3, "scan sees three names");
	return done_testing();
}
