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
};

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
