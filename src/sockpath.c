// SPDX-License-Identifier: MIT
/*
 * sockpath: create the listening socket node safely, and remove it only while it is ours.
 *
 * Order, and why: check every directory on the way (a directory others can write lets them
 * swap the node); inspect PATH with lstat semantics (never unlink what is not a stale socket);
 * bind under umask(~mode) so the node is born with at most the asked mode; set owner, group and
 * the exact mode through an O_PATH|O_NOFOLLOW descriptor, never by path; verify; only then
 * listen(2), so that no client connects to a half-set-up node.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "udsecho/nss.h"
#include "udsecho/pathtrust.h"
#include "udsecho/sockpath.h"

#define SOCKPATH_BACKLOG 4096

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "not a socket";
	}
}

/* The socket's directories are trusted as pathtrust.h says; a root-owned sticky one too. */
static struct pathtrust_rule rule_for(uid_t trusted)
{
	return (struct pathtrust_rule){.trusted = trusted, .sticky_root = 1};
}

/* The message for a directory (or a symlink) that pathtrust refused with @r. */
static int unsafe(int r, const struct pathtrust_failure *bad, char *err, size_t errlen)
{
	char owner[64];

	if (r < 0)
		return fail(SOCKPATH_E_CREATE, err, errlen, "%s: cannot check this directory: %s",
			    bad->path, strerror(-r));
	nss_user_name(bad->st.st_uid, owner, sizeof(owner));
	return fail(SOCKPATH_E_UNSAFE_DIR, err, errlen,
		    "%s: unsafe %s for the socket (owner %s, mode %04o): %s; use a directory "
		    "that only root or the server's user can write to",
		    bad->path, S_ISLNK(bad->st.st_mode) ? "symlink" : "directory", owner,
		    (unsigned int)(bad->st.st_mode & 07777),
		    r == PATHTRUST_E_OWNER ? "owned by another user"
					   : "writable by others without the sticky bit");
}

/*
 * Pin @dir into *@fd: every directory its path goes through (lexically, and through every
 * symlink on the way), the one it ends in and every one above that must be trusted.
 */
static int pin_dir(const char *dir, uid_t trusted_uid, int *fd, char *err, size_t errlen)
{
	const struct pathtrust_rule rule = rule_for(trusted_uid);
	struct pathtrust_failure bad;
	struct stat st;
	int links, r = pathtrust_open(dir, &rule, fd, &links, &bad);

	if (r > 0)
		return unsafe(r, &bad, err, errlen);
	if (r < 0)
		return fail(SOCKPATH_E_CREATE, err, errlen, "%s: cannot use this directory: %s",
			    dir, strerror(-r));
	if (fstat(*fd, &st) < 0 || !S_ISDIR(st.st_mode))
		r = fail(SOCKPATH_E_CREATE, err, errlen, "%s: cannot use this directory: %s", dir,
			 strerror(ENOTDIR));
	else if ((r = pathtrust_dirs(*fd, &rule, &bad)) != 0)
		r = unsafe(r, &bad, err, errlen);
	if (r) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

int sockpath_check_dirs(const char *dir, uid_t trusted_uid, char *err, size_t errlen)
{
	int fd, r = pin_dir(dir, trusted_uid, &fd, err, errlen);

	if (r == 0)
		close(fd);
	return r;
}

/* Is there a live server behind the socket at @addr? 1 yes, 0 stale, <0 -errno unknown. */
static int probe_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	if (r == 0 || errno == EAGAIN)
		r = 1; /* accepted, or its backlog is full: someone is listening */
	else if (errno == ECONNREFUSED)
		r = 0;
	else
		r = -errno;
	close(fd);
	return r;
}

/* Deal with whatever sits at PATH before we bind. */
static int clear_path(int dir_fd, const char *base, const char *path,
		      const struct sockaddr_un *addr, char *err, size_t errlen)
{
	struct stat st, again;
	int live;

	if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(SOCKPATH_E_CREATE, err, errlen, "%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return fail(SOCKPATH_E_NOT_SOCKET, err, errlen,
			    "%s: exists and is %s, not a socket; refusing to remove it", path,
			    type_name(st.st_mode));
	live = probe_live(addr);
	if (live > 0)
		return fail(SOCKPATH_E_IN_USE, err, errlen,
			    "%s: already in use by a running server", path);
	if (live < 0)
		return fail(
			SOCKPATH_E_IN_USE, err, errlen,
			"%s: a socket is there and cannot be probed (%s); refusing to remove it",
			path, strerror(-live));
	if (st.st_uid != geteuid()) {
		char owner[64];

		nss_user_name(st.st_uid, owner, sizeof(owner));
		return fail(SOCKPATH_E_NOT_SOCKET, err, errlen,
			    "%s: another user's stale socket (uid %u, %s); refusing to remove it",
			    path, (unsigned int)st.st_uid, owner);
	}
	/* Stale: remove it, but only if it is still the very node we probed. */
	if (fstatat(dir_fd, base, &again, AT_SYMLINK_NOFOLLOW) < 0 || again.st_dev != st.st_dev ||
	    again.st_ino != st.st_ino)
		return fail(SOCKPATH_E_IN_USE, err, errlen,
			    "%s: changed while it was being probed; refusing to remove it", path);
	if (unlinkat(dir_fd, base, 0) < 0 && errno != ENOENT)
		return fail(SOCKPATH_E_CREATE, err, errlen,
			    "%s: cannot remove the stale socket: %s", path, strerror(errno));
	return 0;
}

/* Owner, group and exact mode through an O_PATH descriptor of the node; then verify. */
static int set_up_node(const struct sockpath_spec *spec, int dir_fd, const char *base,
		       struct sockpath *sp, char *err, size_t errlen)
{
	char proc[64];
	struct stat st;
	int node, r = 0;

	node = openat(dir_fd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (node < 0)
		return fail(SOCKPATH_E_CREATE, err, errlen, "%s: cannot open the new node: %s",
			    spec->path, strerror(errno));
	if (fstat(node, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		close(node);
		return fail(SOCKPATH_E_CREATE, err, errlen,
			    "%s: the node was replaced right after bind; giving up", spec->path);
	}
	sp->dev = st.st_dev;
	sp->ino = st.st_ino;
	if ((spec->uid != (uid_t)-1 && spec->uid != st.st_uid) ||
	    (spec->gid != (gid_t)-1 && spec->gid != st.st_gid)) {
		if (fchownat(node, "", spec->uid, spec->gid, AT_EMPTY_PATH) < 0) {
			r = fail(errno == EPERM ? SOCKPATH_E_PERM : SOCKPATH_E_CREATE, err, errlen,
				 "%s: cannot set owner %d and group %d: %s", spec->path,
				 (int)spec->uid, (int)spec->gid, strerror(errno));
			goto out;
		}
	}
	/* A default ACL on the directory can override the umask: set the mode exactly. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", node);
	if (chmod(proc, spec->mode) < 0) {
		r = fail(SOCKPATH_E_CREATE, err, errlen, "%s: cannot set mode %04o: %s", spec->path,
			 (unsigned int)spec->mode, strerror(errno));
		goto out;
	}
	if (fstat(node, &st) < 0 || (st.st_mode & 07777) != spec->mode ||
	    (spec->uid != (uid_t)-1 && st.st_uid != spec->uid) ||
	    (spec->gid != (gid_t)-1 && st.st_gid != spec->gid))
		r = fail(SOCKPATH_E_CREATE, err, errlen,
			 "%s: the node does not have the owner, group and mode asked for",
			 spec->path);
out:
	close(node);
	return r;
}

/* Remove the node at @base in @dir_fd if it is the one identified by @dev/@ino. */
static int unlink_if_ours(int dir_fd, const char *base, dev_t dev, ino_t ino)
{
	struct stat st;

	if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? SOCKPATH_E_NOT_OURS : -errno;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != dev || st.st_ino != ino)
		return SOCKPATH_E_NOT_OURS;
	if (unlinkat(dir_fd, base, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Split @path into its directory and the node's name in it (both fit sun_path). Returns 0, or
 * SOCKPATH_E_* with the reason in @err.
 */
static int split_path(const char *path, char *dir, char *base, size_t len, char *err, size_t errlen)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (strlen(path) >= len)
		return fail(SOCKPATH_E_CREATE, err, errlen, "%s: path too long for a socket", path);
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, len, "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(base, len, "%s", basename(tmp));
	if (!*path || path[strlen(path) - 1] == '/' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0)
		return fail(SOCKPATH_E_NOT_SOCKET, err, errlen,
			    "%s: names a directory, not a socket", path);
	return 0;
}

/*
 * Bind a new socket to @addr (the path as given: the name ss(8) and getpeername(2) show) under
 * umask(~@mode). The kernel looks the path up again, through directories pin_dir() found only
 * root or the server's user can change. Returns 0 with *@fd, or SOCKPATH_E_* / -errno with @err.
 */
static int bind_node(const struct sockaddr_un *addr, const char *path, mode_t mode, int *fd,
		     char *err, size_t errlen)
{
	mode_t old_umask;
	int r;

	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return fail(-errno, err, errlen, "socket: %s", strerror(errno));
	/* Single-threaded here, so the process-wide umask is ours: the node is born at most @mode.
	 */
	old_umask = umask(~mode & 0777);
	r = bind(*fd, (const struct sockaddr *)addr, sizeof(*addr));
	umask(old_umask);
	if (r == 0)
		return 0;
	r = fail(errno == EADDRINUSE ? SOCKPATH_E_IN_USE : SOCKPATH_E_CREATE, err, errlen,
		 "%s: cannot bind: %s", path, strerror(errno));
	close(*fd);
	*fd = -1;
	return r;
}

/* Where the node is, as the kernel has it, for the log: @dir_fd's path and @base. */
static void name_resolved(int dir_fd, const char *base, struct sockpath *sp)
{
	size_t len;

	pathtrust_fd_path(dir_fd, sp->resolved, sizeof(sp->resolved));
	len = strlen(sp->resolved);
	snprintf(sp->resolved + len, sizeof(sp->resolved) - len, "%s%s",
		 len && sp->resolved[len - 1] == '/' ? "" : "/", base);
}

int sockpath_listen(const struct sockpath_spec *spec, struct sockpath *sp, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char dir[sizeof(addr.sun_path)], base[sizeof(addr.sun_path)];
	int r, fd = -1, dir_fd = -1;

	*sp = (struct sockpath){.fd = -1, .dir_fd = -1};
	r = split_path(spec->path, dir, base, sizeof(dir), err, errlen);
	if (r)
		return r;
	/*
	 * Pin the directory first, and check every directory on the way to it: the node is then
	 * inspected, checked and removed only relative to the pinned one, and the path bound goes
	 * through directories no one else can change.
	 */
	r = pin_dir(dir, geteuid(), &dir_fd, err, errlen);
	if (r)
		return r;
	memcpy(addr.sun_path, spec->path, strlen(spec->path) + 1);
	r = clear_path(dir_fd, base, spec->path, &addr, err, errlen);
	if (r == 0)
		r = bind_node(&addr, spec->path, spec->mode, &fd, err, errlen);
	if (r)
		goto fail;
	r = set_up_node(spec, dir_fd, base, sp, err, errlen);
	if (r == 0 && listen(fd, SOCKPATH_BACKLOG) < 0)
		r = fail(-errno, err, errlen, "%s: listen: %s", spec->path, strerror(errno));
	if (r)
		goto fail;
	sp->fd = fd;
	sp->dir_fd = dir_fd;
	snprintf(sp->base, sizeof(sp->base), "%s", base);
	name_resolved(dir_fd, base, sp);
	return 0;

fail:
	if (fd >= 0 && sp->ino)
		unlink_if_ours(dir_fd, base, sp->dev, sp->ino);
	if (fd >= 0)
		close(fd);
	close(dir_fd);
	*sp = (struct sockpath){.fd = -1, .dir_fd = -1};
	return r;
}

int sockpath_remove(struct sockpath *sp)
{
	int r;

	if (sp->dir_fd < 0)
		return SOCKPATH_E_NOT_OURS;
	r = unlink_if_ours(sp->dir_fd, sp->base, sp->dev, sp->ino);
	sockpath_close_dir(sp);
	return r;
}

void sockpath_close_dir(struct sockpath *sp)
{
	if (sp->dir_fd >= 0)
		close(sp->dir_fd);
	sp->dir_fd = -1;
}
