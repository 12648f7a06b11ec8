/* fetch.h: the fetch_jobs built-in, which fetches postings from a
 * Workday-style job board. It runs in a process of its own so that a slow job
 * board never blocks other work; the postings it returns are stored in the
 * transaction that finishes its interaction. */
#ifndef fetch_h
#define fetch_h

#include "exec.h"

struct executor *fetch_executor_new(const char *db_path);

#endif
