// SPDX-License-Identifier: MIT
/* harness: run the real binaries from integration tests (see harness.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testdir.h"

/*
 * Servers started and not yet stopped, for harness_teardown(): each one's pid and pidfd, copied.
 * A failed test's server may be in its stack frame, which is gone by the teardown, and which the
 * calls made since may have written over (a server was left running so, with a pid read there).
 */
static struct {
	pid_t pid;
	int pidfd;
} live[32];

static void track(const struct server *s, int on)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (on && live[i].pid <= 0) {
			live[i].pid = s->pid;
			live[i].pidfd = s->pidfd;
			return;
		}
		if (!on && live[i].pid == s->pid)
			live[i].pid = 0;
	}
}

/*
 * Killed and waited for, not reaped: a server kept in a static struct is stopped again by the
 * teardown of its group, which reaps it (until then its pid stays its own).
 */
int harness_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		struct pollfd p = {.fd = live[i].pidfd, .events = POLLIN};

		if (live[i].pid <= 0)
			continue;
		kill(live[i].pid, SIGKILL);
		(void)poll(&p, 1, HARNESS_TIMEOUT_MS);
		live[i].pid = 0;
	}
	return 0;
}

int harness_is_root(const char *what)
{
	if (geteuid() == 0)
		return 1;
	fprintf(stderr, "skipped: %s needs root (it changes uids, groups or ownership)\n", what);
	return 0;
}

void harness_tmpdir(char *dir, size_t len)
{
	test_tmpdir(dir, len, "test");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void harness_rmtree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A kernel before Linux 6.16, as far as SO_PASSRIGHTS goes: setsockopt(2) with it fails with
 * ENOPROTOOPT. A seccomp filter the process and its children keep; everything else is allowed.
 */
static void without_passrights(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (!ctx ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOPROTOOPT), SCMP_SYS(setsockopt), 2,
			     SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET, 0),
			     SCMP_A2(SCMP_CMP_EQ, 83, 0)) < 0 ||
	    seccomp_load(ctx) < 0) {
		fprintf(stderr, "harness: cannot load the filter that hides SO_PASSRIGHTS\n");
		_exit(118);
	}
	seccomp_release(ctx);
}

void harness_become(const struct run_as *as)
{
	struct rlimit rl;

	if (!as)
		return;
	if (as->no_passrights)
		without_passrights();
	rl.rlim_cur = rl.rlim_max = as->nofile;
	if (as->nofile && setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("harness: setrlimit");
		_exit(119);
	}
	if (as->uid == (uid_t)-1)
		return;
	if (setgroups(as->ngroups, as->groups) < 0 || setresgid(as->gid, as->gid, as->gid) < 0 ||
	    setresuid(as->uid, as->uid, as->uid) < 0) {
		perror("harness: cannot change identity");
		_exit(120);
	}
}

static void redirect(int fd, const char *path, int flags)
{
	int f = open(path ? path : "/dev/null", flags | O_CLOEXEC, 0644);

	if (f < 0 || dup2(f, fd) < 0) {
		perror(path ? path : "/dev/null");
		_exit(121);
	}
	close(f);
}

pid_t harness_spawn(char *const argv[], const struct run_as *as, const char *in, const char *out,
		    const char *err, int fd3, int *pidfd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		redirect(0, in, O_RDONLY);
		redirect(1, out, O_WRONLY | O_CREAT | O_TRUNC);
		redirect(2, err, O_WRONLY | O_CREAT | O_APPEND);
		if (fd3 == 3 ? fcntl(3, F_SETFD, 0) < 0 : fd3 >= 0 && dup2(fd3, 3) < 0)
			_exit(122);
		harness_become(as);
		/* The tests ignore SIGPIPE; what they start gets it as a shell would give it. */
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(123);
	}
	*pidfd = harness_pidfd(pid);
	return pid;
}

int harness_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int harness_pidfd_exited(int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

int harness_wait(pid_t pid, int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int status;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	close(pidfd);
	return status;
}

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		fprintf(stderr, "harness: %s is not set (run the tests with meson test)\n", name);
		abort();
	}
	return v;
}

int harness_server_start_in(struct server *s, const char *const *args, const struct run_as *as)
{
	char *argv[64];
	int n = 0, p[2], has_socket = 0;
	struct pollfd pfd;
	char c;

	argv[n++] = (char *)env_or_die("UDSECHOD");
	for (const char *const *a = args; a && *a && n < 58; a++) {
		if (strcmp(*a, "-s") == 0 || strcmp(*a, "--socket") == 0)
			has_socket = 1;
		argv[n++] = (char *)*a;
	}
	if (!has_socket) {
		argv[n++] = "-s";
		argv[n++] = s->path;
	}
	argv[n++] = "--ready-fd";
	argv[n++] = "3";
	argv[n] = NULL;
	snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	s->pid = harness_spawn(argv, as, NULL, NULL, s->log, p[1], &s->pidfd);
	close(p[1]);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	/* Ready: a newline on the pipe. Failed: EOF (the server exited) — report its status. */
	if (poll(&pfd, 1, HARNESS_TIMEOUT_MS) == 1 && read(p[0], &c, 1) == 1 && c == '\n') {
		close(p[0]);
		track(s, 1);
		return 0;
	}
	close(p[0]);
	{
		int status = harness_wait(s->pid, s->pidfd, HARNESS_TIMEOUT_MS);
		s->pid = -1;
		if (status == -1)
			return -1;
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

int harness_server_start(struct server *s, const char *const *args, const struct run_as *as)
{
	harness_tmpdir(s->dir, sizeof(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
	return harness_server_start_in(s, args, as);
}

int harness_server_stop(struct server *s)
{
	int status;

	if (s->pid <= 0)
		return -1;
	track(s, 0);
	kill(s->pid, SIGTERM);
	status = harness_wait(s->pid, s->pidfd, HARNESS_TIMEOUT_MS);
	if (status == -1) {
		kill(s->pid, SIGKILL);
		status = harness_wait(s->pid, s->pidfd, HARNESS_TIMEOUT_MS);
	}
	s->pid = -1;
	return status;
}

pid_t harness_worker_pid(const struct server *s)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)s->pid, (int)s->pid);
	if (harness_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return (pid_t)atoi(buf);
}

ssize_t harness_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	return (ssize_t)off;
}

int harness_client(const char *const *args, const struct run_as *as, const char *input,
		   size_t inlen, char *out, size_t outlen, char *err, size_t errlen)
{
	char dir[64], in[96], o[96], e[96];
	char *argv[64];
	int n = 0, pidfd, status, fd;
	pid_t pid;

	harness_tmpdir(dir, sizeof(dir));
	if (as && as->uid != (uid_t)-1 && chown(dir, as->uid, as->gid) < 0)
		return -1;
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (inlen && write(fd, input, inlen) != (ssize_t)inlen))
		return -1;
	close(fd);
	argv[n++] = (char *)env_or_die("UDSECHO");
	for (const char *const *a = args; a && *a && n < 63; a++)
		argv[n++] = (char *)*a;
	argv[n] = NULL;
	pid = harness_spawn(argv, as, in, o, e, -1, &pidfd);
	status = harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS * 3);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (out)
		harness_read_file(o, out, outlen);
	if (err)
		harness_read_file(e, err, errlen);
	harness_rmtree(dir);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int harness_wait_log(const struct server *s, const char *needle, int ms)
{
	static char buf[1 << 20];
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (harness_read_file(s->log, buf, sizeof(buf)) > 0 && strstr(buf, needle))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return 0;
		/* Bounded polling of the log file for a line, 20 ms apart. */
		poll(NULL, 0, 20);
	}
}

int harness_status_field(pid_t pid, const char *field, char *out, size_t len)
{
	char path[64], buf[4096], *p, *end;
	size_t flen = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (harness_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
			p += flen + 1;
			p += strspn(p, " \t");
			end = strchr(p, '\n');
			snprintf(out, len, "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
			return 0;
		}
	}
	return -1;
}

int harness_stopped_within(pid_t pid, int ms)
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

/* Wait up to @ms for the tracee @pid to stop; 1 once it has, 0 if it did not or is gone. */
static int wait_stopped(pid_t pid, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		int status;
		pid_t p = waitpid(pid, &status, WNOHANG | __WALL);
		if (p == pid)
			return WIFSTOPPED(status);
		if (p < 0)
			return 0;
		/* Bounded polling for the stop, which no descriptor reports. */
		poll(NULL, 0, 10);
	}
	return 0;
}

int harness_ptrace_hold(pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == 0 && wait_stopped(pid, HARNESS_TIMEOUT_MS))
		return 0;
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return -1;
}

ssize_t harness_seccomp_filter(pid_t pid, struct sock_filter *prog, size_t max)
{
	long n = -1;
	int err = ETIMEDOUT; /* it did not stop */

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == 0 &&
	    wait_stopped(pid, HARNESS_TIMEOUT_MS)) {
		/* Without a buffer, the kernel says how many instructions there are. */
		n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, NULL);
		if (n > (long)max) {
			n = -1;
			errno = ENOSPC;
		} else if (n > 0) {
			n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, prog);
		}
		err = errno;
	}
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	errno = err;
	return n;
}

int harness_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

ssize_t harness_recv(int fd, char *buf, size_t len, int ms)
{
	size_t have = 0;

	while (have < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, ms) != 1)
			return -1;
		n = read(fd, buf + have, len - have);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

int harness_connect_as(const char *path, const struct run_as *as)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 0;
	struct iovec iov = {&c, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int sv[2], fd = -1, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int cfd;
		close(sv[0]);
		harness_become(as);
		cfd = harness_connect(path);
		if (cfd < 0)
			_exit(1);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &cfd, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 2);
	}
	close(sv[1]);
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC) == 1 && (cm = CMSG_FIRSTHDR(&mh)) &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	close(sv[0]);
	waitpid(pid, &status, 0);
	return fd;
}

void harness_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0) {
		perror(path);
		abort();
	}
	close(fd);
}

int harness_server_run(struct server *s, const char *const *args, const struct run_as *as)
{
	char *argv[64];
	int n = 0, status;

	argv[n++] = (char *)env_or_die("UDSECHOD");
	for (const char *const *a = args; a && *a && n < 63; a++)
		argv[n++] = (char *)*a;
	argv[n] = NULL;
	snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
	s->pid = harness_spawn(argv, as, NULL, NULL, s->log, -1, &s->pidfd);
	status = harness_wait(s->pid, s->pidfd, HARNESS_TIMEOUT_MS);
	s->pid = -1;
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int harness_server_wait(struct server *s, int ms)
{
	int status = harness_wait(s->pid, s->pidfd, ms);

	if (status != -1) {
		track(s, 0);
		s->pid = -1;
	}
	return status;
}
