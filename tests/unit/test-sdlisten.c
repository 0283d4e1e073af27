// SPDX-License-Identifier: MIT
/*
 * Unit tests for sdlisten: each case runs in a forked child, which puts a descriptor at fd 3 with
 * dup2(2), sets LISTEN_PID and LISTEN_FDS, calls sdlisten_take() and reports through a pipe what
 * it returned, what became of fd 3 and which variables are left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/sdlisten.h"

#define PID_SELF  "self"  /* LISTEN_PID names the child */
#define PID_OTHER "other" /* LISTEN_PID names its parent */

struct outcome {
	int r, fd;
	int nonblock, cloexec; /* of fd 3 afterwards */
	int env_left;	       /* LISTEN_PID, LISTEN_FDS or LISTEN_FDNAMES still set */
	char err[256];
};

static void child(int report, int fd3, const char *pid, const char *fds)
{
	struct outcome o = {.fd = -1};
	char buf[32];
	int fl;

	if (fd3 >= 0 ? dup2(fd3, SDLISTEN_FD) < 0 : close(SDLISTEN_FD) < 0 && errno != EBADF)
		_exit(1);
	if (pid && strcmp(pid, PID_SELF) == 0)
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	else if (pid && strcmp(pid, PID_OTHER) == 0)
		snprintf(buf, sizeof(buf), "%ld", (long)getppid());
	else if (pid)
		snprintf(buf, sizeof(buf), "%s", pid);
	if (pid)
		setenv("LISTEN_PID", buf, 1);
	if (fds)
		setenv("LISTEN_FDS", fds, 1);
	setenv("LISTEN_FDNAMES", "udsechod.socket", 1);
	o.r = sdlisten_take(&o.fd, o.err, sizeof(o.err));
	fl = fcntl(SDLISTEN_FD, F_GETFL);
	o.nonblock = fl >= 0 && (fl & O_NONBLOCK);
	fl = fcntl(SDLISTEN_FD, F_GETFD);
	o.cloexec = fl >= 0 && (fl & FD_CLOEXEC);
	o.env_left = getenv("LISTEN_PID") || getenv("LISTEN_FDS") || getenv("LISTEN_FDNAMES");
	_exit(write(report, &o, sizeof(o)) == (ssize_t)sizeof(o) ? 0 : 1);
}

/* Run sdlisten_take() in a child with @fd3 (or nothing) at fd 3; @fd3 is closed here. */
static struct outcome take(int fd3, const char *pid, const char *fds)
{
	struct outcome o;
	int p[2], report, status;
	pid_t c;

	assert_int_equal(pipe(p), 0);
	/* Out of the way of fd 3, which the child replaces. */
	report = fcntl(p[1], F_DUPFD, 64);
	assert_true(report >= 0);
	close(p[1]);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		close(p[0]);
		child(report, fd3, pid, fds);
	}
	close(report);
	if (fd3 >= 0)
		close(fd3);
	assert_int_equal(read(p[0], &o, sizeof(o)), sizeof(o));
	close(p[0]);
	assert_int_equal(waitpid(c, &status, 0), c);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return o;
}

/* An AF_UNIX socket of @type, autobound to an abstract address; listening if @listening. */
static int unix_socket(int type, int listening)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)), 0);
	if (listening)
		assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void not_activated(void **state)
{
	struct outcome o = take(-1, NULL, "1");

	assert_int_equal(o.r, SDLISTEN_NONE);
	assert_int_equal(o.fd, -1);
	assert_true(o.env_left);
}

static void other_pid_is_not_ours(void **state)
{
	struct outcome o = take(unix_socket(SOCK_STREAM, 1), PID_OTHER, "1");

	assert_int_equal(o.r, SDLISTEN_NONE);
	assert_int_equal(o.fd, -1);
	assert_true(o.env_left);
	o = take(unix_socket(SOCK_STREAM, 1), "12x", "1");
	assert_int_equal(o.r, SDLISTEN_NONE);
	o = take(unix_socket(SOCK_STREAM, 1), PID_SELF, NULL);
	assert_int_equal(o.r, SDLISTEN_NONE);
}

static void takes_a_listening_unix_stream(void **state)
{
	struct outcome o = take(unix_socket(SOCK_STREAM, 1), PID_SELF, "1");

	assert_int_equal(o.r, 0);
	assert_int_equal(o.fd, SDLISTEN_FD);
	assert_true(o.nonblock);
	assert_true(o.cloexec);
	assert_false(o.env_left);
}

static void exactly_one_socket(void **state)
{
	static const char *const counts[] = {"0", "2", "", "one"};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		char want[128];
		struct outcome o = take(unix_socket(SOCK_STREAM, 1), PID_SELF, counts[i]);

		snprintf(want, sizeof(want),
			 "LISTEN_FDS=%s: expected exactly one socket from the unit", counts[i]);
		assert_int_equal(o.r, SDLISTEN_INVALID);
		assert_string_equal(o.err, want);
		assert_false(o.env_left);
	}
}

static void refuses_what_is_not_a_listening_unix_stream(void **state)
{
	static const char why[] = "the socket passed by the service manager is not a listening "
				  "AF_UNIX stream socket (ListenStream= with a path is expected)";
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fds[4], n = 0, inet = socket(AF_INET, SOCK_STREAM, 0);

	fds[n++] = open("/dev/null", O_RDONLY);
	fds[n++] = unix_socket(SOCK_STREAM, 0);
	fds[n++] = unix_socket(SOCK_SEQPACKET, 1);
	if (inet >= 0 && bind(inet, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    listen(inet, 1) == 0)
		fds[n++] = inet;
	else if (inet >= 0)
		close(inet);
	for (int i = 0; i < n; i++) {
		struct outcome o;

		assert_true(fds[i] >= 0);
		o = take(fds[i], PID_SELF, "1");
		assert_int_equal(o.r, SDLISTEN_INVALID);
		assert_string_equal(o.err, why);
		assert_int_equal(o.fd, -1);
	}
}

static void refuses_nothing_at_fd_3(void **state)
{
	struct outcome o = take(-1, PID_SELF, "1");

	assert_int_equal(o.r, SDLISTEN_INVALID);
	assert_int_equal(o.fd, -1);
	assert_false(o.env_left);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_activated),
		cmocka_unit_test(other_pid_is_not_ours),
		cmocka_unit_test(takes_a_listening_unix_stream),
		cmocka_unit_test(exactly_one_socket),
		cmocka_unit_test(refuses_what_is_not_a_listening_unix_stream),
		cmocka_unit_test(refuses_nothing_at_fd_3),
	};
	return cmocka_run_group_tests_name("sdlisten", tests, NULL, NULL);
}
