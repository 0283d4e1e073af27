// SPDX-License-Identifier: MIT
/*
 * Unit tests for pathtrust: real directories under a private one (testdir.h), each pinned with
 * O_PATH and walked up to /. Owners other than root need root to set: those cases skip
 * otherwise, with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdir.h"
#include "udsecho/pathtrust.h"

#define OTHER_UID 4475

static char top[64];

static int setup(void **state)
{
	test_tmpdir(top, sizeof(top), "pathtrust");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* Make @name under the top directory with @mode and @uid; its path in @path. */
static void make_dir(const char *name, mode_t mode, uid_t uid, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", top, name);
	assert_int_equal(mkdir(path, 0700), 0);
	if (uid != (uid_t)-1)
		assert_int_equal(chown(path, uid, (gid_t)-1), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* pathtrust_dirs() on @path, pinned here; the failure, if any, in @bad. */
static int walk(const char *path, uid_t trusted, int sticky_root, struct pathtrust_failure *bad)
{
	const struct pathtrust_rule rule = {.trusted = trusted, .sticky_root = sticky_root};
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC), r;

	assert_true(fd >= 0);
	r = pathtrust_dirs(fd, &rule, bad);
	close(fd);
	return r;
}

static int is_root(void)
{
	if (geteuid() == 0)
		return 1;
	fprintf(stderr, "skipped: giving a directory to another owner needs root\n");
	return 0;
}

static void trusted_chain_passes(void **state)
{
	struct pathtrust_failure bad;
	char a[128], b[160];

	make_dir("ok", 0755, (uid_t)-1, a, sizeof(a));
	snprintf(b, sizeof(b), "%s/inner", a);
	assert_int_equal(mkdir(b, 0700), 0);
	assert_int_equal(walk(b, geteuid(), 1, &bad), 0);
	assert_int_equal(walk("/", geteuid(), 1, &bad), 0);
}

static void writable_directory_is_named(void **state)
{
	struct pathtrust_failure bad;
	char a[128], b[160];

	make_dir("gw", 0775, (uid_t)-1, a, sizeof(a));
	snprintf(b, sizeof(b), "%s/below", a);
	assert_int_equal(mkdir(b, 0700), 0);
	/* Nearest first: the safe directory below passes, the writable one above is named. */
	assert_int_equal(walk(b, geteuid(), 1, &bad), PATHTRUST_E_WRITABLE);
	assert_string_equal(bad.path, a);
	assert_int_equal(bad.st.st_mode & 07777, 0775);
	assert_int_equal(chmod(a, 0757), 0);
	assert_int_equal(walk(b, geteuid(), 1, &bad), PATHTRUST_E_WRITABLE);
}

static void other_owner_is_refused_unless_trusted(void **state)
{
	struct pathtrust_failure bad;
	char a[128];

	if (!is_root())
		skip();
	make_dir("other", 0755, OTHER_UID, a, sizeof(a));
	assert_int_equal(walk(a, 0, 1, &bad), PATHTRUST_E_OWNER);
	assert_string_equal(bad.path, a);
	assert_int_equal(bad.st.st_uid, OTHER_UID);
	assert_int_equal(walk(a, OTHER_UID, 1, &bad), 0);
}

/* Sticky and writable by all: trusted when root owns it and the rule says so, never otherwise. */
static void sticky_only_when_root_owns_it(void **state)
{
	struct pathtrust_failure bad;
	char a[128], b[128];

	if (!is_root())
		skip();
	make_dir("sticky-root", 01777, 0, a, sizeof(a));
	assert_int_equal(walk(a, OTHER_UID, 1, &bad), 0);
	assert_int_equal(walk(a, OTHER_UID, 0, &bad), PATHTRUST_E_WRITABLE);
	assert_string_equal(bad.path, a);
	make_dir("sticky-user", 01777, OTHER_UID, b, sizeof(b));
	assert_int_equal(walk(b, OTHER_UID, 1, &bad), PATHTRUST_E_WRITABLE);
	assert_string_equal(bad.path, b);
}

/* A directory pinned through a symlink is judged where it really is, and named so. */
static void symlinked_directory_is_walked_where_it_is(void **state)
{
	struct pathtrust_failure bad;
	char a[128], link[128];

	make_dir("real-gw", 0777, (uid_t)-1, a, sizeof(a));
	snprintf(link, sizeof(link), "%s/link", top);
	assert_int_equal(symlink(a, link), 0);
	assert_int_equal(walk(link, geteuid(), 1, &bad), PATHTRUST_E_WRITABLE);
	assert_string_equal(bad.path, a);
}

static void files_follow_the_same_rule(void **state)
{
	struct stat st = {.st_uid = 0, .st_mode = S_IFREG | 01777};
	const struct pathtrust_rule rule = {.trusted = 0, .sticky_root = 1};

	/* The sticky exception is for directories only. */
	assert_int_equal(pathtrust_stat(&st, &rule), PATHTRUST_E_WRITABLE);
	st.st_mode = S_IFREG | 0644;
	assert_int_equal(pathtrust_stat(&st, &rule), 0);
	st.st_uid = OTHER_UID;
	assert_int_equal(pathtrust_stat(&st, &rule), PATHTRUST_E_OWNER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trusted_chain_passes),
		cmocka_unit_test(writable_directory_is_named),
		cmocka_unit_test(other_owner_is_refused_unless_trusted),
		cmocka_unit_test(sticky_only_when_root_owns_it),
		cmocka_unit_test(symlinked_directory_is_walked_where_it_is),
		cmocka_unit_test(files_follow_the_same_rule),
	};
	return cmocka_run_group_tests_name("pathtrust", tests, setup, teardown);
}
