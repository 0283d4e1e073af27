// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-cases: what a case line holds, every error at its line and column (the
 * expectation, WHO and each of its values, rule= in each of its forms, at=, the lexer's own
 * refusals, giving up), and running cases against a policy: the decision, rule= by FILE:LINE
 * whole or by its last component and by `default`, a rule= that names no rule, and a peer known
 * in part, decided or asked for its gid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/policy.h"
#include "udsecho/policy-cases.h"
#include "policy-helpers.h"
#include "src/policy-private.h"

static int parse(const char *text, struct diag_list *d, struct policy_cases *cs)
{
	return policy_cases_parse("t.cases", text, strlen(text), &test_who_lookup, d, cs);
}

/* @text must be refused with exactly the diagnostics @expected. */
static void refused(const char *text, const char *const *expected)
{
	struct policy_cases cs;
	struct diag_list d;

	diag_list_init(&d);
	assert_int_equal(parse(text, &d, &cs), POLICY_E_INVALID);
	assert_int_equal(cs.n, 0);
	assert_diags(&d, expected);
	diag_list_free(&d);
}

static void lines_to_cases(void **state)
{
	static const char text[] = "# expect who rule\n"
				   "\n"
				   "allow alice\n"
				   "deny\tuid=4242 gid=4242   # a comment\n"
				   "allow rule=site:3 uid=5000 groups=27,wheel\n"
				   "deny nobody rule=default\n"
				   "allow uid=1 rule=/etc/udsecho/policy:12\n";
	struct policy_cases cs;
	struct diag_list d;

	diag_list_init(&d);
	assert_int_equal(parse(text, &d, &cs), 0);
	assert_int_equal(d.count, 0);
	assert_int_equal(cs.n, 5);
	assert_string_equal(cs.file, "t.cases");
	assert_int_equal(cs.v[0].line, 3);
	assert_int_equal(cs.v[0].allow, 1);
	assert_int_equal(cs.v[0].who.cred.uid, 1000);
	assert_int_equal(cs.v[0].who.cred.ngroups, 2);
	assert_int_equal(cs.v[0].rule, POLICY_CASE_ANY);
	assert_null(cs.v[0].rule_text);
	assert_int_equal(cs.v[1].allow, 0);
	assert_int_equal(cs.v[1].who.cred.gid, 4242);
	assert_int_equal(cs.v[1].who_col, 6);
	/* WHO's words may sit on either side of rule=. */
	assert_int_equal(cs.v[2].who.cred.uid, 5000);
	assert_int_equal(cs.v[2].who.unknown, POLICY_UNKNOWN_GID);
	assert_int_equal(cs.v[2].who.cred.ngroups, 2);
	assert_int_equal(cs.v[2].who_col, 19);
	assert_int_equal(cs.v[2].rule, POLICY_CASE_ORIGIN);
	assert_string_equal(cs.v[2].rule_file, "site");
	assert_int_equal(cs.v[2].rule_line, 3);
	assert_int_equal(cs.v[2].rule_col, 12);
	assert_string_equal(cs.v[2].rule_text, "site:3");
	assert_int_equal(cs.v[3].rule, POLICY_CASE_DEFAULT);
	assert_string_equal(cs.v[4].rule_file, "/etc/udsecho/policy");
	assert_int_equal(cs.v[4].rule_line, 12);
	policy_cases_free(&cs);
	diag_list_free(&d);
}

static void bad_expectations_and_who(void **state)
{
	refused("permit alice\n",
		(const char *const[]){
			"t.cases:1:1: error: expected 'allow' or 'deny', found 'permit'", NULL});
	refused("allow alice\nallow\n  deny rule=default\n",
		(const char *const[]){
			"t.cases:2:7: error: expected WHO after 'allow': a user name or uid=ID",
			"t.cases:3:8: error: expected WHO after 'deny': a user name or uid=ID",
			NULL});
	refused("allow nosuch\n"
		"deny uid=1 gid=nosuch\n"
		"deny uid=1 groups=0,wheel,nosuch\n"
		"deny alice bob\n"
		"deny uid=1 pid=2\n"
		"deny gid=1\n",
		(const char *const[]){
			"t.cases:1:7: error: unknown user 'nosuch'",
			"t.cases:2:16: error: unknown group 'nosuch'",
			"t.cases:3:27: error: unknown group 'nosuch'",
			"t.cases:4:12: error: unexpected 'bob' after the user name",
			"t.cases:5:12: error: unexpected 'pid=2': WHO is a user name or uid=ID "
			"[gid=ID] [groups=ID,...]",
			"t.cases:6:6: error: 'gid=1' has no uid=ID", NULL});
}

static void bad_rules_and_times(void **state)
{
	refused("allow alice rule=2027-01-01T00:00:00Z at=2027-01-01T00:00:00\n"
		"allow alice rule=\n"
		"allow alice rule=site:x\n"
		"allow alice rule=:3\n"
		"allow alice rule=site:0\n"
		"allow alice rule=site:\n"
		"allow alice rule=site:99999999999\n"
		"allow alice rule=site:1 rule=default\n"
		"allow alice at=2027-01-01T00:00:00+01:00\n"
		"allow alice at=2027-01-01T00:00:00Z at=2027-01-01T00:00:00Z\n"
		"allow at=2027-01-01T00:00:00Z\n",
		(const char *const[]){
			"t.cases:1:18: error: rule=2027-01-01T00:00:00Z: expected FILE:LINE, a "
			"line number after a file",
			"t.cases:2:18: error: rule= needs a rule: NAME, FILE:LINE or default",
			"t.cases:3:18: error: rule=site:x: expected FILE:LINE, a line number "
			"after a file",
			"t.cases:4:18: error: rule=:3: expected FILE:LINE, a line number after a "
			"file",
			"t.cases:5:18: error: rule=site:0: expected FILE:LINE, a line number "
			"after a file",
			"t.cases:6:18: error: rule=site:: expected FILE:LINE, a line number after "
			"a file",
			"t.cases:7:18: error: rule=site:99999999999: expected FILE:LINE, a line "
			"number after a file",
			"t.cases:8:25: error: rule= is given twice",
			"t.cases:9:35: error: at=2027-01-01T00:00:00+01:00: an offset from UTC is "
			"not accepted: write the time in UTC, ending in 'Z'",
			"t.cases:10:37: error: at= is given twice",
			"t.cases:11:7: error: expected WHO after 'allow': a user name or uid=ID",
			NULL});
}

static void the_lexer_refuses_as_for_a_policy(void **state)
{
	char *long_line = malloc(POLICY_LINE_MAX + 16);

	refused("allow alice\x1b[2K\n",
		(const char *const[]){"t.cases:1:12: error: unexpected control character 0x1b",
				      NULL});
	memset(long_line, 'a', POLICY_LINE_MAX + 1);
	strcpy(long_line + POLICY_LINE_MAX + 1, "\n");
	refused(long_line, (const char *const[]){"t.cases:1:4097: error: line is longer than "
						 "4096 bytes",
						 NULL});
	free(long_line);
}

static void gives_up_after_too_many_errors(void **state)
{
	struct policy_cases cs;
	struct diag_list d;
	char text[POLICY_ERRORS_MAX * 8 + 64] = "";

	for (int i = 0; i < POLICY_ERRORS_MAX + 5; i++)
		strcat(text, "nope\n");
	diag_list_init(&d);
	assert_int_equal(parse(text, &d, &cs), POLICY_E_INVALID);
	assert_int_equal(d.count, POLICY_ERRORS_MAX + 1);
	assert_string_equal(d.items[POLICY_ERRORS_MAX].message, "too many errors, giving up");
	diag_list_free(&d);
}

static void no_cases_and_failed_lookups(void **state)
{
	struct policy_cases cs;
	struct diag_list d;

	diag_list_init(&d);
	assert_int_equal(parse("# nothing yet\n", &d, &cs), 0);
	assert_diags(&d,
		     (const char *const[]){"t.cases: warning: no cases: nothing is tested", NULL});
	policy_cases_free(&cs);
	diag_list_free(&d);
	diag_list_init(&d);
	assert_int_equal(parse("allow alice\ndeny uid=broken\nallow bob\n", &d, &cs), -EIO);
	assert_diags(&d, (const char *const[]){"t.cases:2:10: error: cannot look up user "
					       "'broken': Input/output error",
					       NULL});
	diag_list_free(&d);
}

/* A policy compiled from @text as the file /etc/udsecho/site. */
static struct policy *site_policy(const char *text)
{
	struct policy_ast *ast;
	struct policy *p;
	struct diag_list d;

	diag_list_init(&d);
	assert_int_equal(policy_parse("/etc/udsecho/site", text, strlen(text), NULL, &d, &ast), 0);
	assert_int_equal(policy_compile(ast, &test_resolver, &d, &p), 0);
	assert_int_equal(policy_index_build(p), 0);
	policy_ast_free(ast);
	diag_list_free(&d);
	return p;
}

/* Run every case of @text against @p: the passed ones as a bit set; errors in @d. */
static unsigned run_all(const struct policy *p, const char *text, struct diag_list *d, long *rules)
{
	struct policy_cases cs;
	struct diag_list pd;
	unsigned passed_set = 0;

	diag_list_init(&pd);
	assert_int_equal(parse(text, &pd, &cs), 0);
	diag_list_free(&pd);
	for (size_t i = 0; i < cs.n; i++) {
		struct policy_verdict v = {0, -2};
		int passed = 0, r = policy_case_run(p, &cs, i, 0, d, &v, &passed);

		assert_true(r == 0 || r == POLICY_E_INVALID);
		rules[i] = r == 0 ? v.rule : -2;
		if (r == 0 && passed)
			passed_set |= 1u << i;
	}
	policy_cases_free(&cs);
	return passed_set;
}

static void cases_against_a_policy(void **state)
{
	struct policy *p = site_policy("allow user root\n"
				       "allow group wheel\n"
				       "deny user 4243\n"
				       "allow user 5000-5999\n");
	static const char cases[] = "allow alice\n"		/* wheel: line 2 */
				    "allow alice rule=site:2\n" /* by its last component */
				    "allow alice rule=/etc/udsecho/site:2\n" /* whole */
				    "allow alice rule=site:1\n" /* fails: another rule */
				    "deny alice\n"		/* fails: allowed */
				    "deny uid=1 gid=1 rule=default\n"
				    "deny uid=1 gid=1 rule=site:3\n"	  /* fails: default deny */
				    "allow root rule=default\n"		  /* fails */
				    "allow uid=4243 gid=1 rule=site:3\n"; /* fails: deny */
	struct diag_list d;
	long rules[16];

	diag_list_init(&d);
	assert_int_equal(run_all(p, cases, &d, rules), 0x27u);
	assert_int_equal(d.count, 0);
	assert_int_equal(rules[0], 1);
	assert_int_equal(rules[3], 1);
	assert_int_equal(rules[6], -1);
	assert_int_equal(rules[7], 0);
	assert_int_equal(rules[8], 2);
	diag_list_free(&d);
	policy_free(p);
}

static void cases_that_cannot_be_decided(void **state)
{
	struct policy *p = site_policy("allow user root\n"
				       "allow group wheel\n"
				       "deny user 4243\n"
				       "allow user 5000-5999\n");
	static const char cases[] =
		"allow alice rule=site:9\n"
		"deny uid=4242 rule=other:2\n"
		"deny uid=4243\n"	      /* asks: wheel comes before its deny */
		"allow uid=0\n"		      /* decided: root comes first */
		"deny  uid=6000\n"	      /* asks: wheel could allow it */
		"allow uid=6000 groups=10\n"; /* decided: known groups meet wheel */
	struct diag_list d;
	long rules[16];

	diag_list_init(&d);
	assert_int_equal(run_all(p, cases, &d, rules), 0x28u);
	assert_diags(&d, (const char *const[]){
				 "t.cases:1:18: error: rule=site:9 names no rule of the policy",
				 "t.cases:2:20: error: rule=other:2 names no rule of the policy",
				 "t.cases:3:6: error: /etc/udsecho/site:2 needs the peer's gid and "
				 "groups: add gid=ID groups=ID,...",
				 "t.cases:5:7: error: /etc/udsecho/site:2 needs the peer's gid and "
				 "groups: add gid=ID groups=ID,...",
				 NULL});
	assert_int_equal(rules[3], 0);
	assert_int_equal(rules[5], 1);
	diag_list_free(&d);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_to_cases),
		cmocka_unit_test(bad_expectations_and_who),
		cmocka_unit_test(bad_rules_and_times),
		cmocka_unit_test(the_lexer_refuses_as_for_a_policy),
		cmocka_unit_test(gives_up_after_too_many_errors),
		cmocka_unit_test(no_cases_and_failed_lookups),
		cmocka_unit_test(cases_against_a_policy),
		cmocka_unit_test(cases_that_cannot_be_decided),
	};
	return cmocka_run_group_tests_name("policy-cases", tests, NULL, NULL);
}
