/* SPDX-License-Identifier: MIT */
/*
 * policy-diff: whom a change of policy lets in or shuts out, for `udsecho-policy diff` and for
 * `edit` before it installs.
 *
 * The identities tried are the users the caller gives (every passwd entry with the groups
 * getgrouplist(3) lists), and every id that either policy names, with the first, last, first-1
 * and last+1 of each range: each as uid=ID alone, with each group id among them (the ids of
 * group selectors and their neighbours) and with all of those at once. "Alone" is gid=ID and no
 * group; when a group selector holds ID, gid 65534 (nogroup) instead, or the smallest gid that
 * none holds if one holds 65534 too. Both
 * policies decide each identity with policy_eval(), the server's evaluator; an identity whose
 * decision, allow or deny, differs is a change. Pure: it allocates, nothing else.
 */
#pragma once

#include <stddef.h>

#include "udsecho/peercred.h"
#include "udsecho/policy.h"

struct policy_diff_change {
	struct peer_cred cred; /* groups malloc'd, sorted, without duplicates */
	struct policy_verdict old, new;
};

struct policy_diff {
	struct policy_diff_change *v; /* sorted by uid, gid, then groups; each identity once */
	size_t n, cap;
};

/*
 * policy_diff_each - call @fn with every identity to try for @old and @new: the @nusers at
 * @users, then those the policies' ids give, in no promised order and perhaps more than once.
 * Stops at the first non-zero return of @fn and returns it; otherwise 0, or -ENOMEM.
 */
int policy_diff_each(const struct policy *old, const struct policy *new,
		     const struct peer_cred *users, size_t nusers,
		     int (*fn)(void *ctx, const struct peer_cred *cred), void *ctx);

/*
 * policy_diff - every identity policy_diff_each() tries whose decision at @now differs between
 * @old and @new, into @out (release with policy_diff_free()). Returns 0 or -ENOMEM.
 */
int policy_diff(const struct policy *old, const struct policy *new, const struct peer_cred *users,
		size_t nusers, int64_t now, struct policy_diff *out);

/* policy_diff_free - release what policy_diff() made. */
void policy_diff_free(struct policy_diff *d);
