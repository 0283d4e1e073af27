// SPDX-License-Identifier: MIT
/*
 * Unit tests for confine: each runs confine() in a forked child whose standard error is a pipe,
 * and judges by what the child returns and logs. The worker's own ids are used, so no root is
 * needed; what the drop itself does is privdrop's test, what the filters stop is sandbox's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/confine.h"
#include "udsecho/log.h"

/* Run confine(@spec) in a child; its return value and message (or log) go to @out. */
static int run(const struct confine_spec *spec, char *out, size_t len)
{
	int p[2], status;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";
		int r;

		dup2(p[1], STDERR_FILENO);
		log_init("test");
		r = confine(spec, err, sizeof(err));
		if (r < 0)
			dprintf(STDERR_FILENO, "failed %d: %s\n", -r, err);
		_exit(0);
	}
	close(p[1]);
	while (have < len - 1 && (n = read(p[0], out + have, len - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

static struct confine_spec worker_spec(pid_t monitor)
{
	return (struct confine_spec){.role = CONFINE_WORKER,
				     .sandbox = SANDBOX_STRICT,
				     .ids = {getuid(), getgid()},
				     .user = "self",
				     .peer = monitor};
}

/* The monitor's spec; its worker, to the filter, is the test (run() confines a child of it). */
static struct confine_spec monitor_spec(enum sandbox_mode mode)
{
	return (struct confine_spec){.role = CONFINE_MONITOR,
				     .sandbox = mode,
				     .ids = {getuid(), getgid()},
				     .peer = getpid()};
}

static void worker_confined_and_reported(void **state)
{
	struct confine_spec s = worker_spec(getpid());
	char out[1024], want[128];

	run(&s, out, sizeof(out));
	snprintf(want, sizeof(want), "test: event=sandbox role=worker user=self uid=%u gid=%u ",
		 (unsigned int)getuid(), (unsigned int)getgid());
	assert_true(strncmp(out, want, strlen(want)) == 0);
	assert_non_null(strstr(out, " sandbox=strict seccomp=2 no_new_privs=1 cap_eff="));
	assert_null(strstr(out, "--sandbox"));
}

/* A worker whose parent is not the monitor it was given: the death signal would never come. */
static void worker_refuses_another_parent(void **state)
{
	struct confine_spec s = worker_spec(1);
	char out[1024];

	run(&s, out, sizeof(out));
	assert_string_equal(out, "failed 3: worker: the monitor (pid 1) is gone\n");
}

static void monitor_confined_and_reported(void **state)
{
	struct confine_spec s = monitor_spec(SANDBOX_STRICT);
	char out[1024], want[128];

	run(&s, out, sizeof(out));
	snprintf(want, sizeof(want),
		 "test: event=sandbox role=monitor uid=%u gid=%u sandbox=strict "
		 "seccomp=2 no_new_privs=1 ",
		 (unsigned int)geteuid(), (unsigned int)getegid());
	assert_true(strncmp(out, want, strlen(want)) == 0);
}

static void off_warns(void **state)
{
	struct confine_spec s = worker_spec(getpid());
	char out[1024];

	s.sandbox = SANDBOX_OFF;
	run(&s, out, sizeof(out));
	assert_non_null(strstr(out, " sandbox=off seccomp=0 "));
	assert_non_null(strstr(out, "\ntest: worker: --sandbox off: the process that faces clients "
				    "has NO seccomp filter\n"));
}

static void log_mode_warns(void **state)
{
	struct confine_spec s = worker_spec(getpid());
	char out[1024];

	s.sandbox = SANDBOX_LOG;
	run(&s, out, sizeof(out));
	assert_non_null(strstr(out, " sandbox=log seccomp=2 "));
	assert_non_null(strstr(out, "\ntest: worker: --sandbox log: the process that faces "
				    "clients may make any system call: its filter only logs the "
				    "calls it should kill\n"));
}

static void bad_mode_names_the_filter(void **state)
{
	struct confine_spec s = monitor_spec((enum sandbox_mode)42);
	char out[1024];

	run(&s, out, sizeof(out));
	assert_string_equal(out, "failed 22: monitor: cannot load the seccomp filter: Invalid "
				 "argument\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(worker_confined_and_reported),
		cmocka_unit_test(worker_refuses_another_parent),
		cmocka_unit_test(monitor_confined_and_reported),
		cmocka_unit_test(off_warns),
		cmocka_unit_test(log_mode_warns),
		cmocka_unit_test(bad_mode_names_the_filter),
	};
	return cmocka_run_group_tests_name("confine", tests, NULL, NULL);
}
