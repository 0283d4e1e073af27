// SPDX-License-Identifier: MIT
/* Unit tests for policy-staged: the staged copy is a dot file beside the policy, whatever path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "udsecho/policy-staged.h"

static void beside_the_policy(void **state)
{
	static const char *const cases[][2] = {
		{"/etc/udsecho/policy", "/etc/udsecho/.policy.preview"},
		{"/policy", "/.policy.preview"},
		{"policy", ".policy.preview"},
		{"./conf/p.d", "./conf/.p.d.preview"},
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(policy_staged_path(cases[i][0], buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i][1]);
	}
}

static void too_long_is_refused(void **state)
{
	char buf[sizeof("/etc/.policy.preview")];

	(void)state;
	assert_int_equal(policy_staged_path("/etc/policy", buf, sizeof(buf)), 0);
	assert_int_equal(policy_staged_path("/etc/policyx", buf, sizeof(buf)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(beside_the_policy),
		cmocka_unit_test(too_long_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
