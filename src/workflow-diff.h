/* workflow-diff.h: what changed between two versions of a workflow, in words,
 * for load to say when it replaces a stored workflow. Pure: no I/O. */
#ifndef workflow_diff_h
#define workflow_diff_h

#include <stddef.h>

#include "workflow.h"

struct buf;

/* Appends one line per change from old to new to out ("  conversation 3337
 * 'Grade summary (qwen)': prompt changed\n"), in the order of new's steps;
 * returns the number of lines. Rules are compared by id where both have one,
 * else by position; ids and names load makes up are not changes. */
size_t workflow_diff(const struct workflow *old, const struct workflow *new, struct buf *out);

#endif
