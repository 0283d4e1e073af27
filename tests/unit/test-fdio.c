// SPDX-License-Identifier: MIT
/* Unit tests for fdio: every byte through a pipe smaller than the write, and a failed write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/fdio.h"

#define BIG (1 << 20) /* more than a pipe holds: the writer sees short writes */

static void writes_everything(void **state)
{
	static char out[BIG], in[BIG];
	size_t have = 0;
	int p[2], status;
	pid_t pid;

	for (size_t i = 0; i < BIG; i++)
		out[i] = (char)(i * 7);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(fdio_write_all(p[1], out, BIG) == 0 ? 0 : 1);
	}
	close(p[1]);
	for (ssize_t n; (n = read(p[0], in + have, BIG - have)) > 0;)
		have += (size_t)n;
	close(p[0]);
	assert_int_equal(have, BIG);
	assert_memory_equal(in, out, BIG);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void reports_the_failure(void **state)
{
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(fdio_write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	assert_int_equal(fdio_write_all(-1, "x", 1), -EBADF);
	assert_int_equal(fdio_write_all(-1, "", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_everything),
		cmocka_unit_test(reports_the_failure),
	};
	return cmocka_run_group_tests_name("fdio", tests, NULL, NULL);
}
