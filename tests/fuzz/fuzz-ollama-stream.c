/* fuzz-ollama-stream.c: libFuzzer target for Ollama's NDJSON stream parser
 * (ollama_feed, ollama_finish). The first byte chooses how the rest is cut
 * into pieces, as a network might deliver it. */
#include <stddef.h>
#include <stdint.h>

#include "ollama.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t piece = (size_t)data[0] + 1;
	struct llm_reply r;
	llmreply_init(&r);
	for (size_t at = 1; at < size; at += piece)
		ollama_feed(&r, (const char *)data + at, size - at < piece ? size - at : piece);
	ollama_finish(&r);
	llmreply_release(&r);
	return 0;
}
