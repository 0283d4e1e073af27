// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testdir.h"

static const char *base(void)
{
	const char *b = getenv("UDSECHO_TEST_TMPDIR");

	if (b && *b)
		return b;
	if (geteuid() == 0)
		return "/run";
	b = getenv("XDG_RUNTIME_DIR");
	return b && *b ? b : "/tmp";
}

void test_tmpdir(char *dir, size_t len, const char *tag)
{
	if ((size_t)snprintf(dir, len, "%s/udsecho-%s.XXXXXX", base(), tag) >= len) {
		fprintf(stderr, "test_tmpdir: %s: path too long\n", base());
		abort();
	}
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
}
