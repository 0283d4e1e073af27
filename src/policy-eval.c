// SPDX-License-Identifier: MIT
/*
 * policy-eval: the decision for one peer, and read-only access to a compiled policy.
 *
 * Runs in the worker's sandbox for every connection: it makes no system call, allocates
 * nothing and touches only the policy and the credentials the kernel gave. First matching rule
 * wins; no match is a deny verdict (rule -1), never an error. The ranges of a selector are
 * sorted and disjoint, so a uid is found by binary search; the uid index (policy-index.c)
 * narrows the rules to try without changing which one decides.
 */
#include "policy-private.h"

static int ranges_hold(const struct policy_range *v, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].hi < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].lo <= id;
}

/* Whether a supplementary group (sorted, unique) lies in [lo, hi]. */
static int groups_meet(const struct peer_cred *cred, uint32_t lo, uint32_t hi)
{
	size_t a = 0, b = cred->ngroups;

	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (cred->groups[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < cred->ngroups && cred->groups[a] <= hi;
}

static int sel_matches(const struct policy *p, const struct policy_sel *sel,
		       const struct peer_cred *cred)
{
	const struct policy_range *v = &p->ranges[sel->first];

	if (sel->kind == POLICY_USER)
		return ranges_hold(v, sel->count, cred->uid);
	for (size_t i = 0; i < sel->count; i++) {
		if (v[i].lo == v[i].hi) {
			if (peercred_in_group(cred, v[i].lo))
				return 1;
		} else if ((cred->gid >= v[i].lo && cred->gid <= v[i].hi) ||
			   groups_meet(cred, v[i].lo, v[i].hi)) {
			return 1;
		}
	}
	return 0;
}

static int rule_matches(const struct policy *p, size_t i, const struct peer_cred *cred)
{
	const struct policy_rule *rule = &p->rules[i];
	size_t k = 0;

	while (k < rule->count && sel_matches(p, &p->sels[rule->first + k], cred))
		k++;
	return k == rule->count;
}

static struct policy_verdict decided(const struct policy *p, size_t i)
{
	return (struct policy_verdict){.allow = (int)p->rules[i].allow, .rule = (long)i};
}

struct policy_verdict policy_eval(const struct policy *p, const struct peer_cred *cred)
{
	size_t a = 0, a_end = 0, b = 0, piece;

	if (!p->ix_start) {
		for (size_t i = 0; i < p->nrules; i++)
			if (rule_matches(p, i, cred))
				return decided(p, i);
		return (struct policy_verdict){.allow = 0, .rule = -1};
	}
	/* Only the rules listed for the uid's piece, and those without a user selector, can
	 * match: merge both lists in rule order, so the first match is still the first rule. */
	piece = policy_index_piece(p, cred->uid);
	if (piece + 1 < p->ix_nbounds) {
		a = p->ix_start[piece];
		a_end = p->ix_start[piece + 1];
	}
	while (a < a_end || b < p->ix_nunkeyed) {
		size_t i;

		if (b == p->ix_nunkeyed || (a < a_end && p->ix_rules[a] < p->ix_unkeyed[b]))
			i = p->ix_rules[a++];
		else
			i = p->ix_unkeyed[b++];
		if (rule_matches(p, i, cred))
			return decided(p, i);
	}
	return (struct policy_verdict){.allow = 0, .rule = -1};
}

size_t policy_rule_count(const struct policy *p)
{
	return p->nrules;
}

int policy_rule_origin(const struct policy *p, long rule, const char **file, unsigned *line)
{
	if (rule < 0 || (size_t)rule >= p->nrules)
		return POLICY_E_RANGE;
	*file = p->files[p->rules[rule].file];
	*line = p->rules[rule].line;
	return 0;
}

const char *policy_rule_text(const struct policy *p, long rule)
{
	if (!p->texts || rule < 0 || (size_t)rule >= p->nrules)
		return NULL;
	return p->texts[rule];
}

int policy_uses_groups(const struct policy *p)
{
	for (size_t i = 0; i < p->nsels; i++)
		if (p->sels[i].kind == POLICY_GROUP)
			return 1;
	return 0;
}
