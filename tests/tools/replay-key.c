/* replay-key: prints where the replay fixture for a model call lives, so that
 * a test can write the answer a step will get under --llm replay.
 *
 *   replay-key DIR WORKFLOW.json ACTOR PROMPT
 *
 * The request is built the way the engine builds it (llm_request_json), from
 * the actor's definition in the workflow file and the rendered prompt. */
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "llm.h"
#include "workflow.h"

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: replay-key DIR WORKFLOW.json ACTOR PROMPT\n");
		return 2;
	}
	struct workflow wf;
	if (workflow_read_file(argv[2], &wf)) {
		fprintf(stderr, "replay-key: %s\n", err_msg());
		return 1;
	}
	const struct wf_actor *a = workflow_actor(&wf, argv[3]);
	if (!a) {
		fprintf(stderr, "replay-key: %s has no actor '%s'\n", argv[2], argv[3]);
		workflow_release(&wf);
		return 1;
	}
	char *req = llm_request_json(a, argv[4], NULL);
	char key[65];
	int rc = llm_replay_key(req, key);
	if (!rc) {
		char *path = llm_replay_path(argv[1], key);
		printf("%s\n", path);
		free(path);
	}
	free(req);
	workflow_release(&wf);
	return rc ? 1 : 0;
}
