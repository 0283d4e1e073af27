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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* pathtrust_open() on @path: 0 with the descriptor checked to be @path's, or the failure. */
static int chase(const char *path, uid_t trusted, int *links, struct pathtrust_failure *bad)
{
	const struct pathtrust_rule rule = {.trusted = trusted, .sticky_root = 0};
	struct stat got, want;
	int fd, r = pathtrust_open(path, &rule, &fd, links, bad);

	if (r) {
		assert_int_equal(fd, -1);
		return r;
	}
	assert_int_equal(fstat(fd, &got), 0);
	assert_int_equal(stat(path, &want), 0);
	assert_true(got.st_dev == want.st_dev && got.st_ino == want.st_ino);
	close(fd);
	return 0;
}

/*
 * A path through a directory someone else owns is refused even when it leads, through a link
 * there, to a directory that passes: that someone can re-point the link. The link's own owner
 * counts too; its mode does not.
 */
static void lookup_checks_the_lexical_directories(void **state)
{
	struct pathtrust_failure bad;
	char u[128], ok[128], link[160], below[192];
	int links;

	if (!is_root())
		skip();
	make_dir("lex-u", 0755, OTHER_UID, u, sizeof(u));
	make_dir("lex-ok", 0755, (uid_t)-1, ok, sizeof(ok));
	snprintf(link, sizeof(link), "%s/d", u);
	assert_int_equal(symlink(ok, link), 0);
	snprintf(below, sizeof(below), "%s/d/", u);
	assert_int_equal(chase(below, 0, &links, &bad), PATHTRUST_E_OWNER);
	assert_string_equal(bad.path, u);
	/* The ".." walk from where it ends sees nothing wrong: that is the hole closed here. */
	assert_int_equal(walk(link, 0, 0, &bad), 0);
	assert_int_equal(chase(below, OTHER_UID, &links, &bad), 0);
	assert_int_equal(links, 1);

	assert_int_equal(chown(u, 0, 0), 0);
	assert_int_equal(lchown(link, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(chase(below, 0, &links, &bad), PATHTRUST_E_OWNER);
	assert_string_equal(bad.path, link);
	assert_true(S_ISLNK(bad.st.st_mode));
	assert_int_equal(lchown(link, 0, 0), 0);
	assert_int_equal(chase(below, 0, &links, &bad), 0);
}

/* Links are followed by hand, relative ones from where they are, and counted; loops end. */
static void lookup_follows_links_by_hand(void **state)
{
	struct pathtrust_failure bad;
	char ok[128], a[160], b[160], path[192], cwd[PATH_MAX];
	int links;

	make_dir("hand-ok", 0755, (uid_t)-1, ok, sizeof(ok));
	snprintf(a, sizeof(a), "%s/hand-a", top);
	snprintf(b, sizeof(b), "%s/hand-b", top);
	assert_int_equal(symlink("hand-ok/../hand-b", a), 0);
	assert_int_equal(symlink("hand-ok", b), 0);
	snprintf(path, sizeof(path), "%s/hand-a//.", top);
	assert_int_equal(chase(path, geteuid(), &links, &bad), 0);
	assert_int_equal(links, 2);

	/* A relative path starts where the process is, which is checked with all above it. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(top), 0);
	assert_int_equal(chase("hand-a", geteuid(), &links, &bad), 0);
	assert_int_equal(chmod(top, 0777), 0);
	assert_int_equal(chase("hand-a", geteuid(), &links, &bad), PATHTRUST_E_WRITABLE);
	assert_string_equal(bad.path, top);
	assert_int_equal(chmod(top, 0700), 0);
	assert_int_equal(chdir(cwd), 0);

	assert_int_equal(unlink(b), 0);
	assert_int_equal(symlink("hand-a", b), 0);
	assert_int_equal(chase(path, geteuid(), &links, &bad), -ELOOP);
	assert_int_equal(links, PATHTRUST_LINKS_MAX + 1);
	snprintf(path, sizeof(path), "%s/missing/x", top);
	assert_int_equal(chase(path, geteuid(), &links, &bad), -ENOENT);
	assert_string_equal(bad.path, top);
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
		cmocka_unit_test(lookup_checks_the_lexical_directories),
		cmocka_unit_test(lookup_follows_links_by_hand),
		cmocka_unit_test(files_follow_the_same_rule),
	};
	return cmocka_run_group_tests_name("pathtrust", tests, setup, teardown);
}
