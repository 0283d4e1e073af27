/* SPDX-License-Identifier: MIT */
/*
 * sockpath: the socket node in the filesystem, created safely and removed only if still ours.
 *
 * The node never exists with a wider mode than asked: bind(2) runs under umask(~mode), owner and
 * group are set through an O_PATH|O_NOFOLLOW descriptor (fchownat(AT_EMPTY_PATH)) and the mode
 * through /proc/self/fd, before listen(2), so no client can connect while the node is being set
 * up and no symlink placed at PATH is ever followed. Whatever already sits at PATH is inspected
 * first: a live server's socket or anything that is not a socket is refused and never unlinked;
 * only a stale socket (connect(2) refused) is removed. Runs before the fork, with the privilege
 * the server started with; sockpath_remove() runs in the monitor at stop.
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* Expected outcomes the caller must handle; each comes with a message in @err. */
enum {
	SOCKPATH_E_IN_USE = 1, /* a live server answers at PATH */
	SOCKPATH_E_NOT_SOCKET, /* something other than a socket is at PATH (left untouched) */
	SOCKPATH_E_UNSAFE_DIR, /* a directory on the way is writable by others or owned by another
				*/
	SOCKPATH_E_CREATE,     /* the node could not be created or set up (reason in @err) */
	SOCKPATH_E_PERM,       /* the owner or group asked for needs a privilege we lack */
	SOCKPATH_E_NOT_OURS,   /* sockpath_remove: PATH is no longer the node we created */
};

struct sockpath_spec {
	const char *path;
	uid_t uid;   /* owner of the node, (uid_t)-1 to keep the server's */
	gid_t gid;   /* group of the node, (gid_t)-1 to keep the server's */
	mode_t mode; /* exact permission bits of the node */
};

struct sockpath {
	int fd;			 /* the listening socket */
	int dir_fd;		 /* O_PATH descriptor of the directory holding the node */
	char base[108];		 /* the node's name in that directory */
	char resolved[PATH_MAX]; /* the node's path as the kernel resolved it (for the log) */
	dev_t dev;		 /* identity of the node we created, checked before removing it */
	ino_t ino;
};

/*
 * sockpath_listen - create, set up and listen on the node described by @spec.
 * Returns 0 and fills @sp; a positive SOCKPATH_E_* code or -errno (socket(2), listen(2) failed)
 * with one line in @err naming the path and what is wrong. On failure nothing is left behind
 * that was not there before.
 */
int sockpath_listen(const struct sockpath_spec *spec, struct sockpath *sp, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * sockpath_check_dirs - refuse a directory on the way to @dir that is owned by neither root nor
 * @trusted_uid, or writable by group or others without the sticky bit: every directory the path
 * goes through, lexically and through its symlinks (which root or @trusted_uid must own), the
 * one it ends in and every one above that (pathtrust_open, pathtrust_dirs).
 * Returns 0, SOCKPATH_E_UNSAFE_DIR or SOCKPATH_E_CREATE (no such directory) with @err set.
 */
int sockpath_check_dirs(const char *dir, uid_t trusted_uid, char *err, size_t errlen);

/*
 * sockpath_remove - unlink the node if it is still the one sockpath_listen() created (same device
 * and inode); never removes another server's socket. Returns 0, SOCKPATH_E_NOT_OURS or -errno.
 * Closes the directory descriptor in every case.
 */
int sockpath_remove(struct sockpath *sp);

/* sockpath_close_dir - drop the directory descriptor (the worker has no use for it). */
void sockpath_close_dir(struct sockpath *sp);
