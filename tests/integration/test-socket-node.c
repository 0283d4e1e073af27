// SPDX-License-Identifier: MIT
/*
 * Integration: the socket node made by the real udsechod — owner, group and mode exactly as
 * asked; whatever already sits at PATH; unsafe directories; removal at stop; exit statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void node_is(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
}

static void stopped_cleanly(struct server *s)
{
	int status = harness_server_stop(s);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(s->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void default_mode_is_owner_only(void **state)
{
	struct server s;

	/* A permissive umask must not widen the node. */
	mode_t old = umask(0);
	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	umask(old);
	node_is(s.path, geteuid(), getegid(), 0600);
	stopped_cleanly(&s);
	harness_rmtree(s.dir);
}

static void mode_as_asked(void **state)
{
	static const char *const modes[] = {"0640", "0666", "0"};
	static const mode_t want[] = {0640, 0666, 0};

	for (size_t i = 0; i < 3; i++) {
		const char *args[] = {"--mode", modes[i], NULL};
		struct server s;
		mode_t old = umask(0077); /* a restrictive umask must not narrow it either */
		assert_int_equal(harness_server_start(&s, args, NULL), 0);
		umask(old);
		node_is(s.path, geteuid(), getegid(), want[i]);
		stopped_cleanly(&s);
		harness_rmtree(s.dir);
	}
}

static void owner_and_group_as_asked(void **state)
{
	const char *args[] = {"--owner", "4201", "--group", "4202", NULL};
	const char *mode_args[] = {"--group", "4202", "--mode", "0620", NULL};
	struct server s;

	if (!harness_is_root("--owner and --group for other ids"))
		skip();
	assert_int_equal(harness_server_start(&s, args, NULL), 0);
	node_is(s.path, 4201, 4202, 0660); /* --group without --mode: 0660 */
	stopped_cleanly(&s);
	harness_rmtree(s.dir);

	assert_int_equal(harness_server_start(&s, mode_args, NULL), 0);
	node_is(s.path, 0, 4202, 0620);
	stopped_cleanly(&s);
	harness_rmtree(s.dir);
}

/* Something that is not a socket at PATH: refused with 73, left exactly as it was. */
static void non_sockets_are_refused_and_kept(void **state)
{
	for (int kind = 0; kind < 4; kind++) {
		struct server s;
		struct stat before, after;
		char buf[4096];

		harness_tmpdir(s.dir, sizeof(s.dir));
		snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
		if (kind == 0) {
			int fd = open(s.path, O_WRONLY | O_CREAT, 0644);
			assert_int_equal(write(fd, "keep me", 7), 7);
			close(fd);
		} else if (kind == 1) {
			assert_int_equal(mkdir(s.path, 0755), 0);
		} else if (kind == 2) {
			assert_int_equal(symlink("/etc/passwd", s.path), 0);
		} else {
			assert_int_equal(symlink("/nonexistent/target", s.path), 0);
		}
		assert_int_equal(lstat(s.path, &before), 0);
		assert_int_equal(harness_server_start_in(&s, NULL, NULL), 73);
		assert_int_equal(lstat(s.path, &after), 0);
		assert_int_equal(before.st_ino, after.st_ino);
		assert_int_equal(before.st_mode, after.st_mode);
		assert_true(harness_read_file(s.log, buf, sizeof(buf)) > 0);
		assert_non_null(strstr(buf, s.path));
		if (kind == 0) {
			harness_read_file(s.path, buf, sizeof(buf));
			assert_string_equal(buf, "keep me");
		}
		harness_rmtree(s.dir);
	}
}

static void stale_socket_is_replaced(void **state)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat before;
	struct server s;
	int fd;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd); /* the node stays, nobody listens: stale */
	assert_int_equal(lstat(s.path, &before), 0);
	assert_int_equal(harness_server_start_in(&s, NULL, NULL), 0);
	fd = harness_connect(s.path);
	assert_true(fd >= 0);
	close(fd);
	stopped_cleanly(&s);
	harness_rmtree(s.dir);
}

/*
 * A stale socket that another uid left (in /tmp, say) is that user's, not ours to remove, even
 * for root: the server refuses it as it refuses a file, and the node stays.
 */
static void stale_socket_of_another_uid_is_kept(void **state)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat before, after;
	struct server s;
	int fd;

	if (!harness_is_root("giving a socket node to another uid"))
		skip();
	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(lchown(s.path, 4476, 4476), 0);
	assert_int_equal(lstat(s.path, &before), 0);
	assert_int_equal(harness_server_start_in(&s, NULL, NULL), 73);
	assert_true(harness_wait_log(&s, "another user's stale socket (uid 4476, ", 1000));
	assert_int_equal(lstat(s.path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	harness_rmtree(s.dir);
}

static void live_server_is_not_displaced(void **state)
{
	struct server a, b;
	struct stat before, after;
	int fd;

	assert_int_equal(harness_server_start(&a, NULL, NULL), 0);
	assert_int_equal(lstat(a.path, &before), 0);
	b = a;
	snprintf(b.dir, sizeof(b.dir), "%s", a.dir);
	snprintf(b.log, sizeof(b.log), "%s", a.log);
	assert_int_equal(harness_server_start_in(&b, NULL, NULL), 73);
	assert_true(harness_wait_log(&a, "already in use", 1000));
	assert_int_equal(lstat(a.path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	fd = harness_connect(a.path); /* the first server still answers */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	stopped_cleanly(&a);
	harness_rmtree(a.dir);
}

static void unsafe_directory_is_refused(void **state)
{
	struct server s;
	char dir[80];

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(dir, sizeof(dir), "%s/open", s.dir);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(s.path, sizeof(s.path), "%s/sock", dir);
	assert_int_equal(harness_server_start_in(&s, NULL, NULL), 73);
	assert_true(harness_wait_log(&s, "writable by others without the sticky bit", 1000));
	assert_true(harness_wait_log(&s, "mode 0777", 1000));
	assert_int_equal(access(s.path, F_OK), -1);

	/* Through a symlink: the directory it leads to is the one checked, named by its real path.
	 */
	{
		char link[96], needle[128];
		snprintf(link, sizeof(link), "%s/link", s.dir);
		assert_int_equal(symlink(dir, link), 0);
		snprintf(s.path, sizeof(s.path), "%s/sock", link);
		assert_int_equal(truncate(s.log, 0), 0);
		assert_int_equal(harness_server_start_in(&s, NULL, NULL), 73);
		snprintf(needle, sizeof(needle), "%s: unsafe directory", dir);
		assert_true(harness_wait_log(&s, needle, 1000));
		snprintf(s.path, sizeof(s.path), "%s/sock", dir);
	}

	/* Sticky and root-owned, like /tmp: fine. */
	assert_int_equal(chmod(dir, 01777), 0);
	if (geteuid() == 0) {
		assert_int_equal(harness_server_start_in(&s, NULL, NULL), 0);
		stopped_cleanly(&s);
	}
	harness_rmtree(s.dir);
}

static void too_long_path_is_bad_usage(void **state)
{
	char path[200];
	const char *args[] = {"-s", path, NULL};
	struct server s;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	harness_tmpdir(s.dir, sizeof(s.dir));
	assert_int_equal(harness_server_start_in(&s, args, NULL), 64);
	assert_true(harness_wait_log(&s, "more than the 107", 1000));
	harness_rmtree(s.dir);
}

static void owner_as_ordinary_user_needs_privilege(void **state)
{
	const char *args[] = {"--owner", "root", NULL};
	struct run_as as = {.uid = 4203, .gid = 4203};
	struct server s;

	if (!harness_is_root("starting the server as an ordinary user"))
		skip();
	harness_tmpdir(s.dir, sizeof(s.dir));
	assert_int_equal(chown(s.dir, 4203, 4203), 0);
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	assert_int_equal(harness_server_start_in(&s, args, &as), 77);
	assert_true(harness_wait_log(&s, "only root can give the socket to another user", 1000));
	assert_int_equal(access(s.path, F_OK), -1);
	harness_rmtree(s.dir);
}

static void unknown_owner_is_a_config_error(void **state)
{
	const char *args[] = {"--owner", "no-such-user-udsecho", NULL};
	struct server s;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	assert_int_equal(harness_server_start_in(&s, args, NULL), 78);
	assert_true(harness_wait_log(&s, "--owner no-such-user-udsecho: no such name", 1000));
	harness_rmtree(s.dir);
}

static void sigint_stops_and_removes_node(void **state)
{
	struct server s;
	int status;

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	kill(s.pid, SIGINT);
	status = harness_server_wait(&s, HARNESS_TIMEOUT_MS);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(s.path, F_OK), -1);
	harness_rmtree(s.dir);
}

/* A node replaced while the server runs is another's: the stopping server leaves it alone. */
static void replaced_node_is_not_removed(void **state)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct server s;
	int fd, status;

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	assert_int_equal(unlink(s.path), 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status));
	assert_int_equal(access(s.path, F_OK), 0);
	assert_true(harness_wait_log(&s, "event=stop-keep-node", 1000));
	close(fd);
	harness_rmtree(s.dir);
}

/* The worker's death is noticed: the server logs how it died, removes the node, exits 70. */
static void worker_death_stops_the_server(void **state)
{
	struct server s;
	pid_t worker;
	int status;

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	assert_int_equal(kill(worker, SIGKILL), 0);
	status = harness_server_wait(&s, HARNESS_TIMEOUT_MS);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 70);
	assert_true(harness_wait_log(&s, "event=worker-died signal=SIGKILL", 1000));
	assert_int_equal(access(s.path, F_OK), -1);
	harness_rmtree(s.dir);
}

/*
 * A stopped worker serves no one: the monitor logs it, and its continuing; stopped for longer
 * than 5 s it is treated as dead: logged, the node removed, the server exits 70 (so that a
 * service manager restarts it).
 */
static void stopped_worker_is_noticed(void **state)
{
	struct server s;
	pid_t worker;
	int wfd, status;

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	wfd = harness_pidfd(worker);
	assert_true(wfd >= 0);
	assert_int_equal(kill(worker, SIGSTOP), 0);
	assert_true(harness_wait_log(&s, "event=worker-stopped", HARNESS_TIMEOUT_MS));
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_true(harness_wait_log(&s, "event=worker-continued", HARNESS_TIMEOUT_MS));
	assert_int_equal(kill(worker, SIGSTOP), 0);
	status = harness_server_wait(&s, 5000 + 5000 + HARNESS_TIMEOUT_MS);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 70);
	assert_true(harness_wait_log(&s, "reason=\"stopped for more than 5 s\"", 1000));
	assert_int_equal(access(s.path, F_OK), -1);
	if (!harness_pidfd_exited(wfd, 0)) {
		kill(worker, SIGKILL);
		assert_true(harness_pidfd_exited(wfd, HARNESS_TIMEOUT_MS));
	}
	close(wfd);
	harness_rmtree(s.dir);
}

/*
 * A worker that has stopped reading from the monitor, with no stop its parent could see (here
 * held in a ptrace stop; a spinning loop or a frozen cgroup look the same): the monitor's probe
 * over the pair goes unread, and after 5 s the worker is treated as dead, as a stopped one is.
 */
static void wedged_worker_is_noticed(void **state)
{
	struct server s;
	pid_t worker;
	int wfd, status;

	if (!harness_is_root("holding the worker, of another uid, in a ptrace stop"))
		skip();
	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	wfd = harness_pidfd(worker);
	assert_true(wfd >= 0);
	assert_int_equal(harness_ptrace_hold(worker), 0);
	assert_true(harness_wait_log(&s,
				     "reason=\"not reading from the monitor for more than 5 s\"",
				     5000 + 2000 + HARNESS_TIMEOUT_MS));
	ptrace(PTRACE_DETACH, worker, NULL, NULL);
	status = harness_server_wait(&s, 5000 + HARNESS_TIMEOUT_MS);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 70);
	assert_int_equal(access(s.path, F_OK), -1);
	assert_true(harness_pidfd_exited(wfd, HARNESS_TIMEOUT_MS));
	close(wfd);
	harness_rmtree(s.dir);
}

/*
 * A signal the server gives no meaning neither stops nor disturbs it, also those whose default
 * action would end it and leave its node behind (SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR,
 * the real-time ones); SIGUSR2, a preview, changes nothing either.
 */
static void unused_signals_change_nothing(void **state)
{
	static const int unused[] = {SIGUSR2, SIGWINCH, SIGALRM, SIGVTALRM, SIGPROF,
				     SIGIO,   SIGPWR,	SIGURG,	 SIGSTKFLT};
	struct server s;
	pid_t worker;
	int fd;

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	worker = harness_worker_pid(&s);
	for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
		assert_int_equal(kill(s.pid, unused[i]), 0);
	assert_int_equal(kill(s.pid, SIGRTMIN), 0);
	assert_int_equal(kill(s.pid, SIGRTMAX), 0);
	assert_int_equal(kill(s.pid, SIGUSR1), 0); /* handled in turn: the others came before */
	assert_true(harness_wait_log(&s, "event=status ", HARNESS_TIMEOUT_MS));
	assert_int_equal(harness_worker_pid(&s), worker);
	fd = harness_connect(s.path);
	assert_true(fd >= 0);
	close(fd);
	stopped_cleanly(&s);
	harness_rmtree(s.dir);
}

/* The monitor's death is noticed: the worker goes too, never serving alone. */
static void monitor_death_ends_the_worker(void **state)
{
	struct server s;
	pid_t worker;
	int wfd, status;

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	wfd = harness_pidfd(worker);
	assert_true(wfd >= 0);
	assert_int_equal(kill(s.pid, SIGKILL), 0);
	status = harness_server_wait(&s, HARNESS_TIMEOUT_MS);
	assert_true(WIFSIGNALED(status));
	assert_true(harness_pidfd_exited(wfd, HARNESS_TIMEOUT_MS));
	close(wfd);
	harness_rmtree(s.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(default_mode_is_owner_only, harness_teardown),
		cmocka_unit_test_teardown(mode_as_asked, harness_teardown),
		cmocka_unit_test_teardown(owner_and_group_as_asked, harness_teardown),
		cmocka_unit_test_teardown(non_sockets_are_refused_and_kept, harness_teardown),
		cmocka_unit_test_teardown(stale_socket_is_replaced, harness_teardown),
		cmocka_unit_test_teardown(stale_socket_of_another_uid_is_kept, harness_teardown),
		cmocka_unit_test_teardown(live_server_is_not_displaced, harness_teardown),
		cmocka_unit_test_teardown(unsafe_directory_is_refused, harness_teardown),
		cmocka_unit_test_teardown(too_long_path_is_bad_usage, harness_teardown),
		cmocka_unit_test_teardown(owner_as_ordinary_user_needs_privilege, harness_teardown),
		cmocka_unit_test_teardown(unknown_owner_is_a_config_error, harness_teardown),
		cmocka_unit_test_teardown(sigint_stops_and_removes_node, harness_teardown),
		cmocka_unit_test_teardown(replaced_node_is_not_removed, harness_teardown),
		cmocka_unit_test_teardown(worker_death_stops_the_server, harness_teardown),
		cmocka_unit_test_teardown(stopped_worker_is_noticed, harness_teardown),
		cmocka_unit_test_teardown(wedged_worker_is_noticed, harness_teardown),
		cmocka_unit_test_teardown(unused_signals_change_nothing, harness_teardown),
		cmocka_unit_test_teardown(monitor_death_ends_the_worker, harness_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("socket node", tests, NULL, NULL);
}
