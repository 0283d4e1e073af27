// SPDX-License-Identifier: MIT
/*
 * Unit tests for nss: names, numeric ids without an entry, names the system cannot hold, a
 * user's groups, and the texts of failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
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

	assert_int_equal(nss_user_name(0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "root");
	assert_int_equal(nss_group_name(0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "root");
	assert_int_equal(nss_user_name(4242424, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "4242424");
	assert_int_equal(nss_group_name(4242424, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "4242424");
}

/* Every passwd entry, as getpwent(3) lists them, with the groups getgrouplist(3) gives it. */
static void every_login(void **state)
{
	struct peer_cred *creds = NULL;
	struct passwd *pw;
	size_t n = 0, i = 0;

	assert_int_equal(nss_logins(&creds, &n), 0);
	setpwent();
	for (; (pw = getpwent()) != NULL; i++) {
		gid_t *groups = NULL;
		size_t ngroups = 0;

		assert_true(i < n);
		assert_int_equal(creds[i].uid, pw->pw_uid);
		assert_int_equal(creds[i].gid, pw->pw_gid);
		assert_true(peercred_in_group(&creds[i], pw->pw_gid));
		for (size_t k = 1; k < creds[i].ngroups; k++)
			assert_true(creds[i].groups[k - 1] < creds[i].groups[k]);
		if (nss_user_groups(pw->pw_uid, &groups, &ngroups) == 0 &&
		    strcmp(pw->pw_name, "root") == 0)
			assert_int_equal(creds[i].ngroups, ngroups);
		free(groups);
	}
	endpwent();
	assert_int_equal(i, n);
	assert_true(n > 0 && creds[0].uid == 0);
	nss_logins_free(creds, n);
}

/* The same list as getgrouplist(3) with room to spare gives for root's entry. */
static void groups_of_root(void **state)
{
	gid_t *groups = NULL, *want = calloc(NSS_GROUPS_MAX, sizeof(gid_t));
	size_t n = 0;
	int nwant = NSS_GROUPS_MAX;

	assert_non_null(want);
	assert_int_equal(nss_user_groups(0, &groups, &n), 0);
	assert_true(getgrouplist("root", 0, want, &nwant) >= 0);
	assert_int_equal(n, (size_t)nwant);
	assert_memory_equal(groups, want, n * sizeof(gid_t));
	assert_int_equal(groups[0], 0);
	free(groups);
	free(want);
}

static void groups_without_entry(void **state)
{
	gid_t *groups = NULL;
	size_t n = 0;

	assert_int_equal(nss_user_groups(4242424, &groups, &n), NSS_E_UNKNOWN);
	assert_null(groups);
	assert_int_equal(n, 0);
}

static void failure_texts(void **state)
{
	assert_string_equal(nss_strerror(NSS_E_UNKNOWN), "no such name");
	assert_string_equal(nss_strerror(NSS_E_INVALID), "not a valid name");
	assert_string_equal(nss_strerror(-EIO), strerror(EIO));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_resolves),       cmocka_unit_test(numeric_without_entry),
		cmocka_unit_test(unknown_and_invalid), cmocka_unit_test(names_of_ids),
		cmocka_unit_test(groups_of_root),      cmocka_unit_test(groups_without_entry),
		cmocka_unit_test(failure_texts),       cmocka_unit_test(every_login),
	};
	return cmocka_run_group_tests_name("nss", tests, NULL, NULL);
}
