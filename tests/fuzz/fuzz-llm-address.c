/* fuzz-llm-address.c: libFuzzer target for reading server addresses:
 * OLLAMA_HOST (ollama_base_url), OpenAI base URLs (openai_endpoint), and the
 * origin and shown form of what they give (llmreply_origin, _url_shown). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ollama.h"
#include "openai.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	char *error = NULL;
	char *url = ollama_base_url(s, &error);
	free(error);
	if (url) {
		char *o = llmreply_origin(url);
		free(o);
		free(url);
	}
	error = NULL;
	url = openai_endpoint(s, &error);
	free(error);
	if (url) {
		char *o = llmreply_origin(url);
		free(o);
		free(url);
	}
	char *shown = llmreply_url_shown(s);
	free(shown);
	free(s);
	return 0;
}
