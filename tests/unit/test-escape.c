// SPDX-License-Identifier: MIT
/* Unit tests for escape: what reaches a terminal, and where the output stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "udsecho/escape.h"

static void printable_bytes_stay(void **state)
{
	char out[64];

	assert_int_equal(escape("a b~!", 5, out, sizeof(out), 0), 5);
	assert_string_equal(out, "a b~!");
}

static void every_other_byte_is_escaped(void **state)
{
	static const char in[] = "\n\r\t\033\007\x7f\x80\xff\\\"";
	char out[128];

	assert_int_equal(escape(in, sizeof(in) - 1, out, sizeof(out), 0), sizeof(in) - 1);
	assert_string_equal(out, "\\n\\x0d\\x09\\x1b\\x07\\x7f\\x80\\xff\\\\\"");
	escape(in, sizeof(in) - 1, out, sizeof(out), ESCAPE_QUOTE);
	assert_string_equal(out, "\\n\\x0d\\x09\\x1b\\x07\\x7f\\x80\\xff\\\\\\\"");
}

static void nul_is_a_byte_like_the_others(void **state)
{
	char out[16];

	assert_int_equal(escape("a\0b", 3, out, sizeof(out), 0), 3);
	assert_string_equal(out, "a\\x00b");
}

/* The output ends before an escape that would not fit whole, and says how far it got. */
static void no_escape_is_cut(void **state)
{
	char out[6];

	assert_int_equal(escape("ab\033c", 4, out, sizeof(out), 0), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(escape("abcdefgh", 8, out, sizeof(out), 0), 5);
	assert_string_equal(out, "abcde");
	assert_int_equal(escape("x", 1, out, 1, 0), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable_bytes_stay),
		cmocka_unit_test(every_other_byte_is_escaped),
		cmocka_unit_test(nul_is_a_byte_like_the_others),
		cmocka_unit_test(no_escape_is_cut),
	};
	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
