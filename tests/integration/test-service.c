// SPDX-License-Identifier: MIT
/*
 * Integration: udsechod under a service manager, played by the test — a listening socket passed
 * as fd 3 with LISTEN_PID/LISTEN_FDS (sd_listen_fds), also with SO_PASSCRED set on it,
 * READY/RELOADING/STOPPING datagrams on NOTIFY_SOCKET (sd_notify), "<N>" priorities when
 * JOURNAL_STREAM names stderr, and the status line SIGUSR1 asks for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A listening socket at @path with @mode, as a socket unit would make it. */
static int unit_socket(const char *path, mode_t mode, int listening)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(chmod(path, mode), 0);
	if (listening)
		assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/*
 * Start udsechod as a service manager would: @lfd as fd 3 and LISTEN_PID set to the child's own
 * pid, readiness on fd 4. Returns 0 once ready, else the server's exit status.
 */
static int start_activated(struct server *s, int lfd, const char *const *args)
{
	char *argv[32];
	int n = 0, p[2], status;
	struct pollfd pfd;
	char c;

	argv[n++] = getenv("UDSECHOD");
	for (const char *const *a = args; a && *a; a++)
		argv[n++] = (char *)*a;
	argv[n++] = "--ready-fd";
	argv[n++] = "4";
	argv[n] = NULL;
	snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char pid[16];
		int log = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		/* dup2 onto itself keeps close-on-exec: move both out of the way first. */
		int l = fcntl(lfd, F_DUPFD_CLOEXEC, 10), r = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
		if (log < 0 || l < 0 || r < 0 || dup2(log, 2) < 0 || dup2(l, 3) < 0 ||
		    dup2(r, 4) < 0)
			_exit(120);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "1", 1);
		execv(argv[0], argv);
		_exit(121);
	}
	s->pidfd = harness_pidfd(s->pid);
	close(p[1]);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pfd, 1, HARNESS_TIMEOUT_MS) == 1 && read(p[0], &c, 1) == 1) {
		close(p[0]);
		return 0;
	}
	close(p[0]);
	status = harness_server_wait(s, HARNESS_TIMEOUT_MS);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void activated_socket_is_used_and_left_to_the_unit(void **state)
{
	struct server s;
	const char *args[] = {"--mode", "0600", "-s", s.path, NULL};
	const char *elsewhere[] = {"-s", "/run/elsewhere.sock", NULL};
	const char *hello[] = {"-s", NULL, "hello", NULL};
	struct stat before, after;
	char out[64];
	int lfd, status;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/unit.sock", s.dir);
	lfd = unit_socket(s.path, 0666, 1);
	assert_int_equal(lstat(s.path, &before), 0);
	assert_int_equal(start_activated(&s, lfd, args), 0);
	close(lfd);
	assert_true(harness_wait_log(&s, "event=listen activated=yes fd=3", 1000));
	assert_true(harness_wait_log(&s, "--owner, --group and --mode are ignored", 100));
	assert_false(harness_wait_log(&s, "--socket", 0));
	hello[1] = s.path;
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "hello\n");
	/* The unit's mode stays; the node is the unit's to remove, not ours. */
	assert_int_equal(lstat(s.path, &after), 0);
	assert_int_equal(after.st_mode & 07777, 0666);
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(lstat(s.path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);

	/* A --socket naming another path than the unit's is said to be ignored. */
	assert_int_equal(truncate(s.log, 0), 0);
	assert_int_equal(unlink(s.path), 0);
	lfd = unit_socket(s.path, 0666, 1);
	assert_int_equal(start_activated(&s, lfd, elsewhere), 0);
	close(lfd);
	assert_true(harness_wait_log(&s, "--socket /run/elsewhere.sock is ignored", 1000));
	assert_false(harness_wait_log(&s, "--mode are ignored", 0));
	harness_server_stop(&s);
	harness_rmtree(s.dir);
}

/*
 * A unit socket with PassCredentials=yes: accepted sockets inherit SO_PASSCRED, and with it a read
 * stops wherever the writer changes. Two processes write on one connection while the worker is
 * stopped; both writes come back, so the read did not stop between them.
 */
static void passed_credentials_do_not_split_reads(void **state)
{
	struct server s;
	const char *args[] = {"--mode", "0600", NULL};
	int lfd, on = 1, fd, status;
	pid_t worker, writer;
	char got[8];

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/unit.sock", s.dir);
	lfd = unit_socket(s.path, 0666, 1);
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	assert_int_equal(start_activated(&s, lfd, args), 0);
	close(lfd);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	assert_int_equal(kill(worker, SIGSTOP), 0);
	fd = harness_connect(s.path);
	if (fd >= 0 && write(fd, "one", 3) == 3) {
		writer = fork();
		if (writer == 0)
			_exit(write(fd, "two", 3) == 3 ? 0 : 1);
		if (writer > 0)
			waitpid(writer, &status, 0);
	}
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_true(fd >= 0);
	assert_int_equal(harness_recv(fd, got, 6, HARNESS_TIMEOUT_MS), 6);
	assert_memory_equal(got, "onetwo", 6);
	close(fd);
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s.dir);
}

static void a_socket_that_does_not_listen_is_refused(void **state)
{
	struct server s;
	int lfd;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/unit.sock", s.dir);
	lfd = unit_socket(s.path, 0600, 0);
	assert_int_equal(start_activated(&s, lfd, NULL), 71);
	close(lfd);
	assert_true(harness_wait_log(&s, "not a listening AF_UNIX stream socket", 100));
	harness_rmtree(s.dir);
}

/* The notify socket of a service manager: a datagram socket the test reads. */
static int notify_socket(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void expect_notify(int fd, const char *want)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[512];
	ssize_t n;

	assert_int_equal(poll(&p, 1, HARNESS_TIMEOUT_MS), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	if (!strstr(buf, want))
		fprintf(stderr, "notify: got '%s', expected '%s'\n", buf, want);
	assert_non_null(strstr(buf, want));
}

/* Read notifications until one holds @want (bounded); the others are what came before it. */
static void expect_notify_soon(int fd, const char *want)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[512];

	while (poll(&p, 1, HARNESS_TIMEOUT_MS) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		assert_true(n > 0);
		buf[n] = '\0';
		if (strstr(buf, want))
			return;
	}
	fprintf(stderr, "notify: no '%s' within %d ms\n", want, HARNESS_TIMEOUT_MS);
	fail();
}

static void put_policy(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

/*
 * Activated with a policy that cannot be loaded, the server stays up rather than exit 78 (which
 * a service manager would restart until it gave up and took the socket down): every client is
 * told, in words, that the server is unavailable (69); the status the service manager shows
 * carries the file's error; fixing the file is enough, with no restart.
 */
static void broken_policy_at_start_turns_clients_away(void **state)
{
	char nsock[100], policy[128], out[64], err[512], want[256];
	const char *args[] = {"-p", policy, NULL};
	const char *hello[] = {"-s", NULL, "hello", NULL};
	struct server s;
	int lfd, nfd, status;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/unit.sock", s.dir);
	snprintf(policy, sizeof(policy), "%s/policy", s.dir);
	snprintf(nsock, sizeof(nsock), "%s/notify", s.dir);
	put_policy(policy, "allow user no-such-user-udsecho\n");
	nfd = notify_socket(nsock);
	lfd = unit_socket(s.path, 0666, 1);
	setenv("NOTIFY_SOCKET", nsock, 1);
	assert_int_equal(start_activated(&s, lfd, args), 0);
	unsetenv("NOTIFY_SOCKET");
	close(lfd);
	snprintf(want, sizeof(want),
		 "READY=1\nSTATUS=unavailable, every client is turned away: %s:1:12: error: "
		 "unknown user 'no-such-user-udsecho'",
		 policy);
	expect_notify_soon(nfd, want);
	hello[1] = s.path;
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 69);
	snprintf(
		want, sizeof(want),
		"udsecho: %s: the server is unavailable: the server could not load its policy; its "
		"log says why\n",
		s.path);
	assert_string_equal(err, want);
	assert_true(harness_wait_log(&s, "invalid policy: every client is turned away", 0));
	assert_true(harness_wait_log(&s, "event=unavailable pid=", 1000));

	put_policy(policy, "allow all\n");
	expect_notify_soon(nfd, "STATUS=serving, worker ");
	assert_true(harness_wait_log(&s, "event=policy policy=", 1000));
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "hello\n");
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(nfd);
	harness_rmtree(s.dir);
}

/* Started by hand, the same policy stops the server at once: the admin is there to see it. */
static void broken_policy_by_hand_stops_the_server(void **state)
{
	char policy[128];
	const char *args[] = {"-p", policy, NULL};
	struct server s;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(policy, sizeof(policy), "%s/policy", s.dir);
	put_policy(policy, "allow user no-such-user-udsecho\n");
	assert_int_equal(harness_server_start_in(&s, args, NULL), 78);
	assert_true(harness_wait_log(&s, "invalid policy, not starting", 0));
	harness_rmtree(s.dir);
}

static void readiness_reload_and_stop_are_notified(void **state)
{
	char nsock[100];
	struct server s;
	int nfd, status;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(nsock, sizeof(nsock), "%s/notify", s.dir);
	nfd = notify_socket(nsock);
	setenv("NOTIFY_SOCKET", nsock, 1);
	assert_int_equal(harness_server_start_in(&s, NULL, NULL), 0);
	unsetenv("NOTIFY_SOCKET");
	expect_notify(nfd, "READY=1\nSTATUS=serving");

	assert_int_equal(kill(s.pid, SIGHUP), 0);
	expect_notify(nfd, "RELOADING=1\nMONOTONIC_USEC=");
	expect_notify(nfd, "READY=1");

	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_notify(nfd, "STOPPING=1");
	close(nfd);
	harness_rmtree(s.dir);
}

/*
 * A server in a fresh directory whose standard error is "the journal": the log file the harness
 * appends it to, named by JOURNAL_STREAM as systemd names the stream. With @jsock, that is
 * journald's native socket too.
 */
static void start_in_journal(struct server *s, const char *jsock)
{
	struct stat st;
	char v[64];
	int fd;

	fd = open(s->log, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	if (jsock)
		setenv("UDSECHO_JOURNAL_SOCKET", jsock, 1);
	assert_int_equal(harness_server_start_in(s, NULL, NULL), 0);
	unsetenv("JOURNAL_STREAM");
	unsetenv("UDSECHO_JOURNAL_SOCKET");
}

static void journal_stream_gets_priorities(void **state)
{
	struct server s;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(s.log, sizeof(s.log), "%s/server.log", s.dir);
	start_in_journal(&s, NULL);
	assert_true(harness_wait_log(&s, "\n<6>event=start worker=", 1000));
	assert_false(harness_wait_log(&s, "udsechod: event=", 0));
	harness_server_stop(&s);
	harness_rmtree(s.dir);
}

/* The next datagram on the journal socket @fd that holds @a and @b, within the harness bound. */
static int journal_has(int fd, const char *a, const char *b)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char rec[4096];

	while (poll(&p, 1, HARNESS_TIMEOUT_MS) == 1) {
		ssize_t n = recv(fd, rec, sizeof(rec) - 1, 0);

		if (n <= 0)
			return 0;
		rec[n] = '\0';
		if (strstr(rec, a) && strstr(rec, b))
			return 1;
	}
	return 0;
}

/*
 * Under a service manager, with journald's native socket there (played by a datagram socket of
 * the test), records carry fields a query can use: the decisions with the peer's ids. When the
 * socket goes away, lines go back to standard error.
 */
static void journal_socket_gets_records_with_fields(void **state)
{
	const char *hello[] = {"-s", NULL, "hi", NULL};
	struct run_as other = {.uid = 4471, .gid = 4471};
	char jsock[128], out[16];
	struct server s;
	int jfd;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(s.log, sizeof(s.log), "%s/server.log", s.dir);
	snprintf(jsock, sizeof(jsock), "%s/journal", s.dir);
	jfd = notify_socket(jsock);
	start_in_journal(&s, jsock);
	assert_true(journal_has(jfd, "MESSAGE=event=start worker=", "\nPRIORITY=6\n"));
	hello[1] = s.path;
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	assert_true(journal_has(
		jfd, "\nUDSECHO_EVENT=allow\nMESSAGE_ID=50c9fe34133a4b33ab8c10efa7956b68\n",
		"\nUDSECHO_PEER_UID=0\nUDSECHO_PEER_GID=0\nUDSECHO_RULE=built-in"));
	if (geteuid() == 0) {
		assert_int_equal(chmod(s.dir, 0711), 0);
		assert_int_equal(chmod(s.path, 0666), 0);
		assert_int_equal(harness_client(hello, &other, NULL, 0, NULL, 0, NULL, 0), 77);
		assert_true(journal_has(
			jfd, "\nUDSECHO_EVENT=deny\nMESSAGE_ID=24d7dd0307b94968a87783bb9e5d644b\n",
			"\nUDSECHO_PEER_UID=4471\nUDSECHO_PEER_GID=4471\n"));
	}
	assert_false(harness_wait_log(&s, "event=allow", 0));

	/* journald gone: the same lines, on standard error, with their priority. */
	close(jfd);
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	assert_true(harness_wait_log(&s, "<6>event=allow pid=", 1000));
	harness_server_stop(&s);
	harness_rmtree(s.dir);
}

static void sigusr1_logs_a_status_line(void **state)
{
	const char *hello[] = {"-s", NULL, "hi", NULL};
	struct run_as other = {.uid = 4470, .gid = 4470};
	struct server s;
	char out[16];

	assert_int_equal(harness_server_start(&s, NULL, NULL), 0);
	hello[1] = s.path;
	assert_int_equal(harness_client(hello, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	if (geteuid() == 0) {
		/* Refused by the built-in policy (it allows root alone): one denial. */
		assert_int_equal(chmod(s.dir, 0711), 0);
		assert_int_equal(chmod(s.path, 0666), 0);
		assert_int_equal(harness_client(hello, &other, NULL, 0, NULL, 0, NULL, 0), 77);
	}
	assert_int_equal(kill(s.pid, SIGUSR1), 0);
	assert_true(harness_wait_log(&s, "event=status open=0 allowed=1", 5000));
	assert_true(harness_wait_log(&s,
				     geteuid() == 0
					     ? "denied=1 revoked=0 busy=0 rules=1 "
					       "policy=built-in loaded=20"
					     : "denied=0 revoked=0 busy=0 rules=1 policy=built-in",
				     1000));
	harness_server_stop(&s);
	harness_rmtree(s.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(activated_socket_is_used_and_left_to_the_unit,
					  harness_teardown),
		cmocka_unit_test_teardown(passed_credentials_do_not_split_reads, harness_teardown),
		cmocka_unit_test_teardown(a_socket_that_does_not_listen_is_refused,
					  harness_teardown),
		cmocka_unit_test_teardown(broken_policy_at_start_turns_clients_away,
					  harness_teardown),
		cmocka_unit_test_teardown(broken_policy_by_hand_stops_the_server, harness_teardown),
		cmocka_unit_test_teardown(readiness_reload_and_stop_are_notified, harness_teardown),
		cmocka_unit_test_teardown(journal_stream_gets_priorities, harness_teardown),
		cmocka_unit_test_teardown(journal_socket_gets_records_with_fields,
					  harness_teardown),
		cmocka_unit_test_teardown(sigusr1_logs_a_status_line, harness_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
