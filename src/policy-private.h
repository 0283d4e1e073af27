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
#include <string.h>

#include "udsecho/policy.h"

#define POLICY_ID_MAX 4294967294u /* (uid_t)-1 is never an id */

struct policy_range {
	uint32_t lo, hi;
};

/* policy_ranges_normalise - sort and merge overlapping or adjacent ranges in place: the count. */
size_t policy_ranges_normalise(struct policy_range *v, size_t n);

struct policy_sel {
	uint32_t kind;	/* enum policy_kind */
	uint32_t first; /* index into ranges */
	uint32_t count;
};

#define POLICY_NO_ATTRS UINT32_MAX

/* Whether @a gives a time window (from= or until=): the rule matches only at some times. */
static inline int policy_attrs_windowed(const struct policy_attrs *a)
{
	return a->from != POLICY_TIME_MIN || a->until != POLICY_TIME_MAX;
}

/* Whether @c may be in a rule's name=: letters, digits, '-', '_' and '.'. */
static inline int policy_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

struct policy_rule {
	uint32_t allow;
	uint32_t file; /* index into files */
	uint32_t line;
	uint32_t first; /* index into sels; count 0 means `all` */
	uint32_t count;
	uint32_t attrs; /* index into attrs, or POLICY_NO_ATTRS; rules with attrs are in order */
};

/*
 * One part of the index: the id line cut at every bound of the rules' key selectors; piece s is
 * [bounds[s], bounds[s + 1]) and lists rules[start[s] .. start[s + 1]), in rule order, the rules
 * whose key selector covers it. Ids below bounds[0] or from bounds[nbounds - 1] are in no piece.
 */
struct policy_ix {
	uint32_t *bounds; /* sorted, unique */
	size_t nbounds;
	uint32_t *start; /* nbounds entries or more: the ends of the pieces' lists */
	uint32_t *rules;
	int whole; /* too large to cut: a single piece [0, 4294967295) lists every keyed rule */
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
	char **texts;		    /* one per rule, or NULL after policy_decode() */
	char *text;		    /* where they all are, one after the other */
	size_t textlen;		    /* bytes of it in use */
	struct policy_attrs *attrs; /* of the rules that have any, in rule order */
	size_t nattrs;
	char **strs; /* the names and messages attrs point to, owned here */
	size_t nstrs;
	int windows; /* some rule has from= or until= */

	/*
	 * The index (policy-index.c): none when ix_all is NULL, and eval then scans. Rules with a
	 * user selector are keyed on the uid line, rules with a group selector and no user selector
	 * on the gid line, and the rest (`all`) are listed in ix_all.
	 */
	struct policy_ix ix_uid, ix_gid;
	uint32_t *ix_all; /* rules without any selector, in order */
	size_t ix_nall;
};

/*
 * policy_attrs_add - give @rule, the last of @p, a copy of @a (its strings into p->strs, which has
 * room for them, as p->attrs has for one more). Returns 0 or -ENOMEM.
 */
int policy_attrs_add(struct policy *p, struct policy_rule *rule, const struct policy_attrs *a);

/*
 * policy_index_build - (re)build the index of @p. A part (uid or gid) whose index would be too
 * large gets a single piece listing all its rules; when no part is narrowed at all, no index is
 * built. Returns 0 or -ENOMEM (and @p then has no index). policy_index_free() drops it.
 */
int policy_index_build(struct policy *p);
void policy_index_free(struct policy *p);

/*
 * policy_index_build_budget - policy_index_build() with the most entries the uid and the gid
 * part may list before they are not cut (policy_index_build() allows a few per rule); for
 * tests of the fallback. Returns as policy_index_build().
 */
int policy_index_build_budget(struct policy *p, uint64_t uid_budget, uint64_t gid_budget);

/*
 * The index built in steps, between other work (the worker's loop): policy_index_begin(), then
 * policy_index_step() until it returns 0; each call does at most about *@budget units of work
 * (a rule, a sort step, a few ranges each) and takes them from it. Returns 1 while the index is
 * not built, 0 once it is, -ENOMEM (then @p has no index). policy_index_abandon() releases a
 * build that will not be finished. policy_index_build() is these steps without a bound.
 */
#include "udsecho/idsort.h"

/*
 * The bounds of range @r of @p, its lo and its hi + 1, for idsort_step(), into @out: tagged 2r
 * and 2r + 1, or for a range of one id, one pair tagged 2r | IDSORT_AND_NEXT. idsort_rank() then
 * gives, at rank[2r] and rank[2r + 1], the pieces the range runs from and stops before. Returns
 * how many pairs it wrote. hi + 1 fits: no range reaches 4294967295; and the tags stay below
 * IDSORT_AND_NEXT, as no policy has 2^30 ranges (a frame is at most 4 GiB, 8 bytes a range;
 * a load's at most POLICY_RULES_MAX rules of at most POLICY_LINE_MAX bytes hold fewer).
 */
static inline size_t policy_range_bounds(const struct policy *p, uint32_t r, uint64_t *out)
{
	const struct policy_range *rg = &p->ranges[r];

	if (rg->lo == rg->hi) {
		out[0] = idsort_pair(rg->lo, 2 * r | IDSORT_AND_NEXT);
		return 1;
	}
	out[0] = idsort_pair(rg->lo, 2 * r);
	out[1] = idsort_pair(rg->hi + 1, 2 * r + 1);
	return 2;
}

/* Call @yield, if any: between two steps of a load that are not a loop's. */
static inline void policy_yield(void (*yield)(void))
{
	if (yield)
		yield();
}

/* Call @yield, if any, at the last of every POLICY_YIELD_EVERY steps of a loop, @i from 0. */
static inline void policy_yield_at(void (*yield)(void), size_t i)
{
	if (i % POLICY_YIELD_EVERY == POLICY_YIELD_EVERY - 1)
		policy_yield(yield);
}

/* The entries a part may list before it is not cut: a few per rule. */
#define POLICY_INDEX_BUDGET(nrules) (4 * (uint64_t)(nrules) + 1024)

struct policy_ix_builder {
	int part;	 /* 0 the uid part, 1 the gid part, 2 done */
	int phase;	 /* of the part: see policy-index.c */
	size_t i;	 /* the rule the phase is at */
	size_t nb;	 /* pairs gathered */
	size_t nr;	 /* ranges gathered: they make at most two bounds each */
	uint64_t *pairs; /* their bounds, as policy_range_bounds() writes them */
	uint64_t *tmp;	 /* the sort's scratch */
	struct idsort_state sort;
	uint32_t *key;	/* per rule: its key selector, found by the uid part, used by both */
	uint32_t *rank; /* per tag: the place of its bound among the sorted bounds */
	uint32_t *fill;
	uint64_t total, visits;
	uint64_t limit, gid_limit; /* the entries a part may list before it is not cut */
};

void policy_index_begin(struct policy *p, struct policy_ix_builder *b, uint64_t uid_budget,
			uint64_t gid_budget);
int policy_index_step(struct policy *p, struct policy_ix_builder *b, size_t *budget);
void policy_index_abandon(struct policy *p, struct policy_ix_builder *b);

/*
 * policy_index_list - the rules of @ix's piece holding @id, in rule order: *n entries from the
 * returned pointer. NULL, with *n 0, when no piece holds @id or its piece lists no rule; two
 * non-NULL answers are the same address exactly when they are the same piece.
 */
const uint32_t *policy_index_list(const struct policy_ix *ix, uint32_t id, size_t *n);

/*
 * The lexer of policy-parse.c, which the cases file (policy-cases.c) shares: one line at a time,
 * each refused if longer than POLICY_LINE_MAX or holding a byte that would make a terminal show
 * it otherwise than it is read, then split on blanks into tokens; '#' starts a comment.
 */
#define POLICY_TOKENS_MAX (POLICY_LINE_MAX / 2 + 1) /* tokens one line can hold */

/* One word of a line: it points into the text, with no terminating NUL; col is 1-based. */
struct policy_token {
	const char *s;
	size_t len;
	unsigned col;
	unsigned eq; /* it holds an '=' (in a rule, the word is an attribute) */
};

/* policy_token_is - whether @t is @word (inline: with a literal, the length is a constant). */
static inline int policy_token_is(const struct policy_token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

#define POLICY_SHOW_MAX 40 /* bytes of a token quoted in a message; @buf needs 8 more */

/* policy_token_show - @t for a message, in @buf: quoted, cut at POLICY_SHOW_MAX bytes. */
const char *policy_token_show(const struct policy_token *t, char *buf, size_t size);

struct policy_lexer {
	const char *text;
	size_t len;
	size_t pos;    /* where the next line starts */
	unsigned line; /* of the line last read, 1-based */
};

struct policy_lex_error {
	unsigned col;
	char message[160];
};

/* Positive outcomes of policy_lex_line(). */
enum {
	POLICY_LEX_END = 1, /* no line is left */
	POLICY_LEX_BAD,	    /* the line is refused: the error says where and why */
};

/*
 * policy_lex_line - the next line of @lx, split into *@n tokens at @tok (room for
 * POLICY_TOKENS_MAX); a blank or comment line has none. Returns 0, POLICY_LEX_END, or
 * POLICY_LEX_BAD with @err set. Pure.
 */
int policy_lex_line(struct policy_lexer *lx, struct policy_token *tok, size_t *n,
		    struct policy_lex_error *err);

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

/* The attributes a rule gives, and where its name= is (for a duplicate). */
struct policy_ast_attrs {
	struct policy_attrs attrs;
	unsigned name_col;
};

/* Kept small: a policy of 100,000 rules is read, checked and compiled from this array. */
struct policy_ast_rule {
	char *text;			/* this and what follows are in the AST's blocks */
	struct policy_ast_sel *sels;	/* none: `all` */
	struct policy_ast_attrs *attrs; /* NULL: none is given */
	uint32_t file;			/* index into files */
	uint32_t textlen;		/* strlen(text) */
	unsigned line;
	unsigned col; /* of the rule's first word */
	uint32_t nsels;
	int allow;
};

struct policy_ast_block; /* policy-parse.c */

struct policy_ast {
	char **files;
	size_t nfiles;
	struct policy_ast_rule *rules;
	size_t nrules;
	size_t cap;
	/* What the rules hold in all, counted as they are added: what their compiling needs. */
	size_t nsels, nvalues, nattrs;
	size_t ntext;			 /* their texts, each with its NUL */
	struct policy_ast_block *blocks; /* what the rules point to, freed with the AST */
};
