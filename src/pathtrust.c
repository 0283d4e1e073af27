// SPDX-License-Identifier: MIT
/*
 * pathtrust: the rule (pathtrust_stat), the walk up from a pinned directory by ".." and fstat
 * (pathtrust_dirs), and the lookup of a path one name at a time (pathtrust_open), as systemd's
 * chase() does it. The only name it ever reads back is the offending directory's, from
 * /proc/self/fd, and only to say which one it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/pathtrust.h"

int pathtrust_stat(const struct stat *st, const struct pathtrust_rule *rule)
{
	if (st->st_uid != 0 && st->st_uid != rule->trusted)
		return PATHTRUST_E_OWNER;
	if (S_ISLNK(st->st_mode))
		return 0; /* a link's mode means nothing: only its directory may change it */
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if (rule->sticky_root && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return 0;
	return PATHTRUST_E_WRITABLE;
}

void pathtrust_fd_path(int fd, char *path, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, path, len - 1);
	if (n <= 0)
		n = snprintf(path, len, "?");
	path[n] = '\0';
}

static void name_of(int fd, struct pathtrust_failure *bad)
{
	pathtrust_fd_path(fd, bad->path, sizeof(bad->path));
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

/*
 * The next name of *@rest into @name (at most NAME_MAX bytes), *@rest moved past it and the
 * slashes after it. Returns its length: 0 at the end, -ENAMETOOLONG.
 */
static int next_name(const char **rest, char name[NAME_MAX + 1])
{
	const char *s = *rest;
	size_t n;

	while (*s == '/')
		s++;
	n = strcspn(s, "/");
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, s, n);
	name[n] = '\0';
	s += n;
	while (*s == '/')
		s++;
	*rest = s;
	return (int)n;
}

/*
 * Replace the path still to resolve, @rest (inside @todo), with the link @fd's target followed by
 * @rest; an absolute target starts again from "/" in *@cur. Returns 0 or -errno.
 */
static int splice_link(int fd, char *todo, const char **rest, int *cur)
{
	char target[PATH_MAX], tail[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (snprintf(tail, sizeof(tail), "%s", *rest) >= (int)sizeof(tail) ||
	    snprintf(todo, PATH_MAX, "%s%s%s", target, *tail ? "/" : "", tail) >= PATH_MAX)
		return -ENAMETOOLONG;
	*rest = todo;
	if (target[0] == '/') {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (root < 0)
			return -errno;
		close(*cur);
		*cur = root;
	}
	return 0;
}

/* @cur, where a name is about to be looked up, must be a directory the rule trusts. */
static int check_lookup_dir(int cur, const struct pathtrust_rule *rule,
			    struct pathtrust_failure *bad)
{
	int r;

	if (fstat(cur, &bad->st) < 0)
		r = -errno;
	else if (!S_ISDIR(bad->st.st_mode))
		r = -ENOTDIR;
	else
		r = pathtrust_stat(&bad->st, rule);
	if (r)
		name_of(cur, bad);
	return r;
}

int pathtrust_open(const char *path, const struct pathtrust_rule *rule, int *fd, int *links,
		   struct pathtrust_failure *bad)
{
	char todo[PATH_MAX], name[NAME_MAX + 1];
	const char *rest = todo;
	int cur, r = 0, n;

	*fd = -1;
	*links = 0;
	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo))
		return -ENAMETOOLONG;
	cur = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	if (path[0] != '/')
		r = pathtrust_dirs(cur, rule, bad); /* where a relative path starts, and above */
	while (r == 0 && (n = next_name(&rest, name)) != 0) {
		struct stat st;
		int next;

		r = n < 0 ? n : check_lookup_dir(cur, rule, bad);
		if (r)
			break;
		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0) {
			r = -errno;
			if (next >= 0)
				close(next);
			name_of(cur, bad);
			break;
		}
		if (!S_ISLNK(st.st_mode)) {
			close(cur);
			cur = next;
			continue;
		}
		r = pathtrust_stat(&st, rule);
		if (r == 0 && ++*links > PATHTRUST_LINKS_MAX)
			r = -ELOOP;
		if (r == 0)
			r = splice_link(next, todo, &rest, &cur);
		if (r) {
			size_t len;

			bad->st = st;
			name_of(cur, bad);
			len = strlen(bad->path);
			if (r == PATHTRUST_E_OWNER)
				snprintf(bad->path + len, sizeof(bad->path) - len, "/%s", name);
		}
		close(next);
	}
	if (r) {
		close(cur);
		return r;
	}
	*fd = cur;
	return 0;
}
