/* fuzz-llm-errors.c: libFuzzer target for what is read from a failed model
 * call: error bodies (llmreply_error_message), Retry-After headers
 * (llmreply_retry_after) and quoted excerpts (llmreply_quote). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "llmreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *m = llmreply_error_message(s, size);
	free(m);
	(void)llmreply_retry_after(s, size, 1445412470000LL);
	char *q = llmreply_quote(s, size, size % 300);
	free(q);
	return 0;
}
