// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-diff: the identities tried (the users given, every id either policy
 * names with the first, last, first-1 and last+1 of its ranges, never past 0 or 4294967294;
 * each alone, with each group id and with all of them; the gid of one alone), and the changes:
 * exactly those whose decision differs, by policy_eval(), sorted and each once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/policy-diff.h"
#include "policy-helpers.h"

/* The identities tried, one "uid gid g1,g2" line each, in the order tried. */
struct seen {
	char text[8192];
	size_t count;
};

static void describe(const struct peer_cred *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u %u ", (unsigned)c->uid, (unsigned)c->gid);

	for (size_t i = 0; i < c->ngroups; i++)
		n += snprintf(buf + n, len - (size_t)n, "%s%u", i ? "," : "",
			      (unsigned)c->groups[i]);
}

static int record(void *ctx, const struct peer_cred *c)
{
	struct seen *s = ctx;
	char line[256];

	describe(c, line, sizeof(line));
	strcat(strcat(s->text, line), "\n");
	s->count++;
	return 0;
}

static int tried(const struct seen *s, const char *identity)
{
	char line[256];

	snprintf(line, sizeof(line), "\n%s\n", identity);
	return strncmp(s->text, line + 1, strlen(line + 1)) == 0 || strstr(s->text, line);
}

static void each(const char *old_text, const char *new_text, const struct peer_cred *users,
		 size_t nusers, struct seen *s)
{
	struct policy *a = test_compile_ok(old_text), *b = test_compile_ok(new_text);

	memset(s, 0, sizeof(*s));
	assert_int_equal(policy_diff_each(a, b, users, nusers, record, s), 0);
	policy_free(a);
	policy_free(b);
}

static void ranges_bounds_and_groups(void **state)
{
	static const gid_t alice_groups[] = {10, 100};
	struct peer_cred alice = test_cred(1000, 100, alice_groups, 2);
	struct seen s;

	each("allow user 1000-1999\n", "allow group 50\nallow all\n", &alice, 1, &s);
	/* The user first, then 7 ids: 4 with gid=ID and 3 groups, 2 beside the group, 50. */
	assert_int_equal(s.count, 1 + 4 * 5 + 2 * 4 + 5);
	assert_true(tried(&s, "1000 100 10,100"));
	for (int i = 0; i < 4; i++) {
		static const char *const uids[] = {"999", "1000", "1999", "2000"};
		char id[64];

		snprintf(id, sizeof(id), "%s %s ", uids[i], uids[i]);
		assert_true(tried(&s, id));
		snprintf(id, sizeof(id), "%s %s 49", uids[i], uids[i]);
		assert_true(tried(&s, id));
		snprintf(id, sizeof(id), "%s %s 51", uids[i], uids[i]);
		assert_true(tried(&s, id));
		snprintf(id, sizeof(id), "%s %s 49,50,51", uids[i], uids[i]);
		assert_true(tried(&s, id));
	}
	/* 49 and 51 are their own gids, so not also a group; 50 is held: alone, it gets 65534. */
	assert_true(tried(&s, "49 49 50"));
	assert_false(tried(&s, "49 49 49"));
	assert_true(tried(&s, "50 65534 "));
	assert_true(tried(&s, "50 65534 50"));
	assert_false(tried(&s, "50 50 "));
	assert_false(tried(&s, "1001 1001 "));
}

static void id_edges(void **state)
{
	struct seen s;

	each("allow user 0-10 4294967290-4294967294\n", "deny all\n", NULL, 0, &s);
	assert_int_equal(s.count, 6);
	assert_true(tried(&s, "0 0 "));
	assert_true(tried(&s, "10 10 "));
	assert_true(tried(&s, "11 11 "));
	assert_true(tried(&s, "4294967289 4294967289 "));
	assert_true(tried(&s, "4294967290 4294967290 "));
	assert_true(tried(&s, "4294967294 4294967294 "));
	assert_false(tried(&s, "4294967295 4294967295 "));
	/* A held id alone: gid 65534, else the first gid none holds; all held: the id itself. */
	each("allow group 0-99\n", "deny all\n", NULL, 0, &s);
	assert_true(tried(&s, "99 65534 "));
	assert_true(tried(&s, "0 65534 "));
	assert_true(tried(&s, "100 100 "));
	each("allow group 0-99 65534\n", "deny all\n", NULL, 0, &s);
	assert_true(tried(&s, "99 100 "));
	assert_true(tried(&s, "65534 100 "));
	assert_true(tried(&s, "65535 65535 "));
	each("allow group 65534\n", "deny all\n", NULL, 0, &s);
	assert_true(tried(&s, "65534 0 "));
	each("allow group 0-4294967294\n", "deny all\n", NULL, 0, &s);
	assert_true(tried(&s, "0 0 "));
	assert_true(tried(&s, "4294967294 4294967294 "));
	assert_int_equal(s.count, 2 * 3);
	/* `all` names no id: the users alone are tried. */
	each("allow all\n", "deny all\n", NULL, 0, &s);
	assert_int_equal(s.count, 0);
}

/* The changes between @old_text and @new_text, as "uid gid groups old>new" lines. */
static void changes(const char *old_text, const char *new_text, const struct peer_cred *users,
		    size_t nusers, const char *expected)
{
	struct policy *a = test_compile_ok(old_text), *b = test_compile_ok(new_text);
	struct policy_diff d;
	char got[4096] = "", line[256];

	assert_int_equal(policy_diff(a, b, users, nusers, 0, &d), 0);
	for (size_t i = 0; i < d.n; i++) {
		describe(&d.v[i].cred, line, sizeof(line));
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %ld%c>%ld%c\n",
			 d.v[i].old.rule, d.v[i].old.allow ? 'a' : 'd', d.v[i].new.rule,
			 d.v[i].new.allow ? 'a' : 'd');
		strcat(got, line);
	}
	assert_string_equal(got, expected);
	policy_diff_free(&d);
	policy_free(a);
	policy_free(b);
}

static void what_changes(void **state)
{
	static const gid_t g50[] = {50};
	struct peer_cred users[] = {test_cred(7, 7, NULL, 0), test_cred(6, 6, NULL, 0),
				    test_cred(6, 6, NULL, 0), test_cred(6, 50, g50, 1)};

	changes("allow user 5\n", "allow user 5-6\n", NULL, 0, "6 6  -1d>0a\n");
	/* The users given are tried too; each identity is listed once, in order. */
	changes("allow user 5\n", "allow user 5-6\n", users, 4,
		"6 6  -1d>0a\n"
		"6 50 50 -1d>0a\n");
	/* Nothing differs: nothing listed, even where the deciding rule moves. */
	changes("allow user 5\n", "deny user 9\nallow user 5\n", NULL, 0, "");
	/* A rule that wants two groups against one that wants either. */
	changes("allow group 10 group 20\n", "allow group 10\n", NULL, 0,
		"9 9 10 -1d>0a\n"
		"10 65534 10 -1d>0a\n"
		"11 11 10 -1d>0a\n"
		"19 19 10 -1d>0a\n"
		"20 65534 10 -1d>0a\n"
		"21 21 10 -1d>0a\n");
	/* A deny that goes: allowed by group 3 now, where it is among the peer's groups. */
	changes("deny user 3\nallow group 3\n", "allow group 3\n", NULL, 0,
		"3 65534 2,3,4 0d>0a\n"
		"3 65534 3 0d>0a\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges_bounds_and_groups),
		cmocka_unit_test(id_edges),
		cmocka_unit_test(what_changes),
	};
	return cmocka_run_group_tests_name("policy-diff", tests, NULL, NULL);
}
