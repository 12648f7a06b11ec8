/* script.h: script actors: programs run directly (never through a shell) with
 * the step's input as one JSON document on stdin; they print one JSON document
 * on stdout.
 *
 * The contract a program sees:
 * - It is executed directly (execve; its #! line picks an interpreter), as the
 *   leader of a process group of its own, in the directory of the workflow file
 *   (when the workflow was loaded from a file; else waverunner's directory). A
 *   relative "script" path is resolved against that directory too.
 * - stdin: one line holding one JSON document: the step's rendered input object
 *   with a "_context" member added (replacing one the input may have):
 *     {"_context": {"interaction_id": N, "workflow_run_id": N, "workflow_id": N,
 *      "conversation_id": N, "posting_id": N or null, "attempt": N}, ...}
 *   An input that is not an object arrives as {"input": ..., "_context": {...}}.
 * - Environment, an allow-list: only PATH (a default when unset), HOME, USER,
 *   LOGNAME, LANG, LANGUAGE, LC_*, TZ, TMPDIR, TERM;
 *   WAVERUNNER_INTERACTION_ID, WAVERUNNER_RUN_ID, WAVERUNNER_WORKFLOW_ID,
 *   WAVERUNNER_CONVERSATION_ID, WAVERUNNER_POSTING_ID (only when the run has a
 *   posting), WAVERUNNER_ATTEMPT and WAVERUNNER_DB (the database, absolute);
 *   and the names the actor's config lists in "env": ["NAME", ...], when set.
 *   Names script_env_denied() refuses, and values script_env_value_denied()
 *   refuses (a URL with credentials: a proxy with user:password@, a DSN), are
 *   never passed, even when listed. Proxy variables pass only when listed.
 * - stdout: exactly one JSON document (UTF-8), at most the actor's config
 *   "max_output_bytes" (default 8 MiB). Its top-level "status" string, if any,
 *   is what the step's rules match. A status of "error" or "failed" (any case,
 *   with or without brackets, e.g. "[FAILED]") fails the step with the
 *   document's "error" or "message" text; "retryable": true lets it be retried.
 * - stderr: free-form; its last 64 KiB are kept with the interaction (the
 *   "stderr" member of its completed, failed or retried event) and its end is
 *   quoted in the error message when the program fails.
 * - Exit status 0 is success; anything else, or death by a signal, fails the
 *   step (not retried). The step's timeout_seconds is enforced: SIGTERM to the
 *   process group, then SIGKILL after the config's "kill_grace_ms" (default
 *   2000); a timeout is retried like any other. When the program exits, what it
 *   left running in its process group is killed. */
#ifndef script_h
#define script_h

#include "exec.h"

/* The executor for script actors; db_path is passed to scripts in their
 * environment (WAVERUNNER_DB). */
struct executor *script_executor_new(const char *db_path);

/* 1 if an environment variable may never be passed to a script, even when the
 * actor's config lists it: names starting with PG or WAVERUNNER_PG,
 * DATABASE_URL, and names containing PASS (PASSWORD, PASSWD, PASSPHRASE),
 * SECRET, TOKEN, KEY, CREDENTIAL, AUTH, DSN, PRIVATE, COOKIE or SESSION
 * (letter case ignored). */
int script_env_denied(const char *name);
/* 1 if a variable's value may never be passed to a script: it holds a URL
 * with credentials (scheme://user:password@host, scheme://token@host), as a
 * proxy setting or a DSN may, whatever the name; or the name ends in _proxy
 * (any case) and the value is user:password@host without a scheme. */
int script_env_value_denied(const char *name, const char *value);
/* 1 if name is a variable name: letters, digits and _, not starting with a digit. */
int script_env_name_ok(const char *name);

#endif
