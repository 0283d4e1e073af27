// SPDX-License-Identifier: MIT
/*
 * policy-who: WHO words to credentials (see policy-who.h). Every message names the word, and
 * the value in it, at fault, so that the command line and a cases file report the same text:
 * udsecho-policy prints it as it is, a cases file with its FILE:LINE:COL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/idsort.h"
#include "udsecho/nss.h"
#include "udsecho/policy.h"
#include "udsecho/policy-who.h"

#define WHO_SYNTAX "WHO is a user name or uid=ID [gid=ID] [groups=ID,...]"

static int nss_user_lookup(void *ctx, const char *name, uid_t *uid, gid_t *gid)
{
	return nss_user(name, uid, gid);
}

static int nss_group_lookup(void *ctx, const char *name, gid_t *gid)
{
	return nss_group(name, gid);
}

static int nss_groups_lookup(void *ctx, uid_t uid, gid_t **groups, size_t *ngroups)
{
	return nss_user_groups(uid, groups, ngroups);
}

const struct policy_who_lookup policy_who_nss = {
	.user = nss_user_lookup,
	.group = nss_group_lookup,
	.groups = nss_groups_lookup,
};

static int fail(struct policy_who_error *err, int r, size_t word, size_t offset, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

static int fail(struct policy_who_error *err, int r, size_t word, size_t offset, const char *fmt,
		...)
{
	va_list ap;

	err->word = word;
	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

/* A lookup of @name, the value at @offset of word @word, that did not answer 0. */
static int lookup_failed(struct policy_who_error *err, int r, size_t word, size_t offset,
			 const char *what, const char *name)
{
	if (r < 0)
		return fail(err, r, word, offset, "cannot look up %s '%s': %s", what, name,
			    nss_strerror(r));
	return fail(err, POLICY_WHO_E_LOOKUP, word, offset, "%s %s '%s'",
		    r == NSS_E_UNKNOWN ? "unknown" : "invalid", what, name);
}

/* A user name: uid and primary gid from passwd, the groups from the group database. */
static int who_user(const char *name, const struct policy_who_lookup *lk, struct peer_cred *cred,
		    struct policy_who_error *err)
{
	int r = lk->user(lk->ctx, name, &cred->uid, &cred->gid);

	if (r != 0)
		return lookup_failed(err, r, 0, 0, "user", name);
	if (cred->gid == (gid_t)-1)
		return fail(err, POLICY_WHO_E_LOOKUP, 0, 0,
			    "uid %s has no passwd entry; give uid=%s gid=ID", name, name);
	r = lk->groups(lk->ctx, cred->uid, &cred->groups, &cred->ngroups);
	if (r != 0)
		return fail(err, r < 0 ? r : -ENOENT, 0, 0, "cannot list the groups of '%s': %s",
			    name, nss_strerror(r));
	return 0;
}

/* groups=ID,... of word @word: each id a number or a group name. */
static int who_groups(const char *word, size_t w, const struct policy_who_lookup *lk,
		      struct peer_cred *cred, struct policy_who_error *err)
{
	const char *list = word + strlen("groups=");
	char *copy = strdup(list), *save = NULL;
	int r = 0;

	cred->groups = calloc(strlen(list) / 2 + 1, sizeof(gid_t));
	if (!copy || !cred->groups) {
		free(copy);
		return fail(err, -ENOMEM, w, 0, "%s", strerror(ENOMEM));
	}
	for (char *g = strtok_r(copy, ",", &save); g && r == 0; g = strtok_r(NULL, ",", &save)) {
		r = lk->group(lk->ctx, g, &cred->groups[cred->ngroups]);
		if (r != 0)
			r = lookup_failed(err, r, w, (size_t)(g - copy) + strlen("groups="),
					  "group", g);
		else
			cred->ngroups++;
	}
	free(copy);
	return r;
}

/* Which of uid=, gid=, groups= @word is (0, 1, 2), or -1. */
static int key_of(const char *word)
{
	static const char *const keys[] = {"uid=", "gid=", "groups="};

	for (int k = 0; k < 3; k++)
		if (strncmp(word, keys[k], strlen(keys[k])) == 0)
			return k;
	return -1;
}

/* uid=ID [gid=ID] [groups=ID,...]: exactly the credentials given, the rest unknown. */
static int who_ids(char *const *words, size_t n, const struct policy_who_lookup *lk,
		   struct policy_who *who, struct policy_who_error *err)
{
	size_t at[3] = {n, n, n};
	struct peer_cred *cred = &who->cred;
	int r;

	for (size_t i = 0; i < n; i++) {
		int k = key_of(words[i]);
		if (k < 0 || at[k] < n)
			return fail(err, POLICY_WHO_E_USAGE, i, 0, "unexpected '%s': " WHO_SYNTAX,
				    words[i]);
		at[k] = i;
	}
	if (at[0] == n)
		return fail(err, POLICY_WHO_E_USAGE, 0, 0, "'%s' has no uid=ID", words[0]);
	r = lk->user(lk->ctx, words[at[0]] + 4, &cred->uid, &cred->gid);
	if (r != 0)
		return lookup_failed(err, r, at[0], 4, "user", words[at[0]] + 4);
	if (at[1] < n) {
		r = lk->group(lk->ctx, words[at[1]] + 4, &cred->gid);
		if (r != 0)
			return lookup_failed(err, r, at[1], 4, "group", words[at[1]] + 4);
	} else if (cred->gid == (gid_t)-1) {
		who->unknown = POLICY_UNKNOWN_GID | (at[2] < n ? 0 : POLICY_UNKNOWN_GROUPS);
		cred->gid = 0;
	}
	return at[2] < n ? who_groups(words[at[2]], at[2], lk, cred, err) : 0;
}

int policy_who_parse(char *const *words, size_t n, const struct policy_who_lookup *lookup,
		     struct policy_who *who, struct policy_who_error *err)
{
	int r;

	*who = (struct policy_who){.cred = {.groups_known = 1}};
	if (strchr(words[0], '='))
		r = who_ids(words, n, lookup, who, err);
	else if (n > 1)
		r = fail(err, POLICY_WHO_E_USAGE, 1, 0, "unexpected '%s' after the user name",
			 words[1]);
	else
		r = who_user(words[0], lookup, &who->cred, err);
	if (r != 0) {
		policy_who_release(who);
		return r;
	}
	who->cred.ngroups = idsort_unique(who->cred.groups, who->cred.ngroups);
	return 0;
}

void policy_who_release(struct policy_who *who)
{
	free(who->cred.groups);
	who->cred.groups = NULL;
	who->cred.ngroups = 0;
}

const char *policy_who_missing(unsigned unknown)
{
	if (!(unknown & POLICY_UNKNOWN_GROUPS))
		return "the peer's gid: add gid=ID";
	if (!(unknown & POLICY_UNKNOWN_GID))
		return "the peer's groups: add groups=ID,...";
	return "the peer's gid and groups: add gid=ID groups=ID,...";
}
