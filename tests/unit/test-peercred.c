// SPDX-License-Identifier: MIT
/*
 * Unit tests for peercred: the kernel's word about a peer over a real socketpair, and, as root,
 * a forked peer that connects with another uid, gid and more supplementary groups than fit inline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/peercred.h"

static void self_over_socketpair(void **state)
{
	int sv[2];
	struct peer_cred cred;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(peercred_read(sv[0], &cred), 0);
	assert_int_equal(cred.pid, getpid());
	assert_int_equal(cred.uid, geteuid());
	assert_int_equal(cred.gid, getegid());
	for (size_t i = 1; i < cred.ngroups; i++)
		assert_true(cred.groups[i - 1] < cred.groups[i]);
	assert_true(peercred_in_group(&cred, getegid()));
	peercred_release(&cred);
	close(sv[0]);
	close(sv[1]);
}

static void not_a_socket_is_an_error(void **state)
{
	int p[2];
	struct peer_cred cred;

	assert_int_equal(pipe(p), 0);
	assert_true(peercred_read(p[0], &cred) < 0);
	close(p[0]);
	close(p[1]);
}

/* A listener in the parent, a connect from a child that has changed identity first. */
static void connect_as_other_identity(void **state)
{
	int lfd, cfd, status;
	gid_t groups[41];
	struct peer_cred cred;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	socklen_t alen = sizeof(sa_family_t);
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: changing uid and groups needs root\n");
		skip();
	}
	for (int i = 0; i < 40; i++)
		groups[i] = (gid_t)(5000 + (i * 7) % 40);
	groups[40] = 5003;
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	/* Autobind: an abstract address chosen by the kernel, no file, no cleanup. */
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, alen), 0);
	alen = sizeof(addr);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		int fd;
		if (setgroups(41, groups) < 0 || setresgid(4102, 4102, 4102) < 0 ||
		    setresuid(4101, 4101, 4101) < 0)
			_exit(2);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, alen) < 0)
			_exit(3);
		if (read(fd, &c, 1) < 0)
			_exit(4);
		_exit(0);
	}
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_int_equal(peercred_read(cfd, &cred), 0);
	assert_int_equal(cred.pid, pid);
	assert_int_equal(cred.uid, 4101);
	assert_int_equal(cred.gid, 4102);
	assert_int_equal(cred.ngroups, 40);
	for (size_t i = 0; i < cred.ngroups; i++)
		assert_int_equal(cred.groups[i], 5000 + i);
	assert_true(cred.groups != cred.groups_inline);
	assert_true(peercred_in_group(&cred, 4102));
	assert_true(peercred_in_group(&cred, 5039));
	assert_false(peercred_in_group(&cred, 5040));
	assert_false(peercred_in_group(&cred, 0));
	peercred_release(&cred);
	close(cfd);
	close(lfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(self_over_socketpair),
		cmocka_unit_test(not_a_socket_is_an_error),
		cmocka_unit_test(connect_as_other_identity),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("peercred", tests, NULL, NULL);
}
