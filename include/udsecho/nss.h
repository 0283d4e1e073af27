/* SPDX-License-Identifier: MIT */
/*
 * nss: user and group names to numeric ids, through the name service switch.
 *
 * Used by the monitor before anything is confined, by udsecho-policy and by the client. It must
 * never be called in the worker: NSS modules open files and sockets that the sandbox forbids.
 * A decimal number (ids.h) is taken as an id without a lookup, so numeric ids work with no
 * passwd entry.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "udsecho/peercred.h"

/* Positive outcomes the caller must handle; negative values are -errno from the lookup. */
enum {
	NSS_E_UNKNOWN = 1, /* no such user or group */
	NSS_E_INVALID,	   /* empty, too long for the system, or an id out of range */
};

#define NSS_GROUPS_MAX 65536 /* NGROUPS_MAX: no process can hold more */

/*
 * nss_user - resolve @name (a user name or a decimal uid) to its uid and primary gid.
 * A numeric uid with no passwd entry yields *gid = (gid_t)-1. @gid may be NULL.
 * Returns 0, NSS_E_UNKNOWN, NSS_E_INVALID or -errno.
 */
int nss_user(const char *name, uid_t *uid, gid_t *gid);

/* nss_group - resolve @name (a group name or a decimal gid). Returns as nss_user(). */
int nss_group(const char *name, gid_t *gid);

/*
 * nss_user_groups - the groups of the user whose passwd entry has @uid, as getgrouplist(3) lists
 * them for that entry's name and primary gid (which is among them): what that user gets at login.
 * On success *@groups is a malloc'ed array of *@ngroups ids for the caller to free.
 * Returns 0, NSS_E_UNKNOWN if @uid has no passwd entry, -E2BIG past NSS_GROUPS_MAX groups, or
 * -errno.
 */
int nss_user_groups(uid_t uid, gid_t **groups, size_t *ngroups);

/*
 * nss_logins - every passwd entry (getpwent(3)) as the credentials its user gets at login: uid,
 * primary gid, and the groups getgrouplist(3) lists (the primary among them), sorted, without
 * duplicates. *@creds is a malloc'ed array of *@n, each with its own malloc'ed groups; release
 * it with nss_logins_free(). Returns 0, -E2BIG past NSS_GROUPS_MAX groups, or -errno.
 */
int nss_logins(struct peer_cred **creds, size_t *n);

/* nss_logins_free - release what nss_logins() returned. */
void nss_logins_free(struct peer_cred *creds, size_t n);

/*
 * nss_strerror - the text for a failed lookup: "no such name" for NSS_E_UNKNOWN, "not a valid
 * name" for NSS_E_INVALID, strerror(3)'s for -errno. Pure.
 */
const char *nss_strerror(int r);

/*
 * nss_user_name, nss_group_name - write the name of @uid/@gid, or its number, into @buf.
 * Return 1 when it is a name, 0 when the number.
 */
int nss_user_name(uid_t uid, char *buf, size_t len);
int nss_group_name(gid_t gid, char *buf, size_t len);
