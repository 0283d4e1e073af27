/* SPDX-License-Identifier: MIT */
/*
 * policy-who: the peer that `udsecho-policy explain` and a cases file name, WHO in
 * udsecho-policy(8), as credentials to decide for.
 *
 * WHO is a user name, whose primary group and groups come from the user and group databases
 * (what getgrouplist(3) lists for that user), or the words uid=ID [gid=ID] [groups=ID,...],
 * exactly those credentials, each id a number or a name. Without gid=, the gid is the uid's
 * passwd entry's; a uid with no passwd entry leaves the gid unknown, and the groups too unless
 * groups= gives them (given a gid, groups= left out means none). Unknown parts are for
 * policy_eval_partial(). Pure but for the lookups, which come through the caller
 * (policy_who_nss in production, a table in tests).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "udsecho/peercred.h"

/* Positive outcomes; negative values are -errno. */
enum {
	POLICY_WHO_E_USAGE = 1, /* the words are not a WHO */
	POLICY_WHO_E_LOOKUP,	/* a name or id that does not resolve */
};

/* As nss_user(), nss_group() and nss_user_groups() (nss.h), which policy_who_nss calls. */
struct policy_who_lookup {
	int (*user)(void *ctx, const char *name, uid_t *uid, gid_t *gid);
	int (*group)(void *ctx, const char *name, gid_t *gid);
	int (*groups)(void *ctx, uid_t uid, gid_t **groups, size_t *ngroups);
	void *ctx;
};

extern const struct policy_who_lookup policy_who_nss;

struct policy_who {
	struct peer_cred cred; /* groups malloc'd, sorted, without duplicates */
	unsigned unknown;      /* POLICY_UNKNOWN_GID, POLICY_UNKNOWN_GROUPS (policy.h) */
};

/* What is wrong with the words, and where: word @word, byte @offset of it. */
struct policy_who_error {
	size_t word;
	size_t offset;
	char message[256];
};

/*
 * policy_who_parse - the credentials the @n words at @words name (@n >= 1). Returns 0 (release @who
 * with policy_who_release()), or POLICY_WHO_E_USAGE, POLICY_WHO_E_LOOKUP or -errno with @err filled
 * in and nothing to release.
 */
int policy_who_parse(char *const *words, size_t n, const struct policy_who_lookup *lookup,
		     struct policy_who *who, struct policy_who_error *err);

/* policy_who_release - free what policy_who_parse() allocated. */
void policy_who_release(struct policy_who *who);

/*
 * policy_who_missing - the words that ask for the @unknown parts (not 0):
 * "the peer's gid: add gid=ID", "the peer's gid and groups: add gid=ID groups=ID,...", or
 * "the peer's groups: add groups=ID,...". Pure.
 */
const char *policy_who_missing(unsigned unknown);
