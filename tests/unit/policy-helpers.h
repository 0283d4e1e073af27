/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the policy unit tests: a fixed table resolver (no NSS), an in-memory file tree
 * for includes, and shortcuts to compile a text and check its diagnostics.
 */
#pragma once

#include <stddef.h>

#include "udsecho/diag.h"
#include "udsecho/policy.h"
#include "udsecho/policy-who.h"

/*
 * Users: root 0, daemon 1, alice 1000, bob 1001, carol 1002, mallory 1666, nobody 65534.
 * Groups: root 0, wheel 10, staff 50, users 100, nogroup 65534, huge 4294967295 (must be
 * refused: a resolver answering (gid_t)-1 is treated as invalid).
 */
extern const struct policy_resolver test_resolver;

/*
 * WHO's lookups over the same users and groups: primary gids root 0, daemon 1, alice, bob and
 * carol 100 (users), mallory 1666, nobody 65534; getgrouplist adds wheel for alice and staff
 * for bob. Any other uid has no passwd entry; the user name "broken" fails with -EIO.
 */
extern const struct policy_who_lookup test_who_lookup;

/* An in-memory tree for includes: NULL-terminated {path, text} pairs, id = path. */
struct memfile {
	const char *path;
	const char *text;
};

/* A reader over @files (kept by pointer); patterns are matched with fnmatch(3), sorted. */
struct policy_reader test_reader(const struct memfile *files);

/* Parse @text as "test.policy" with @reader (may be NULL), then compile with test_resolver. */
int test_compile(const char *text, const struct policy_reader *reader, struct diag_list *diags,
		 struct policy **out);

/* Compile @text, which must be valid (asserted), with no includes. */
struct policy *test_compile_ok(const char *text);

/* Assert that @diags holds exactly the NULL-terminated formatted lines in @expected. */
void assert_diags(const struct diag_list *diags, const char *const *expected);

/* A peer: @groups is a list of @n supplementary groups in any order; valid for 16 more calls. */
struct peer_cred test_cred(uid_t uid, gid_t gid, const gid_t *groups, size_t n);
