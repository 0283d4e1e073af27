// SPDX-License-Identifier: MIT
/*
 * nss: user and group names to numeric ids through getpwnam_r(3) and getgrnam_r(3).
 *
 * Runs before confinement only (monitor start-up and reload, udsecho-policy, the client): NSS
 * loads modules and opens files. The callers make no NSS call of their own: every lookup, and the
 * text of its failure, is here. Names longer than the system allows are refused before any
 * lookup, as are ids that cannot be ids.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/ids.h"
#include "udsecho/idsort.h"
#include "udsecho/nss.h"

/* LOGIN_NAME_MAX counts the terminating NUL; group names get the same limit. */
#define NSS_NAME_MAX (LOGIN_NAME_MAX - 1)

static int name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= NSS_NAME_MAX;
}

static size_t bufsize(int which)
{
	long n = sysconf(which);

	return n > 0 ? (size_t)n : 16384;
}

int nss_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	uint32_t id;
	char *buf;
	size_t size = bufsize(_SC_GETPW_R_SIZE_MAX);
	int r;

	if (!name_ok(name))
		return NSS_E_INVALID;
	if (ids_parse(name, &id) == 0) {
		*uid = id;
		if (gid) {
			buf = malloc(size);
			if (!buf)
				return -ENOMEM;
			r = getpwuid_r(id, &pw, buf, size, &res);
			*gid = (r == 0 && res) ? res->pw_gid : (gid_t)-1;
			free(buf);
		}
		return 0;
	}
	for (;;) {
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r != ERANGE)
			break;
		free(buf);
		size *= 2;
	}
	if (r == 0 && res) {
		*uid = res->pw_uid;
		if (gid)
			*gid = res->pw_gid;
	}
	free(buf);
	if (r != 0 && r != ENOENT && r != ESRCH)
		return -r;
	return res ? 0 : NSS_E_UNKNOWN;
}

int nss_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	uint32_t id;
	char *buf;
	size_t size = bufsize(_SC_GETGR_R_SIZE_MAX);
	int r;

	if (!name_ok(name))
		return NSS_E_INVALID;
	if (ids_parse(name, &id) == 0) {
		*gid = id;
		return 0;
	}
	for (;;) {
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = getgrnam_r(name, &gr, buf, size, &res);
		if (r != ERANGE)
			break;
		free(buf);
		size *= 2;
	}
	if (r == 0 && res)
		*gid = res->gr_gid;
	free(buf);
	if (r != 0 && r != ENOENT && r != ESRCH)
		return -r;
	return res ? 0 : NSS_E_UNKNOWN;
}

/* getpwuid_r(3) into a buffer that grows until the entry fits; the caller frees *@buf. */
static int passwd_by_uid(uid_t uid, struct passwd *pw, char **buf)
{
	struct passwd *res = NULL;
	size_t size = bufsize(_SC_GETPW_R_SIZE_MAX);
	int r;

	for (;;) {
		*buf = malloc(size);
		if (!*buf)
			return -ENOMEM;
		r = getpwuid_r(uid, pw, *buf, size, &res);
		if (r != ERANGE)
			break;
		free(*buf);
		size *= 2;
	}
	if (r != 0 && r != ENOENT && r != ESRCH)
		return -r;
	return res ? 0 : NSS_E_UNKNOWN;
}

/* getgrouplist(3) says -1 and how many it needs (glibc) when the array is short: grow and retry. */
static int group_list(const char *name, gid_t gid, gid_t **groups, size_t *ngroups)
{
	int cap = 64, n;
	gid_t *list = NULL, *bigger;

	for (;;) {
		bigger = realloc(list, (size_t)cap * sizeof(*list));
		if (!bigger) {
			free(list);
			return -ENOMEM;
		}
		list = bigger;
		n = cap;
		if (getgrouplist(name, gid, list, &n) >= 0)
			break;
		if (cap == NSS_GROUPS_MAX) {
			free(list);
			return -E2BIG;
		}
		cap = n > cap ? n : cap * 2;
		if (cap > NSS_GROUPS_MAX)
			cap = NSS_GROUPS_MAX;
	}
	*groups = list;
	*ngroups = (size_t)n;
	return 0;
}

int nss_user_groups(uid_t uid, gid_t **groups, size_t *ngroups)
{
	struct passwd pw;
	char *buf = NULL;
	int r = passwd_by_uid(uid, &pw, &buf);

	if (r == 0)
		r = group_list(pw.pw_name, pw.pw_gid, groups, ngroups);
	free(buf);
	return r;
}

const char *nss_strerror(int r)
{
	return r == NSS_E_UNKNOWN   ? "no such name"
	       : r == NSS_E_INVALID ? "not a valid name"
				    : strerror(-r);
}

int nss_user_name(uid_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		snprintf(out, len, "%s", res->pw_name);
		return 1;
	}
	snprintf(out, len, "%u", (unsigned int)uid);
	return 0;
}

int nss_group_name(gid_t gid, char *out, size_t len)
{
	struct group gr, *res = NULL;
	char buf[16384];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res) {
		snprintf(out, len, "%s", res->gr_name);
		return 1;
	}
	snprintf(out, len, "%u", (unsigned int)gid);
	return 0;
}

/* The next passwd entry into *@buf, grown until it fits: 0, NSS_E_UNKNOWN at the end, -errno. */
static int next_passwd(struct passwd *pw, char **buf, size_t *size)
{
	struct passwd *res = NULL;
	int r;

	for (;;) {
		r = getpwent_r(pw, *buf, *size, &res);
		if (r != ERANGE)
			break;
		free(*buf);
		*size *= 2;
		*buf = malloc(*size);
		if (!*buf)
			return -ENOMEM;
	}
	if (r == ENOENT || (r == 0 && !res))
		return NSS_E_UNKNOWN;
	return r ? -r : 0;
}

/* Append the login credentials of @pw to *@creds. */
static int add_login(const struct passwd *pw, struct peer_cred **creds, size_t *n, size_t *cap)
{
	struct peer_cred c = {.uid = pw->pw_uid, .gid = pw->pw_gid, .groups_known = 1};
	int r;

	if (*n == *cap) {
		size_t more = *cap ? *cap * 2 : 64;
		struct peer_cred *v = realloc(*creds, more * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*creds = v;
		*cap = more;
	}
	r = group_list(pw->pw_name, pw->pw_gid, &c.groups, &c.ngroups);
	if (r < 0)
		return r;
	c.ngroups = idsort_unique(c.groups, c.ngroups);
	(*creds)[(*n)++] = c;
	return 0;
}

int nss_logins(struct peer_cred **creds, size_t *n)
{
	size_t size = bufsize(_SC_GETPW_R_SIZE_MAX), cap = 0;
	char *buf = malloc(size);
	struct passwd pw;
	int r = buf ? 0 : -ENOMEM;

	*creds = NULL;
	*n = 0;
	setpwent();
	while (r == 0 && (r = next_passwd(&pw, &buf, &size)) == 0)
		r = add_login(&pw, creds, n, &cap);
	endpwent();
	free(buf);
	if (r == NSS_E_UNKNOWN)
		return 0;
	nss_logins_free(*creds, *n);
	*creds = NULL;
	*n = 0;
	return r;
}

void nss_logins_free(struct peer_cred *creds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(creds[i].groups);
	free(creds);
}
