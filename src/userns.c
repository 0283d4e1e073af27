// SPDX-License-Identifier: MIT
/* userns: /proc/self/{uid,gid}_map against the identity map. Reads two files, writes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/userns.h"

/* One map: 0 identity, USERNS_E_PARTIAL (described in @err), or -errno. */
static int check_map(const char *name, char *err, size_t errlen)
{
	char path[32], buf[4096], shown[256] = "";
	size_t o = 0;
	unsigned long inside, outside, count;
	int fd, n, used;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (len < 0) {
		int r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	close(fd);
	buf[len] = '\0';
	n = sscanf(buf, " %lu %lu %lu %n", &inside, &outside, &count, &used);
	if (n == 3 && inside == 0 && outside == 0 && count == 4294967295ul && buf[used] == '\0')
		return 0;
	/* The map's numbers on one line, one space apart. */
	for (char *tok = strtok(buf, " \t\n"); tok && o < sizeof(shown) - 1;
	     tok = strtok(NULL, " \t\n"))
		o += (size_t)snprintf(shown + o, sizeof(shown) - o, "%s%s", o ? " " : "", tok);
	snprintf(err, errlen,
		 "%s is '%s', not the identity map: this is a user namespace, where every peer "
		 "whose id has no mapping appears as 65534 and a policy by uid means nothing; "
		 "start udsechod outside it, or with --allow-userns",
		 path, shown);
	return USERNS_E_PARTIAL;
}

int userns_check(char *err, size_t errlen)
{
	int r = check_map("uid_map", err, errlen);

	return r ? r : check_map("gid_map", err, errlen);
}
