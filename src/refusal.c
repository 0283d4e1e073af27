// SPDX-License-Identifier: MIT
/* refusal: the lines sent to refused peers (see refusal.h). Pure formatting. */
#include <stdio.h>

#include "udsecho/refusal.h"

static size_t finish(int n, size_t len)
{
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

size_t refusal_denied(char *buf, size_t len, const struct peer_cred *cred, const char *message)
{
	return finish(snprintf(buf, len,
			       "udsechod: permission denied: uid=%u gid=%u pid=%d%s%.160s\n",
			       (unsigned int)cred->uid, (unsigned int)cred->gid, (int)cred->pid,
			       message ? ": " : "", message ? message : ""),
		      len);
}

size_t refusal_busy(char *buf, size_t len, const char *reason)
{
	return finish(snprintf(buf, len, "udsechod: busy: %.200s\n", reason), len);
}

size_t refusal_unavailable(char *buf, size_t len)
{
	return finish(snprintf(buf, len, "%s\n", REFUSAL_UNAVAILABLE), len);
}
