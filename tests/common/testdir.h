/* SPDX-License-Identifier: MIT */
/*
 * testdir: private directories for the tests, in a place the policy checks trust.
 *
 * udsechod refuses a policy below a directory others may write, /tmp included, so the tests
 * cannot keep their files there. The base is $UDSECHO_TEST_TMPDIR when set; otherwise /run for
 * root, else $XDG_RUNTIME_DIR, else /tmp (where the tests that load a policy from disk fail,
 * as the server would). tests/common/testdir.sh says the same for the shell tests.
 */
#pragma once
#include <stddef.h>

/* test_tmpdir - a fresh 0700 directory BASE/udsecho-@tag.XXXXXX into @dir; aborts on failure. */
void test_tmpdir(char *dir, size_t len, const char *tag);
