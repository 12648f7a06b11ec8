/* Unit tests of workflow_diff: what load says changed. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"
#include "util.h"
#include "workflow-diff.h"

static const char BASE[] =
	"{\"workflow_id\": 1, \"name\": \"w\", \"parameters\": {\"n\": 1},"
	" \"actors\": [{\"actor_id\": 1, \"name\": \"m\", \"type\": \"ai_model\", \"config\": {\"seed\": 1}}],"
	" \"conversations\": ["
	"  {\"conversation_id\": 10, \"name\": \"a\", \"actor\": \"m\", \"instruction\": {\"template\": \"A\"},"
	"   \"rules\": [{\"condition\": \"[X]\", \"next\": 11}, {\"condition\": \"[Y]\", \"next\": null}]},"
	"  {\"conversation_id\": 11, \"name\": \"b\", \"actor\": \"m\", \"terminal\": true, \"instruction\": {\"template\": \"B\"}}]}";

static char *diff_of(const char *from, const char *find, const char *replace)
{
	char *edited;
	if (find) {
		const char *at = strstr(from, find);
		edited = xasprintf("%.*s%s%s", (int)(at - from), from, replace, at + strlen(find));
	} else {
		edited = xstrdup(from);
	}
	struct workflow a, b;
	cJSON *ja = cJSON_Parse(from), *jb = cJSON_Parse(edited);
	workflow_from_json(ja, "a", &a);
	workflow_from_json(jb, "b", &b);
	struct buf out = BUF_INIT;
	buf_puts(&out, "");
	workflow_diff(&a, &b, &out);
	char *s = buf_detach(&out);
	workflow_release(&a);
	workflow_release(&b);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	free(edited);
	return s;
}

static void check(const char *what, const char *find, const char *replace, const char *expected)
{
	char *got = diff_of(BASE, find, replace);
	is_str(got, expected, "%s", what);
	free(got);
}

int main(void)
{

	check("the same workflow: no change", NULL, NULL, "");
	check("a prompt", "\"template\": \"A\"", "\"template\": \"A2\"", "  conversation 10 'a': prompt\n");
	check("a setting", "\"terminal\": true,", "\"terminal\": true, \"max_attempts\": 5,",
	      "  conversation 11 'b': settings\n");
	check("rules without ids, reordered: no change",
	      "{\"condition\": \"[X]\", \"next\": 11}, {\"condition\": \"[Y]\", \"next\": null}",
	      "{\"condition\": \"[Y]\", \"next\": null}, {\"condition\": \"[X]\", \"next\": 11}", "");
	check("a rule's condition", "\"[Y]\"", "\"[Z]\"", "  conversation 10 'a': rules\n");
	check("a step removed, its rule gone",
	      ", {\"condition\": \"[Y]\", \"next\": null}]},"
	      "  {\"conversation_id\": 11, \"name\": \"b\", \"actor\": \"m\", \"terminal\": true, \"instruction\": {\"template\": \"B\"}}]}",
	      "], \"terminal\": true}]}",
	      "  conversation 10 'a': settings, rules\n  conversation 11 'b': removed\n");
	check("an actor's config", "{\"seed\": 1}", "{\"seed\": 2}", "  actor 1 'm': config\n");
	check("a parameter's default", "{\"n\": 1}", "{\"n\": 2}", "  workflow: parameters\n");
	return done_testing();
}
