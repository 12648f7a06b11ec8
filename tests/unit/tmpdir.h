/* tmpdir.h: a fresh directory for a unit test's files. */
#ifndef tmpdir_h
#define tmpdir_h

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Makes $TMPDIR/NAME.XXXXXX (/tmp without TMPDIR) and writes the path of
 * FILE in it to out. Returns 0, or -1 when the directory cannot be made. */
__attribute__((unused)) static int tmp_file(const char *name, const char *file, char *out, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(dir))
		return -1;
	snprintf(out, size, "%s/%s", dir, file);
	return 0;
}

/* Removes the database at path (and its -wal and -shm) and its directory. */
__attribute__((unused)) static void tmp_remove_db(const char *path)
{
	char side[700];
	const char *const ext[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		snprintf(side, sizeof side, "%s%s", path, ext[i]);
		unlink(side);
	}
	snprintf(side, sizeof side, "%s", path);
	char *slash = strrchr(side, '/');
	if (slash) {
		*slash = '\0';
		rmdir(side);
	}
}

#endif
