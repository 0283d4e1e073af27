// SPDX-License-Identifier: MIT
/* policy-staged: the name of the copy a preview reads (see policy-staged.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "udsecho/policy-staged.h"

int policy_staged_path(const char *policy, char *buf, size_t len)
{
	const char *slash = strrchr(policy, '/');
	int dir = slash ? (int)(slash - policy) + 1 : 0, n;

	n = snprintf(buf, len, "%.*s.%s.preview", dir, policy, policy + dir);
	return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}
