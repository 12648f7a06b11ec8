/* preflight.h: the configuration checks `run` makes before it claims work. */
#ifndef preflight_h
#define preflight_h

struct db;
struct engine_opts;

/* Checks every model actor of the workflows the run will work on (running
 * runs in scope; failed ones too with --retry-failed): its server's address
 * is set and is an http:// or https:// URL, and, with one request per server
 * (Ollama GET /api/tags, OpenAI-compatible GET /v1/models), the path is the
 * server's, the key is accepted and the model is there. A server that does
 * not answer (or answers 5xx) is not checked: that is an outage, which the
 * engine waits out. Returns E_OK, or E_INPUT naming each mistake and the
 * setting to change (the actor's "base_url", OLLAMA_HOST, OPENAI_BASE_URL,
 * OPENAI_API_KEY). Nothing is written to the database. */
int preflight_check(struct db *db, const struct engine_opts *o);

#endif
