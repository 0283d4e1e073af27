// SPDX-License-Identifier: MIT
/*
 * Integration: least privilege of the running udsechod, read from the kernel — /proc/PID/status
 * of the worker and the monitor, their seccomp filters, what the worker's uid can do to the
 * monitor, the one-way pair, that a worker which does not exit never outlives the monitor, and
 * the --user and --sandbox options. Root only: it starts the server as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <linux/seccomp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
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

static pid_t start_as(struct server *s, const char *const *args, const struct run_as *as)
{
	pid_t worker;

	assert_int_equal(harness_server_start(s, args, as), 0);
	worker = harness_worker_pid(s);
	assert_true(worker > 0);
	return worker;
}

static pid_t start(struct server *s, const char *const *args)
{
	return start_as(s, args, NULL);
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
	/* Root with supplementary groups, root's among them, which the worker must not keep. */
	static const gid_t groups[] = {0, 4, 27};
	const struct run_as as = {.uid = 0, .gid = 0, .ngroups = 3, .groups = groups};
	const char *args[] = {"--user", "nobody", NULL}; /* whether or not udsecho exists here */
	struct server s;
	pid_t worker;

	if (!harness_is_root("checking the privilege drop from root"))
		skip();
	worker = start_as(&s, args, &as);
	field_is(worker, "Uid", "65534\t65534\t65534\t65534");
	field_is(worker, "Gid", "65534\t65534\t65534\t65534");
	field_is(worker, "Groups", "");
	field_is(worker, "Seccomp", "2");
	no_capability_at_all(worker);

	field_is(s.pid, "Uid", "0\t0\t0\t0");
	field_is(s.pid, "Groups", "0 4 27 "); /* the kernel ends a list with a space */
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
	assert_true(harness_stopped_within(worker, HARNESS_TIMEOUT_MS));
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

/*
 * Whether the newest seccomp filter of @pid refuses with @action somewhere: 1 or 0; -1 when the
 * kernel does not give filters out (no ptrace, no CONFIG_CHECKPOINT_RESTORE, or the test itself
 * runs under a filter).
 */
static int filter_returns(pid_t pid, uint32_t action)
{
	struct sock_filter prog[4096];
	ssize_t n = harness_seccomp_filter(pid, prog, sizeof(prog) / sizeof(prog[0]));

	if (n < 0 && (errno == EPERM || errno == EACCES || errno == EIO)) {
		fprintf(stderr, "skipped: the kernel does not give out the filter of pid %d: %s\n",
			(int)pid, strerror(errno));
		return -1;
	}
	assert_true(n > 0);
	for (ssize_t i = 0; i < n; i++)
		if (prog[i].code == (BPF_RET | BPF_K) &&
		    (prog[i].k & SECCOMP_RET_ACTION_FULL) == action)
			return 1;
	return 0;
}

/*
 * Seccomp 2 says a filter is loaded, not what it does: the filters themselves, read back from the
 * kernel, must kill and never merely log under strict, and log under log, in both processes.
 */
static void filters_act_as_the_mode_says(void **state)
{
	const char *log[] = {"--sandbox", "log", NULL};
	struct server s;
	pid_t worker;
	int kills;

	if (!harness_is_root("reading seccomp filters"))
		skip();
	worker = start(&s, NULL);
	kills = filter_returns(worker, SECCOMP_RET_KILL_PROCESS);
	if (kills < 0) {
		stop(&s);
		skip();
	}
	assert_int_equal(kills, 1);
	assert_int_equal(filter_returns(worker, SECCOMP_RET_LOG), 0);
	assert_int_equal(filter_returns(s.pid, SECCOMP_RET_KILL_PROCESS), 1);
	assert_int_equal(filter_returns(s.pid, SECCOMP_RET_LOG), 0);
	stop(&s);

	worker = start(&s, log);
	assert_int_equal(filter_returns(worker, SECCOMP_RET_LOG), 1);
	assert_int_equal(filter_returns(s.pid, SECCOMP_RET_LOG), 1);
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

/* Whether any descriptor of @pid is open on @path. */
static int holds(pid_t pid, const char *path)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		ssize_t n;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

static void fd_is(pid_t pid, int fd, const char *want)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, want);
}

/*
 * A descriptor that the starting process leaked (here a root-only file, open without
 * O_CLOEXEC) reaches neither process: the worker could read it inside its sandbox. The worker's
 * standard input and output are /dev/null.
 */
static void inherited_descriptors_are_closed(void **state)
{
	char dir[128], secret[160];
	struct server s;
	pid_t worker;
	int fd;

	if (!harness_is_root("reading the server's descriptors in /proc"))
		skip();
	harness_tmpdir(dir, sizeof(dir));
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	harness_write_file(secret, "root only\n", 0600);
	fd = open(secret, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 40), 40);
	close(fd);
	worker = start(&s, NULL);
	close(40);
	assert_false(holds(worker, secret));
	assert_false(holds(s.pid, secret));
	fd_is(worker, 0, "/dev/null");
	fd_is(worker, 1, "/dev/null");
	stop(&s);
	harness_rmtree(dir);
}

/*
 * Without --user the worker is the server's own user; where it does not exist, nobody, with a
 * warning. A uid that another running process has is no boundary either: the server says so.
 */
static void worker_user_is_its_own_or_a_warning(void **state)
{
	const char *as_daemon[] = {"--user", "daemon", NULL};
	struct passwd *pw;
	struct server s;
	pid_t worker, other;
	int p[2], status;
	char want[256], c;

	if (!harness_is_root("starting the server as root"))
		skip();
	pw = getpwnam(UDSECHO_DEFAULT_USER);
	worker = start(&s, NULL);
	if (pw) {
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned int)pw->pw_uid,
			 (unsigned int)pw->pw_uid, (unsigned int)pw->pw_uid,
			 (unsigned int)pw->pw_uid);
		field_is(worker, "Uid", want);
	} else {
		field_is(worker, "Uid", "65534\t65534\t65534\t65534");
		assert_true(harness_wait_log(
			&s,
			"no user " UDSECHO_DEFAULT_USER ", the worker's own "
			"(systemd-sysusers or useradd --system " UDSECHO_DEFAULT_USER
			" creates it): the worker runs as nobody",
			1000));
	}
	stop(&s);

	assert_non_null(getpwnam("daemon"));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	other = fork();
	assert_true(other >= 0);
	if (other == 0) {
		close(p[1]);
		if (setresuid(getpwnam("daemon")->pw_uid, getpwnam("daemon")->pw_uid,
			      getpwnam("daemon")->pw_uid) < 0)
			_exit(1);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	worker = start(&s, as_daemon);
	/* Others of this machine may run as daemon too: the count is at least ours. */
	assert_true(harness_wait_log(&s, "(daemon) is also the uid of ", 1000));
	snprintf(want, sizeof(want), "running process (pid %d first)", (int)other);
	if (!harness_wait_log(&s, want, 0))
		assert_true(harness_wait_log(&s, " running processes (pid ", 0));
	stop(&s);
	close(p[1]);
	assert_int_equal(waitpid(other, &status, 0), other);
}

/* Run `unshare --user --map-root-user udsechod -t [--allow-userns]`; its status, stderr in @err. */
static int check_in_userns(int allow, char *err, size_t len)
{
	char *argv[] = {"/usr/bin/unshare",
			"--user",
			"--map-root-user",
			getenv("UDSECHOD"),
			"-t",
			allow ? "--allow-userns" : NULL,
			NULL};
	char dir[128], log[160];
	int pidfd, status;
	pid_t pid;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(log, sizeof(log), "%s/err", dir);
	pid = harness_spawn(argv, NULL, NULL, NULL, log, -1, &pidfd);
	assert_true(pid > 0);
	status = harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS);
	assert_true(status != -1);
	err[0] = '\0';
	harness_read_file(log, err, len);
	harness_rmtree(dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* In a user namespace that maps one id, peers are all 65534: the server will not start there. */
static void partial_user_namespace_is_refused(void **state)
{
	char err[1024];
	int r;

	if (access("/usr/bin/unshare", X_OK) < 0 || system("/usr/bin/unshare --user true") != 0) {
		fprintf(stderr, "skipped: no unshare(1), or user namespaces are not available\n");
		skip();
	}
	r = check_in_userns(0, err, sizeof(err));
	if (r != 78)
		fprintf(stderr, "status %d: %s\n", r, err);
	assert_int_equal(r, 78);
	assert_non_null(strstr(err, "/proc/self/uid_map is '0 "));
	assert_non_null(strstr(err, "not the identity map"));
	assert_int_equal(check_in_userns(1, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "configuration OK"));
}

/* The owner of /proc/PID/mem: root when the process is not dumpable (proc(5)). */
static uid_t owner_of_proc(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	assert_int_equal(stat(path, &st), 0);
	return st.st_uid;
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
	/* Not dumpable, although no id changed: its /proc files are root's, not 4460's. */
	assert_true(owner_of_proc(worker) == 0);
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
		cmocka_unit_test_teardown(filters_act_as_the_mode_says, harness_teardown),
		cmocka_unit_test_teardown(bad_sandbox_mode_is_usage, harness_teardown),
		cmocka_unit_test_teardown(ordinary_user, harness_teardown),
		cmocka_unit_test_teardown(inherited_descriptors_are_closed, harness_teardown),
		cmocka_unit_test_teardown(worker_user_is_its_own_or_a_warning, harness_teardown),
		cmocka_unit_test_teardown(partial_user_namespace_is_refused, harness_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("privilege", tests, NULL, NULL);
}
