/* fuzz-openai-stream.c: libFuzzer target for the OpenAI-compatible
 * server-sent events parser (openai_feed, openai_finish). The first byte
 * chooses how the rest is cut into pieces. */
#include <stddef.h>
#include <stdint.h>

#include "openai.h"
#include "../unit/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_stream(data, size, openai_feed, openai_finish);
}
