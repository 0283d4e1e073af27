// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-eval: first match wins, default deny, several values (any) and several
 * selectors (all), groups through the primary and through a supplementary group, ranges and
 * the id edges 0 and 4294967294.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "udsecho/policy.h"
#include "policy-helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_match_wins),
		cmocka_unit_test(groups_primary_and_supplementary),
		cmocka_unit_test(many_groups),
		cmocka_unit_test(values_any_selectors_all),
		cmocka_unit_test(id_edges),
		cmocka_unit_test(all_rules),
	};
	return cmocka_run_group_tests_name("policy-eval", tests, NULL, NULL);
}
