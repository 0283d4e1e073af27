// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-load with real files in a private temporary directory (mode 0700):
 * the StrictModes checks on files, directories and symlinks, non-regular files, a missing
 * file, and includes from disk (sorted globs, refused includes, loops through another name).
 * Tests that need chown(2) skip when not run as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testdir.h"
#include "udsecho/peercred.h"
#include "udsecho/policy.h"
#include "src/policy-private.h"

static char dir[64];

/* Paths live in a few rotating buffers, so that one call can name several. */
static char paths[4][256];
static unsigned next_path;

static int setup(void **state)
{
	char tmpl[64];
	char *real;

	test_tmpdir(tmpl, sizeof(tmpl), "load");
	real = realpath(tmpl, NULL);
	if (!real || strlen(real) >= sizeof(dir))
		return -1;
	strcpy(dir, real);
	free(real);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write @text to DIR/@name with @mode (exactly: umask does not apply) and return its path. */
static const char *sub(const char *name)
{
	char *path = paths[next_path++ % 4];

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

static const char *put(const char *name, const char *text, mode_t mode)
{
	const char *path = sub(name);
	FILE *f;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Load @path as trusted @uid; expect @result and, when @want is not NULL, that one line. */
static void expect(const char *path, uid_t uid, int result, const char *want)
{
	struct diag_list d;
	struct policy *p;
	char line[8192];

	diag_list_init(&d);
	assert_int_equal(policy_load_file(path, uid, &d, &p), result);
	if (want) {
		for (size_t i = 0; d.count != 1 && i < d.count; i++) {
			diag_format(&d.items[i], line, sizeof(line));
			fprintf(stderr, "diagnostic: %s\n", line);
		}
		assert_int_equal(d.count, 1);
		diag_format(&d.items[0], line, sizeof(line));
		assert_string_equal(line, want);
	} else {
		assert_int_equal(d.count, 0);
	}
	if (result == 0)
		assert_non_null(p);
	else
		assert_null(p);
	policy_free(p);
	diag_list_free(&d);
}

static void good_file(void **state)
{
	const char *path = put("good.policy", "allow user root\ndeny all\n", 0644);
	struct diag_list d;
	struct policy *p;
	const char *file;
	unsigned line;

	diag_list_init(&d);
	assert_int_equal(policy_load_file(path, geteuid(), &d, &p), 0);
	assert_int_equal(d.count, 0);
	assert_int_equal(policy_rule_count(p), 2);
	assert_int_equal(policy_rule_origin(p, 1, &file, &line), 0);
	assert_string_equal(file, path);
	assert_int_equal(line, 2);
	policy_free(p);
	diag_list_free(&d);
	/* Read-only for everyone is fine too. */
	expect(put("ro.policy", "deny all\n", 0400), geteuid(), 0, NULL);
}

static void writable_file_refused(void **state)
{
	char want[1024];
	const char *path = put("g.policy", "allow all\n", 0664);

	snprintf(want, sizeof(want),
		 "%s: error: refusing: writable by group (mode 0664); run: chmod go-w %s", path,
		 path);
	expect(path, geteuid(), POLICY_E_INVALID, want);
	path = put("o.policy", "allow all\n", 0646);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: writable by others (mode 0646); run: chmod go-w %s", path,
		 path);
	expect(path, geteuid(), POLICY_E_INVALID, want);
	path = put("go.policy", "allow all\n", 0666);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: writable by group and others (mode 0666); run: chmod go-w "
		 "%s",
		 path, path);
	expect(path, geteuid(), POLICY_E_INVALID, want);
}

static void owner_checked(void **state)
{
	char want[1024];
	const char *path;

	if (geteuid() != 0)
		skip();
	path = put("owned.policy", "allow all\n", 0644);
	assert_int_equal(chown(path, 4242, 4242), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: owned by uid 4242, not by root; run: chown root %s", path,
		 path);
	expect(path, 0, POLICY_E_INVALID, want);
	/* The server's own user may own it (as sshd accepts the user's own files). */
	expect(path, 4242, 0, NULL);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: owned by uid 4242, not by root or uid 1000; run: chown root "
		 "%s",
		 path, path);
	expect(path, 1000, POLICY_E_INVALID, want);
}

static void non_regular_refused(void **state)
{
	char want[1024];

	assert_int_equal(mkfifo(sub("fifo"), 0600), 0);
	snprintf(want, sizeof(want), "%s: error: refusing: a FIFO, not a regular file",
		 sub("fifo"));
	expect(sub("fifo"), geteuid(), POLICY_E_INVALID, want);
	assert_int_equal(mkdir(sub("adir"), 0700), 0);
	snprintf(want, sizeof(want), "%s: error: refusing: a directory, not a regular file",
		 sub("adir"));
	expect(sub("adir"), geteuid(), POLICY_E_INVALID, want);
}

static void missing_file(void **state)
{
	expect(sub("none.policy"), geteuid(), -ENOENT, NULL);
}

static void unsafe_directory_refused(void **state)
{
	char want[1024];

	assert_int_equal(mkdir(sub("open"), 0700), 0);
	assert_int_equal(chmod(sub("open"), 0777), 0);
	put("open/p.policy", "allow all\n", 0644);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: directory %s is writable by group and others (mode 0777); "
		 "run: chmod go-w %s",
		 sub("open/p.policy"), sub("open"), sub("open"));
	expect(sub("open/p.policy"), geteuid(), POLICY_E_INVALID, want);

	/*
	 * Sticky and owned by root, like /tmp: refused all the same, since anyone may add a file
	 * there (one that fails every reload), and chmod is not the advice.
	 */
	if (geteuid() != 0)
		return;
	assert_int_equal(chmod(sub("open"), 01777), 0);
	snprintf(
		want, sizeof(want),
		"%s: error: refusing: directory %s is writable by group and others (mode 1777), so "
		"anyone may add a file there; keep the policy in a directory only root can write",
		sub("open/p.policy"), sub("open"));
	expect(sub("open/p.policy"), 0, POLICY_E_INVALID, want);
	/* Sticky but owned by someone else: that someone may replace the file. */
	assert_int_equal(chown(sub("open"), 4242, 4242), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: directory %s is owned by uid 4242, not by root; "
		 "run: chown root %s",
		 sub("open/p.policy"), sub("open"), sub("open"));
	expect(sub("open/p.policy"), 0, POLICY_E_INVALID, want);
}

static void symlinks(void **state)
{
	char want[1024];
	struct diag_list d;
	struct policy *p;
	const char *file;
	unsigned line;

	/* A link to a safe file in a safe directory is followed; origins keep the link's name. */
	put("target.policy", "allow user root\n", 0644);
	assert_int_equal(symlink("target.policy", sub("link.policy")), 0);
	diag_list_init(&d);
	assert_int_equal(policy_load_file(sub("link.policy"), geteuid(), &d, &p), 0);
	assert_int_equal(policy_rule_origin(p, 0, &file, &line), 0);
	assert_string_equal(file, sub("link.policy"));
	policy_free(p);
	diag_list_free(&d);

	/* A link to an unsafe file names the target. */
	put("gw.policy", "allow all\n", 0620);
	assert_int_equal(symlink("gw.policy", sub("gwlink.policy")), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: its target %s is writable by group (mode 0620); run: chmod "
		 "go-w %s",
		 sub("gwlink.policy"), sub("gw.policy"), sub("gw.policy"));
	expect(sub("gwlink.policy"), geteuid(), POLICY_E_INVALID, want);

	/* A link into a directory others can write. */
	assert_int_equal(mkdir(sub("world"), 0777), 0);
	assert_int_equal(chmod(sub("world"), 0777), 0);
	put("world/p.policy", "allow all\n", 0644);
	assert_int_equal(symlink("world/p.policy", sub("into-world.policy")), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: directory %s is writable by group and others (mode 0777); "
		 "run: chmod go-w %s",
		 sub("into-world.policy"), sub("world"), sub("world"));
	expect(sub("into-world.policy"), geteuid(), POLICY_E_INVALID, want);

	/* A link that lives in a directory others can write: they could point it anywhere. */
	assert_int_equal(symlink("../target.policy", sub("world/out.policy")), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: directory %s is writable by group and others (mode 0777); "
		 "run: chmod go-w %s",
		 sub("world/out.policy"), sub("world"), sub("world"));
	expect(sub("world/out.policy"), geteuid(), POLICY_E_INVALID, want);

	/* A chain whose middle link lives there: the first and last hops alone look safe. */
	assert_int_equal(symlink("world/out.policy", sub("chain.policy")), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: directory %s is writable by group and others (mode 0777); "
		 "run: chmod go-w %s",
		 sub("chain.policy"), sub("world"), sub("world"));
	expect(sub("chain.policy"), geteuid(), POLICY_E_INVALID, want);

	/* A loop of links is reported, not followed forever. */
	assert_int_equal(symlink("loop-b.policy", sub("loop-a.policy")), 0);
	assert_int_equal(symlink("loop-a.policy", sub("loop-b.policy")), 0);
	expect(sub("loop-a.policy"), geteuid(), -ELOOP, NULL);
}

/*
 * DIR/u belongs to another user and holds d -> DIR/safe, which root owns: the file at the end
 * passes, the ".." walk from it too, but u's owner can re-point d at a policy of their own.
 */
static void lexical_directories_checked(void **state)
{
	char want[1024];

	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(sub("u"), 0755), 0);
	assert_int_equal(mkdir(sub("safe"), 0755), 0);
	put("safe/p.policy", "allow all\n", 0644);
	assert_int_equal(symlink(sub("safe"), sub("u/d")), 0);
	assert_int_equal(chown(sub("u"), 4242, 4242), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: directory %s is owned by uid 4242, not by root; run: chown "
		 "root %s",
		 sub("u/d/p.policy"), sub("u"), sub("u"));
	expect(sub("u/d/p.policy"), 0, POLICY_E_INVALID, want);
	/* A link that another user owns, in a directory only root may write. */
	assert_int_equal(chown(sub("u"), 0, 0), 0);
	assert_int_equal(lchown(sub("u/d"), 4242, 4242), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing: symlink %s is owned by uid 4242, not by root; run: chown -h "
		 "root %s",
		 sub("u/d/p.policy"), sub("u/d"), sub("u/d"));
	expect(sub("u/d/p.policy"), 0, POLICY_E_INVALID, want);
	assert_int_equal(lchown(sub("u/d"), 0, 0), 0);
	expect(sub("u/d/p.policy"), 0, 0, NULL);
}

/*
 * An include pattern in a directory others may write is refused before it is expanded, even
 * while it matches nothing: whoever may write there could add the file that fails a reload.
 */
static void include_pattern_directory_checked(void **state)
{
	char text[1024], want[1024];

	assert_int_equal(mkdir(sub("drop"), 0700), 0);
	assert_int_equal(chmod(sub("drop"), 0777), 0);
	snprintf(text, sizeof(text), "include %s/*.policy\nallow user root\n", sub("drop"));
	put("inc.policy", text, 0644);
	snprintf(want, sizeof(want),
		 "%s:1:9: error: cannot include %s/*.policy: refusing: directory %s is writable by "
		 "group and others (mode 0777); run: chmod go-w %s",
		 sub("inc.policy"), sub("drop"), sub("drop"), sub("drop"));
	expect(sub("inc.policy"), geteuid(), POLICY_E_INVALID, want);
	assert_int_equal(chmod(sub("drop"), 0755), 0);
	snprintf(want, sizeof(want), "%s:1:9: warning: include pattern %s/*.policy matches no file",
		 sub("inc.policy"), sub("drop"));
	expect(sub("inc.policy"), geteuid(), 0, want);

	/* The directories a wildcard would match are not checked before glob(3) reads them. */
	snprintf(text, sizeof(text), "include %s/*/x.policy\n", dir);
	put("inc.policy", text, 0644);
	snprintf(want, sizeof(want),
		 "%s:1:9: error: cannot include %s/*/x.policy: a wildcard may only be in the "
		 "file's name, not in a directory",
		 sub("inc.policy"), dir);
	expect(sub("inc.policy"), geteuid(), POLICY_E_INVALID, want);
	/* A backslash escapes nothing: the directory checked is the one glob(3) reads. */
	assert_int_equal(chmod(sub("drop"), 0777), 0);
	put("drop/z.policy", "allow all\n", 0644);
	snprintf(text, sizeof(text), "include %s/dr\\op/*.policy\nallow user root\n", dir);
	put("inc.policy", text, 0644);
	snprintf(want, sizeof(want),
		 "%s:1:9: warning: include pattern %s/dr\\\\op/*.policy matches no file",
		 sub("inc.policy"), dir);
	expect(sub("inc.policy"), geteuid(), 0, want);
}

static void includes_from_disk(void **state)
{
	char text[1024], want[1024];
	struct diag_list d;
	struct policy *p;
	const char *file;
	unsigned line;

	assert_int_equal(mkdir(sub("p.d"), 0755), 0);
	put("p.d/b.policy", "allow user 2\n", 0644);
	put("p.d/a.policy", "allow user 1\n", 0644);
	put("p.d/c.conf", "not a policy\n", 0644);
	snprintf(text, sizeof(text), "include p.d/*.policy\ninclude %s/nothing/*.policy\n", dir);
	put("main.policy", text, 0644);
	diag_list_init(&d);
	assert_int_equal(policy_load_file(sub("main.policy"), geteuid(), &d, &p), 0);
	assert_int_equal(d.count, 1);
	diag_format(&d.items[0], want, sizeof(want));
	snprintf(text, sizeof(text),
		 "%s:2:9: warning: include pattern %s/nothing/*.policy matches no file",
		 sub("main.policy"), dir);
	assert_string_equal(want, text);
	assert_int_equal(policy_rule_count(p), 2);
	assert_int_equal(policy_rule_origin(p, 0, &file, &line), 0);
	assert_string_equal(file, sub("p.d/a.policy"));
	assert_int_equal(policy_rule_origin(p, 1, &file, &line), 0);
	assert_string_equal(file, sub("p.d/b.policy"));
	policy_free(p);
	diag_list_free(&d);

	/* An included file gets the same checks; the error points at the include line. */
	put("p.d/a.policy", "allow user 1\n", 0664);
	put("main.policy", "include p.d/*.policy\n", 0644);
	snprintf(want, sizeof(want),
		 "%s:1:9: error: cannot include %s/p.d/a.policy: refusing: writable by group (mode "
		 "0664); run: chmod go-w %s/p.d/a.policy",
		 sub("main.policy"), dir, dir);
	expect(sub("main.policy"), geteuid(), POLICY_E_INVALID, want);
}

static void include_loop_through_a_link(void **state)
{
	char want[1024];

	put("loop.policy", "allow user 1\ninclude again.policy\n", 0644);
	assert_int_equal(symlink("loop.policy", sub("again.policy")), 0);
	snprintf(want, sizeof(want), "%s:2:9: error: include loop: %s is already being read",
		 sub("loop.policy"), sub("again.policy"));
	expect(sub("loop.policy"), geteuid(), POLICY_E_INVALID, want);
}

static void names_resolved_with_nss(void **state)
{
	char want[1024];

	expect(put("nss.policy", "allow user root group root\n", 0644), geteuid(), 0, NULL);
	snprintf(want, sizeof(want), "%s:1:12: error: unknown user 'no-such-user-udsecho'",
		 sub("unknown.policy"));
	expect(put("unknown.policy", "allow user no-such-user-udsecho\n", 0644), geteuid(),
	       POLICY_E_INVALID, want);
}

static unsigned yields;

static void count_yield(void)
{
	yields++;
}

/*
 * A source's yield is called all through a long load: the parse, the compile and the shadowing
 * check each call it every POLICY_YIELD_EVERY lines or rules, and the sort between its slices.
 * The policy it gives is not indexed (the worker indexes what it decodes); policy_load_file()'s
 * is, and both decide alike.
 */
static void a_load_yields(void **state)
{
	enum { RULES = 20000 };
	char *text = malloc(RULES * 24), *t = text;
	struct policy_source src = {
		.explicit_path = 1, .trusted_uid = geteuid(), .yield = count_yield};
	struct peer_cred cred = {.gid = 7};
	struct policy *p, *q;
	struct diag_list d;
	int builtin;

	assert_non_null(text);
	for (unsigned i = 0; i < RULES; i++)
		t += sprintf(t, "%s user %u\n", i % 2 ? "allow" : "deny", 3 * (RULES - i));
	src.path = put("long.policy", text, 0644);
	free(text);
	diag_list_init(&d);
	assert_int_equal(policy_load_source(&src, &d, &p, &builtin), 0);
	assert_int_equal(builtin, 0);
	assert_true(yields >= 3 * RULES / POLICY_YIELD_EVERY);
	assert_null(p->ix_all);
	assert_int_equal(policy_load_file(src.path, geteuid(), &d, &q), 0);
	assert_non_null(q->ix_all);
	for (cred.uid = 0; cred.uid < 3 * RULES + 5; cred.uid += 1 + cred.uid / 7) {
		struct policy_verdict a = policy_eval(p, &cred, 0), b = policy_eval(q, &cred, 0);

		assert_int_equal(a.allow, b.allow);
		assert_int_equal(a.rule, b.rule);
	}
	policy_free(p);
	policy_free(q);
	diag_list_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_file),
		cmocka_unit_test(writable_file_refused),
		cmocka_unit_test(owner_checked),
		cmocka_unit_test(non_regular_refused),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(unsafe_directory_refused),
		cmocka_unit_test(symlinks),
		cmocka_unit_test(lexical_directories_checked),
		cmocka_unit_test(include_pattern_directory_checked),
		cmocka_unit_test(includes_from_disk),
		cmocka_unit_test(include_loop_through_a_link),
		cmocka_unit_test(names_resolved_with_nss),
		cmocka_unit_test(a_load_yields),
	};
	return cmocka_run_group_tests_name("policy-load", tests, setup, teardown);
}
