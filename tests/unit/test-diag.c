// SPDX-License-Identifier: MIT
/* Unit tests for diag: the printed format with and without line and column, error counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/diag.h"

static void format_and_print(void **state)
{
	struct diag_list d;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	diag_list_init(&d);
	assert_false(diag_has_errors(&d));
	assert_int_equal(diag_add(&d, DIAG_WARNING, "a.policy", 3, 7, "dead %s", "rule"), 0);
	assert_false(diag_has_errors(&d));
	assert_int_equal(diag_add(&d, DIAG_ERROR, "a.policy", 4, 0, "whole line"), 0);
	assert_int_equal(diag_add(&d, DIAG_ERROR, "/etc/p", 0, 0, "refusing: %04o", 0664), 0);
	assert_true(diag_has_errors(&d));
	assert_int_equal(d.count, 3);
	assert_int_equal(d.errors, 2);

	out = open_memstream(&buf, &len);
	diag_print(&d, out);
	fclose(out);
	assert_string_equal(buf, "a.policy:3:7: warning: dead rule\n"
				 "a.policy:4: error: whole line\n"
				 "/etc/p: error: refusing: 0664\n");
	free(buf);

	diag_list_free(&d);
	assert_int_equal(d.count, 0);
	assert_false(diag_has_errors(&d));
}

/*
 * A file name (an include's, from a directory listing) or a quoted token may hold any byte: a
 * newline would forge a second line, an escape sequence would act on the terminal.
 */
static void names_are_escaped(void **state)
{
	struct diag_list d;
	char line[512];

	diag_list_init(&d);
	assert_int_equal(diag_add(&d, DIAG_ERROR, "inc/a\nudsechod: event=allow.policy", 1, 1,
				  "found '%s'", "\033[2J\xe9"),
			 0);
	diag_format(&d.items[0], line, sizeof(line));
	assert_string_equal(line, "inc/a\\nudsechod: event=allow.policy:1:1: error: found "
				  "'\\x1b[2J\\xe9'");
	diag_list_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_and_print),
		cmocka_unit_test(names_are_escaped),
	};
	return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
