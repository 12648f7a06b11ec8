/* Fuzz target: template rendering (text and JSON forms) and scanning. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

static enum tpl_lookup lookup(void *ctx, const char *name, char **value, char **why)
{
	(void)ctx;
	size_t n = strlen(name);
	if (n % 3 == 0) {
		*value = xstrdup("{x}\"\\");
		return TPL_FOUND;
	}
	if (n % 3 == 1) {
		*why = xstrdup("no value");
		return TPL_NO_VALUE;
	}
	return TPL_UNKNOWN;
}

static void visit(void *ctx, const char *text, char *const *alts, size_t n)
{
	(void)ctx, (void)text, (void)alts, (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tpl = xstrndup((const char *)data, size);
	char *out, *err;
	template_render(tpl, lookup, NULL, &out, &err);
	free(out);
	free(err);
	template_render_json(tpl, lookup, NULL, &out, &err);
	free(out);
	free(err);
	template_scan(tpl, visit, NULL);
	free(tpl);
	return 0;
}
