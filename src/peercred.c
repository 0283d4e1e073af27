// SPDX-License-Identifier: MIT
/*
 * peercred: SO_PEERCRED and SO_PEERGROUPS of a connected AF_UNIX socket.
 *
 * Runs in the worker, inside the sandbox. The group list is sorted and de-duplicated so that
 * membership is a binary search, and so that the same peer always yields the same answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "udsecho/idsort.h"
#include "udsecho/peercred.h"

int peercred_read_ids(int fd, struct peer_cred *cred)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	cred->groups = cred->groups_inline;
	cred->ngroups = 0;
	cred->groups_known = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EIO;
	cred->pid = uc.pid;
	cred->uid = uc.uid;
	cred->gid = uc.gid;
	return 0;
}

int peercred_read_groups(int fd, struct peer_cred *cred)
{
	gid_t *buf = cred->groups_inline;
	socklen_t glen = sizeof(cred->groups_inline);

	/* On ERANGE the kernel writes back the length it needs: grow once to exactly that. */
	while (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &glen) < 0) {
		int e = errno;
		if (e != ERANGE || buf != cred->groups_inline)
			return -e;
		buf = malloc(glen);
		if (!buf)
			return -ENOMEM;
		cred->groups = buf;
	}
	cred->ngroups = idsort_unique(buf, glen / sizeof(gid_t));
	cred->groups_known = 1;
	return 0;
}

int peercred_read(int fd, struct peer_cred *cred)
{
	int r = peercred_read_ids(fd, cred);

	return r < 0 ? r : peercred_read_groups(fd, cred);
}

void peercred_release(struct peer_cred *cred)
{
	if (cred->groups && cred->groups != cred->groups_inline)
		free(cred->groups);
	cred->groups = cred->groups_inline;
	cred->ngroups = 0;
}

int peercred_in_group(const struct peer_cred *cred, gid_t gid)
{
	size_t lo = 0, hi = cred->ngroups;

	if (cred->gid == gid)
		return 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cred->groups[mid] == gid)
			return 1;
		if (cred->groups[mid] < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}
