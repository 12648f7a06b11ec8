/* branch.h: which rules fire after a step. Pure: no I/O.
 *
 * Conditions: "*", "default" and "always" always match; "[TOKEN]" matches the
 * verdict; "contains:TEXT" and any other text match a substring (case-sensitive).
 * The verdict is the rule token that occurs first in the text, so an answer
 * "[PASS] ... would otherwise [FAIL]" has the verdict [PASS] and [FAIL] does not
 * fire. The priority bar: the highest priority that has a matching rule wins,
 * and every matching rule at that priority fires, END rules included. Two rules
 * to one target make one child. A rule whose bound is reached does not match. */
#ifndef branch_h
#define branch_h

#include <stddef.h>

enum cond_kind {
	COND_ALWAYS,
	COND_TOKEN,
	COND_CONTAINS,
};

/* The most rules one step may have (validate refuses more). */
#define BRANCH_MAX_RULES 64

struct branch_rule {
	long id;
	const char *condition;
	long next;        /* 0 = END */
	int priority;
	int exhausted;    /* its max_iterations bound is reached in this run */
};

struct branch_result {
	size_t fired[BRANCH_MAX_RULES];       /* indexes of the rules that fired */
	size_t nfired;
	long targets[BRANCH_MAX_RULES];       /* distinct next conversations, in rule order */
	long target_rule[BRANCH_MAX_RULES];   /* the first rule that chose each target */
	size_t ntargets;
	int ended;             /* an END rule fired */
	int bounded_out;       /* a matching rule was skipped because its bound was reached */
	char verdict[64];      /* the verdict token found, "" if none */
};

/* Parses a condition. Returns 0 with *kind and *arg (a new string: the token or
 * the text; NULL for COND_ALWAYS), or -1 with *error set (caller frees). */
int branch_parse(const char *condition, enum cond_kind *kind, char **arg, char **error);

/* Chooses the rules that fire for text. rules need not be sorted. Invalid
 * conditions never match. At most BRANCH_MAX_RULES rules are considered. */
void branch_select(const struct branch_rule *rules, size_t n, const char *text, struct branch_result *res);

#endif
