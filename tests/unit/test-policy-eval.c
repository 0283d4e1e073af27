// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-eval: first match wins, default deny, several values (any) and several
 * selectors (all), groups through the primary and through a supplementary group, ranges and
 * the id edges 0 and 4294967294; and random policies against a plain model of the semantics,
 * with and without the uid index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/policy.h"
#include "policy-helpers.h"
#include "src/policy-private.h"

static struct policy *compile(const char *text)
{
	struct diag_list d;
	struct policy *p;

	diag_list_init(&d);
	assert_int_equal(test_compile(text, NULL, &d, &p), 0);
	diag_list_free(&d);
	return p;
}

static void verdict(const struct policy *p, struct peer_cred c, int allow, long rule)
{
	struct policy_verdict v = policy_eval(p, &c);

	assert_int_equal(v.rule, rule);
	assert_int_equal(v.allow, allow);
}

static void first_match_wins(void **state)
{
	struct policy *p = compile("deny user mallory\n"
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
	struct policy *p = compile("allow group wheel\n"
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
	struct policy *p = compile("allow group 77777\n");
	gid_t *g = malloc(5000 * sizeof(*g));
	struct peer_cred c = {.uid = 1, .gid = 1, .groups = g, .ngroups = 5000};

	for (size_t i = 0; i < 5000; i++)
		g[i] = (gid_t)(i * 2);
	assert_int_equal(policy_eval(p, &c).rule, -1);
	g[4999] = 77777;
	assert_int_equal(policy_eval(p, &c).rule, 0);
	policy_free(p);
	free(g);
}

static void values_any_selectors_all(void **state)
{
	static const gid_t staff[] = {50};
	struct policy *p = compile("allow user alice bob 3000-3999\n"
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
	struct policy *p = compile("deny user 0\n"
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
	struct policy *p = compile("allow user root\ndeny all\n");

	verdict(p, test_cred(0, 0, NULL, 0), 1, 0);
	verdict(p, test_cred(1, 0, NULL, 0), 0, 1);
	verdict(p, test_cred(4294967295u, 0, NULL, 0), 0, 1);
	policy_free(p);
	p = compile("deny user mallory\nallow all\n");
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

static void check_against_model(const struct model_rule *rules, int n, const char *text,
				int indexed)
{
	struct policy *p = compile(text);

	assert_int_equal(p->ix_all != NULL, indexed);
	for (int t = 0; t < 300; t++) {
		gid_t groups[3];
		size_t ng = rnd(4);
		unsigned uid = rnd(70), gid = rnd(70);
		struct policy_verdict v;
		struct peer_cred c;
		long want;

		for (size_t g = 0; g < ng; g++)
			groups[g] = rnd(70);
		want = model_eval(rules, n, uid, gid, groups, ng);
		c = test_cred(uid, gid, groups, ng);
		v = policy_eval(p, &c);
		assert_int_equal(v.rule, want);
		assert_int_equal(v.allow, want >= 0 && rules[want].allow);
	}
	policy_free(p);
}

static void random_policies_match_the_model(void **state)
{
	enum { RULES = 40 };
	struct model_rule rules[RULES];
	char *text = malloc(RULES * 200);

	for (int round = 0; round < 300; round++) {
		int n = 1 + (int)rnd(RULES);
		char *s = text;

		for (int i = 0; i < n; i++) {
			struct model_rule *r = &rules[i];
			r->allow = (int)rnd(2);
			r->nsel = 1 + (int)rnd(3);
			s += sprintf(s, "%s", r->allow ? "allow" : "deny");
			for (int k = 0; k < r->nsel; k++) {
				r->kind[k] = (int)rnd(2);
				r->nval[k] = 1 + (int)rnd(3);
				s += sprintf(s, " %s",
					     r->kind[k] == POLICY_USER ? "user" : "group");
				for (int v = 0; v < r->nval[k]; v++) {
					r->lo[k][v] = rnd(64);
					r->hi[k][v] = r->lo[k][v] + (rnd(3) ? 0 : rnd(12));
					s += sprintf(s, " %u-%u", r->lo[k][v], r->hi[k][v]);
				}
			}
			*s++ = '\n';
		}
		*s = '\0';
		check_against_model(rules, n, text, 1);
	}
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
	check_against_model(rules, RULES, text, 0);
	free(text);
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
		cmocka_unit_test(nested_ranges_fall_back_to_a_scan),
	};
	return cmocka_run_group_tests_name("policy-eval", tests, NULL, NULL);
}
