/* driver: runs a fuzz target's entry point over files, without libFuzzer, so
 * that make check replays every seed corpus under the sanitizers with gcc.
 * Usage: fuzz-NAME FILE... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		char *data;
		size_t len;
		if (read_file(argv[i], &data, &len) < 0) {
			perror(argv[i]);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
		n++;
	}
	printf("ok 1 - %d inputs ran through the target without a fault\n1..1\n", n);
	return 0;
}
