// SPDX-License-Identifier: MIT
/* Unit tests for ids: the decimal ids and their edges, and what is not one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "udsecho/ids.h"

static void parse_id_edges(void **state)
{
	uint32_t id = 7;

	assert_int_equal(ids_parse("0", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(ids_parse("4294967294", &id), 0);
	assert_int_equal(id, 4294967294u);
	assert_int_equal(ids_parse("4294967295", &id), -EINVAL);
	assert_int_equal(ids_parse("99999999999", &id), -EINVAL);
	assert_int_equal(ids_parse("", &id), -EINVAL);
	assert_int_equal(ids_parse("-1", &id), -EINVAL);
	assert_int_equal(ids_parse("12a", &id), -EINVAL);
	assert_int_equal(ids_parse(" 1", &id), -EINVAL);
}

static void leading_zeros_and_failures_keep_id(void **state)
{
	uint32_t id = 7;

	assert_int_equal(ids_parse("0000000042", &id), 0);
	assert_int_equal(id, 42);
	id = 7;
	assert_int_equal(ids_parse("+1", &id), -EINVAL);
	assert_int_equal(ids_parse("1 ", &id), -EINVAL);
	assert_int_equal(ids_parse("00000000042", &id), -EINVAL);
	assert_int_equal(id, 7);
}

/* The counted form reads @len bytes and no more: what follows, a NUL or not, is not looked at. */
static void counted_reads_only_its_bytes(void **state)
{
	const char nonul[3] = {'4', '2', '7'};
	uint32_t id = 7;

	assert_int_equal(ids_parse_n(nonul, 2, &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(ids_parse_n("4294967294-5", 10, &id), 0);
	assert_int_equal(id, 4294967294u);
	id = 7;
	assert_int_equal(ids_parse_n(nonul, 0, &id), -EINVAL);
	assert_int_equal(ids_parse_n("42949672950", 11, &id), -EINVAL);
	assert_int_equal(ids_parse_n("4294967295", 10, &id), -EINVAL);
	assert_int_equal(ids_parse_n("1-2", 3, &id), -EINVAL);
	assert_int_equal(id, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_id_edges),
		cmocka_unit_test(leading_zeros_and_failures_keep_id),
		cmocka_unit_test(counted_reads_only_its_bytes),
	};
	return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
