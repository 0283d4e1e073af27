// SPDX-License-Identifier: MIT
/* Unit tests for sandbox-mode: every name to its mode and back, and what is not a name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "udsecho/sandbox-mode.h"

static void mode_names(void **state)
{
	enum sandbox_mode m = SANDBOX_OFF;

	assert_int_equal(sandbox_mode_parse("strict", &m), 0);
	assert_int_equal(m, SANDBOX_STRICT);
	assert_int_equal(sandbox_mode_parse("log", &m), 0);
	assert_int_equal(m, SANDBOX_LOG);
	assert_int_equal(sandbox_mode_parse("off", &m), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_mode_parse("Strict", &m), -EINVAL);
	assert_int_equal(sandbox_mode_parse("strict ", &m), -EINVAL);
	assert_int_equal(sandbox_mode_parse("", &m), -EINVAL);
	assert_int_equal(m, SANDBOX_OFF);
	assert_string_equal(sandbox_mode_name(SANDBOX_STRICT), "strict");
	assert_string_equal(sandbox_mode_name(SANDBOX_LOG), "log");
	assert_string_equal(sandbox_mode_name(SANDBOX_OFF), "off");
	assert_string_equal(sandbox_mode_name((enum sandbox_mode)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mode_names),
	};
	return cmocka_run_group_tests_name("sandbox-mode", tests, NULL, NULL);
}
