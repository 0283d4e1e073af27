/* SPDX-License-Identifier: MIT */
/*
 * pathtrust: the one rule for trusting a file or directory, the walk that applies it to every
 * directory above a pinned one, and the lookup that applies it to every directory a path passes
 * through. Used for the socket's directory (sockpath.c) and for the policy file, its includes
 * and their directories (policy-load.c).
 *
 * Trusted means: owned by root or by the trusted uid (the server's), and writable by neither
 * group nor others, except a directory with the sticky bit that root owns (/tmp), where others
 * may add names but not remove or rename another's, when the rule accepts one. A symlink must be
 * owned by root or the trusted uid; its mode means nothing. Whoever may write a directory on the
 * way could swap what lies below it; whoever owns one could chmod it. Both walks go from
 * descriptor to descriptor, as the kernel resolves a path, never by name again, so a symlink
 * re-pointed after it was followed changes nothing. Runs before confinement.
 */
#pragma once
#include <limits.h>
#include <stddef.h>
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

#define PATHTRUST_LINKS_MAX 40 /* symlinks followed in one lookup, as the kernel's limit */

/*
 * pathtrust_open - look @path up one name at a time, with O_PATH|O_NOFOLLOW, following symlinks
 * (the last name's too) by hand, and refuse it unless every directory a name is looked up in is
 * trusted, every symlink met is trusted, and, for a relative path, the current directory and
 * every one above it are trusted. The lexical directories of @path count as much as the ones
 * it ends in: /home/u/d -> /run/x is refused when u may re-point d. Returns 0 with *@fd an
 * O_PATH descriptor of what @path names (any type; the caller checks it) and *@links the number
 * of symlinks followed; PATHTRUST_E_* with *@bad describing the directory (or the symlink) at
 * fault; or -errno (-ELOOP after PATHTRUST_LINKS_MAX links) with *@bad naming the last
 * directory reached.
 */
int pathtrust_open(const char *path, const struct pathtrust_rule *rule, int *fd, int *links,
		   struct pathtrust_failure *bad);

/* pathtrust_fd_path - the path the kernel has for @fd, into @path ("?" if it cannot tell). */
void pathtrust_fd_path(int fd, char *path, size_t len);
