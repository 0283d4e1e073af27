// SPDX-License-Identifier: MIT
/*
 * policy-diff: the identities a change of policy is tried on, and those it changes (see
 * policy-diff.h). The ids come from the compiled policies' ranges, numbers already: both were
 * compiled with the same names to ids. Decisions are policy_eval()'s, so a diff says what
 * udsechod would do, not what a copy of its logic thinks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/idsort.h"
#include "udsecho/policy-diff.h"
#include "policy-private.h"

struct ids {
	uint32_t *v;
	size_t n, cap;
};

static int ids_add(struct ids *s, uint32_t id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

/* A range's first, last, first-1 and last+1, as far as they are ids. */
static int add_bounds(struct ids *s, struct policy_range rg)
{
	int r = ids_add(s, rg.lo);

	if (r == 0)
		r = ids_add(s, rg.hi);
	if (r == 0 && rg.lo > 0)
		r = ids_add(s, rg.lo - 1);
	if (r == 0 && rg.hi < POLICY_ID_MAX)
		r = ids_add(s, rg.hi + 1);
	return r;
}

/*
 * What the identities are made of, from both policies: every id named with its neighbours, the
 * group ids among them, and the ranges group selectors hold, merged.
 */
struct material {
	struct ids all, gids;
	struct policy_range *held;
	size_t nheld;
};

static int collect(const struct policy *p, struct material *m)
{
	int r = 0;

	for (size_t k = 0; k < p->nsels && r == 0; k++) {
		const struct policy_sel *sel = &p->sels[k];

		for (uint32_t i = 0; i < sel->count && r == 0; i++) {
			struct policy_range rg = p->ranges[sel->first + i];

			r = add_bounds(&m->all, rg);
			if (r == 0 && sel->kind == POLICY_GROUP) {
				r = add_bounds(&m->gids, rg);
				m->held[m->nheld++] = rg;
			}
		}
	}
	return r;
}

static int material_build(const struct policy *a, const struct policy *b, struct material *m)
{
	int r;

	*m = (struct material){0};
	m->held = malloc((a->nranges + b->nranges + 1) * sizeof(*m->held));
	if (!m->held)
		return -ENOMEM;
	r = collect(a, m);
	if (r == 0)
		r = collect(b, m);
	m->all.n = idsort_unique(m->all.v, m->all.n);
	m->gids.n = idsort_unique(m->gids.v, m->gids.n);
	m->nheld = policy_ranges_normalise(m->held, m->nheld);
	return r;
}

static void material_free(struct material *m)
{
	free(m->all.v);
	free(m->gids.v);
	free(m->held);
}

static int holds(const struct material *m, uint32_t id)
{
	for (size_t i = 0; i < m->nheld; i++)
		if (m->held[i].lo <= id && id <= m->held[i].hi)
			return 1;
	return 0;
}

/*
 * The gid of uid=@id alone: @id itself, unless a group selector holds it; then the overflow gid
 * 65534 (nogroup), unless one holds that too; then the smallest gid none holds (the ranges are
 * merged and sorted: after the first one if it starts at 0); @id again when they hold them all.
 */
static uint32_t alone_gid(const struct material *m, uint32_t id)
{
	uint64_t gap = m->nheld > 0 && m->held[0].lo == 0 ? (uint64_t)m->held[0].hi + 1 : 0;

	if (!holds(m, id))
		return id;
	if (!holds(m, POLICY_OVERFLOW_ID))
		return POLICY_OVERFLOW_ID;
	return gap > POLICY_ID_MAX ? id : (uint32_t)gap;
}

typedef int (*diff_fn)(void *ctx, const struct peer_cred *cred);

/* uid=@id alone, with each group id and with all of them. */
static int try_id(const struct material *m, uint32_t id, diff_fn fn, void *ctx)
{
	gid_t one;
	struct peer_cred c = {.uid = id, .gid = alone_gid(m, id), .groups = &one};
	int r = fn(ctx, &c);

	c.ngroups = 1;
	for (size_t g = 0; g < m->gids.n && r == 0; g++)
		if (m->gids.v[g] != c.gid) {
			one = m->gids.v[g];
			r = fn(ctx, &c);
		}
	if (r == 0 && m->gids.n > 1) {
		c.groups = m->gids.v;
		c.ngroups = m->gids.n;
		r = fn(ctx, &c);
	}
	return r;
}

int policy_diff_each(const struct policy *old, const struct policy *new,
		     const struct peer_cred *users, size_t nusers, diff_fn fn, void *ctx)
{
	struct material m = {0};
	int r = 0;

	for (size_t i = 0; i < nusers && r == 0; i++)
		r = fn(ctx, &users[i]);
	if (r == 0)
		r = material_build(old, new, &m);
	for (size_t i = 0; i < m.all.n && r == 0; i++)
		r = try_id(&m, m.all.v[i], fn, ctx);
	material_free(&m);
	return r;
}

struct differ {
	const struct policy *old, *new;
	int64_t now;
	struct policy_diff *out;
};

/* Decide @cred with both policies; keep a copy of it when they disagree. */
static int compare(void *ctx, const struct peer_cred *cred)
{
	struct differ *d = ctx;
	struct policy_diff *out = d->out;
	struct policy_diff_change ch = {.old = policy_eval(d->old, cred, d->now),
					.new = policy_eval(d->new, cred, d->now)};

	if (ch.old.allow == ch.new.allow)
		return 0;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct policy_diff_change *v = realloc(out->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	ch.cred = (struct peer_cred){.uid = cred->uid, .gid = cred->gid, .groups_known = 1};
	ch.cred.groups = malloc((cred->ngroups + 1) * sizeof(gid_t));
	if (!ch.cred.groups)
		return -ENOMEM;
	memcpy(ch.cred.groups, cred->groups, cred->ngroups * sizeof(gid_t));
	ch.cred.ngroups = idsort_unique(ch.cred.groups, cred->ngroups);
	out->v[out->n++] = ch;
	return 0;
}

/* By uid, gid, then the groups in order, a list before those it begins. */
static int cmp_change(const void *a, const void *b)
{
	const struct peer_cred *x = &((const struct policy_diff_change *)a)->cred;
	const struct peer_cred *y = &((const struct policy_diff_change *)b)->cred;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->gid != y->gid)
		return x->gid < y->gid ? -1 : 1;
	for (size_t i = 0; i < x->ngroups && i < y->ngroups; i++)
		if (x->groups[i] != y->groups[i])
			return x->groups[i] < y->groups[i] ? -1 : 1;
	return (x->ngroups > y->ngroups) - (x->ngroups < y->ngroups);
}

int policy_diff(const struct policy *old, const struct policy *new, const struct peer_cred *users,
		size_t nusers, int64_t now, struct policy_diff *out)
{
	struct differ d = {.old = old, .new = new, .now = now, .out = out};
	size_t n = 0;
	int r;

	*out = (struct policy_diff){0};
	r = policy_diff_each(old, new, users, nusers, compare, &d);
	if (r != 0) {
		policy_diff_free(out);
		return r;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_change);
	for (size_t i = 0; i < out->n; i++) {
		if (n > 0 && cmp_change(&out->v[n - 1], &out->v[i]) == 0)
			free(out->v[i].cred.groups);
		else
			out->v[n++] = out->v[i];
	}
	out->n = n;
	return 0;
}

void policy_diff_free(struct policy_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].cred.groups);
	free(d->v);
	*d = (struct policy_diff){0};
}
