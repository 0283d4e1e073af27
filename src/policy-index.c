// SPDX-License-Identifier: MIT
/*
 * policy-index: a uid index over a compiled policy, so that a decision does not scan every rule.
 *
 * A rule with a user selector can only match peers whose uid that selector holds. The uid line
 * is cut at every bound of those selectors; each piece lists, in rule order, the rules whose
 * (first) user selector covers it. Rules without a user selector are listed apart. A decision
 * merges the piece of the peer's uid with that list, in rule order, and stops at the first rule
 * that fully matches: the same answer as a scan, from fewer candidates. If the index would be
 * larger than a few entries per rule (heavily nested ranges), none is built and eval scans.
 * Pure: it allocates while building, and never afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-private.h"

#define INDEX_BUDGET(nrules) (4 * (uint64_t)(nrules) + 1024)

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static const struct policy_sel *key_sel(const struct policy *p, const struct policy_rule *rule)
{
	for (uint32_t k = 0; k < rule->count; k++)
		if (p->sels[rule->first + k].kind == POLICY_USER)
			return &p->sels[rule->first + k];
	return NULL;
}

/* The piece holding @id: the last bound at or below it, or nbounds when there is none. */
size_t policy_index_piece(const struct policy *p, uint32_t id)
{
	size_t lo = 0, hi = p->ix_nbounds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->ix_bounds[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? p->ix_nbounds : lo - 1;
}

/*
 * Visit every (piece, rule) pair in rule order: without @entries, count them per piece into
 * @count; with it, store each rule at @cursor[piece] and advance that cursor.
 */
static void walk(const struct policy *p, uint32_t *count, uint32_t *cursor, uint32_t *entries)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_sel *sel = key_sel(p, &p->rules[i]);

		for (uint32_t m = 0; sel && m < sel->count; m++) {
			const struct policy_range *rg = &p->ranges[sel->first + m];
			for (size_t s = policy_index_piece(p, rg->lo);
			     s + 1 < p->ix_nbounds && p->ix_bounds[s] <= rg->hi; s++) {
				if (!entries)
					count[s]++;
				else
					entries[cursor[s]++] = (uint32_t)i;
			}
		}
	}
}

static void drop(struct policy *p)
{
	free(p->ix_bounds);
	free(p->ix_start);
	free(p->ix_rules);
	free(p->ix_unkeyed);
	p->ix_bounds = p->ix_start = p->ix_rules = p->ix_unkeyed = NULL;
	p->ix_nbounds = p->ix_nunkeyed = 0;
}

int policy_index_build(struct policy *p)
{
	size_t nb = 0, nu = 0;
	uint32_t *fill = NULL;
	uint64_t total = 0;

	drop(p);
	p->ix_bounds = malloc((2 * p->nranges + 1) * sizeof(*p->ix_bounds));
	p->ix_unkeyed = malloc((p->nrules + 1) * sizeof(*p->ix_unkeyed));
	if (!p->ix_bounds || !p->ix_unkeyed)
		goto nomem;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_sel *sel = key_sel(p, &p->rules[i]);

		if (!sel)
			p->ix_unkeyed[nu++] = (uint32_t)i;
		/* hi + 1 fits: no range reaches 4294967295. */
		for (uint32_t m = 0; sel && m < sel->count; m++) {
			p->ix_bounds[nb++] = p->ranges[sel->first + m].lo;
			p->ix_bounds[nb++] = p->ranges[sel->first + m].hi + 1;
		}
	}
	p->ix_nunkeyed = nu;
	qsort(p->ix_bounds, nb, sizeof(*p->ix_bounds), cmp_u32);
	p->ix_nbounds = 0;
	for (size_t i = 0; i < nb; i++)
		if (p->ix_nbounds == 0 || p->ix_bounds[p->ix_nbounds - 1] != p->ix_bounds[i])
			p->ix_bounds[p->ix_nbounds++] = p->ix_bounds[i];

	p->ix_start = calloc(p->ix_nbounds + 1, sizeof(*p->ix_start));
	fill = calloc(p->ix_nbounds + 1, sizeof(*fill));
	if (!p->ix_start || !fill)
		goto nomem;
	walk(p, fill, NULL, NULL);
	for (size_t s = 0; s < p->ix_nbounds; s++) {
		p->ix_start[s] = (uint32_t)total;
		total += fill[s];
		if (total > INDEX_BUDGET(p->nrules)) {
			/* Too many nested ranges for an index to pay: eval scans instead. */
			free(fill);
			drop(p);
			return 0;
		}
	}
	p->ix_start[p->ix_nbounds] = (uint32_t)total;
	p->ix_rules = malloc((total + 1) * sizeof(*p->ix_rules));
	if (!p->ix_rules)
		goto nomem;
	memcpy(fill, p->ix_start, (p->ix_nbounds + 1) * sizeof(*fill));
	walk(p, NULL, fill, p->ix_rules);
	free(fill);
	return 0;
nomem:
	free(fill);
	drop(p);
	return -ENOMEM;
}

void policy_index_free(struct policy *p)
{
	drop(p);
}
