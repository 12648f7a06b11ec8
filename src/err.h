/* err.h: error codes (which are also the exit status) and the recorded message.
 *
 * Functions that can fail return one of these codes and record a message with
 * err_set(); the command layer prints it once as "waverunner: COMMAND: message".
 * man/waverunner.1 (EXIT STATUS) lists the same codes; a test keeps them in step. */
#ifndef err_h
#define err_h

enum err {
	E_OK = 0,         /* success */
	E_FAIL = 1,       /* the command ran and found problems (validate errors, conflicts) */
	E_USAGE = 2,      /* bad command line */
	E_INPUT = 3,      /* bad input: a file, a definition, an id that does not exist */
	E_DB = 4,         /* the database cannot be opened or used */
	E_REMOTE = 5,     /* a remote service failed (PostgreSQL, an HTTP server) */
	E_NOMEM = 6,      /* out of memory; work in flight was left resumable */
	E_INTERRUPT = 130 /* interrupted by a signal; work in flight was left resumable */
};

/* Records a message for the current failure and returns code. The message names
 * what is wrong and where; no trailing period. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the recorded message with more context: "loading x.json: <old>". */
int err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The recorded message ("" if none); borrowed until the next err_set. */
const char *err_msg(void);
void err_clear(void);

/* The name of the running command, used as the prefix of messages. */
void err_set_command(const char *name);
/* Prints "waverunner: COMMAND: warning: ..." to stderr. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "waverunner: COMMAND: ..." to stderr. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the recorded message as an error to stderr. */
void err_print(void);
/* Prints "waverunner: COMMAND: out of memory" and exits with E_NOMEM. Called by
 * the allocators (util.h) and cJSON's (through json_init); allocates nothing. */
_Noreturn void err_out_of_memory(void);

#endif
