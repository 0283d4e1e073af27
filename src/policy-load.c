// SPDX-License-Identifier: MIT
/*
 * policy-load: the policy file and its includes from disk, checked like sshd's StrictModes.
 *
 * The only policy module that does file I/O, and it runs before confinement only (monitor
 * start-up and SIGHUP, udsecho-policy). A file is used only if it is a regular file owned by
 * root or the trusted uid and writable by no one else, and every directory its path goes
 * through, lexically and through each symlink on the way, is owned by root or the trusted uid
 * and writable by no one else, with no exception for sticky directories (/tmp); so is every
 * symlink's owner. The path is looked up one name at a time (pathtrust_open), and the file read
 * is the one checked: reopened from the O_PATH descriptor, never by name. An include pattern's
 * directory passes the same check before it is expanded, even when it matches nothing; wildcards
 * are allowed in the file's name only, and a backslash is no escape.
 * Names are resolved through NSS (nss.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udsecho/nss.h"
#include "udsecho/pathtrust.h"
#include "policy-private.h"

struct loader {
	uid_t trusted;
};

/*
 * A policy file or directory is trusted as pathtrust.h says, with no exception for a sticky
 * directory: anyone may add a file to /tmp, and one that fails every reload keeps the admin's
 * revocation from ever taking effect.
 */
static struct pathtrust_rule rule_for(uid_t trusted)
{
	return (struct pathtrust_rule){.trusted = trusted, .sticky_root = 0};
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

/*
 * Owner and mode of one object. @what is "" for the file itself, or e.g. "directory /srv is "
 * so that the message names what to fix. Returns 0, or 1 with *why set (-ENOMEM on failure).
 */
static int check_owner_mode(const struct stat *st, uid_t trusted, const char *what,
			    const char *path, char **why)
{
	const struct pathtrust_rule rule = rule_for(trusted);
	unsigned mode = st->st_mode & 07777;
	const char *by;
	int r = pathtrust_stat(st, &rule);

	if (r == 0)
		return 0;
	if (r == PATHTRUST_E_OWNER) {
		char also[32] = "";
		if (trusted != 0)
			snprintf(also, sizeof(also), " or uid %u", (unsigned)trusted);
		r = asprintf(
			why, "refusing: %sowned by uid %u, not by root%s; run: chown %sroot %s",
			what, (unsigned)st->st_uid, also, S_ISLNK(st->st_mode) ? "-h " : "", path);
		return r < 0 ? -ENOMEM : 1;
	}
	by = (mode & 022) == 022 ? "group and others" : (mode & 020) ? "group" : "others";
	if (S_ISDIR(st->st_mode) && (mode & S_ISVTX))
		r = asprintf(why,
			     "refusing: %swritable by %s (mode %04o), so anyone may add a file "
			     "there; keep the policy in a directory only root can write",
			     what, by, mode);
	else
		r = asprintf(why, "refusing: %swritable by %s (mode %04o); run: chmod go-w %s",
			     what, by, mode, path);
	return r < 0 ? -ENOMEM : 1;
}

/*
 * Look @path up (pathtrust_open): every directory on the way, lexically and through each
 * symlink, and each symlink, must pass. Returns 0 with *@fd (O_PATH) and *@links; 1 (refused)
 * or -errno, both with *@why set (-ENOMEM may come without it).
 */
static int look_up(const char *path, uid_t trusted, int *fd, int *links, char **why)
{
	const struct pathtrust_rule rule = rule_for(trusted);
	struct pathtrust_failure bad;
	char *what = NULL;
	int r = pathtrust_open(path, &rule, fd, links, &bad);

	if (r < 0)
		return asprintf(why, "cannot read it: %s", strerror(-r)) < 0 ? -ENOMEM : r;
	if (r == 0)
		return 0;
	if (asprintf(&what, "%s %s is ", S_ISLNK(bad.st.st_mode) ? "symlink" : "directory",
		     bad.path) < 0)
		return -ENOMEM;
	r = check_owner_mode(&bad.st, trusted, what, bad.path, why);
	free(what);
	return r;
}

int policy_read_fd(int fd, const struct stat *st, char **text, size_t *len)
{
	size_t cap = (size_t)st->st_size + 1, n = 0;
	char *buf;

	if (st->st_size > (off_t)POLICY_FILE_MAX)
		return -EFBIG;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			/* The file grew while being read: follow it, up to the limit. */
			char *more = cap > POLICY_FILE_MAX ? NULL : realloc(buf, cap * 2);
			if (!more) {
				free(buf);
				return cap > POLICY_FILE_MAX ? -EFBIG : -ENOMEM;
			}
			buf = more;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*text = buf;
	*len = n;
	return 0;
}

static int read_all(int fd, const struct stat *st, char **text, size_t *len, char **why)
{
	int r = policy_read_fd(fd, st, text, len);

	if (r == -EFBIG)
		return asprintf(why, "refusing: larger than %u bytes", POLICY_FILE_MAX) < 0
			       ? -ENOMEM
			       : 1;
	if (r < 0 && r != -ENOMEM)
		return asprintf(why, "cannot read it: %s", strerror(-r)) < 0 ? -ENOMEM : r;
	return r;
}

/* The file behind the O_PATH descriptor @obj, opened for reading (the same inode, never a name). */
static int reopen(int obj, const struct stat *st, char **why)
{
	char proc[64];
	struct stat again;
	int fd, r;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", obj);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && fstat(fd, &again) == 0 && again.st_dev == st->st_dev &&
	    again.st_ino == st->st_ino)
		return fd;
	r = fd < 0 ? -errno : -ESTALE;
	if (fd >= 0)
		close(fd);
	return asprintf(why, "cannot read it: %s", strerror(-r)) < 0 ? -ENOMEM : r;
}

/*
 * One file, checked then read. Returns 0; 1 (refused) or -errno, both with *why set (but
 * -ENOMEM may come without it).
 */
static int read_checked(uid_t trusted, const char *path, char **text, size_t *len, char **id,
			char **why)
{
	char real[PATH_MAX], *what = NULL;
	struct stat st;
	int obj = -1, fd = -1, links, r;

	*why = NULL;
	r = look_up(path, trusted, &obj, &links, why);
	if (r != 0)
		goto out;
	/* An O_PATH descriptor: a FIFO is examined without opening it, and refused right below. */
	if (fstat(obj, &st) < 0) {
		r = -errno;
		if (asprintf(why, "cannot read it: %s", strerror(-r)) < 0)
			r = -ENOMEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = asprintf(why, "refusing: %s, not a regular file", type_name(st.st_mode)) < 0
			    ? -ENOMEM
			    : 1;
		goto out;
	}
	if (links) {
		pathtrust_fd_path(obj, real, sizeof(real));
		if (asprintf(&what, "its target %s is ", real) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = check_owner_mode(&st, trusted, what ? what : "", links ? real : path, why);
	if (r == 0) {
		fd = reopen(obj, &st, why);
		r = fd < 0 ? fd : read_all(fd, &st, text, len, why);
	}
	if (r == 0 && asprintf(id, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino) < 0) {
		free(*text);
		r = -ENOMEM;
	}
out:
	if (fd >= 0)
		close(fd);
	if (obj >= 0)
		close(obj);
	free(what);
	return r;
}

static int reader_read(void *ctx, const char *path, char **text, size_t *len, char **id, char **why)
{
	const struct loader *l = ctx;

	return read_checked(l->trusted, path, text, len, id, why);
}

/* glob(3) reports unreadable directories through a callback without a context pointer. */
static int glob_errno;
static char glob_epath[PATH_MAX];

static int glob_error(const char *epath, int eerrno)
{
	/* A directory that does not exist simply matches nothing. */
	if (eerrno == ENOENT || eerrno == ENOTDIR)
		return 0;
	glob_errno = eerrno;
	snprintf(glob_epath, sizeof(glob_epath), "%s", epath);
	return 1;
}

/*
 * The directory an include pattern expands in, up to its first wildcard, must pass before
 * glob(3) reads it: whoever may write it could add a file that fails every reload. One that
 * does not exist matches nothing. Returns 0, or 1 / -errno with *why set.
 */
static int check_pattern_dir(const char *pattern, uid_t trusted, char **why)
{
	size_t wild = strcspn(pattern, "*?[");
	const char *slash = NULL;
	char *dir;
	int fd = -1, links, r;

	for (const char *c = pattern; c < pattern + wild; c++)
		if (*c == '/')
			slash = c;
	dir = !slash		 ? strdup(".")
	      : slash == pattern ? strdup("/")
				 : strndup(pattern, (size_t)(slash - pattern));
	if (!dir)
		return -ENOMEM;
	r = look_up(dir, trusted, &fd, &links, why);
	if (r == 0) {
		struct stat st;
		char *what = NULL;

		if (fstat(fd, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode) && asprintf(&what, "directory %s is ", dir) < 0)
			r = -ENOMEM;
		else if (S_ISDIR(st.st_mode))
			r = check_owner_mode(&st, trusted, what, dir, why);
		free(what);
		close(fd);
	}
	if (r == -ENOENT || r == -ENOTDIR) {
		free(*why);
		*why = NULL;
		r = 0;
	}
	free(dir);
	return r;
}

static int reader_expand(void *ctx, const char *pattern, char ***paths, size_t *npaths, char **why)
{
	const struct loader *l = ctx;
	glob_t g;
	int r;

	*paths = NULL;
	*npaths = 0;
	*why = NULL;
	if (strpbrk(pattern, "*?[")) {
		/*
		 * Wildcards in the last name only: the directories a wildcard matched would not be
		 * checked before glob(3) read them, and one of another user's could fail every
		 * load.
		 */
		const char *slash = strrchr(pattern, '/');

		if (slash && strcspn(pattern, "*?[") < (size_t)(slash - pattern)) {
			*why = strdup(
				"a wildcard may only be in the file's name, not in a directory");
			return -EIO;
		}
		r = check_pattern_dir(pattern, l->trusted, why);
		if (r)
			return r < 0 ? r : -EIO;
	}
	glob_errno = 0;
	/*
	 * Sorted by glob(3); the programs never call setlocale(), so the order is bytewise. No
	 * escapes: a backslash is itself, as in the directory checked above.
	 */
	r = glob(pattern, GLOB_NOESCAPE, glob_error, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r != 0) {
		if (r == GLOB_ABORTED && glob_errno)
			r = asprintf(why, "cannot read directory %s: %s", glob_epath,
				     strerror(glob_errno));
		else
			r = asprintf(why, "cannot expand it: %s",
				     r == GLOB_NOSPACE ? "out of memory" : "glob failed");
		if (r < 0)
			*why = NULL;
		globfree(&g);
		return -EIO;
	}
	*paths = calloc(g.gl_pathc, sizeof(**paths));
	for (size_t i = 0; *paths && i < g.gl_pathc; i++) {
		(*paths)[i] = strdup(g.gl_pathv[i]);
		if (!(*paths)[i]) {
			while (i > 0)
				free((*paths)[--i]);
			free(*paths);
			*paths = NULL;
		}
	}
	if (*paths)
		*npaths = g.gl_pathc;
	globfree(&g);
	if (!*paths) {
		*why = strdup("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int resolve_user(void *ctx, const char *name, uid_t *uid)
{
	return nss_user(name, uid, NULL);
}

static int resolve_group(void *ctx, const char *name, gid_t *gid)
{
	return nss_group(name, gid);
}

const struct policy_resolver policy_resolver_nss = {
	.user = resolve_user,
	.group = resolve_group,
};

int policy_check_file(const char *path, uid_t trusted_uid, struct diag_list *diags)
{
	char *text = NULL, *id = NULL, *why = NULL;
	size_t len = 0;
	int r = read_checked(trusted_uid, path, &text, &len, &id, &why);

	if (r > 0)
		r = diag_add(diags, DIAG_ERROR, path, 0, 0, "%s", why) < 0 ? -ENOMEM
									   : POLICY_E_INVALID;
	free(text);
	free(id);
	free(why);
	return r;
}

/* policy_load_file(), indexed when @index (for eval; what is only sent to the worker is not). */
static int load_file(const char *path, uid_t trusted_uid, void (*yield)(void),
		     struct diag_list *diags, struct policy **out, int index)
{
	struct loader l = {.trusted = trusted_uid};
	struct policy_reader reader = {
		.expand = reader_expand, .read = reader_read, .ctx = &l, .yield = yield};
	struct policy_resolver resolver = policy_resolver_nss;
	struct policy_ast *ast = NULL;
	char *text = NULL, *id = NULL, *why = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	r = read_checked(trusted_uid, path, &text, &len, &id, &why);
	if (r > 0) {
		r = diag_add(diags, DIAG_ERROR, path, 0, 0, "%s", why) < 0 ? -ENOMEM
									   : POLICY_E_INVALID;
		goto out;
	}
	if (r < 0)
		goto out;
	reader.root_id = id;
	policy_yield(yield);
	r = policy_parse(path, text, len, &reader, diags, &ast);
	resolver.yield = yield;
	if (r == 0)
		r = policy_compile(ast, &resolver, diags, out);
	if (r == 0 && index && policy_index_build(*out) < 0) {
		policy_free(*out);
		*out = NULL;
		r = -ENOMEM;
	}
out:
	policy_ast_free(ast);
	free(text);
	free(id);
	free(why);
	return r;
}

int policy_load_file(const char *path, uid_t trusted_uid, struct diag_list *diags,
		     struct policy **out)
{
	return load_file(path, trusted_uid, NULL, diags, out, 1);
}

int policy_load_source(const struct policy_source *src, struct diag_list *diags,
		       struct policy **out, int *builtin)
{
	int r = load_file(src->path, src->trusted_uid, src->yield, diags, out, 0);

	*builtin = 0;
	if (r == -ENOENT && !src->explicit_path) {
		*builtin = 1;
		return policy_builtin_allow_uid(src->trusted_uid, out);
	}
	return r;
}
