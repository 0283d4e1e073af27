// SPDX-License-Identifier: MIT
/*
 * Unit tests for uidshare: a child takes a uid that nothing else has, and the scan must find it,
 * and only it. Changing uids needs root: skipped otherwise, with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/uidshare.h"

#define LONE_UID 4472 /* no passwd entry, no process: only the child below */

static void finds_the_one_process_of_a_uid(void **state)
{
	int p[2], ready[2], status;
	size_t n;
	pid_t child, first;
	char c;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: giving a process another uid needs root\n");
		skip();
	}
	assert_int_equal(uidshare_count(LONE_UID, &n, &first), 0);
	assert_int_equal(n, 0);
	assert_int_equal(first, 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[1]);
		close(ready[0]);
		if (setresuid(LONE_UID, LONE_UID, LONE_UID) < 0 || write(ready[1], "x", 1) != 1)
			_exit(1);
		(void)!read(p[0], &c, 1); /* until the parent is done: EOF */
		_exit(0);
	}
	close(p[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(uidshare_count(LONE_UID, &n, &first), 0);
	assert_int_equal(n, 1);
	assert_int_equal(first, child);
	close(p[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(uidshare_count(LONE_UID, &n, &first), 0);
	assert_int_equal(n, 0);
}

/* The caller itself is never counted: a process alone with its uid finds no other. */
static void the_caller_is_not_counted(void **state)
{
	int status;
	pid_t child;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: giving a process another uid needs root\n");
		skip();
	}
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		size_t n = 99;
		pid_t first;

		if (setresuid(LONE_UID + 1, LONE_UID + 1, LONE_UID + 1) < 0 ||
		    uidshare_count(LONE_UID + 1, &n, &first) < 0)
			_exit(100);
		_exit(n == 0 && first == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_the_one_process_of_a_uid),
		cmocka_unit_test(the_caller_is_not_counted),
	};
	return cmocka_run_group_tests_name("uidshare", tests, NULL, NULL);
}
