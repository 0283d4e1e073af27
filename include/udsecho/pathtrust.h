/* SPDX-License-Identifier: MIT */
/*
 * pathtrust: the one rule for trusting a file or directory, and the walk that applies it to every
 * directory above a pinned one. Used for the socket's directory (sockpath.c) and for the policy
 * file, its includes and their directories (policy-load.c).
 *
 * Trusted means: owned by root or by the trusted uid (the server's), and writable by neither
 * group nor others, except a directory with the sticky bit that root owns (/tmp), where others
 * may add names but not remove or rename another's, when the rule accepts one. Whoever may write
 * a directory on the way could swap what lies below it; whoever owns one could chmod it. The walk
 * goes up by ".." from a descriptor, as the kernel resolves it, never by name again, so a
 * symlink re-pointed after the directory was pinned changes nothing. Runs before confinement.
 */
#pragma once
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

struct pathtrust_rule {
	uid_t trusted;	 /* besides root, who may own what is checked */
	int sticky_root; /* a root-owned sticky directory writable by others is trusted */
};

/* Why something is not trusted. */
enum {
	PATHTRUST_E_OWNER = 1, /* owned by neither root nor the trusted uid */
	PATHTRUST_E_WRITABLE,  /* writable by group or others (and not an accepted sticky directory)
				*/
};

/* The directory that failed: its stat, and its path as the kernel names it, for messages. */
struct pathtrust_failure {
	struct stat st;
	char path[PATH_MAX];
};

/* pathtrust_stat - whether @st (a directory or not) is trusted under @rule: 0 or PATHTRUST_E_*. */
int pathtrust_stat(const struct stat *st, const struct pathtrust_rule *rule);

/*
 * pathtrust_dirs - check the directory @dir_fd (any descriptor of it, O_PATH is enough) and every
 * directory above it up to the root, nearest first. Returns 0; PATHTRUST_E_* for the first one
 * that is not trusted, described in *@bad; or -errno when a directory cannot be opened or
 * examined (then *@bad names the last one reached).
 */
int pathtrust_dirs(int dir_fd, const struct pathtrust_rule *rule, struct pathtrust_failure *bad);
