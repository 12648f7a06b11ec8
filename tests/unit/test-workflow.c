/* Unit tests of workflow.c (the file format) and validate.c (the checks). */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "err.h"
#include "json.h"
#include "tap.h"
#include "validate.h"
#include "workflow.h"

static int parse(const char *text, struct workflow *wf)
{
	cJSON *root = cJSON_Parse(text);
	int rc = root ? workflow_from_json(root, "t.json", wf) : E_INPUT;
	cJSON_Delete(root);
	return rc;
}

static void expect_error(const char *text, const char *message, const char *what)
{
	struct workflow wf;
	int rc = parse(text, &wf);
	ok(rc == E_INPUT, "%s is refused", what);
	is_str(err_msg(), message, "%s: message", what);
	if (!rc)
		workflow_release(&wf);
}

/* The findings of a workflow as one string, one per line. */
static char *findings_of(const char *text)
{
	struct workflow wf;
	if (parse(text, &wf))
		return strdup(err_msg());
	struct findings f = { 0 };
	validate_workflow(&wf, &f);
	size_t len = 1;
	for (size_t i = 0; i < f.n; i++)
		len += strlen(f.items[i].message) + 12;
	char *s = calloc(1, len);
	for (size_t i = 0; i < f.n; i++) {
		strcat(s, f.items[i].severity == SEV_ERROR ? "E: " : "W: ");
		strcat(s, f.items[i].message);
		strcat(s, "\n");
	}
	findings_release(&f);
	workflow_release(&wf);
	return s;
}

#define ACTORS "\"actors\": [{\"actor_id\": 1, \"name\": \"m\", \"type\": \"ai_model\"}]"

int main(void)
{
	struct workflow wf;
	const char *good = "{\"workflow_id\": 5, \"name\": \"w\", " ACTORS ", \"conversations\": ["
			   "{\"conversation_id\": 2, \"name\": \"b\", \"actor\": \"m\", \"order\": 20, \"terminal\": true,"
			   " \"instruction\": {\"template\": [\"line 1\", \"line 2\"]}},"
			   "{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\", \"order\": 10,"
			   " \"instruction\": {\"template\": \"x\"}, \"rules\": ["
			   "  {\"condition\": \"*\", \"next\": 2, \"priority\": 1},"
			   "  {\"condition\": \"[X]\", \"next\": null, \"priority\": 9}]}]}";
	ok(parse(good, &wf) == E_OK, "a good workflow parses");
	is_int(wf.convs[0].id, 1, "conversations are sorted by order");
	is_str(wf.convs[1].template, "line 1\nline 2", "a template given as lines is joined");
	is_str(wf.convs[0].rules[0].condition, "[X]", "rules are sorted by priority, highest first");
	is_int(wf.convs[0].rules[1].next, 2, "a rule keeps its target");
	is_int(wf.convs[0].timeout_seconds, 300, "timeout_seconds defaults to 300");
	is_int(wf.convs[0].max_attempts, 3, "max_attempts defaults to 3");
	is_int(wf.actors[0].kind, ACTOR_AI_MODEL, "an actor's type is parsed into its kind");
	is_int(actor_kind_parse("script"), ACTOR_SCRIPT, "actor kind: script");
	is_int(actor_kind_parse("builtin"), ACTOR_BUILTIN, "actor kind: builtin");
	is_int(actor_kind_parse("human"), ACTOR_UNKNOWN, "actor kind: anything else is unknown");
	ok(builtin_find("save_summary") && builtin_find("save_summary")->runs_inline, "save_summary runs inline");
	ok(builtin_find("fetch_jobs") && !builtin_find("fetch_jobs")->runs_inline, "fetch_jobs runs in a process");
	ok(!builtin_find("nope"), "an unknown built-in is not found");
	char *known = builtin_list();
	is_str(known, "check_description, save_summary, save_skills, save_ihl, sql_query, fetch_jobs",
	       "the built-ins, in the order of their table");
	free(known);
	cJSON *back = workflow_to_json(&wf);
	struct workflow again;
	ok(workflow_from_json(back, "back", &again) == E_OK, "the exported form parses again");
	char *a = json_print(back), *b;
	cJSON *back2 = workflow_to_json(&again);
	b = json_print(back2);
	is_str(a, b, "export of the re-read workflow is the same");
	free(a);
	free(b);
	cJSON_Delete(back);
	cJSON_Delete(back2);
	workflow_release(&again);
	workflow_release(&wf);

	expect_error("[]", "t.json: a workflow file holds one JSON object", "an array");
	expect_error("{\"name\": \"w\"}", "t.json: missing 'workflow_id'", "no workflow_id");
	expect_error("{\"workflow_id\": \"7\", \"name\": \"w\"}", "t.json: 'workflow_id' must be an integer",
		     "a string id");
	expect_error("{\"workflow_id\": 7, \"name\": \"w\", \"conversations\": []}",
		     "t.json: workflow 7: 'conversations' must be a non-empty array", "no conversations");
	expect_error("{\"workflow_id\": 7, \"name\": \"w\", " ACTORS ", \"conversations\": ["
		     "{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\"},"
		     "{\"conversation_id\": 1, \"name\": \"b\", \"actor\": \"m\"}]}",
		     "t.json: conversation 1 'b': conversation id 1 is defined twice", "a duplicate conversation id");
	expect_error("{\"workflow_id\": 7, \"name\": \"w\", " ACTORS ", \"conversations\": ["
		     "{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\", \"timeout_seconds\": 0}]}",
		     "t.json: conversation 1 'a': 'timeout_seconds' must be between 1 and 604800, not 0",
		     "a zero timeout");
	expect_error("{\"workflow_id\": 7, \"name\": \"w\", \"actors\": [{\"actor_id\": 1, \"name\": \"s\", "
		     "\"type\": \"script\"}], \"conversations\": [{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"s\"}]}",
		     "t.json: actor 1 's': a script actor needs 'script', the program to run", "a script without a program");
	expect_error("{\"workflow_id\": 7, \"name\": \"w\", " ACTORS ", \"conversations\": ["
		     "{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\", \"rules\": [{\"id\": 4, \"condition\": \"*\"},"
		     " {\"id\": 4, \"condition\": \"*\"}]}]}",
		     "t.json: conversation 1 'a': rules[1]: rule id 4 is used twice", "a duplicate rule id");

	char *f = findings_of("{\"workflow_id\": 7, \"name\": \"w\", " ACTORS ", \"conversations\": ["
			      "{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\", \"instruction\": {\"template\": \"{parent_response}\"},"
			      " \"rules\": [{\"condition\": \"[A\", \"next\": 2}]},"
			      "{\"conversation_id\": 2, \"name\": \"b\", \"actor\": \"m\", \"instruction\": {\"template\": \"{job_title} {conversation_1_output.x} {p}\"}}]}");
	is_str(f, "E: conversation 1 'a': template placeholder {parent_response} cannot be filled: this step has no parent (no rule leads to it)\n"
		  "W: conversation 2 'b': has no rules and is not marked terminal: every path through it ends here\n"
		  "E: conversation 2 'b': template placeholder {p} cannot be filled: no such variable\n",
	       "validate names placeholder problems, and warns about an open end");
	free(f);

	is_str_free(findings_of("{\"workflow_id\": 7, \"name\": \"w\", \"parameters\": {\"p\": 1}, " ACTORS ", \"conversations\": ["
			"{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\", \"instruction\": {\"template\": \"{p} {workflow_run_id} {variations_param_1}\"},"
			" \"rules\": [{\"condition\": \"*\", \"next\": 2}]},"
			"{\"conversation_id\": 2, \"name\": \"b\", \"actor\": \"m\", \"terminal\": true, \"instruction\": {\"template\": \"{conversation_1_output} {parent_response}\"}},"
			"{\"conversation_id\": 3, \"name\": \"c\", \"actor\": \"m\", \"terminal\": true, \"instruction\": {\"template\": \"c\"}}]}"), "E: conversation 3 'c': is unreachable: no rule leads to it from the start\n",
	       "parameters, run ids, aliases and earlier outputs are known; an unreachable step is an error");

	is_str_free(findings_of("{\"workflow_id\": 7, \"name\": \"w\", " ACTORS ", \"conversations\": ["
			"{\"conversation_id\": 1, \"name\": \"a\", \"actor\": \"m\", \"instruction\": {\"template\": \"a\"},"
			" \"rules\": [{\"condition\": \"*\", \"next\": 2}]},"
			"{\"conversation_id\": 2, \"name\": \"b\", \"actor\": \"m\", \"instruction\": {\"template\": \"b\"},"
			" \"rules\": [{\"condition\": \"*\", \"next\": 2, \"priority\": 9}, {\"condition\": \"*\", \"next\": 3}]},"
			"{\"conversation_id\": 3, \"name\": \"c\", \"actor\": \"m\", \"terminal\": true, \"instruction\": {\"template\": \"c\"}}]}"), "E: conversation 2 'b': loop through conversations 2 has no bound on any of its rules (set max_iterations on one)\n",
	       "a self-loop without a bound is an error");
	return done_testing();
}
