/* script.h: script actors: programs run directly (never through a shell) with
 * the step's input as one JSON document on stdin; they print one JSON document
 * on stdout. */
#ifndef script_h
#define script_h

#include "exec.h"

/* The executor for script actors; db_path is passed to scripts in their
 * environment (WAVERUNNER_DB). */
struct executor *script_executor_new(const char *db_path);

#endif
