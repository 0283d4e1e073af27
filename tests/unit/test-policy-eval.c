// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-eval: first match wins, default deny, several values (any) and several
 * selectors (all), groups through the primary and through a supplementary group, ranges and
 * the id edges 0 and 4294967294; and random policies, mostly of group rules, against a plain
 * model of the semantics for peers with up to hundreds of groups: indexed, through the wire,
 * with either part of the index not cut, and scanned; and a 10,000-rule mixed policy. For a
 * peer known in part (policy_eval_partial()), what could decide and what is needed, and small
 * random policies against every completion of the unknown gid and groups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/idsort.h"
#include "udsecho/policy.h"
#include "policy-helpers.h"
#include "src/policy-private.h"

static void verdict(const struct policy *p, struct peer_cred c, int allow, long rule)
{
	struct policy_verdict v = policy_eval(p, &c, 0);

	assert_int_equal(v.rule, rule);
	assert_int_equal(v.allow, allow);
}

static void first_match_wins(void **state)
{
	struct policy *p = test_compile_ok("deny user mallory\n"
					   "allow user 1000-1999\n"
					   "deny user alice\n"
					   "allow group wheel\n");

	verdict(p, test_cred(1666, 100, NULL, 0), 0, 0); /* mallory, denied first */
	verdict(p, test_cred(1000, 100, NULL, 0), 1, 1); /* alice, allowed before her deny */
	verdict(p, test_cred(1999, 100, NULL, 0), 1, 1);
	verdict(p, test_cred(2000, 100, NULL, 0), 0, -1); /* no rule: default deny */
	verdict(p, test_cred(999, 100, NULL, 0), 0, -1);
	verdict(p, test_cred(1666, 10, NULL, 0), 0, 0); /* mallory in wheel: still denied */
	policy_free(p);
}

static void groups_primary_and_supplementary(void **state)
{
	static const gid_t wheel[] = {100, 10, 7};
	static const gid_t near[] = {9, 11, 49, 61};
	static const gid_t inrange[] = {3, 55};
	struct policy *p = test_compile_ok("allow group wheel\n"
					   "deny group 50-60\n");

	verdict(p, test_cred(5000, 10, NULL, 0), 1, 0);	    /* primary */
	verdict(p, test_cred(5000, 100, wheel, 3), 1, 0);   /* supplementary */
	verdict(p, test_cred(5000, 100, near, 4), 0, -1);   /* neighbours only */
	verdict(p, test_cred(5000, 55, NULL, 0), 0, 1);	    /* range, primary */
	verdict(p, test_cred(5000, 100, inrange, 2), 0, 1); /* range, supplementary */
	verdict(p, test_cred(5000, 100, NULL, 0), 0, -1);
	policy_free(p);
}

static void many_groups(void **state)
{
	struct policy *p = test_compile_ok("allow group 77777\n");
	gid_t *g = malloc(5000 * sizeof(*g));
	struct peer_cred c = {.uid = 1, .gid = 1, .groups = g, .ngroups = 5000};

	for (size_t i = 0; i < 5000; i++)
		g[i] = (gid_t)(i * 2);
	assert_int_equal(policy_eval(p, &c, 0).rule, -1);
	g[4999] = 77777;
	assert_int_equal(policy_eval(p, &c, 0).rule, 0);
	policy_free(p);
	free(g);
}

static void values_any_selectors_all(void **state)
{
	static const gid_t staff[] = {50};
	struct policy *p = test_compile_ok("allow user alice bob 3000-3999\n"
					   "allow group staff user 1000-1999 2500\n"
					   "allow group wheel group users\n");

	verdict(p, test_cred(1000, 1, NULL, 0), 1, 0);
	verdict(p, test_cred(1001, 1, NULL, 0), 1, 0);
	verdict(p, test_cred(3500, 1, NULL, 0), 1, 0);
	verdict(p, test_cred(1500, 1, NULL, 0), 0, -1); /* right uid, not in staff */
	verdict(p, test_cred(1500, 1, staff, 1), 1, 1); /* both selectors match */
	verdict(p, test_cred(2500, 50, NULL, 0), 1, 1);
	verdict(p, test_cred(2400, 50, NULL, 0), 0, -1); /* in staff, wrong uid */
	{
		static const gid_t both[] = {10, 100}, one[] = {10};
		verdict(p, test_cred(9, 1, both, 2), 1, 2);
		verdict(p, test_cred(9, 100, one, 1), 1, 2); /* primary counts for the second */
		verdict(p, test_cred(9, 1, one, 1), 0, -1);
	}
	policy_free(p);
}

static void id_edges(void **state)
{
	struct policy *p = test_compile_ok("deny user 0\n"
					   "allow user 4294967294\n"
					   "allow group 0-1 4294967293-4294967294\n");

	verdict(p, test_cred(0, 0, NULL, 0), 0, 0);
	verdict(p, test_cred(4294967294u, 5, NULL, 0), 1, 1);
	verdict(p, test_cred(4294967293u, 5, NULL, 0), 0, -1);
	verdict(p, test_cred(7, 4294967294u, NULL, 0), 1, 2);
	verdict(p, test_cred(7, 1, NULL, 0), 1, 2);
	verdict(p, test_cred(7, 2, NULL, 0), 0, -1);
	/* (uid_t)-1 is never an id, so no rule short of `all` can match it. */
	verdict(p, test_cred(4294967295u, 4294967295u, NULL, 0), 0, -1);
	policy_free(p);
}

static void all_rules(void **state)
{
	struct policy *p = test_compile_ok("allow user root\ndeny all\n");

	verdict(p, test_cred(0, 0, NULL, 0), 1, 0);
	verdict(p, test_cred(1, 0, NULL, 0), 0, 1);
	verdict(p, test_cred(4294967295u, 0, NULL, 0), 0, 1);
	policy_free(p);
	p = test_compile_ok("deny user mallory\nallow all\n");
	verdict(p, test_cred(1666, 0, NULL, 0), 0, 0);
	verdict(p, test_cred(1, 0, NULL, 0), 1, 1);
	policy_free(p);
}

/* A model of one rule: at most 3 selectors of at most 3 ranges each; no selector is `all`. */
struct model_rule {
	int allow;
	int nsel;
	int kind[3];
	int nval[3];
	unsigned lo[3][3], hi[3][3];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static int model_has(const struct model_rule *r, int s, unsigned id)
{
	for (int v = 0; v < r->nval[s]; v++)
		if (id >= r->lo[s][v] && id <= r->hi[s][v])
			return 1;
	return 0;
}

/* First match wins; a user selector wants the uid, a group selector any of gid and groups. */
static long model_eval(const struct model_rule *rules, int n, unsigned uid, unsigned gid,
		       const gid_t *groups, size_t ngroups)
{
	for (int i = 0; i < n; i++) {
		int ok = 1;
		for (int s = 0; s < rules[i].nsel && ok; s++) {
			if (rules[i].kind[s] == POLICY_USER) {
				ok = model_has(&rules[i], s, uid);
			} else {
				ok = model_has(&rules[i], s, gid);
				for (size_t g = 0; g < ngroups && !ok; g++)
					ok = model_has(&rules[i], s, groups[g]);
			}
		}
		if (ok)
			return i;
	}
	return -1;
}

/* The text of @r, a rule of the model, at @s; returns the end. */
static char *model_text(char *s, const struct model_rule *r)
{
	s += sprintf(s, "%s", r->allow ? "allow" : "deny");
	if (r->nsel == 0)
		s += sprintf(s, " all");
	for (int k = 0; k < r->nsel; k++) {
		s += sprintf(s, " %s", r->kind[k] == POLICY_USER ? "user" : "group");
		for (int v = 0; v < r->nval[k]; v++)
			s += sprintf(s, " %u-%u", r->lo[k][v], r->hi[k][v]);
	}
	*s++ = '\n';
	*s = '\0';
	return s;
}

enum shape { USER_ONLY, GROUP_ONLY, MIXED, ALL };

/*
 * A rule of @shape with ids in [0, @span + @span / 5]; the ranges of a selector may overlap.
 * A MIXED rule has a user and a group selector, either first, and perhaps a third of any kind.
 */
static void model_random(struct model_rule *r, enum shape shape, unsigned span)
{
	int user_at = (int)rnd(2);

	r->allow = (int)rnd(2);
	r->nsel = shape == ALL ? 0 : shape == MIXED ? 2 + (int)rnd(2) : 1 + (int)rnd(3);
	for (int k = 0; k < r->nsel; k++) {
		if (shape == MIXED)
			r->kind[k] = k > 1	    ? (int)rnd(2)
				     : k == user_at ? POLICY_USER
						    : POLICY_GROUP;
		else
			r->kind[k] = shape == USER_ONLY ? POLICY_USER : POLICY_GROUP;
		r->nval[k] = 1 + (int)rnd(3);
		for (int v = 0; v < r->nval[k]; v++) {
			r->lo[k][v] = rnd(span);
			r->hi[k][v] = r->lo[k][v] + (rnd(3) ? 0 : rnd(span / 5 + 1));
		}
	}
}

/* An id for a peer: mostly within [0, @span), sometimes past every range, or an edge. */
static unsigned random_id(unsigned span)
{
	static const unsigned edges[] = {0, 4294967294u, 4294967295u};

	if (rnd(40) == 0)
		return edges[rnd(3)];
	return rnd(span + span / 4 + 2);
}

/* A peer with at most @max supplementary groups (sorted, unique) in @g; often none. */
static struct peer_cred random_peer(gid_t *g, size_t max, unsigned span)
{
	struct peer_cred c = {
		.pid = 1, .uid = random_id(span), .gid = random_id(span), .groups = g};
	size_t n;

	switch (rnd(4)) {
	case 0:
		n = 0;
		break;
	case 1:
		n = 1 + rnd(3);
		break;
	case 2:
		n = rnd(33);
		break;
	default:
		n = rnd((unsigned)max + 1);
		break;
	}
	n = n > max ? max : n;
	for (size_t i = 0; i < n; i++)
		g[i] = random_id(span);
	c.ngroups = idsort_unique(g, n);
	c.groups_known = 1;
	return c;
}

/* A copy of @p through the wire, so with the index rebuilt by policy_decode(). */
static struct policy *wire_copy(const struct policy *p)
{
	struct policy *q;
	void *buf;
	size_t len;

	assert_int_equal(policy_encode(p, &buf, &len), 0);
	assert_int_equal(policy_decode(buf, len, &q), 0);
	free(buf);
	return q;
}

/* Whether @ix narrows the rules of its part. */
static int is_cut(const struct policy_ix *ix)
{
	return ix->nbounds > 2 || (ix->nbounds == 2 && !ix->whole);
}

/* How often each way of evaluating was really exercised, over a test. */
struct coverage {
	unsigned both_cut, uid_whole, gid_whole, many_lists;
};

enum { VARIANTS = 5 };

/*
 * Compile @text (the @n rules of @rules) and check @peers peers against the model: as compiled
 * (indexed or not, as @indexed says), after a wire round trip, with the uid part and then the
 * gid part not cut, and with no index at all.
 */
static void check_against_model(const struct model_rule *rules, int n, const char *text,
				int indexed, unsigned span, size_t max_groups, int peers,
				struct coverage *cov)
{
	struct policy *v[VARIANTS];
	gid_t *g = malloc((max_groups + 1) * sizeof(*g));

	v[0] = test_compile_ok(text);
	assert_int_equal(v[0]->ix_all != NULL, indexed);
	v[1] = wire_copy(v[0]);
	assert_int_equal(v[1]->ix_all != NULL, indexed);
	v[2] = wire_copy(v[0]);
	assert_int_equal(policy_index_build_budget(v[2], 0, UINT64_MAX), 0);
	assert_true(!v[2]->ix_all || !is_cut(&v[2]->ix_uid));
	v[3] = wire_copy(v[0]);
	assert_int_equal(policy_index_build_budget(v[3], UINT64_MAX, 0), 0);
	assert_true(!v[3]->ix_all || !is_cut(&v[3]->ix_gid));
	v[4] = wire_copy(v[0]);
	policy_index_free(v[4]);
	if (cov) {
		cov->both_cut += is_cut(&v[0]->ix_uid) && is_cut(&v[0]->ix_gid);
		cov->uid_whole += v[2]->ix_all && v[2]->ix_uid.whole;
		cov->gid_whole += v[3]->ix_all && v[3]->ix_gid.whole;
	}
	for (int t = 0; t < peers; t++) {
		struct peer_cred c = random_peer(g, max_groups, span);
		long want = model_eval(rules, n, c.uid, c.gid, c.groups, c.ngroups);

		for (int k = 0; k < VARIANTS; k++) {
			struct policy_verdict got = policy_eval(v[k], &c, 0);
			if (got.rule != want)
				fail_msg(
					"variant %d: rule %ld, want %ld (uid %u gid %u, %zu groups)",
					k, got.rule, want, (unsigned)c.uid, (unsigned)c.gid,
					c.ngroups);
			assert_int_equal(got.allow, want >= 0 && rules[want].allow);
		}
		if (cov && c.ngroups > 40)
			cov->many_lists++;
	}
	for (int k = 0; k < VARIANTS; k++)
		policy_free(v[k]);
	free(g);
}

static enum shape random_shape(void)
{
	unsigned r = rnd(100);

	/* Mostly group-only and user + group rules, some user-only, a rare `all`. */
	return r < 2 ? ALL : r < 27 ? USER_ONLY : r < 67 ? GROUP_ONLY : MIXED;
}

static void random_policies_match_the_model(void **state)
{
	enum { RULES = 40 };
	struct model_rule rules[RULES];
	char *text = malloc(RULES * 200);
	struct coverage cov = {0};

	for (int round = 0; round < 600; round++) {
		/* Small id spaces make rules overlap; wide ones give peers many distinct pieces. */
		unsigned span = round % 3 == 2 ? 400 : 64;
		int n = 1 + (int)rnd(RULES);
		char *s = text;

		for (int i = 0; i < n; i++) {
			model_random(&rules[i], random_shape(), span);
			s = model_text(s, &rules[i]);
		}
		check_against_model(rules, n, text, 1, span, 300, 200, &cov);
	}
	/* Each way of evaluating was really taken, and often. */
	assert_true(cov.both_cut > 300);
	assert_true(cov.uid_whole > 100);
	assert_true(cov.gid_whole > 100);
	assert_true(cov.many_lists > 1000);
	free(text);
}

/* Only group-only rules, whose ranges nest: the gid part is not cut, the uid part is. */
static void nested_group_ranges_fall_back_for_the_gid_part(void **state)
{
	enum { RULES = 1000 };
	static struct model_rule rules[RULES];
	char *text = malloc(RULES * 40), *s = text;
	struct policy *p;

	for (int i = 0; i < RULES; i++) {
		rules[i] = (struct model_rule){.allow = i % 2, .nsel = 1, .nval = {1}};
		rules[i].kind[0] = i % 10 ? POLICY_GROUP : POLICY_USER;
		rules[i].lo[0][0] = (unsigned)i % 50;
		rules[i].hi[0][0] = i % 10 ? 69 + (unsigned)(RULES - i) : (unsigned)i % 50;
		s = model_text(s, &rules[i]);
	}
	p = test_compile_ok(text);
	assert_non_null(p->ix_all);
	assert_true(p->ix_gid.whole);
	assert_true(is_cut(&p->ix_uid));
	policy_free(p);
	check_against_model(rules, RULES, text, 1, 1100, 40, 300, NULL);
	free(text);
}

static void nested_ranges_fall_back_to_a_scan(void **state)
{
	enum { RULES = 1000 };
	static struct model_rule rules[RULES];
	char *text = malloc(RULES * 40), *s = text;

	/* Every rule covers most of the others' uids: an index would hold RULES^2 / 2 entries. */
	for (int i = 0; i < RULES; i++) {
		rules[i] = (struct model_rule){
			.allow = i % 2, .nsel = 1, .kind = {POLICY_USER}, .nval = {1}};
		rules[i].lo[0][0] = (unsigned)i % 50;
		rules[i].hi[0][0] = 69 + (unsigned)(RULES - i);
		s += sprintf(s, "%s user %u-%u\n", i % 2 ? "allow" : "deny", rules[i].lo[0][0],
			     rules[i].hi[0][0]);
	}
	check_against_model(rules, RULES, text, 0, 64, 3, 300, NULL);
	free(text);
}

/*
 * 10,000 rules as a large site writes them: `deny user N`, `allow group N`, `allow user A-B`,
 * `deny user N group M`, in turn. Both parts are cut; peers with many groups, and peers made to
 * match a chosen rule, decide as the model says.
 */
static void ten_thousand_mixed_rules(void **state)
{
	enum { RULES = 10000, SPAN = 60000, GROUPS = 64 };
	static struct model_rule rules[RULES];
	char *text = malloc(RULES * 48), *s = text;
	struct policy *p, *q;
	gid_t g[GROUPS + 1];

	for (int i = 0; i < RULES; i++) {
		struct model_rule *r = &rules[i];
		unsigned a = rnd(SPAN);

		*r = (struct model_rule){
			.allow = i % 4 == 1 || i % 4 == 2, .nsel = 1, .nval = {1, 1}};
		r->lo[0][0] = r->hi[0][0] = a;
		r->kind[0] = i % 4 == 1 ? POLICY_GROUP : POLICY_USER;
		if (i % 4 == 2)
			r->hi[0][0] = a + rnd(50);
		if (i % 4 == 3) {
			r->nsel = 2;
			r->kind[1] = POLICY_GROUP;
			r->lo[1][0] = r->hi[1][0] = rnd(SPAN);
		}
		s = model_text(s, r);
	}
	p = test_compile_ok(text);
	q = wire_copy(p);
	assert_true(is_cut(&p->ix_uid) && is_cut(&p->ix_gid));
	assert_true(is_cut(&q->ix_uid) && is_cut(&q->ix_gid));
	for (int t = 0; t < 1000; t++) {
		struct peer_cred c = random_peer(g, GROUPS, SPAN);
		long want;

		if (t % 2) {
			/* Aim at a rule: its uid, and its group among the peer's. */
			const struct model_rule *r = &rules[rnd(RULES)];
			for (int k = 0; k < r->nsel; k++) {
				if (r->kind[k] == POLICY_USER)
					c.uid = r->lo[k][0];
				else if (rnd(2))
					c.gid = r->lo[k][0];
				else if (c.ngroups < GROUPS)
					c.groups[c.ngroups++] = r->lo[k][0];
			}
			c.ngroups = idsort_unique(c.groups, c.ngroups);
		}
		want = model_eval(rules, RULES, c.uid, c.gid, c.groups, c.ngroups);
		assert_int_equal(policy_eval(p, &c, 0).rule, want);
		assert_int_equal(policy_eval(q, &c, 0).rule, want);
		assert_int_equal(policy_eval(q, &c, 0).allow, want >= 0 && rules[want].allow);
	}
	policy_free(q);
	policy_free(p);
	free(text);
}

static void partial(const struct policy *p, struct peer_cred c, unsigned unknown, int allow,
		    long rule, long needs)
{
	long got_needs = -2;
	struct policy_verdict v = policy_eval_partial(p, &c, 0, unknown, &got_needs);

	assert_int_equal(v.rule, rule);
	assert_int_equal(v.allow, allow);
	assert_int_equal(got_needs, needs);
}

enum { GID = POLICY_UNKNOWN_GID, GROUPS = POLICY_UNKNOWN_GROUPS };

/* A user rule decides without the gid; a group rule before it needs the gid, or the groups. */
static void partial_needs_only_what_could_decide(void **state)
{
	static const gid_t wheel[] = {10}, other[] = {7};
	struct policy *p = test_compile_ok("allow user root\n"
					   "allow user 1000 group wheel\n"
					   "deny user 4243\n"
					   "allow group wheel\n"
					   "deny user 4000-4999\n");

	partial(p, test_cred(0, 0, NULL, 0), GID | GROUPS, 1, 0, -1);
	/* Rule 1 wants uid 1000: its group selector never matters for 4243. */
	partial(p, test_cred(4243, 0, NULL, 0), GID | GROUPS, 0, 2, -1);
	/* 4242: `allow group wheel` comes before the deny and could match. */
	partial(p, test_cred(4242, 0, NULL, 0), GID | GROUPS, 0, 4, 3);
	partial(p, test_cred(4242, 0, other, 1), GID, 0, 4, 3);
	partial(p, test_cred(4242, 7, NULL, 0), GROUPS, 0, 4, 3);
	/* Known groups that meet it decide at once, whatever the gid. */
	partial(p, test_cred(4242, 0, wheel, 1), GID, 1, 3, -1);
	partial(p, test_cred(4242, 10, NULL, 0), GROUPS, 1, 3, -1);
	/* 5000: nothing but rule 3 could match; default deny unless it does. */
	partial(p, test_cred(5000, 0, NULL, 0), GID | GROUPS, 0, -1, 3);
	/* Nothing unknown: policy_eval() itself. */
	partial(p, test_cred(4242, 7, NULL, 0), 0, 0, 4, -1);
	policy_free(p);
}

/* An unknown gid is one id: it meets two group selectors only where they share an id. */
static void partial_one_gid_for_every_open_selector(void **state)
{
	static const gid_t ten[] = {10};
	struct policy *p = test_compile_ok("allow group 10 group 20\n"
					   "allow group 30-40 group 35-50 group 38-60 70\n"
					   "deny all\n");

	partial(p, test_cred(1, 0, NULL, 0), GID, 0, 2, 1);
	partial(p, test_cred(1, 0, NULL, 0), GID | GROUPS, 0, 2, 0);
	/* The known group meets the first selector; the gid could meet the second. */
	partial(p, test_cred(1, 0, ten, 1), GID, 0, 2, 0);
	policy_free(p);
	p = test_compile_ok("allow group 30-37 group 38-60\n"
			    "allow group 5 group 4 6\n"
			    "deny all\n");
	partial(p, test_cred(1, 0, NULL, 0), GID, 0, 2, -1);
	/* Groups are many ids: they can meet what one gid cannot. */
	partial(p, test_cred(1, 0, NULL, 0), GROUPS, 0, 2, 0);
	policy_free(p);
}

/* A selector that holds every id is met by any gid: no need to know which. */
static void partial_every_id(void **state)
{
	struct policy *p = test_compile_ok("allow group 0-4294967294 user 4242\n"
					   "allow group 0-10 11-4294967294\n");

	partial(p, test_cred(4242, 0, NULL, 0), GID | GROUPS, 1, 0, -1);
	partial(p, test_cred(1, 0, NULL, 0), GID, 1, 1, -1);
	/* Known gid, unknown groups: the gid already meets it. */
	partial(p, test_cred(1, 3, NULL, 0), GROUPS, 1, 1, -1);
	policy_free(p);
}

enum { SMALL_IDS = 11 }; /* the ids a small model uses, 0..9, and one past them */

/* Every rule the completions of a partial peer decide by, as a bit set (bit n: default deny). */
static uint64_t completions(const struct model_rule *rules, int n, const struct peer_cred *c,
			    unsigned unknown)
{
	uint64_t seen = 0;
	gid_t g[SMALL_IDS];

	for (unsigned gid = 0; gid < SMALL_IDS; gid++) {
		if (!(unknown & GID) && gid != c->gid)
			continue;
		for (unsigned set = 0; set < (1u << SMALL_IDS); set++) {
			size_t ng = 0;
			long r;

			if (!(unknown & GROUPS) && set != 0)
				break;
			for (unsigned b = 0; b < SMALL_IDS; b++)
				if (set & (1u << b))
					g[ng++] = b;
			r = !(unknown & GROUPS)
				    ? model_eval(rules, n, c->uid, gid, c->groups, c->ngroups)
				    : model_eval(rules, n, c->uid, gid, g, ng);
			seen |= 1ull << (r < 0 ? n : r);
		}
	}
	return seen;
}

/*
 * Random small policies and peers with an unknown gid, unknown groups or both, against every
 * completion: the verdict is the last rule any completion decides by (it matches them all), and
 * needs is the first, when there is more than one; exact, as policy.h says.
 */
static void partial_matches_every_completion(void **state)
{
	enum { RULES = 10 };
	static const unsigned masks[] = {GID, GROUPS, GID | GROUPS};
	struct model_rule rules[RULES];
	char text[RULES * 200];
	gid_t g[4];

	for (int round = 0; round < 300; round++) {
		int n = 1 + (int)rnd(RULES);
		struct policy *p;
		char *s = text;

		for (int i = 0; i < n; i++) {
			model_random(&rules[i], random_shape(), 8);
			s = model_text(s, &rules[i]);
		}
		p = test_compile_ok(text);
		for (int t = 0; t < 6; t++) {
			struct peer_cred c = {
				.uid = rnd(SMALL_IDS), .gid = rnd(SMALL_IDS), .groups = g};
			unsigned unknown = masks[rnd(3)];
			uint64_t seen;
			long needs, first, last;
			struct policy_verdict v;

			for (size_t k = rnd(3); k-- > 0;)
				g[c.ngroups++] = rnd(SMALL_IDS);
			c.ngroups = idsort_unique(g, c.ngroups);
			seen = completions(rules, n, &c, unknown);
			first = __builtin_ctzll(seen);
			last = 63 - __builtin_clzll(seen);
			v = policy_eval_partial(p, &c, 0, unknown, &needs);
			assert_int_equal(v.rule < 0 ? n : v.rule, last);
			assert_int_equal(v.allow, v.rule >= 0 && rules[v.rule].allow);
			assert_int_equal(needs, first == last ? -1 : first);
		}
		policy_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_match_wins),
		cmocka_unit_test(groups_primary_and_supplementary),
		cmocka_unit_test(many_groups),
		cmocka_unit_test(values_any_selectors_all),
		cmocka_unit_test(id_edges),
		cmocka_unit_test(all_rules),
		cmocka_unit_test(random_policies_match_the_model),
		cmocka_unit_test(nested_group_ranges_fall_back_for_the_gid_part),
		cmocka_unit_test(nested_ranges_fall_back_to_a_scan),
		cmocka_unit_test(ten_thousand_mixed_rules),
		cmocka_unit_test(partial_needs_only_what_could_decide),
		cmocka_unit_test(partial_one_gid_for_every_open_selector),
		cmocka_unit_test(partial_every_id),
		cmocka_unit_test(partial_matches_every_completion),
	};
	return cmocka_run_group_tests_name("policy-eval", tests, NULL, NULL);
}
