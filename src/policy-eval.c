// SPDX-License-Identifier: MIT
/*
 * policy-eval: the decision for one peer, and read-only access to a compiled policy.
 *
 * Runs in the worker's sandbox for every connection: it makes no system call, allocates
 * nothing and touches only the policy and the credentials the kernel gave. First matching rule
 * wins; no match is a deny verdict (rule -1), never an error. The ranges of a selector are
 * sorted and disjoint, so a uid is found by binary search; the uid and gid index
 * (policy-index.c) narrows the rules to try without changing which one decides. For the tools,
 * policy_eval_partial() decides for a peer whose gid or groups are unknown, on the same ranges
 * and with the same first-match rule. A rule whose time window does not hold the instant asked
 * about does not match, and evaluation goes on.
 */
#include <stdint.h>
#include <string.h>

#include "policy-private.h"

/* The first of @n sorted, disjoint ranges that ends at or above @id; @n when none does. */
static size_t first_ending_from(const struct policy_range *v, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].hi < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int ranges_hold(const struct policy_range *v, size_t n, uint32_t id)
{
	size_t i = first_ending_from(v, n, id);

	return i < n && v[i].lo <= id;
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

/* Whether @rule's time window holds @now (a rule without one always matches in time). */
static int in_window(const struct policy *p, const struct policy_rule *rule, int64_t now)
{
	const struct policy_attrs *a;

	if (rule->attrs == POLICY_NO_ATTRS)
		return 1;
	a = &p->attrs[rule->attrs];
	return a->from <= now && now < a->until;
}

static int rule_matches(const struct policy *p, size_t i, const struct peer_cred *cred, int64_t now)
{
	const struct policy_rule *rule = &p->rules[i];
	size_t k = 0;

	if (!in_window(p, rule, now))
		return 0;
	while (k < rule->count && sel_matches(p, &p->sels[rule->first + k], cred))
		k++;
	return k == rule->count;
}

static struct policy_verdict decided(const struct policy *p, size_t i)
{
	return (struct policy_verdict){.allow = (int)p->rules[i].allow, .rule = (long)i};
}

/* Lists merged at once, on the stack: the uid piece, the `all` rules and the gid pieces. */
#define EVAL_LISTS 32

/* A list of rule indices in increasing order, never empty while in a merge. */
struct cursor {
	const uint32_t *at, *end;
};

static void sift_down(struct cursor *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct cursor t;

		if (l < n && *h[l].at < *h[m].at)
			m = l;
		if (l + 1 < n && *h[l + 1].at < *h[m].at)
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/*
 * The first rule below @best, in the merge of the @n lists of @h, that fully matches @cred, or
 * @best when none does. A min-heap on the lists' next rules yields every rule of their union in
 * increasing order; a rule in several lists comes out several times in a row and is tried once.
 */
static size_t first_match(const struct policy *p, struct cursor *h, size_t n, size_t best,
			  const struct peer_cred *cred, int64_t now)
{
	size_t tried = SIZE_MAX;

	for (size_t i = n / 2; i-- > 0;)
		sift_down(h, n, i);
	while (n > 0 && *h[0].at < best) {
		size_t r = *h[0].at++;

		if (h[0].at == h[0].end)
			h[0] = h[--n];
		sift_down(h, n, 0);
		if (r != tried && rule_matches(p, r, cred, now))
			return r;
		tried = r;
	}
	return best;
}

static void add(struct cursor *h, size_t *n, const uint32_t *list, size_t len)
{
	if (len > 0)
		h[(*n)++] = (struct cursor){list, list + len};
}

struct policy_verdict policy_eval(const struct policy *p, const struct peer_cred *cred, int64_t now)
{
	struct cursor h[EVAL_LISTS];
	const uint32_t *list, *primary, *prev = NULL;
	size_t n = 0, len, g = 0, best;

	if (!p->ix_all) {
		for (size_t i = 0; i < p->nrules; i++)
			if (rule_matches(p, i, cred, now))
				return decided(p, i);
		return (struct policy_verdict){.allow = 0, .rule = -1};
	}
	/*
	 * A rule can only match if it is in the uid's piece, in the piece of the primary gid or
	 * of a supplementary group, or among the `all` rules. The first matching rule is the
	 * smallest matching rule of the union of those lists: merge them in rule order, in
	 * batches of EVAL_LISTS lists when the peer has many groups, each batch looking only
	 * below the best rule found so far.
	 */
	add(h, &n, p->ix_all, p->ix_nall);
	list = policy_index_list(&p->ix_uid, cred->uid, &len);
	add(h, &n, list, len);
	primary = policy_index_list(&p->ix_gid, cred->gid, &len);
	add(h, &n, primary, len);
	best = p->nrules;
	for (;;) {
		/* Groups are sorted: those sharing a piece are neighbours, and listed once. */
		while (n < EVAL_LISTS && g < cred->ngroups) {
			list = policy_index_list(&p->ix_gid, cred->groups[g++], &len);
			if (list && list != primary && list != prev) {
				add(h, &n, list, len);
				prev = list;
			}
		}
		best = first_match(p, h, n, best, cred, now);
		if (g == cred->ngroups)
			break;
		n = 0;
	}
	if (best < p->nrules)
		return decided(p, best);
	return (struct policy_verdict){.allow = 0, .rule = -1};
}

/* What a rule does for a peer known in part: it matches, it cannot, or the unknown parts decide. */
enum { RULE_NO, RULE_YES, RULE_MAYBE };

/* Whether the known parts of @cred, its gid or its groups, meet group selector @sel. */
static int known_meets(const struct policy *p, const struct policy_sel *sel,
		       const struct peer_cred *cred, unsigned unknown)
{
	const struct policy_range *v = &p->ranges[sel->first];

	for (size_t i = 0; i < sel->count; i++) {
		if (!(unknown & POLICY_UNKNOWN_GID) && cred->gid >= v[i].lo && cred->gid <= v[i].hi)
			return 1;
		if (!(unknown & POLICY_UNKNOWN_GROUPS) && groups_meet(cred, v[i].lo, v[i].hi))
			return 1;
	}
	return 0;
}

/* Whether @sel holds every id: then any gid meets it. Ranges are merged, so one range. */
static int holds_all(const struct policy *p, const struct policy_sel *sel)
{
	return sel->count == 1 && p->ranges[sel->first].lo == 0 &&
	       p->ranges[sel->first].hi == POLICY_ID_MAX;
}

/* The first id at or above @x that @sel holds, in *@at; -1 when there is none. */
static int next_held(const struct policy *p, const struct policy_sel *sel, uint32_t x, uint32_t *at)
{
	const struct policy_range *v = &p->ranges[sel->first];
	size_t i = first_ending_from(v, sel->count, x);

	if (i == sel->count)
		return -1;
	*at = v[i].lo > x ? v[i].lo : x;
	return 0;
}

/*
 * Whether one gid lies in every group selector of @rule that the known parts do not meet. The
 * candidate starts at 0 and rises to the next id each selector holds until all hold it; each
 * rise lands on the start of a range above it, so there are at most as many as ranges.
 */
static int one_gid_meets_rest(const struct policy *p, const struct policy_rule *rule,
			      const struct peer_cred *cred, unsigned unknown)
{
	uint32_t x = 0, at;
	int moved = 1;

	while (moved) {
		moved = 0;
		for (uint32_t k = 0; k < rule->count; k++) {
			const struct policy_sel *sel = &p->sels[rule->first + k];

			if (sel->kind != POLICY_GROUP || known_meets(p, sel, cred, unknown))
				continue;
			if (next_held(p, sel, x, &at) < 0)
				return 0;
			if (at != x) {
				x = at;
				moved = 1;
			}
		}
	}
	return 1;
}

static int rule_state(const struct policy *p, const struct policy_rule *rule,
		      const struct peer_cred *cred, unsigned unknown)
{
	int open = 0, all_held = 1;

	for (uint32_t k = 0; k < rule->count; k++) {
		const struct policy_sel *sel = &p->sels[rule->first + k];

		if (sel->kind == POLICY_USER) {
			if (!ranges_hold(&p->ranges[sel->first], sel->count, cred->uid))
				return RULE_NO;
		} else if (!known_meets(p, sel, cred, unknown)) {
			open = 1;
			all_held = all_held && holds_all(p, sel);
		}
	}
	if (!open || ((unknown & POLICY_UNKNOWN_GID) && all_held))
		return RULE_YES;
	/* Unknown groups can hold one id of each open selector; an unknown gid, one id of all. */
	if ((unknown & POLICY_UNKNOWN_GROUPS) ||
	    ((unknown & POLICY_UNKNOWN_GID) && one_gid_meets_rest(p, rule, cred, unknown)))
		return RULE_MAYBE;
	return RULE_NO;
}

struct policy_verdict policy_eval_partial(const struct policy *p, const struct peer_cred *cred,
					  int64_t now, unsigned unknown, long *needs)
{
	*needs = -1;
	if (!(unknown & (POLICY_UNKNOWN_GID | POLICY_UNKNOWN_GROUPS)))
		return policy_eval(p, cred, now);
	for (size_t i = 0; i < p->nrules; i++) {
		int state = in_window(p, &p->rules[i], now)
				    ? rule_state(p, &p->rules[i], cred, unknown)
				    : RULE_NO;

		if (state == RULE_MAYBE && *needs < 0)
			*needs = (long)i;
		if (state == RULE_YES)
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

const struct policy_attrs *policy_rule_attrs(const struct policy *p, long rule)
{
	if (rule < 0 || (size_t)rule >= p->nrules || p->rules[rule].attrs == POLICY_NO_ATTRS)
		return NULL;
	return &p->attrs[p->rules[rule].attrs];
}

int64_t policy_next_change(const struct policy *p, int64_t now)
{
	int64_t next = POLICY_TIME_MAX;

	if (!p->windows)
		return next;
	for (size_t i = 0; i < p->nattrs; i++) {
		const struct policy_attrs *a = &p->attrs[i];
		if (a->from > now && a->from < next)
			next = a->from;
		if (a->until > now && a->until < next)
			next = a->until;
	}
	return next;
}

int policy_has_windows(const struct policy *p)
{
	return p->windows;
}

int policy_has_idle_timeouts(const struct policy *p)
{
	for (size_t i = 0; i < p->nattrs; i++)
		if (p->attrs[i].idle_timeout)
			return 1;
	return 0;
}

long policy_rule_named(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_attrs *a = policy_rule_attrs(p, (long)i);
		if (a && a->name && strcmp(a->name, name) == 0)
			return (long)i;
	}
	return -1;
}

int policy_uses_groups(const struct policy *p)
{
	for (size_t i = 0; i < p->nsels; i++)
		if (p->sels[i].kind == POLICY_GROUP)
			return 1;
	return 0;
}
