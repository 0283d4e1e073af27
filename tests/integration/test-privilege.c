// SPDX-License-Identifier: MIT
/*
 * Integration: least privilege of the running udsechod, read from the kernel — /proc/PID/status
 * of the worker and the monitor, what the worker's uid can do to the monitor, the one-way pair,
 * that a worker which does not exit never outlives the monitor, and the --user and --sandbox
 * options. Root only: it starts the server as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define ZERO_CAPS     "0000000000000000"
#define CAP_KILL_ONLY "0000000000000020" /* bit 5 */

static void field_is(pid_t pid, const char *field, const char *want)
{
	char v[256];

	assert_int_equal(harness_status_field(pid, field, v, sizeof(v)), 0);
	if (strcmp(v, want) != 0)
		fprintf(stderr, "pid %d %s: '%s', expected '%s'\n", (int)pid, field, v, want);
	assert_string_equal(v, want);
}

/* @eff_prm in the effective and permitted sets, nothing in the others, and no_new_privs. */
static void capabilities_are(pid_t pid, const char *eff_prm)
{
	static const char *const sets[] = {"CapInh", "CapBnd", "CapAmb"};

	field_is(pid, "CapEff", eff_prm);
	field_is(pid, "CapPrm", eff_prm);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		field_is(pid, sets[i], ZERO_CAPS);
	field_is(pid, "NoNewPrivs", "1");
}

static void no_capability_at_all(pid_t pid)
{
	capabilities_are(pid, ZERO_CAPS);
}

static pid_t start(struct server *s, const char *const *args)
{
	pid_t worker;

	assert_int_equal(harness_server_start(s, args, NULL), 0);
	worker = harness_worker_pid(s);
	assert_true(worker > 0);
	return worker;
}

static void stop(struct server *s)
{
	int status = harness_server_stop(s);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	harness_rmtree(s->dir);
}

/* The worker holds nothing; the monitor CAP_KILL alone, for a worker of another uid. */
static void worker_holds_nothing_and_monitor_cap_kill(void **state)
{
	struct server s;
	pid_t worker;

	if (!harness_is_root("checking the privilege drop from root"))
		skip();
	worker = start(&s, NULL);
	field_is(worker, "Uid", "65534\t65534\t65534\t65534");
	field_is(worker, "Gid", "65534\t65534\t65534\t65534");
	field_is(worker, "Groups", "");
	field_is(worker, "Seccomp", "2");
	no_capability_at_all(worker);

	field_is(s.pid, "Uid", "0\t0\t0\t0");
	field_is(s.pid, "Seccomp", "2");
	capabilities_are(s.pid, CAP_KILL_ONLY);
	assert_true(harness_wait_log(&s, "event=sandbox role=worker user=nobody uid=65534", 1000));
	assert_true(harness_wait_log(&s,
				     "event=sandbox role=monitor uid=0 gid=0 sandbox=strict "
				     "seccomp=2 no_new_privs=1 cap_eff=" CAP_KILL_ONLY
				     " cap_prm=" CAP_KILL_ONLY " cap_inh=" ZERO_CAPS
				     " cap_bnd=" ZERO_CAPS " cap_amb=" ZERO_CAPS,
				     1000));
	stop(&s);
}

/* What a compromised worker could try: signal the monitor, write to the pair. */
static void compromised_worker_cannot_reach_the_monitor(void **state)
{
	struct server s;
	pid_t worker, child;
	int status, wpidfd, pair = -1;
	char dir[64];
	struct dirent *d;
	DIR *fds;

	if (!harness_is_root("checking the privilege drop from root"))
		skip();
	worker = start(&s, NULL);

	/* From the worker's uid, the monitor cannot be signalled. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		_exit(kill(s.pid, SIGTERM) < 0 && errno == EPERM ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The worker's end of the pair is shut for writing: take a copy of it and try. */
	wpidfd = harness_pidfd(worker);
	assert_true(wpidfd >= 0);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)worker);
	fds = opendir(dir);
	assert_non_null(fds);
	while ((d = readdir(fds))) {
		int target = atoi(d->d_name), fd, listening = 0, type = 0;
		socklen_t len = sizeof(int);
		if (d->d_name[0] == '.' || target < 3)
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, wpidfd, target, 0);
		if (fd < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM &&
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 &&
		    !listening) {
			pair = fd; /* no client is connected: the only stream socket left */
			break;
		}
		close(fd);
	}
	closedir(fds);
	close(wpidfd);
	assert_true(pair >= 0);
	assert_int_equal(send(pair, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT), -1);
	assert_int_equal(errno, EPIPE);
	close(pair);
	stop(&s);
}

/* Wait up to @ms for the kernel to report @pid stopped ("T" in /proc/PID/status). */
static int stopped_within(pid_t pid, int ms)
{
	char state[64];

	for (int waited = 0; waited <= ms; waited += 10) {
		if (harness_status_field(pid, "State", state, sizeof(state)) == 0 &&
		    state[0] == 'T')
			return 1;
		/* Bounded polling of the process state, 10 ms apart. */
		poll(NULL, 0, 10);
	}
	return 0;
}

/*
 * A worker that cannot act on the monitor's end (stopped, or hijacked and ignoring the pair):
 * started as root, with the worker as nobody. Returns the worker's pid; *@pidfd follows it.
 */
static pid_t start_and_stop_worker(struct server *s, int *pidfd)
{
	pid_t worker = start(s, NULL);

	*pidfd = harness_pidfd(worker);
	assert_true(*pidfd >= 0);
	assert_int_equal(kill(worker, SIGSTOP), 0);
	assert_true(stopped_within(worker, HARNESS_TIMEOUT_MS));
	return worker;
}

/* Whether the worker ended within @ms; if not, it is killed here, so that it outlives no test. */
static int worker_gone_within(int pidfd, int ms)
{
	int gone = harness_pidfd_exited(pidfd, ms);

	if (!gone) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		harness_pidfd_exited(pidfd, HARNESS_TIMEOUT_MS);
	}
	close(pidfd);
	return gone;
}

/* The monitor dies (SIGKILL): its worker's parent-death signal must still reach the other uid. */
static void stopped_worker_dies_with_the_monitor(void **state)
{
	struct server s;
	int wpidfd, status;

	if (!harness_is_root("running the worker as another uid than the monitor"))
		skip();
	start_and_stop_worker(&s, &wpidfd);
	assert_int_equal(kill(s.pid, SIGKILL), 0);
	status = harness_server_wait(&s, HARNESS_TIMEOUT_MS);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(worker_gone_within(wpidfd, 2000));
	harness_rmtree(s.dir);
}

/* SIGTERM with a worker that does not exit: after its bounded wait the monitor kills it. */
static void stop_kills_a_worker_that_does_not_exit(void **state)
{
	struct server s;
	char line[96];
	pid_t worker;
	int wpidfd, status;

	if (!harness_is_root("running the worker as another uid than the monitor"))
		skip();
	worker = start_and_stop_worker(&s, &wpidfd);
	snprintf(line, sizeof(line), "event=stop-kill worker=%d ", (int)worker);
	status = harness_server_stop(&s);
	assert_true(worker_gone_within(wpidfd, 0));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(harness_wait_log(&s, line, 0));
	harness_rmtree(s.dir);
}

static void user_root_drops_every_capability(void **state)
{
	const char *args[] = {"--user", "root", NULL};
	struct server s;
	pid_t worker;

	if (!harness_is_root("starting the server as root"))
		skip();
	worker = start(&s, args);
	field_is(worker, "Uid", "0\t0\t0\t0");
	field_is(worker, "Seccomp", "2");
	no_capability_at_all(worker);
	/* A worker of the monitor's own uid can be signalled without CAP_KILL: none is kept. */
	no_capability_at_all(s.pid);
	stop(&s);
}

static void sandbox_off_and_log(void **state)
{
	const char *off[] = {"--sandbox", "off", NULL};
	const char *log[] = {"--sandbox", "log", NULL};
	const char *hello[] = {"-s", NULL, "hello", NULL};
	char out[64];
	struct server s;
	pid_t worker;

	worker = start(&s, off);
	field_is(worker, "Seccomp", "0");
	field_is(s.pid, "Seccomp", "0");
	assert_true(harness_wait_log(&s, "has NO seccomp filter", 1000));
	hello[1] = s.path;
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	stop(&s);

	worker = start(&s, log);
	field_is(worker, "Seccomp", "2");
	assert_true(harness_wait_log(&s, "sandbox=log", 1000));
	hello[1] = s.path;
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "hello\n");
	stop(&s);
}

static void bad_sandbox_mode_is_usage(void **state)
{
	const char *args[] = {"--sandbox", "lax", NULL};
	struct server s;

	harness_tmpdir(s.dir, sizeof(s.dir));
	assert_int_equal(harness_server_run(&s, args, NULL), 64);
	assert_true(harness_wait_log(&s, "--sandbox: 'lax' is not one of strict, log, off", 100));
	harness_rmtree(s.dir);
}

/* An ordinary user keeps its identity, still confined; asking for another user is refused. */
static void ordinary_user(void **state)
{
	struct run_as as = {.uid = 4460, .gid = 4460};
	const char *other[] = {"--user", "nobody", NULL};
	struct server s;
	pid_t worker;

	if (!harness_is_root("starting the server as an ordinary user"))
		skip();
	harness_tmpdir(s.dir, sizeof(s.dir));
	assert_int_equal(chown(s.dir, 4460, 4460), 0);
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	assert_int_equal(harness_server_run(&s, other, &as), 77);
	assert_true(harness_wait_log(&s, "only root can run the worker as another user", 100));

	assert_int_equal(harness_server_start_in(&s, NULL, &as), 0);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	field_is(worker, "Uid", "4460\t4460\t4460\t4460");
	field_is(worker, "Seccomp", "2");
	field_is(worker, "NoNewPrivs", "1");
	field_is(worker, "CapEff", ZERO_CAPS);
	/* Its worker has its uid: the monitor keeps no CAP_KILL, and starts all the same. */
	field_is(s.pid, "CapEff", ZERO_CAPS);
	field_is(s.pid, "CapPrm", ZERO_CAPS);
	stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(worker_holds_nothing_and_monitor_cap_kill,
					  harness_teardown),
		cmocka_unit_test_teardown(compromised_worker_cannot_reach_the_monitor,
					  harness_teardown),
		cmocka_unit_test_teardown(stopped_worker_dies_with_the_monitor, harness_teardown),
		cmocka_unit_test_teardown(stop_kills_a_worker_that_does_not_exit, harness_teardown),
		cmocka_unit_test_teardown(user_root_drops_every_capability, harness_teardown),
		cmocka_unit_test_teardown(sandbox_off_and_log, harness_teardown),
		cmocka_unit_test_teardown(bad_sandbox_mode_is_usage, harness_teardown),
		cmocka_unit_test_teardown(ordinary_user, harness_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("privilege", tests, NULL, NULL);
}
