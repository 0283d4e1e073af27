// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-compile with a table resolver: unknown and invalid names, ranges
 * normalised, shadowing warnings, the overflow-id warning, an empty policy, and a 10,000-rule
 * policy that compiles and decides correctly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/nss.h"
#include "udsecho/policy.h"
#include "policy-helpers.h"

static void expect(const char *text, int result, const char *const *want)
{
	struct diag_list d;
	struct policy *p;

	diag_list_init(&d);
	assert_int_equal(test_compile(text, NULL, &d, &p), result);
	assert_diags(&d, want);
	if (result == 0)
		assert_non_null(p);
	else
		assert_null(p);
	policy_free(p);
	diag_list_free(&d);
}

static void unknown_names(void **state)
{
	static const char *const want[] = {
		"test.policy:2:18: error: unknown user 'eve'",
		"test.policy:3:20: error: unknown group 'wheelz'",
		"test.policy:4:13: error: invalid group name 'huge'",
		NULL,
	};

	expect("allow user root\n"
	       "allow user alice eve\n"
	       "allow user 1 group wheelz\n"
	       "allow group huge\n",
	       POLICY_E_INVALID, want);
}

static int failing_user(void *ctx, const char *name, uid_t *uid)
{
	return -EIO;
}

static void lookup_failure_is_a_system_error(void **state)
{
	const struct policy_resolver broken = {.user = failing_user, .group = NULL};
	static const char *const want[] = {
		"test.policy:1:12: error: cannot look up user 'alice': Input/output error", NULL};
	const char *text = "allow user alice\n";
	struct policy_ast *ast;
	struct diag_list d;
	struct policy *p;

	diag_list_init(&d);
	assert_int_equal(policy_parse("test.policy", text, strlen(text), NULL, &d, &ast), 0);
	assert_int_equal(policy_compile(ast, &broken, &d, &p), -EIO);
	assert_null(p);
	assert_diags(&d, want);
	policy_ast_free(ast);
	diag_list_free(&d);
}

static void shadowing(void **state)
{
	static const char *const after_all[] = {
		"test.policy:3:1: warning: this rule never matches: 'allow all' at test.policy:2 "
		"matches every peer first",
		"test.policy:4:3: warning: this rule never matches: 'allow all' at test.policy:2 "
		"matches every peer first",
		NULL,
	};
	static const char *const covered[] = {
		"test.policy:4:1: warning: this rule never matches: earlier rules match every peer "
		"it selects (first match wins)",
		"test.policy:5:1: warning: this rule never matches: earlier rules match every peer "
		"it selects (first match wins)",
		"test.policy:6:1: warning: this rule never matches: earlier rules match every peer "
		"it selects (first match wins)",
		"test.policy:8:1: warning: this rule never matches: earlier rules match every peer "
		"it selects (first match wins)",
		NULL,
	};
	static const char *const none[] = {NULL};

	expect("allow user root\nallow all\ndeny user root\n  deny all\n", 0, after_all);
	expect("allow user 1000-1999\n"
	       "deny user 2000-2999 alice\n"
	       "allow group wheel staff\n"
	       /* 1500 and 2500 are covered by lines 1 and 2 together */
	       "deny user 1500 2500\n"
	       "deny user alice group 7\n"
	       "deny group staff user 5\n"
	       "deny group staff 51\n"
	       "allow user 1000-2999\n",
	       0, covered);
	/* Multi-selector earlier rules do not cover anything; an overlap is not a cover. */
	expect("allow user 1 group 10\n"
	       "deny user 1\n"
	       "allow user 1000-1999\n"
	       "deny user 1999-2000\n"
	       "deny group 10\n"
	       "deny user 10\n",
	       0, none);
}

/*
 * Shadowing against a model, on random policies whose rules have one selector of a few ranges
 * within 0-99 in any order (so that what earlier rules cover is added out of order, and ranges
 * meet end to end): rule i is reported iff every id it selects is selected by an earlier rule.
 */
static void shadowing_against_a_model(void **state)
{
	uint32_t rng = 2463534242u;

	for (int round = 0; round < 300; round++) {
		unsigned char seen[2][100] = {{0}};
		int dead[40], nrules = 1 + (int)(rng % 40);
		char text[40 * 64], *t = text;
		struct diag_list d;
		struct policy *p;

		for (int i = 0; i < nrules; i++) {
			int kind, nv, all = 1;
			unsigned char now[100] = {0};

			rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
			kind = rng & 1;
			nv = 1 + (int)(rng >> 1) % 3;
			t += sprintf(t, "%s %s", i % 2 ? "deny" : "allow", kind ? "group" : "user");
			for (int v = 0; v < nv; v++) {
				unsigned lo, len;

				rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
				lo = rng % 90;
				len = (rng >> 8) % 10;
				t += sprintf(t, " %u-%u", lo, lo + len);
				for (unsigned x = lo; x <= lo + len; x++)
					now[x] = 1;
			}
			*t++ = '\n';
			for (int x = 0; x < 100; x++)
				all &= !now[x] || seen[kind][x];
			dead[i] = all;
			/* Only a rule that is not dead is a match that comes first for its ids. */
			for (int x = 0; x < 100 && !all; x++)
				seen[kind][x] |= now[x];
		}
		*t = '\0';
		diag_list_init(&d);
		assert_int_equal(test_compile(text, NULL, &d, &p), 0);
		for (int i = 0, k = 0; i < nrules; i++) {
			int reported = k < (int)d.count && d.items[k].line == (unsigned)i + 1;

			if (reported != dead[i])
				fail_msg("round %d, line %d: reported %d, model %d\n%s", round,
					 i + 1, reported, dead[i], text);
			k += reported;
		}
		policy_free(p);
		diag_list_free(&d);
	}
}

static void overflow_id(void **state)
{
	static const char *const want[] = {
		"test.policy:2:12: warning: this rule allows uid 65534, the overflow id: every peer "
		"from a user namespace without a mapping for its uid shows as 65534",
		"test.policy:3:19: warning: this rule allows gid 65534, the overflow id: every peer "
		"from a user namespace without a mapping for its gid shows as 65534",
		"test.policy:4:12: warning: this rule allows uid 65534, the overflow id: every peer "
		"from a user namespace without a mapping for its uid shows as 65534",
		NULL,
	};

	/* A deny rule for the overflow id is what an admin should write: no warning. */
	expect("deny user 65534 group 5\n"
	       "allow user nobody\n"
	       "allow group wheel nogroup\n"
	       "allow user 60000-70000\n"
	       "allow all\n",
	       0, want);
}

static void empty_policy(void **state)
{
	static const char *const want[] = {"test.policy: warning: no rules: every peer is denied",
					   NULL};
	struct diag_list d;
	struct policy *p;
	struct peer_cred c = test_cred(0, 0, NULL, 0);
	struct policy_verdict v;

	expect("# nothing\n\n", 0, want);
	diag_list_init(&d);
	assert_int_equal(test_compile("", NULL, &d, &p), 0);
	v = policy_eval(p, &c, 0);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.rule, -1);
	policy_free(p);
	diag_list_free(&d);
}

static void builtin(void **state)
{
	struct policy *p;
	struct peer_cred me = test_cred(1234, 5, NULL, 0), other = test_cred(1235, 5, NULL, 0);
	struct policy_verdict v;
	const char *file;
	unsigned line;

	assert_int_equal(policy_builtin_allow_uid(1234, &p), 0);
	assert_int_equal(policy_rule_count(p), 1);
	v = policy_eval(p, &me, 0);
	assert_int_equal(v.allow, 1);
	assert_int_equal(v.rule, 0);
	assert_int_equal(policy_rule_origin(p, 0, &file, &line), 0);
	assert_string_equal(file, "built-in");
	assert_int_equal(line, 0);
	assert_string_equal(policy_rule_text(p, 0), "allow user 1234");
	v = policy_eval(p, &other, 0);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.rule, -1);
	policy_free(p);
	/* No range holds 4294967295: its hi + 1 would wrap, and the index sort with it. */
	assert_int_equal(policy_builtin_allow_uid(4294967295u, &p), -EINVAL);
	assert_null(p);
}

/* Rule i (1-based line i) allows uid 100000+i, or denies it when i is a multiple of 7. */
static char *big_policy(size_t n)
{
	char *text = malloc(n * 32 + 16), *s = text;

	for (size_t i = 1; i <= n; i++)
		s += sprintf(s, "%s user %zu\n", i % 7 ? "allow" : "deny", 100000 + i);
	s += sprintf(s, "allow group 42\n");
	return text;
}

static void ten_thousand_rules(void **state)
{
	char *text = big_policy(10000);
	struct diag_list d;
	struct policy *p;

	diag_list_init(&d);
	assert_int_equal(test_compile(text, NULL, &d, &p), 0);
	assert_int_equal(d.count, 0);
	assert_int_equal(policy_rule_count(p), 10001);
	for (size_t i = 1; i <= 10000; i++) {
		struct peer_cred c = test_cred((uid_t)(100000 + i), 42, NULL, 0);
		struct policy_verdict v = policy_eval(p, &c, 0);
		assert_int_equal(v.rule, (long)i - 1);
		assert_int_equal(v.allow, i % 7 != 0);
	}
	{
		struct peer_cred g = test_cred(5, 42, NULL, 0), none = test_cred(5, 43, NULL, 0);
		assert_int_equal(policy_eval(p, &g, 0).rule, 10000);
		assert_int_equal(policy_eval(p, &none, 0).rule, -1);
	}
	policy_free(p);
	diag_list_free(&d);
	free(text);
}

/*
 * A file name is escaped once, wherever it is shown: in a diagnostic, and in the compiled policy
 * that the worker's decision lines and explain take it from.
 */
static void file_names_escaped_once(void **state)
{
	static const struct memfile files[] = {
		{"/d/a\nb.policy", "allow all\nallow user root\n"},
		{NULL, NULL},
	};
	struct policy_reader reader = test_reader(files);
	struct diag_list d;
	struct policy *p = NULL;
	const char *file;
	unsigned int line;
	char text[512];

	diag_list_init(&d);
	assert_int_equal(test_compile("include /d/*.policy\n", &reader, &d, &p), 0);
	assert_int_equal(d.count, 1);
	diag_format(&d.items[0], text, sizeof(text));
	assert_string_equal(text, "/d/a\\nb.policy:2:1: warning: this rule never matches: 'allow "
				  "all' at /d/a\\nb.policy:1 matches every peer first");
	assert_int_equal(policy_rule_origin(p, 0, &file, &line), 0);
	assert_string_equal(file, "/d/a\\nb.policy");
	policy_free(p);
	diag_list_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_names_escaped_once),
		cmocka_unit_test(unknown_names),
		cmocka_unit_test(lookup_failure_is_a_system_error),
		cmocka_unit_test(shadowing),
		cmocka_unit_test(shadowing_against_a_model),
		cmocka_unit_test(overflow_id),
		cmocka_unit_test(empty_policy),
		cmocka_unit_test(builtin),
		cmocka_unit_test(ten_thousand_rules),
	};
	return cmocka_run_group_tests_name("policy-compile", tests, NULL, NULL);
}
