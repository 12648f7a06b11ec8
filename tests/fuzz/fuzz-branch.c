/* Fuzz target: condition parsing and rule selection. The input is split at
 * newlines: the first line is the text, the others are conditions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "branch.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct branch_rule rules[64];
	size_t n = 0;
	char *save = NULL, *text = strtok_r(s, "\n", &save);
	for (char *c = strtok_r(NULL, "\n", &save); c && n < 64; c = strtok_r(NULL, "\n", &save), n++)
		rules[n] = (struct branch_rule){ (long)n + 1, c, (long)(n % 3), (int)(c[0] % 4), (int)(n % 5 == 4) };
	struct branch_result r;
	branch_select(rules, n, text ? text : "", &r);
	free(s);
	return 0;
}
