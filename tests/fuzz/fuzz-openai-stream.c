/* fuzz-openai-stream.c: libFuzzer target for the OpenAI-compatible
 * server-sent events parser (openai_feed, openai_finish). The first byte
 * chooses how the rest is cut into pieces. */
#include <stddef.h>
#include <stdint.h>

#include "openai.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t piece = (size_t)data[0] + 1;
	struct llm_reply r;
	llmreply_init(&r);
	for (size_t at = 1; at < size; at += piece)
		openai_feed(&r, (const char *)data + at, size - at < piece ? size - at : piece);
	openai_finish(&r);
	llmreply_release(&r);
	return 0;
}
