// SPDX-License-Identifier: MIT
/*
 * policy-index: a uid index and a gid index over a compiled policy, so that a decision does not
 * scan every rule. Each rule has one key: its first user selector if it has one (a uid part
 * rule), else its first group selector (a gid part rule), else none (an `all` rule, listed
 * apart). A rule can only match a peer whose uid (uid part) or whose primary or some
 * supplementary gid (gid part) its key selector holds. Each part cuts its id line at every
 * bound of its key selectors, so that every piece lies wholly inside or wholly outside each
 * range, and lists per piece, in rule order, the rules whose key covers it. A decision merges,
 * in rule order, the piece of the uid, the pieces of the gids and the `all` rules, and the first
 * rule that fully matches decides: the same answer as a scan, from fewer candidates. A part
 * whose pieces would list more than a few entries per rule (heavily nested ranges) is not cut:
 * one piece lists all its rules. When neither part is cut, no index is built and eval scans.
 * Pure: it allocates while building, and never afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-private.h"
#include "udsecho/idsort.h"

#define NO_KEY UINT32_MAX

/*
 * The key selector of @rule, whichever part it is in: its first user selector, else its first
 * group selector, else NO_KEY (an `all` rule).
 */
static uint32_t rule_key(const struct policy *p, const struct policy_rule *rule)
{
	uint32_t key = NO_KEY;

	for (uint32_t k = rule->first; k < rule->first + rule->count; k++) {
		if (p->sels[k].kind == POLICY_USER)
			return k;
		if (p->sels[k].kind == POLICY_GROUP && key == NO_KEY)
			key = k;
	}
	return key;
}

/* The key selector of rule @i in the part of @kind, from the rules' keys, or NULL. */
static const struct policy_sel *key_sel(const struct policy *p, const uint32_t *key, size_t i,
					uint32_t kind)
{
	return key[i] != NO_KEY && p->sels[key[i]].kind == kind ? &p->sels[key[i]] : NULL;
}

/* The piece of @ix holding @id: the last bound at or below it, or nbounds when there is none. */
static size_t piece(const struct policy_ix *ix, uint32_t id)
{
	size_t lo = 0, hi = ix->nbounds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->bounds[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? ix->nbounds : lo - 1;
}

const uint32_t *policy_index_list(const struct policy_ix *ix, uint32_t id, size_t *n)
{
	size_t s = piece(ix, id);

	if (s + 1 >= ix->nbounds) {
		*n = 0;
		return NULL;
	}
	/* An empty piece starts where the next one does: NULL keeps lists told apart by address. */
	*n = ix->start[s + 1] - ix->start[s];
	return *n ? ix->rules + ix->start[s] : NULL;
}

/*
 * Visit every (piece, rule) pair of the part of @kind in rule order: without @entries, count
 * them per piece into @count; with it, store each rule at @cursor[piece] and advance that
 * cursor. A range of index r runs from piece rank[2r] to the one before rank[2r + 1] (the ranks
 * of its lo and hi + 1 among the bounds). The ranges of a selector are disjoint and every piece
 * lies inside or outside each of them, so a rule is visited at most once per piece. Rules @from
 * to @to; returns the pairs seen.
 */
static size_t walk(const struct policy *p, const uint32_t *key, const uint32_t *rank, uint32_t kind,
		   size_t from, size_t to, uint32_t *count, uint32_t *cursor, uint32_t *entries)
{
	size_t visits = 0;

	for (size_t i = from; i < to; i++) {
		const struct policy_sel *sel = key_sel(p, key, i, kind);

		for (uint32_t m = 0; sel && m < sel->count; m++) {
			size_t r = sel->first + m;

			visits += rank[2 * r + 1] - rank[2 * r];
			for (size_t s = rank[2 * r]; s < rank[2 * r + 1]; s++)
				if (!entries)
					count[s]++;
				else
					entries[cursor[s]++] = (uint32_t)i;
		}
	}
	return visits;
}

static void drop_part(struct policy_ix *ix)
{
	free(ix->bounds);
	free(ix->start);
	free(ix->rules);
	*ix = (struct policy_ix){0};
}

static void drop(struct policy *p)
{
	drop_part(&p->ix_uid);
	drop_part(&p->ix_gid);
	free(p->ix_all);
	p->ix_all = NULL;
	p->ix_nall = 0;
}

/* Too large to cut: one piece [0, 4294967295) listing, in order, every rule of the part. */
static int build_whole(const struct policy *p, const uint32_t *key, struct policy_ix *ix,
		       uint32_t kind)
{
	size_t n = 0;

	drop_part(ix);
	ix->whole = 1;
	ix->bounds = malloc(2 * sizeof(*ix->bounds));
	ix->start = malloc(2 * sizeof(*ix->start));
	ix->rules = malloc((p->nrules + 1) * sizeof(*ix->rules));
	if (!ix->bounds || !ix->start || !ix->rules)
		return -ENOMEM;
	for (size_t i = 0; i < p->nrules; i++)
		if (key_sel(p, key, i, kind))
			ix->rules[n++] = (uint32_t)i;
	/* No range holds 4294967295, so no rule of the part can match it. */
	ix->bounds[0] = 0;
	ix->bounds[1] = POLICY_ID_MAX + 1;
	ix->nbounds = 2;
	ix->start[0] = 0;
	ix->start[1] = (uint32_t)n;
	return 0;
}

static int cut(const struct policy_ix *ix);

/* The builder's scratch, once a part is built or the build abandoned. */
static void release(struct policy_ix_builder *b)
{
	free(b->pairs);
	free(b->tmp);
	free(b->rank);
	free(b->fill);
	b->pairs = b->tmp = NULL;
	b->rank = b->fill = NULL;
}

/* The steps of a part's build, in order (struct policy_ix_builder). */
enum { IX_BOUNDS, IX_SORT, IX_COUNT, IX_PREFIX, IX_FILL, IX_PART_DONE };

/* Rules a step takes at most: the cost of each is small and bounded by its ranges. */
static size_t rules_for(size_t *budget, size_t i, size_t n)
{
	size_t k = n - i < *budget ? n - i : *budget;

	*budget -= k;
	return i + k;
}

/*
 * One or more steps of the build of the part of @kind, within *@budget. Returns 1 while the part
 * is not built, 0 once it is, -ENOMEM.
 */
static int part_step(const struct policy *p, struct policy_ix *ix, uint32_t kind,
		     struct policy_ix_builder *b, size_t *budget)
{
	size_t to;

	while (*budget > 0) {
		switch (b->phase) {
		case IX_BOUNDS:
			if (!b->pairs) {
				b->pairs = malloc((2 * p->nranges + 1) * sizeof(*b->pairs));
				if (!b->pairs)
					return -ENOMEM;
			}
			if (!b->key && !(b->key = malloc((p->nrules + 1) * sizeof(*b->key))))
				return -ENOMEM;
			for (to = rules_for(budget, b->i, p->nrules); b->i < to; b->i++) {
				const struct policy_sel *sel;

				/* The first part finds every rule's key, for both. */
				if (kind == POLICY_USER)
					b->key[b->i] = rule_key(p, &p->rules[b->i]);
				sel = key_sel(p, b->key, b->i, kind);

				for (uint32_t m = 0; sel && m < sel->count; m++, b->nr++)
					b->nb += policy_range_bounds(p, sel->first + m,
								     &b->pairs[b->nb]);
			}
			if (b->i == p->nrules)
				b->phase = IX_SORT;
			break;
		case IX_SORT:
			if (!b->tmp && !(b->tmp = malloc((b->nb + 1) * sizeof(*b->tmp))))
				return -ENOMEM;
			if (idsort_step(b->pairs, b->tmp, b->nb, &b->sort, budget))
				break;
			free(b->tmp);
			b->tmp = NULL;
			ix->bounds = malloc((2 * b->nr + 1) * sizeof(*ix->bounds));
			b->rank = malloc((2 * p->nranges + 1) * sizeof(*b->rank));
			if (!ix->bounds || !b->rank)
				return -ENOMEM;
			ix->nbounds = idsort_rank(b->pairs, b->nb, ix->bounds, b->rank);
			free(b->pairs);
			b->pairs = NULL;
			ix->start = calloc(ix->nbounds + 1, sizeof(*ix->start));
			b->fill = calloc(ix->nbounds + 1, sizeof(*b->fill));
			if (!ix->start || !b->fill)
				return -ENOMEM;
			b->i = 0;
			b->phase = IX_COUNT;
			break;
		case IX_COUNT:
			to = rules_for(budget, b->i, p->nrules);
			b->visits += walk(p, b->key, b->rank, kind, b->i, to, b->fill, NULL, NULL);
			b->i = to;
			/* Too many nested ranges for pieces to pay: one piece for the part. */
			if (b->visits > b->limit) {
				release(b);
				b->phase = IX_PART_DONE;
				return build_whole(p, b->key, ix, kind);
			}
			if (b->i == p->nrules) {
				b->i = 0;
				b->phase = IX_PREFIX;
			}
			break;
		case IX_PREFIX:
			for (size_t s = 0; s < ix->nbounds; s++) {
				ix->start[s] = (uint32_t)b->total;
				b->total += b->fill[s];
			}
			ix->start[ix->nbounds] = (uint32_t)b->total;
			ix->rules = malloc((b->total + 1) * sizeof(*ix->rules));
			if (!ix->rules)
				return -ENOMEM;
			memcpy(b->fill, ix->start, (ix->nbounds + 1) * sizeof(*b->fill));
			*budget -= *budget < ix->nbounds / 64 ? *budget : ix->nbounds / 64;
			b->phase = IX_FILL;
			break;
		case IX_FILL:
			to = rules_for(budget, b->i, p->nrules);
			walk(p, b->key, b->rank, kind, b->i, to, NULL, b->fill, ix->rules);
			b->i = to;
			if (b->i == p->nrules) {
				release(b);
				b->phase = IX_PART_DONE;
			}
			break;
		default:
			return 0;
		}
	}
	return b->phase != IX_PART_DONE;
}

/* Whether @ix narrows anything: it has rules and is cut into pieces. */
static int cut(const struct policy_ix *ix)
{
	return ix->nbounds > 0 && !ix->whole;
}

void policy_index_begin(struct policy *p, struct policy_ix_builder *b, uint64_t uid_budget,
			uint64_t gid_budget)
{
	/* The offsets in start are 32-bit. */
	const uint64_t most = UINT32_MAX - 1;

	drop(p);
	*b = (struct policy_ix_builder){.limit = uid_budget < most ? uid_budget : most,
					.gid_limit = gid_budget < most ? gid_budget : most};
}

int policy_index_step(struct policy *p, struct policy_ix_builder *b, size_t *budget)
{
	int r = 0;

	if (b->part == 0 && (r = part_step(p, &p->ix_uid, POLICY_USER, b, budget)) == 0)
		*b = (struct policy_ix_builder){.part = 1, .limit = b->gid_limit, .key = b->key};
	if (b->part == 1 && r == 0 &&
	    (r = part_step(p, &p->ix_gid, POLICY_GROUP, b, budget)) == 0) {
		p->ix_all = malloc((p->nrules + 1) * sizeof(*p->ix_all));
		if (!p->ix_all) {
			r = -ENOMEM;
		} else {
			for (size_t i = 0; i < p->nrules; i++)
				if (b->key[i] == NO_KEY)
					p->ix_all[p->ix_nall++] = (uint32_t)i;
			/* Every rule would be a candidate for every peer: a scan is the same. */
			if (!cut(&p->ix_uid) && !cut(&p->ix_gid))
				drop(p);
			free(b->key);
			b->key = NULL;
			b->part = 2;
		}
	}
	if (r < 0) {
		policy_index_abandon(p, b);
		return r;
	}
	return b->part != 2;
}

void policy_index_abandon(struct policy *p, struct policy_ix_builder *b)
{
	release(b);
	free(b->key);
	b->key = NULL;
	drop(p);
}

int policy_index_build_budget(struct policy *p, uint64_t uid_budget, uint64_t gid_budget)
{
	struct policy_ix_builder b;
	size_t budget = SIZE_MAX;

	policy_index_begin(p, &b, uid_budget, gid_budget);
	return policy_index_step(p, &b, &budget) < 0 ? -ENOMEM : 0;
}

int policy_index_build(struct policy *p)
{
	return policy_index_build_budget(p, POLICY_INDEX_BUDGET(p->nrules),
					 POLICY_INDEX_BUDGET(p->nrules));
}

void policy_index_free(struct policy *p)
{
	drop(p);
}
