/* fuzz-ollama-stream.c: libFuzzer target for Ollama's NDJSON stream parser
 * (ollama_feed, ollama_finish). The first byte chooses how the rest is cut
 * into pieces, as a network might deliver it. */
#include <stddef.h>
#include <stdint.h>

#include "ollama.h"
#include "../unit/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_stream(data, size, ollama_feed, ollama_finish);
}
