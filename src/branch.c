/* branch.c: condition matching, the verdict token and the priority bar (branch.h). */
#include "branch.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int branch_parse(const char *condition, enum cond_kind *kind, char **arg, char **error)
{
	char *c = str_trim(xstrdup(condition ? condition : ""));
	*arg = NULL;
	*error = NULL;
	size_t len = strlen(c);
	if (!len) {
		*error = xstrdup("empty condition");
		free(c);
		return -1;
	}
	if (!strcmp(c, "*") || !strcasecmp(c, "default") || !strcasecmp(c, "always")) {
		*kind = COND_ALWAYS;
	} else if (str_starts_with_nocase(c, "contains:")) {
		if (!c[9]) {
			*error = xstrdup("'contains:' needs the text to look for");
			free(c);
			return -1;
		}
		*kind = COND_CONTAINS;
		*arg = xstrdup(c + 9);
	} else if (c[0] == '[' && c[len - 1] == ']' && len > 2) {
		if (len >= sizeof ((struct branch_result *)0)->verdict) {
			*error = xstrdup("verdict token is too long");
			free(c);
			return -1;
		}
		*kind = COND_TOKEN;
		*arg = xstrdup(c);
	} else {
		*kind = COND_CONTAINS;
		*arg = xstrdup(c);
	}
	free(c);
	return 0;
}

struct parsed {
	enum cond_kind kind;
	char *arg;
	int valid;
};

void branch_select(const struct branch_rule *rules, size_t n, const char *text, struct branch_result *res)
{
	struct parsed p[BRANCH_MAX_RULES];
	memset(res, 0, sizeof *res);
	if (n > BRANCH_MAX_RULES)
		n = BRANCH_MAX_RULES;
	if (!text)
		text = "";

	/* The verdict: the token of any rule that appears first in the text. */
	const char *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < n; i++) {
		char *error;
		p[i].valid = branch_parse(rules[i].condition, &p[i].kind, &p[i].arg, &error) == 0;
		free(error);
		if (!p[i].valid || p[i].kind != COND_TOKEN)
			continue;
		const char *at = strstr(text, p[i].arg);
		size_t len = strlen(p[i].arg);
		if (at && (!best || at < best || (at == best && len > best_len))) {
			best = at;
			best_len = len;
		}
	}
	if (best)
		memcpy(res->verdict, best, best_len), res->verdict[best_len] = '\0';

	int matches[BRANCH_MAX_RULES];
	for (size_t i = 0; i < n; i++) {
		matches[i] = 0;
		if (!p[i].valid)
			continue;
		switch (p[i].kind) {
		case COND_ALWAYS:
			matches[i] = 1;
			break;
		case COND_TOKEN:
			matches[i] = best && !strcmp(p[i].arg, res->verdict);
			break;
		case COND_CONTAINS:
			matches[i] = strstr(text, p[i].arg) != NULL;
			break;
		}
		if (matches[i] && rules[i].exhausted) {
			matches[i] = 0;
			res->bounded_out = 1;
		}
	}

	/* The priority bar. */
	int have_bar = 0, bar = 0;
	for (size_t i = 0; i < n; i++)
		if (matches[i] && (!have_bar || rules[i].priority > bar))
			bar = rules[i].priority, have_bar = 1;
	if (have_bar) {
		/* Fire in priority-then-given order; rules at the bar share one priority,
		 * so the given order (rule order) is kept. */
		for (size_t i = 0; i < n; i++) {
			if (!matches[i] || rules[i].priority != bar)
				continue;
			res->fired[res->nfired++] = i;
			if (!rules[i].next) {
				res->ended = 1;
				continue;
			}
			int dup = 0;
			for (size_t t = 0; t < res->ntargets; t++)
				if (res->targets[t] == rules[i].next)
					dup = 1;
			if (!dup) {
				res->target_rule[res->ntargets] = rules[i].id;
				res->targets[res->ntargets++] = rules[i].next;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(p[i].arg);
}
