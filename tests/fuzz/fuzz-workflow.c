/* Fuzz target: workflow files (shape checks), then validation and export of
 * what parses. */
#include <stdint.h>
#include <stdlib.h>

#include "err.h"
#include "json.h"
#include "util.h"
#include "validate.h"
#include "workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root = json_parse((const char *)data, size, NULL);
	struct workflow wf;
	if (root && workflow_from_json(root, "fuzz", &wf) == E_OK) {
		struct findings f = { 0 };
		validate_workflow(&wf, &f);
		findings_release(&f);
		cJSON *back = workflow_to_json(&wf);
		cJSON_Delete(back);
		workflow_release(&wf);
	}
	cJSON_Delete(root);
	err_clear();
	return 0;
}
