/* stream.h: feeding a model server's answer to a stream parser (ollama_feed,
 * openai_feed) in pieces, as a network might deliver it; for the unit tests
 * and the fuzz targets of both protocols. */
#ifndef stream_h
#define stream_h

#include <stddef.h>

#include "llmreply.h"

/* Feeds data[0..len) to feed in pieces of piece bytes, then calls finish. */
__attribute__((unused)) static void feed_pieces(struct llm_reply *r, const char *data, size_t len, size_t piece,
						 void (*feed)(struct llm_reply *, const char *, size_t),
						 void (*finish)(struct llm_reply *))
{
	for (size_t at = 0; at < len; at += piece)
		feed(r, data + at, len - at < piece ? len - at : piece);
	finish(r);
}

/* A fuzz target's input to a stream parser: its first byte chooses the piece
 * size, the rest is the stream. */
__attribute__((unused)) static int fuzz_stream(const unsigned char *data, size_t size,
						void (*feed)(struct llm_reply *, const char *, size_t),
						void (*finish)(struct llm_reply *))
{
	if (!size)
		return 0;
	struct llm_reply r;
	llmreply_init(&r);
	feed_pieces(&r, (const char *)data + 1, size - 1, (size_t)data[0] + 1, feed, finish);
	llmreply_release(&r);
	return 0;
}

#endif
