/* SPDX-License-Identifier: MIT */
/*
 * peercred: who is at the other end of a connected AF_UNIX socket, in the kernel's words.
 *
 * SO_PEERCRED gives the pid, uid and gid the peer had when it called connect(2); SO_PEERGROUPS
 * its supplementary groups at that moment. Both are read once, at accept, and kept as integers
 * from the kernel to the policy decision: nothing the peer sends can change them. Runs inside the
 * worker's sandbox (two getsockopt(2) calls, and malloc only when a peer has more than
 * PEERCRED_GROUPS_INLINE groups).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define PEERCRED_GROUPS_INLINE 32

struct peer_cred {
	pid_t pid; /* 0 when the peer is in another pid namespace */
	uid_t uid; /* effective uid at connect(2) */
	gid_t gid; /* effective gid at connect(2) */
	size_t ngroups;
	gid_t *groups;	  /* supplementary groups, sorted ascending, without duplicates */
	int groups_known; /* groups were read (a policy without group rules needs none) */
	gid_t groups_inline[PEERCRED_GROUPS_INLINE];
};

/*
 * peercred_read - fill @cred from the connected socket @fd.
 * Returns 0, or -errno if the kernel did not answer (the caller must then refuse the peer:
 * an unknown identity is never allowed). Release with peercred_release().
 */
int peercred_read(int fd, struct peer_cred *cred) __attribute__((warn_unused_result));

/*
 * peercred_read_ids, peercred_read_groups - the two halves of peercred_read(), for a caller that
 * only needs the groups when its policy has group rules. Both read what the kernel recorded at
 * connect(2), however late they are asked. Return as peercred_read().
 */
int peercred_read_ids(int fd, struct peer_cred *cred) __attribute__((warn_unused_result));
int peercred_read_groups(int fd, struct peer_cred *cred) __attribute__((warn_unused_result));

/* peercred_release - free what peercred_read() allocated; @cred may be read again after. */
void peercred_release(struct peer_cred *cred);

/* peercred_in_group - whether @gid is the peer's primary or one of its supplementary groups. */
int peercred_in_group(const struct peer_cred *cred, gid_t gid);
