// SPDX-License-Identifier: MIT
/*
 * Unit tests for explain: explain_allowed() against the kernel's permission classes for every
 * mode, and the words of explain_eacces() for each class and hint. Pure: no system state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "udsecho/explain.h"

static const gid_t alice_groups[] = {27, 4343, 100};

/* The node: /run/udsecho/sock, echod:echo (4242:4343). */
static struct explain_node node_with(mode_t mode)
{
	return (struct explain_node){
		.path = "/run/udsecho/sock",
		.uid = 4242,
		.gid = 4343,
		.mode = mode,
		.owner_name = "echod",
		.group_name = "echo",
	};
}

static struct explain_caller owner(void)
{
	return (struct explain_caller){.uid = 4242, .gid = 4242, .user_name = "echod"};
}

/* In the node's group through her primary gid. */
static struct explain_caller primary_member(void)
{
	return (struct explain_caller){.uid = 1001, .gid = 4343, .user_name = "carol"};
}

/* In the node's group through a supplementary group. */
static struct explain_caller supplementary_member(void)
{
	return (struct explain_caller){.uid = 1000,
				       .gid = 1000,
				       .groups = alice_groups,
				       .ngroups = 3,
				       .user_name = "alice"};
}

static struct explain_caller stranger(void)
{
	return (struct explain_caller){
		.uid = 1002, .gid = 1002, .groups = alice_groups, .ngroups = 1, .user_name = "bob"};
}

/* The kernel's rule, written the other way round: pick the class, then test its one bit. */
static int reference(mode_t mode, enum explain_need need, int cls)
{
	int shift = cls == 0 ? 6 : cls == 1 ? 3 : 0;

	return (mode >> shift) & (need == EXPLAIN_NEED_WRITE ? 2 : 1);
}

static void allowed_follows_classes_for_every_mode(void **state)
{
	const struct explain_caller callers[] = {owner(), primary_member(), supplementary_member(),
						 stranger()};
	const int classes[] = {0, 1, 1, 2};
	const enum explain_need needs[] = {EXPLAIN_NEED_WRITE, EXPLAIN_NEED_SEARCH};

	for (mode_t mode = 0; mode <= 0777; mode++) {
		struct explain_node n = node_with(mode);

		for (size_t c = 0; c < 4; c++) {
			for (size_t k = 0; k < 2; k++) {
				int want = reference(mode, needs[k], classes[c]) != 0;
				int got = explain_allowed(&n, needs[k], &callers[c]) != 0;

				if (want != got)
					fail_msg("mode %04o caller %zu need %zu: want %d got %d",
						 (unsigned int)mode, c, k, want, got);
			}
		}
	}
}

static void allowed_by_class_examples(void **state)
{
	struct explain_node n;
	struct explain_caller c;

	/* Owner bits apply to the owner even when group and others would be allowed. */
	n = node_with(0077);
	c = owner();
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	assert_false(explain_allowed(&n, EXPLAIN_NEED_SEARCH, &c));
	/* ... also when the owner is in the node's group too. */
	c.gid = 4343;
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	c = primary_member();
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));

	/* Group bits apply to members even when others would be allowed. */
	n = node_with(0602);
	c = primary_member();
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	c = supplementary_member();
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	c = stranger();
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));

	/* 0660: owner and both kinds of members, not others. */
	n = node_with(0660);
	c = owner();
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	c = primary_member();
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	c = supplementary_member();
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	c = stranger();
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	/* Being listed in the group database is not membership of this process. */
	c.listed_in_node_group = 1;
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));

	/* Search and write are different bits. */
	n = node_with(0711);
	c = stranger();
	assert_true(explain_allowed(&n, EXPLAIN_NEED_SEARCH, &c));
	assert_false(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	n = node_with(0722);
	assert_false(explain_allowed(&n, EXPLAIN_NEED_SEARCH, &c));
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));

	/* Root is always allowed. */
	n = node_with(0);
	c = (struct explain_caller){.uid = 0, .gid = 0, .user_name = "root"};
	assert_true(explain_allowed(&n, EXPLAIN_NEED_WRITE, &c));
	assert_true(explain_allowed(&n, EXPLAIN_NEED_SEARCH, &c));
}

static void explain(mode_t mode, enum explain_need need, const struct explain_caller *c,
		    char why[1024], char hint[512])
{
	struct explain_node n = node_with(mode);

	if (need == EXPLAIN_NEED_SEARCH)
		n.path = "/run/udsecho";
	memset(why, 'X', 1024);
	memset(hint, 'X', 512);
	explain_eacces(&n, need, c, why, 1024, hint, 512);
	assert_non_null(memchr(why, '\0', 1024));
	assert_non_null(memchr(hint, '\0', 512));
	assert_null(strchr(why, '\n'));
	assert_null(strchr(hint, '\n'));
}

#define assert_contains(s, sub)                                                                    \
	do {                                                                                       \
		if (!strstr((s), (sub)))                                                           \
			fail_msg("'%s' does not contain '%s'", (s), (sub));                        \
	} while (0)

#define assert_lacks(s, sub)                                                                       \
	do {                                                                                       \
		if (strstr((s), (sub)))                                                            \
			fail_msg("'%s' contains '%s'", (s), (sub));                                \
	} while (0)

static void why_names_everything(void **state)
{
	struct explain_caller c = stranger();
	char why[1024], hint[512];

	explain(0660, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_string_equal(
		why, "connecting needs write permission on the socket /run/udsecho/sock, which is "
		     "owned by echod:echo with mode 0660 (rw-rw----); you are bob (uid 1002, gid "
		     "1002): you are neither its owner nor in its group, so the bits for others "
		     "apply, and they do not grant write");

	c = owner();
	explain(0070, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_contains(why, "mode 0070 (---rwx---)");
	assert_contains(why, "you are echod (uid 4242, gid 4242)");
	assert_contains(why, "you own it, so the owner bits apply");

	c = supplementary_member();
	explain(0604, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_contains(why, "mode 0604 (rw----r--)");
	assert_contains(why, "you are in its group, so the group bits apply");
	c = primary_member();
	explain(0604, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_contains(why, "you are in its group, so the group bits apply");
	assert_contains(why, "carol (uid 1001, gid 4343)");
}

static void hint_listed_but_not_in_session(void **state)
{
	struct explain_caller c = stranger();
	char why[1024], hint[512];

	c.listed_in_node_group = 1;
	explain(0660, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_contains(why, "the bits for others apply");
	assert_contains(hint, "newgrp echo");
	assert_contains(hint, "log in again");
	assert_contains(hint, "bob is listed in group echo");

	/* The same for a directory on the way. */
	explain(0750, EXPLAIN_NEED_SEARCH, &c, why, hint);
	assert_contains(hint, "newgrp echo");
}

static void hint_listed_but_group_would_not_grant(void **state)
{
	struct explain_caller c = stranger();
	char why[1024], hint[512];

	/* Getting the group into the session would not help: don't suggest it. */
	c.listed_in_node_group = 1;
	explain(0600, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_lacks(hint, "newgrp");
	assert_contains(hint, "ask the administrator");
	explain(0700, EXPLAIN_NEED_SEARCH, &c, why, hint);
	assert_lacks(hint, "newgrp");
	assert_contains(hint, "/run/udsecho");
}

static void hint_group_would_allow(void **state)
{
	struct explain_caller c = stranger();
	char why[1024], hint[512];

	explain(0660, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_string_equal(hint, "members of group echo may connect: ask the administrator to add "
				  "bob to it, then log in again");
	assert_lacks(hint, "newgrp");

	explain(0710, EXPLAIN_NEED_SEARCH, &c, why, hint);
	assert_contains(hint, "members of group echo may pass");
	assert_contains(hint, "add bob to it");
}

static void hint_otherwise(void **state)
{
	struct explain_caller c = stranger();
	char why[1024], hint[512];

	explain(0600, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_string_equal(
		hint, "ask the administrator to grant access (udsechod --owner, --group, --mode)");
	/* A member whose group bits do not grant: no "add to the group" advice. */
	c = supplementary_member();
	explain(0606, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_lacks(hint, "add");
	assert_lacks(hint, "newgrp");
	c = owner();
	explain(0066, EXPLAIN_NEED_WRITE, &c, why, hint);
	assert_lacks(hint, "newgrp");
}

static void directory_case_names_the_directory(void **state)
{
	struct explain_caller c = stranger();
	char why[1024], hint[512];

	explain(0750, EXPLAIN_NEED_SEARCH, &c, why, hint);
	assert_string_equal(
		why, "reaching the socket needs search (x) permission on directory /run/udsecho, "
		     "which is owned by echod:echo with mode 0750 (rwxr-x---); you are bob (uid "
		     "1002, gid 1002): you are neither its owner nor in its group, so the bits for "
		     "others apply, and they do not grant search (x)");
	explain(0700, EXPLAIN_NEED_SEARCH, &c, why, hint);
	assert_string_equal(hint, "ask the administrator to let you search /run/udsecho");
	/* Special bits show in the octal mode. */
	explain(01770, EXPLAIN_NEED_SEARCH, &c, why, hint);
	assert_contains(why, "mode 1770 (rwxrwx---)");
}

static void short_buffers_are_terminated(void **state)
{
	struct explain_node n = node_with(0660);
	struct explain_caller c = stranger();
	char why[16], hint[8];

	c.listed_in_node_group = 1;
	explain_eacces(&n, EXPLAIN_NEED_WRITE, &c, why, sizeof(why), hint, sizeof(hint));
	assert_string_equal(why, "connecting need");
	assert_string_equal(hint, "bob is ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_follows_classes_for_every_mode),
		cmocka_unit_test(allowed_by_class_examples),
		cmocka_unit_test(why_names_everything),
		cmocka_unit_test(hint_listed_but_not_in_session),
		cmocka_unit_test(hint_listed_but_group_would_not_grant),
		cmocka_unit_test(hint_group_would_allow),
		cmocka_unit_test(hint_otherwise),
		cmocka_unit_test(directory_case_names_the_directory),
		cmocka_unit_test(short_buffers_are_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
