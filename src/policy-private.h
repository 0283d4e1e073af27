/* SPDX-License-Identifier: MIT */
/*
 * policy-private: the data shared by the policy-*.c files and nobody else.
 *
 * The compiled policy is three flat arrays (rules -> selectors -> ranges) so that the evaluator
 * walks memory without pointers to chase, and the wire codec can check every index against the
 * array it points into. Ranges of one selector are sorted, disjoint and not adjacent.
 */
#pragma once

#include <stdint.h>

#include "udsecho/policy.h"

#define POLICY_ID_MAX 4294967294u /* (uid_t)-1 is never an id */

struct policy_range {
	uint32_t lo, hi;
};

struct policy_sel {
	uint32_t kind;	/* enum policy_kind */
	uint32_t first; /* index into ranges */
	uint32_t count;
};

struct policy_rule {
	uint32_t allow;
	uint32_t file; /* index into files */
	uint32_t line;
	uint32_t first; /* index into sels; count 0 means `all` */
	uint32_t count;
};

struct policy {
	struct policy_rule *rules;
	size_t nrules;
	struct policy_sel *sels;
	size_t nsels;
	struct policy_range *ranges;
	size_t nranges;
	char **files;
	size_t nfiles;
	char **texts; /* one per rule, or NULL after policy_decode() */

	/* The uid index (policy-index.c); ix_start is NULL when there is none. */
	uint32_t *ix_bounds; /* sorted, unique: piece s is [ix_bounds[s], ix_bounds[s + 1]) */
	size_t ix_nbounds;
	uint32_t *ix_start; /* piece s lists ix_rules[ix_start[s] .. ix_start[s + 1]) */
	uint32_t *ix_rules;
	uint32_t *ix_unkeyed; /* rules without a user selector, in order */
	size_t ix_nunkeyed;
};

/*
 * policy_index_build - (re)build the uid index of @p; too large an index is simply not built.
 * Returns 0 or -ENOMEM (and @p then has no index). policy_index_free() drops it.
 */
int policy_index_build(struct policy *p);
void policy_index_free(struct policy *p);

/* policy_index_piece - the piece of the uid line holding @id; ix_nbounds when before all. */
size_t policy_index_piece(const struct policy *p, uint32_t id);

struct policy_ast_value {
	char *name; /* NULL for a number or a range */
	uint32_t lo, hi;
	unsigned col;
};

struct policy_ast_sel {
	enum policy_kind kind;
	unsigned col;
	struct policy_ast_value *values;
	size_t nvalues;
};

struct policy_ast_rule {
	int allow;
	size_t file; /* index into files */
	unsigned line;
	unsigned col; /* of the rule's first word */
	char *text;
	struct policy_ast_sel *sels; /* none: `all` */
	size_t nsels;
};

struct policy_ast {
	char **files;
	size_t nfiles;
	struct policy_ast_rule *rules;
	size_t nrules;
	size_t cap;
};
