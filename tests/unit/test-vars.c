/* Unit tests of vars.c: the names a template can use and what they resolve to
 * without a database (parameters, the run's context, a run without a posting). */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vars.h"

static void lookup(struct vars_env *env, const char *name, enum tpl_lookup expect, const char *value, const char *what)
{
	char *v = NULL, *why = NULL;
	enum tpl_lookup r = vars_lookup(env, name, &v, &why);
	is_int(r, expect, "%s: result", what);
	if (value)
		is_str(expect == TPL_FOUND ? v : why, value, "%s: %s", what, expect == TPL_FOUND ? "value" : "why");
	free(v);
	free(why);
}

int main(void)
{
	long conv = 0;
	is_str(vars_posting_column("job_title"), "job_title", "a posting column is itself");
	is_str(vars_posting_column("variations_param_1"), "job_description", "turing's variations_param_1");
	is_str(vars_posting_column("variations_param_3"), "location_city", "turing's variations_param_3");
	ok(!vars_posting_column("job_titles"), "no column job_titles");

	ok(vars_output_conv("conversation_3335_output", &conv) && conv == 3335, "conversation_3335_output is 3335");
	ok(!vars_output_conv("conversation_0_output", &conv), "conversation 0 is no step");
	ok(!vars_output_conv("conversation_+5_output", &conv), "a sign is not a digit");
	ok(!vars_output_conv("conversation__output", &conv), "no number");
	ok(!vars_output_conv("conversation_12_outputs", &conv), "a longer suffix");
	ok(!vars_output_conv("conversation_99999999999999999999_output", &conv), "a number beyond long");
	ok(!vars_output_conv("session_4_output", &conv), "turing's session_N is not a step output");

	ok(vars_is_context("workflow_run_id") && vars_is_context("workflow_id"), "the run's context");
	ok(!vars_is_context("run_id"), "run_id is not a name of it");

	struct vars_env env = { .run_id = 7, .workflow_id = 3001,
				.params = "{\"max_jobs\": 50, \"board\": {\"url\": \"http://x\"}, \"flag\": true}" };
	lookup(&env, "workflow_run_id", TPL_FOUND, "7", "{workflow_run_id}");
	lookup(&env, "workflow_id", TPL_FOUND, "3001", "{workflow_id}");
	lookup(&env, "max_jobs", TPL_FOUND, "50", "a number parameter");
	lookup(&env, "flag", TPL_FOUND, "true", "a true/false parameter");
	lookup(&env, "board.url", TPL_FOUND, "http://x", "a parameter's field");
	lookup(&env, "board.port", TPL_NO_VALUE, "run parameter 'board' has no field 'port'", "a field it lacks");
	lookup(&env, "nothing_like_it", TPL_UNKNOWN, NULL, "an unknown name");
	lookup(&env, "job_title", TPL_NO_VALUE, "this run has no posting, so {job_title} has no value",
	       "a posting column in a run without a posting");
	env.params = NULL;
	lookup(&env, "max_jobs", TPL_UNKNOWN, NULL, "a run without parameters");
	return done_testing();
}
