/* turing.h: turing's workflow definitions in this project's terms: its prompt
 * templates in this template syntax, its script actors as built-ins, its model
 * settings. Pure: no I/O. */
#ifndef turing_h
#define turing_h

#include <cJSON.h>

#include "workflow.h"

/* A turing template in this project's syntax, rendering the same text turing
 * sent. turing replaced {identifier} and nothing else; here {{ and }} are
 * escapes and {a.b} and {a|b} are placeholders, so every brace outside an
 * {identifier} that would read differently is doubled. New string. */
char *turing_template(const char *tpl);

/* The built-in that does the job of turing's script actor actor_name when it
 * runs conversation conv_id (canonical name canonical, may be NULL), or NULL.
 * *per_conversation is set when the built-in replaces the actor only for this
 * conversation (the description check runs on the generic SQL executor). */
const char *turing_builtin(const char *actor_name, long conv_id, const char *canonical, int *per_conversation);

/* The input template built-in needs at a step whose turing template was tpl:
 * turing's savers read their input from the database, so the step's source is
 * the {conversation_N_output} tpl names, else the conversation turing's saver
 * read (3341, 9121 or 3350, 9163) when wf has it, else {parent_response}.
 * New string. */
char *turing_builtin_template(const char *builtin, const char *tpl, const struct workflow *wf);

/* The settings of a turing ai_model actor from its execution_config (JSON text,
 * may be NULL): only what turing sent to the model (temperature, seed). *dropped
 * names the other keys ("model, timeout"; NULL when none; caller frees). */
cJSON *turing_model_config(const char *execution_config, char **dropped);

#endif
