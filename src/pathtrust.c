// SPDX-License-Identifier: MIT
/*
 * pathtrust: the rule (pathtrust_stat) and the walk up from a pinned directory by ".." and fstat
 * (pathtrust_dirs). The only name it ever reads back is the offending directory's, from
 * /proc/self/fd, and only to say which one it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "udsecho/pathtrust.h"

int pathtrust_stat(const struct stat *st, const struct pathtrust_rule *rule)
{
	if (st->st_uid != 0 && st->st_uid != rule->trusted)
		return PATHTRUST_E_OWNER;
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if (rule->sticky_root && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return 0;
	return PATHTRUST_E_WRITABLE;
}

/* The path the kernel has for @fd, into @bad->path ("?" if it cannot tell). */
static void name_of(int fd, struct pathtrust_failure *bad)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, bad->path, sizeof(bad->path) - 1);
	if (n <= 0)
		n = snprintf(bad->path, sizeof(bad->path), "?");
	bad->path[n] = '\0';
}

int pathtrust_dirs(int dir_fd, const struct pathtrust_rule *rule, struct pathtrust_failure *bad)
{
	int fd = openat(dir_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		name_of(dir_fd, bad);
		return r;
	}
	for (;;) {
		struct stat up;
		int parent;

		if (fstat(fd, &bad->st) < 0) {
			r = -errno;
			break;
		}
		r = pathtrust_stat(&bad->st, rule);
		if (r)
			break;
		parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (parent < 0 || fstat(parent, &up) < 0) {
			r = -errno;
			if (parent >= 0)
				close(parent);
			break;
		}
		if (up.st_dev == bad->st.st_dev && up.st_ino == bad->st.st_ino) {
			close(parent); /* ".." of the root is the root: done */
			break;
		}
		close(fd);
		fd = parent;
	}
	if (r)
		name_of(fd, bad);
	close(fd);
	return r;
}
