// SPDX-License-Identifier: MIT
/* Unit tests for nss: names, numeric ids without an entry, and names the system cannot hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "udsecho/nss.h"

static void root_resolves(void **state)
{
	uid_t uid = 1;
	gid_t gid = 1;

	assert_int_equal(nss_user("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	assert_int_equal(nss_group("root", &gid), 0);
	assert_int_equal(gid, 0);
}

static void numeric_without_entry(void **state)
{
	uid_t uid = 0;
	gid_t gid = 0;

	assert_int_equal(nss_user("4242424", &uid, &gid), 0);
	assert_int_equal(uid, 4242424);
	assert_int_equal(gid, (gid_t)-1);
	assert_int_equal(nss_group("4242424", &gid), 0);
	assert_int_equal(gid, 4242424);
}

static void unknown_and_invalid(void **state)
{
	char longname[300];
	uid_t uid;
	gid_t gid;

	assert_int_equal(nss_user("no-such-user-udsecho", &uid, NULL), NSS_E_UNKNOWN);
	assert_int_equal(nss_group("no-such-group-udsecho", &gid), NSS_E_UNKNOWN);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(nss_user(longname, &uid, NULL), NSS_E_INVALID);
	assert_int_equal(nss_group(longname, &gid), NSS_E_INVALID);
	assert_int_equal(nss_user("", &uid, NULL), NSS_E_INVALID);
}

static void names_of_ids(void **state)
{
	char buf[64];

	nss_user_name(0, buf, sizeof(buf));
	assert_string_equal(buf, "root");
	nss_group_name(0, buf, sizeof(buf));
	assert_string_equal(buf, "root");
	nss_user_name(4242424, buf, sizeof(buf));
	assert_string_equal(buf, "4242424");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_resolves),
		cmocka_unit_test(numeric_without_entry),
		cmocka_unit_test(unknown_and_invalid),
		cmocka_unit_test(names_of_ids),
	};
	return cmocka_run_group_tests_name("nss", tests, NULL, NULL);
}
