// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-who: a user name with its groups; uid= alone, with gid= and with
 * groups=, by number and by name; a uid without a passwd entry leaves the gid unknown, and the
 * groups unless given; every error names its word and the offset of the value at fault; the
 * words that ask for what is unknown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "udsecho/policy.h"
#include "udsecho/policy-who.h"
#include "policy-helpers.h"

/* The words of @line, split on blanks in @buf (256 bytes), into @words (8): their count. */
static size_t split(const char *line, char *buf, char **words)
{
	char *save = NULL;
	size_t n = 0;

	strcpy(buf, line);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	return n;
}

/* Parse the words of @line, which must be a WHO. */
static struct policy_who parse_ok(const char *line)
{
	char buf[256], *words[8];
	struct policy_who who;
	struct policy_who_error err;
	size_t n = split(line, buf, words);

	if (policy_who_parse(words, n, &test_who_lookup, &who, &err) != 0)
		fail_msg("%s: %s", line, err.message);
	return who;
}

static void expect(const char *line, uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
		   unsigned unknown)
{
	struct policy_who who = parse_ok(line);

	assert_int_equal(who.cred.uid, uid);
	assert_int_equal(who.unknown, unknown);
	if (!(unknown & POLICY_UNKNOWN_GID))
		assert_int_equal(who.cred.gid, gid);
	assert_int_equal(who.cred.ngroups, ngroups);
	for (size_t i = 0; i < ngroups; i++)
		assert_int_equal(who.cred.groups[i], groups[i]);
	policy_who_release(&who);
}

static void names_and_ids(void **state)
{
	static const gid_t alice[] = {10, 100}, root[] = {0}, listed[] = {0, 10, 27};

	expect("alice", 1000, 100, alice, 2, 0);
	expect("root", 0, 0, root, 1, 0);
	expect("0", 0, 0, root, 1, 0);
	/* uid=: exactly what is given; the passwd entry's gid, no groups. */
	expect("uid=alice", 1000, 100, NULL, 0, 0);
	expect("uid=1000 gid=7", 1000, 7, NULL, 0, 0);
	expect("uid=1000 groups=wheel,27,root,10", 1000, 100, listed, 3, 0);
	expect("gid=wheel uid=4242", 4242, 10, NULL, 0, 0);
	expect("uid=4242 gid=4242 groups=", 4242, 4242, NULL, 0, 0);
}

static void partial_identities(void **state)
{
	static const gid_t g[] = {10, 27};

	expect("uid=4242", 4242, 0, NULL, 0, POLICY_UNKNOWN_GID | POLICY_UNKNOWN_GROUPS);
	expect("uid=4242 groups=27,wheel", 4242, 0, g, 2, POLICY_UNKNOWN_GID);
	expect("uid=4294967294", 4294967294u, 0, NULL, 0,
	       POLICY_UNKNOWN_GID | POLICY_UNKNOWN_GROUPS);
}

/* @line fails with @status at word @word, offset @offset, saying @message. */
static void expect_error(const char *line, int status, size_t word, size_t offset,
			 const char *message)
{
	char buf[256], *words[8];
	struct policy_who who;
	struct policy_who_error err;
	size_t n = split(line, buf, words);

	assert_int_equal(policy_who_parse(words, n, &test_who_lookup, &who, &err), status);
	assert_string_equal(err.message, message);
	assert_int_equal(err.word, word);
	assert_int_equal(err.offset, offset);
}

static void errors_are_located(void **state)
{
	expect_error("nosuch", POLICY_WHO_E_LOOKUP, 0, 0, "unknown user 'nosuch'");
	expect_error("4242", POLICY_WHO_E_LOOKUP, 0, 0,
		     "uid 4242 has no passwd entry; give uid=4242 gid=ID");
	expect_error("alice bob", POLICY_WHO_E_USAGE, 1, 0, "unexpected 'bob' after the user name");
	expect_error("gid=1", POLICY_WHO_E_USAGE, 0, 0, "'gid=1' has no uid=ID");
	expect_error("uid=1 pid=3", POLICY_WHO_E_USAGE, 1, 0,
		     "unexpected 'pid=3': WHO is a user name or uid=ID [gid=ID] [groups=ID,...]");
	expect_error("uid=1 uid=2", POLICY_WHO_E_USAGE, 1, 0,
		     "unexpected 'uid=2': WHO is a user name or uid=ID [gid=ID] [groups=ID,...]");
	expect_error("uid=nosuch", POLICY_WHO_E_LOOKUP, 0, 4, "unknown user 'nosuch'");
	expect_error("uid=4294967295", POLICY_WHO_E_LOOKUP, 0, 4, "unknown user '4294967295'");
	expect_error("uid=1 gid=nosuch", POLICY_WHO_E_LOOKUP, 1, 4, "unknown group 'nosuch'");
	expect_error("uid=1 groups=0,wheel,nosuch", POLICY_WHO_E_LOOKUP, 1, 15,
		     "unknown group 'nosuch'");
	expect_error("uid=broken", -EIO, 0, 4, "cannot look up user 'broken': Input/output error");
}

static void what_is_missing(void **state)
{
	assert_string_equal(policy_who_missing(POLICY_UNKNOWN_GID), "the peer's gid: add gid=ID");
	assert_string_equal(policy_who_missing(POLICY_UNKNOWN_GROUPS),
			    "the peer's groups: add groups=ID,...");
	assert_string_equal(policy_who_missing(POLICY_UNKNOWN_GID | POLICY_UNKNOWN_GROUPS),
			    "the peer's gid and groups: add gid=ID groups=ID,...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_and_ids),
		cmocka_unit_test(partial_identities),
		cmocka_unit_test(errors_are_located),
		cmocka_unit_test(what_is_missing),
	};
	return cmocka_run_group_tests_name("policy-who", tests, NULL, NULL);
}
