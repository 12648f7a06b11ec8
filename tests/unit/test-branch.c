/* Unit tests of branch.c: conditions, the first verdict, the priority bar. */
#include <stdlib.h>

#include "branch.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	struct branch_result r;

	/* The 3001 grader: [PASS] -> format, [FAIL] -> improve, both priority 10. */
	struct branch_rule grader[] = {
		{ 1, "[PASS]", 3341, 10, 0 },
		{ 2, "[FAIL]", 3338, 10, 0 },
	};
	branch_select(grader, N(grader), "[PASS] The summary is accurate.", &r);
	ok(r.ntargets == 1 && r.targets[0] == 3341, "[PASS] goes to format");
	branch_select(grader, N(grader), "[PASS] accurate, though it would otherwise [FAIL] on style", &r);
	ok(r.ntargets == 1 && r.targets[0] == 3341, "the first verdict wins: [PASS] ... [FAIL] is a pass");
	is_str(r.verdict, "[PASS]", "... and the verdict is [PASS]");
	branch_select(grader, N(grader), "Verdict:\n[FAIL] wrong location. Not a [PASS].", &r);
	ok(r.ntargets == 1 && r.targets[0] == 3338, "[FAIL] first goes to improve");
	branch_select(grader, N(grader), "Looks fine to me.", &r);
	ok(r.nfired == 0 && r.ntargets == 0 && !r.ended, "no verdict: no rule matched");

	/* The priority bar: the highest matching priority fires, all of it. */
	struct branch_rule bar[] = {
		{ 1, "*", 100, 1, 0 },
		{ 2, "*", 200, 1, 0 },
		{ 3, "contains:urgent", 300, 5, 0 },
	};
	branch_select(bar, N(bar), "nothing special", &r);
	ok(r.ntargets == 2 && r.targets[0] == 100 && r.targets[1] == 200, "equal priorities fan out");
	branch_select(bar, N(bar), "this is urgent", &r);
	ok(r.ntargets == 1 && r.targets[0] == 300, "a higher matching priority suppresses lower ones");

	/* END rules take part in the bar. */
	struct branch_rule end[] = {
		{ 1, "[NO_DESCRIPTION]", 0, 10, 0 },
		{ 2, "*", 500, 5, 0 },
	};
	branch_select(end, N(end), "[NO_DESCRIPTION]", &r);
	ok(r.ended && r.ntargets == 0, "a matching END at the top priority ends the path");
	branch_select(end, N(end), "[VALID]", &r);
	ok(!r.ended && r.ntargets == 1 && r.targets[0] == 500, "a lower rule fires when END does not match");

	/* Two rules to one target make one child. */
	struct branch_rule dup[] = {
		{ 1, "*", 700, 1, 0 },
		{ 2, "default", 700, 1, 0 },
		{ 3, "always", 701, 1, 0 },
	};
	branch_select(dup, N(dup), "x", &r);
	ok(r.nfired == 3 && r.ntargets == 2 && r.target_rule[0] == 1, "duplicate targets are merged");

	/* A bound that is reached stops the rule; the bar falls to the next. */
	struct branch_rule loop[] = {
		{ 1, "[FAIL]", 3338, 20, 1 },
		{ 2, "[PASS]", 3341, 10, 0 },
		{ 3, "[FAIL]", 3340, 10, 0 },
	};
	branch_select(loop, N(loop), "[FAIL] still vague", &r);
	ok(r.ntargets == 1 && r.targets[0] == 3340 && r.bounded_out, "an exhausted loop rule gives way to the ticket");
	loop[0].exhausted = 0;
	branch_select(loop, N(loop), "[FAIL] still vague", &r);
	ok(r.ntargets == 1 && r.targets[0] == 3338, "before its bound the loop rule wins");

	/* Matching is case-sensitive substring matching. */
	struct branch_rule text[] = {
		{ 1, "success", 1, 5, 0 },
		{ 2, "contains:Fail", 2, 5, 0 },
	};
	branch_select(text, N(text), "Success", &r);
	ok(r.nfired == 0, "bare text is case-sensitive");
	branch_select(text, N(text), "this is a success", &r);
	ok(r.ntargets == 1 && r.targets[0] == 1, "bare text matches a substring");

	enum cond_kind kind;
	char *arg, *err;
	ok(branch_parse("  ", &kind, &arg, &err) < 0, "an empty condition is invalid");
	free(err);
	ok(branch_parse("contains:", &kind, &arg, &err) < 0, "contains: needs text");
	free(err);
	ok(branch_parse("DEFAULT", &kind, &arg, &err) == 0 && kind == COND_ALWAYS, "default is case-insensitive");
	free(arg);
	free(err);
	ok(branch_parse("[VALID]", &kind, &arg, &err) == 0 && kind == COND_TOKEN, "[VALID] is a token");
	free(arg);
	free(err);
	return done_testing();
}
