// SPDX-License-Identifier: MIT
/*
 * Unit tests for sandbox: each filter is loaded in a forked child exactly as the server loads it,
 * then the child makes one call; the parent judges by how the child ended. A forbidden call must
 * kill it with SIGSYS, and what the worker's loop does must go through. No root needed: the
 * filter only needs no_new_privs, which libseccomp sets. One test reads the worker's filter back
 * from the kernel (PTRACE_SECCOMP_GET_FILTER), which needs root; it skips elsewhere, saying so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pthread.h>
#include <seccomp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "udsecho/echo.h"
#include "udsecho/peercred.h"
#include "udsecho/sandbox.h"

enum {
	CHILD_FILTER_FAILED = 90, /* sandbox_*() returned an error */
	CHILD_SURVIVED = 91,	  /* the forbidden call returned */
	CHILD_CHECK_FAILED = 92,  /* an allowed call did not do its job */
};

/*
 * Made in every child before its filter is loaded, as the worker makes its fds before: a socket
 * pair, the worker's echo pipe, and a pipe the filter knows nothing of.
 */
static int sv[2] = {-1, -1};
static int spl[2] = {-1, -1}, other[2] = {-1, -1};
static pid_t parent_pid;

static void child_fail(int line)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "child: check at line %d failed\n", line);

	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		_exit(CHILD_CHECK_FAILED);
	_exit(CHILD_CHECK_FAILED);
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			child_fail(__LINE__);                                                      \
	} while (0)

/* Fork; in the child run @fn (which ends with _exit), in the parent return the wait status. */
static int run_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	parent_pid = getpid();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_killed_by_sigsys(int status)
{
	if (WIFEXITED(status))
		fprintf(stderr, "child exited with %d instead of dying of SIGSYS\n",
			WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void assert_exited_zero(int status)
{
	if (WIFSIGNALED(status))
		fprintf(stderr, "child died of signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Forbidden calls. Each one returns if it was allowed; it must not be. */

static void call_openat(void)
{
	syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
}

static void call_execve(void)
{
	char *argv[] = {"true", NULL}, *envp[] = {NULL};

	execve("/bin/true", argv, envp);
}

static void call_socket(void)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
}

static void call_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void call_mprotect_exec(void)
{
	/* A writable mapping is allowed; making it executable is not. */
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static void call_getsockopt_type(void)
{
	int v;
	socklen_t len = sizeof(v);

	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len);
}

static void call_getsockopt_peercred_wrong_level(void)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	/* The optname of SO_PEERCRED at another level is another option. */
	getsockopt(sv[0], IPPROTO_IP, SO_PEERCRED, &uc, &len);
}

static void call_getsockopt_peergroups_wrong_level(void)
{
	gid_t groups[8];
	socklen_t len = sizeof(groups);

	getsockopt(sv[0], IPPROTO_IP, SO_PEERGROUPS, groups, &len);
}

static void call_kill(void)
{
	kill(parent_pid, 0);
}

static void call_fork(void)
{
	if (fork() == 0)
		_exit(0);
}

static void call_prctl(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void call_setuid(void)
{
	syscall(SYS_setuid, getuid());
}

static void call_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static void call_sigaltstack_set(void)
{
	static char stack[16384];
	stack_t ss = {.ss_sp = stack, .ss_size = sizeof(stack)};

	/* Even the sanitizer build allows only the query sigaltstack(NULL, &old). */
	sigaltstack(&ss, NULL);
}

static void call_timerfd_realtime(void)
{
	timerfd_create(CLOCK_REALTIME, 0);
}

static void call_fcntl_dupfd(void)
{
	fcntl(sv[0], F_DUPFD_CLOEXEC, 0);
}

/* The peer's bytes into a pipe that is not the echo pipe. */
static void call_splice_other_pipe(void)
{
	CHECK(write(sv[1], "x", 1) == 1);
	splice(sv[0], NULL, other[1], NULL, 1, SPLICE_F_NONBLOCK);
}

/* Out of a pipe that is not the echo pipe. */
static void call_splice_from_other_pipe(void)
{
	CHECK(write(other[1], "x", 1) == 1);
	splice(other[0], NULL, sv[0], NULL, 1, SPLICE_F_NONBLOCK);
}

/* Into the echo pipe from a position of the caller's choosing (the call is refused first). */
static void call_splice_at_offset(void)
{
	loff_t off = 0;

	CHECK(write(sv[1], "x", 1) == 1);
	splice(sv[0], &off, spl[1], NULL, 1, SPLICE_F_NONBLOCK);
}

/* Out of the echo pipe to a position of the caller's choosing. */
static void call_splice_out_at_offset(void)
{
	loff_t off = 0;

	CHECK(write(spl[1], "x", 1) == 1);
	splice(spl[0], NULL, sv[0], &off, 1, SPLICE_F_NONBLOCK);
}

/* Through the echo pipe, both ways: what the worker does. */
static void call_splice_echo_pipe(void)
{
	char c;

	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(splice(sv[0], NULL, spl[1], NULL, 1, SPLICE_F_NONBLOCK) == 1);
	CHECK(splice(spl[0], NULL, sv[0], NULL, 1, SPLICE_F_NONBLOCK) == 1);
	CHECK(read(sv[1], &c, 1) == 1 && c == 'x');
}

#if defined(__x86_64__)
static void call_i386_getpid(void)
{
	long ret;

	/* i386 getpid is 20; the x86_64 filter must not know that number. */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	(void)ret;
}

static void call_x32_getpid(void)
{
	syscall(0x40000000L | SYS_getpid);
}
#endif

struct probe {
	enum sandbox_mode mode;
	int monitor; /* the monitor's filter instead of the worker's */
	void (*call)(void);
};

/*
 * Load a filter and prove it is in force: the kernel must report seccomp mode 2 and no_new_privs
 * afterwards, so that a mode which loaded nothing cannot pass a probe that expects a call to go
 * through (the log mode) or a test of the allowed calls. The status is the calling thread's: a
 * filter is loaded for one thread. Ends the child on failure.
 */
static void load_proven(enum sandbox_mode mode, int monitor)
{
	char status[512];
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC), r;

	CHECK(fd >= 0);
	CHECK(pipe2(spl, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(other, O_CLOEXEC | O_NONBLOCK) == 0);
	/* The monitor's worker, to the filter: the test, a process that exists and is not us. */
	r = monitor ? sandbox_monitor(mode, parent_pid) : sandbox_worker(mode, spl);
	if (r < 0)
		_exit(CHILD_FILTER_FAILED);
	CHECK(sandbox_status(fd, status, sizeof(status)) == 0);
	CHECK(strncmp(status, "seccomp=2 no_new_privs=1 ", 25) == 0);
	CHECK(close(fd) == 0);
}

/* Load the probe's filter, then make its call; returns if the call did. */
static void *probe_run(void *arg)
{
	const struct probe *p = arg;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	load_proven(p->mode, p->monitor);
	p->call();
	return NULL;
}

static void probe_child(void *arg)
{
	probe_run(arg);
	_exit(CHILD_SURVIVED);
}

static void filter_kills(void **state)
{
	assert_killed_by_sigsys(run_child(probe_child, *state));
}

/*
 * The probe in a second thread, the only one filtered: a refused call must end the whole process
 * (the main thread would exit with CHILD_SURVIVED after the join), not the thread alone.
 */
static void thread_probe_child(void *arg)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, probe_run, arg) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	_exit(CHILD_SURVIVED);
}

static void filter_kills_process(void **state)
{
	assert_killed_by_sigsys(run_child(thread_probe_child, *state));
}

static void filter_allows(void **state)
{
	int status = run_child(probe_child, *state);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_SURVIVED);
}

#if defined(__x86_64__)
static void i386_child(void *arg)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	_exit(ret == getpid() ? 0 : 1);
}

/* Without the filter, int 0x80 must work here, or the killed child below proves nothing. */
static int i386_available(void **state)
{
	int status = run_child(i386_child, NULL);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "skipped: this kernel has no i386 emulation (int 0x80)\n");
		return -1;
	}
	return 0;
}

static void i386_kills(void **state)
{
	if (i386_available(state) < 0)
		skip();
	assert_killed_by_sigsys(run_child(probe_child, *state));
}
#endif

/* What the worker's event loop does, in one child, after the filter. */
static void worker_loop_child(void *arg)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	socklen_t alen = sizeof(sa_family_t);
	struct epoll_event ev = {.events = EPOLLIN}, out[4];
	struct itimerspec its = {.it_value = {.tv_sec = 60}}, cur;
	struct peer_cred cred;
	struct timespec ts;
	struct timeval tv;
	struct iovec iov[2];
	char buf[64], a[2], b[2], status[512], scratch[1024], bulk[3 * 1024], back[3 * 1024];
	char *small[64], *big;
	struct echo_io io = {scratch, sizeof(scratch), {-1, -1}};
	struct echo_buf held = {0};
	uint64_t echoed = 0;
	uid_t uid = geteuid();
	int ep, lfd, cfd, afd, tfd, status_fd, fl;

	/* Before the filter, as the worker does: epoll, listener, pair, status fd. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&addr, alen) == 0); /* autobind, abstract */
	alen = sizeof(addr);
	CHECK(getsockname(lfd, (struct sockaddr *)&addr, &alen) == 0);
	CHECK(listen(lfd, 4) == 0);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(cfd >= 0);
	CHECK(connect(cfd, (struct sockaddr *)&addr, alen) == 0);
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(status_fd >= 0);
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR && echo_io_pipe(&io) == 0);

	if (sandbox_worker(SANDBOX_STRICT, io.pipe) < 0)
		_exit(CHILD_FILTER_FAILED);

	/* Accept, with the peer's credentials. */
	ev.data.fd = lfd;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == 0);
	CHECK(epoll_wait(ep, out, 4, 5000) == 1 && out[0].data.fd == lfd);
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(afd >= 0);
	CHECK(peercred_read(afd, &cred) == 0);
	CHECK(cred.uid == uid);
	peercred_release(&cred);
	fl = fcntl(afd, F_GETFL);
	CHECK(fl >= 0 && (fl & O_NONBLOCK));
	CHECK(fcntl(afd, F_SETFL, fl & ~O_NONBLOCK) == 0);

	/* Echo over both kinds of call. */
	CHECK(write(cfd, "ping", 4) == 4);
	CHECK(read(afd, buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0);
	CHECK(send(afd, "pong", 4, MSG_NOSIGNAL) == 4);
	CHECK(recv(cfd, buf, sizeof(buf), 0) == 4 && memcmp(buf, "pong", 4) == 0);
	iov[0] = (struct iovec){.iov_base = "ab", .iov_len = 2};
	iov[1] = (struct iovec){.iov_base = "cd", .iov_len = 2};
	CHECK(writev(sv[1], iov, 2) == 4);
	ev.data.fd = sv[0];
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) == 0);
	CHECK(epoll_pwait(ep, out, 4, 5000, NULL) == 1 && out[0].data.fd == sv[0]);
	iov[0] = (struct iovec){.iov_base = a, .iov_len = 2};
	iov[1] = (struct iovec){.iov_base = b, .iov_len = 2};
	CHECK(readv(sv[0], iov, 2) == 4 && memcmp(a, "ab", 2) == 0 && memcmp(b, "cd", 2) == 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL) == 0);

	/* The echo itself: a read that fills the scratch buffer, then the rest spliced. */
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	for (size_t i = 0; i < sizeof(bulk); i++)
		bulk[i] = (char)(i % 251);
	CHECK(write(sv[1], bulk, sizeof(bulk)) == (ssize_t)sizeof(bulk));
	CHECK(echo_read(sv[0], &held, &io, 8, 0, &echoed) == ECHO_READ);
	CHECK(echoed == sizeof(bulk) && held.bulk && io.pipe[0] >= 0);
	CHECK(recv(sv[1], back, sizeof(back), MSG_WAITALL) == (ssize_t)sizeof(back));
	CHECK(memcmp(back, bulk, sizeof(bulk)) == 0);

	/* Timeouts and time, through the vDSO and past it. */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK(tfd >= 0);
	CHECK(timerfd_settime(tfd, 0, &its, NULL) == 0);
	CHECK(timerfd_gettime(tfd, &cur) == 0 && cur.it_value.tv_sec > 0);
	CHECK(close(tfd) == 0);
	/* The spare descriptor that the worker makes again when out of descriptors. */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	CHECK(tfd >= 0 && close(tfd) == 0);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0);
	CHECK(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts) == 0);
	CHECK(syscall(SYS_gettimeofday, &tv, NULL) == 0);
	CHECK(getpid() > 0 && gettid() > 0);
	CHECK(sched_yield() == 0);

	/* malloc, small and large (brk, mmap, mremap, munmap). */
	for (size_t i = 0; i < 64; i++) {
		small[i] = malloc(16 + i * 8);
		CHECK(small[i] != NULL);
		memset(small[i], 'x', 16 + i * 8);
	}
	big = malloc(32 << 20);
	CHECK(big != NULL);
	memset(big, 'y', 32 << 20);
	big = realloc(big, 64 << 20);
	CHECK(big != NULL && big[(32 << 20) - 1] == 'y');
	free(big);
	for (size_t i = 0; i < 64; i++)
		free(small[i]);

	/* The worker's self-report. */
	CHECK(sandbox_status(status_fd, status, sizeof(status)) == 0);
	CHECK(strncmp(status, "seccomp=2 no_new_privs=1 ", 25) == 0);

	CHECK(shutdown(afd, SHUT_RDWR) == 0);
	CHECK(close(afd) == 0 && close(cfd) == 0 && close(lfd) == 0 && close(ep) == 0);
	_exit(0);
}

/*
 * Whether @prog, run for system call @nr of architecture @arch, allows it by those two alone, as
 * the kernel works it out when a filter is loaded (Linux 5.11 and later): it runs the program
 * knowing only the number and the architecture, and a call that reaches SECCOMP_RET_ALLOW so is
 * answered from its action cache ever after, without running the filter. A load of anything else
 * (an argument, the instruction pointer) or an instruction outside this set makes it run.
 */
static int allowed_by_number(const struct sock_filter *prog, long len, uint32_t arch, uint32_t nr)
{
	uint32_t a = 0;

	for (long pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &prog[pc];
		int taken;

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k == offsetof(struct seccomp_data, nr))
				a = nr;
			else if (in->k == offsetof(struct seccomp_data, arch))
				a = arch;
			else
				return 0;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= in->k;
			break;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(in->code)) {
			case BPF_JEQ:
				taken = a == in->k;
				break;
			case BPF_JGE:
				taken = a >= in->k;
				break;
			case BPF_JGT:
				taken = a > in->k;
				break;
			default:
				taken = (a & in->k) != 0;
				break;
			}
			pc += taken ? in->jt : in->jf;
			break;
		case BPF_RET | BPF_K:
			return in->k == SECCOMP_RET_ALLOW;
		default:
			return 0;
		}
	}
	return 0;
}

/* Load the worker's filter, say so on @arg[1], then wait on @arg[0] until the test is done. */
static void cached_child(void *arg)
{
	const int *fds = arg;
	char c = 0;

	load_proven(SANDBOX_STRICT, 0);
	CHECK(write(fds[1], &c, 1) == 1);
	CHECK(read(fds[0], &c, 1) >= 0);
	_exit(0);
}

/*
 * The newest filter of @pid, stopped for it and let go again, into *@prog (*@len instructions).
 * Returns 0, or -errno of the call that failed: EACCES or EPERM without CAP_SYS_ADMIN, or from a
 * process under seccomp itself.
 */
static int read_filter(pid_t pid, struct sock_filter **prog, long *len)
{
	int status, r = 0;

	*prog = NULL;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) != pid)
		r = -errno;
	else if ((*len = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL)) <= 0)
		r = *len < 0 ? -errno : -ENOENT;
	else if (!(*prog = calloc((size_t)*len, sizeof(**prog))))
		r = -ENOMEM;
	else if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, *prog) != *len)
		r = -EIO;
	if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		free(*prog);
		*prog = NULL;
	}
	return r;
}

/*
 * Every call of an echo's round trip, and of a connection's but getsockopt(2) (once, or twice when
 * the policy has group rules), is one the kernel answers without running the worker's filter: a
 * rule that checked an argument of one of them would cost every such call the whole filter. The
 * program is the one the kernel holds for the worker, read back with PTRACE_SECCOMP_GET_FILTER
 * (CAP_SYS_ADMIN, and the test under no filter itself); the calls the filter checks by their
 * arguments or refuses, and another architecture's, are not. What it proves is this filter's part:
 * under a service manager's filter too, a call is answered so only if every filter allows it so,
 * and a kernel before 5.11 has no such cache at all.
 */
static void worker_round_trip_is_allowed_by_number(void **state)
{
	static const uint32_t by_number[] = {
#ifdef __NR_epoll_wait
		__NR_epoll_wait,
#endif
		__NR_epoll_pwait, __NR_recvfrom, __NR_sendto,	       __NR_accept4,
		__NR_epoll_ctl,	  __NR_close,	 __NR_write,	       __NR_writev,
		__NR_read,	  __NR_shutdown, __NR_timerfd_settime,
	};
	/* Allowed by their arguments (mmap with no PROT_EXEC, ...), or refused. */
	static const uint32_t run[] = {__NR_getsockopt, __NR_mmap,   __NR_mprotect,
				       __NR_splice,	__NR_openat, __NR_socket};
	const uint32_t native = seccomp_arch_native();
	const uint32_t foreign = native == SCMP_ARCH_X86 ? SCMP_ARCH_X86_64 : SCMP_ARCH_X86;
	int go[2], ready[2], fds[2], status, r;
	struct sock_filter *prog;
	ssize_t n;
	long len = 0;
	pid_t pid;
	char c;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: reading a filter back (PTRACE_SECCOMP_GET_FILTER) needs "
				"root\n");
		skip();
	}
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	parent_pid = getpid();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		fds[0] = go[0];
		fds[1] = ready[1];
		cached_child(fds);
	}
	close(go[0]);
	close(ready[1]);
	/* Nothing asserted until the child is gone: a failure leaves no process behind. */
	n = read(ready[0], &c, 1);
	close(ready[0]);
	r = n == 1 ? read_filter(pid, &prog, &len) : -ECHILD;
	close(go[1]);
	if (r < 0)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (r == -EACCES || r == -EPERM) {
		fprintf(stderr,
			"skipped: the kernel will not show this process a filter (%s): no "
			"CAP_SYS_ADMIN, or the test runs under a filter itself\n",
			strerror(-r));
		skip();
	}
	if (r == -ECHILD)
		assert_exited_zero(status);
	assert_int_equal(r, 0);
	assert_exited_zero(status);
	for (size_t i = 0; i < sizeof(by_number) / sizeof(by_number[0]); i++) {
		if (!allowed_by_number(prog, len, native, by_number[i]))
			fprintf(stderr, "system call %u runs the worker's filter\n", by_number[i]);
		assert_true(allowed_by_number(prog, len, native, by_number[i]));
		assert_false(allowed_by_number(prog, len, foreign, by_number[i]));
	}
	for (size_t i = 0; i < sizeof(run) / sizeof(run[0]); i++)
		assert_false(allowed_by_number(prog, len, native, run[i]));
	free(prog);
}

static void worker_allows_the_loop(void **state)
{
	assert_exited_zero(run_child(worker_loop_child, NULL));
}

/* Log mode: the forbidden call goes through (the kernel logs it). */
static void log_child(void *arg)
{
	int fd;

	load_proven(SANDBOX_LOG, 0);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
	CHECK(fd >= 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	_exit(0);
}

static void worker_log_mode_does_not_kill(void **state)
{
	assert_exited_zero(run_child(log_child, NULL));
}

/* Off: nothing loaded, the status is what it was before. */
static void off_child(void *arg)
{
	char before[512], after[512];
	int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	CHECK(status_fd >= 0);
	CHECK(sandbox_status(status_fd, before, sizeof(before)) == 0);
	CHECK(sandbox_worker(SANDBOX_OFF, NULL) == 0);
	CHECK(sandbox_monitor(SANDBOX_OFF, parent_pid) == 0);
	CHECK(sandbox_status(status_fd, after, sizeof(after)) == 0);
	CHECK(strcmp(before, after) == 0);
	CHECK(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY) >= 0);
	CHECK(socket(AF_UNIX, SOCK_STREAM, 0) >= 0);
	_exit(0);
}

static void off_loads_nothing(void **state)
{
	char buf[512];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(sandbox_status(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* Unless the test itself runs confined (a container), there is no filter at all. */
	if (strncmp(buf, "seccomp=0 ", 10) != 0)
		fprintf(stderr, "note: the test runs under a seccomp filter already: %s\n", buf);
	assert_exited_zero(run_child(off_child, NULL));
}

/* sandbox_status: pread on an fd opened before the filter shows the filter. */
static void status_child(void *arg)
{
	int *pipe_w = arg;
	char buf[512];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	size_t len;

	CHECK(fd >= 0);
	if (sandbox_worker(SANDBOX_STRICT, NULL) < 0)
		_exit(CHILD_FILTER_FAILED);
	CHECK(sandbox_status(fd, buf, sizeof(buf)) == 0);
	len = strlen(buf);
	CHECK(write(*pipe_w, buf, len) == (ssize_t)len);
	_exit(0);
}

static void status_shows_the_filter(void **state)
{
	char buf[512] = "";
	unsigned int seccomp, nnp;
	char eff[17], prm[17], inh[17], bnd[17], amb[17];
	int p[2];
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_exited_zero(run_child(status_child, &p[1]));
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(
		sscanf(buf,
		       "seccomp=%u no_new_privs=%u cap_eff=%16[0-9a-f] cap_prm=%16[0-9a-f] "
		       "cap_inh=%16[0-9a-f] cap_bnd=%16[0-9a-f] cap_amb=%16[0-9a-f]",
		       &seccomp, &nnp, eff, prm, inh, bnd, amb),
		7);
	assert_int_equal(seccomp, 2);
	assert_int_equal(nnp, 1);
	assert_int_equal(strlen(amb), 16);
}

static void status_errors(void **state)
{
	static const char fake[] = "Name:\tfake\nSeccomp:\t0\n";
	char buf[512];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), mfd, p[2];

	assert_true(fd >= 0);
	assert_int_equal(sandbox_status(fd, buf, 8), -ENOSPC);
	assert_int_equal(sandbox_status(fd, buf, 0), -ENOSPC);
	close(fd);
	mfd = memfd_create("status", MFD_CLOEXEC);
	assert_true(mfd >= 0);
	assert_int_equal(write(mfd, fake, sizeof(fake) - 1), (ssize_t)sizeof(fake) - 1);
	assert_int_equal(sandbox_status(mfd, buf, sizeof(buf)), -ENODATA);
	close(mfd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sandbox_status(p[0], buf, sizeof(buf)), -ESPIPE);
	close(p[0]);
	close(p[1]);
}

/* The monitor: what it needs keeps working, and fork() still does (clone3 -> ENOSYS -> clone). */
static void monitor_child(void *arg)
{
	char buf[64];
	struct passwd *pw;
	int fd, status;
	pid_t pid;

	load_proven(SANDBOX_STRICT, 1);
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	CHECK(close(fd) == 0);
	pw = getpwnam("root");
	CHECK(pw != NULL && pw->pw_uid == 0);
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(7);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7);
	_exit(0);
}

static void monitor_allows_files_and_names(void **state)
{
	assert_exited_zero(run_child(monitor_child, NULL));
}

/*
 * Every call of the monitor's deny-list, made with arguments that would do nothing if it went
 * through: -1 for every fd, pointer, flag, count and id (init_module: a length of 0, which no
 * module has). clone gets one namespace flag, raw, so no glibc wrapper hides it.
 */
struct denied {
	const char *name;
	long nr, arg0, arg1;
};

#define DENIED(n)                                                                                  \
	{                                                                                          \
		.name = #n, .nr = SYS_##n, .arg0 = -1, .arg1 = -1                                  \
	}
#define DENIED_CLONE(flag)                                                                         \
	{                                                                                          \
		.name = "clone " #flag, .nr = SYS_clone, .arg0 = (flag) | SIGCHLD                  \
	}

static const struct denied monitor_denied[] = {
	DENIED(execve),
	DENIED(execveat),
	DENIED(ptrace),
	DENIED(process_vm_readv),
	DENIED(process_vm_writev),
	DENIED(pidfd_getfd),
	DENIED(mount),
	DENIED(umount2),
	DENIED(pivot_root),
	DENIED(chroot),
	DENIED(fsopen),
	DENIED(fsconfig),
	DENIED(fsmount),
	DENIED(fspick),
	DENIED(move_mount),
	DENIED(open_tree),
	DENIED(mount_setattr),
	DENIED(open_by_handle_at),
	DENIED(name_to_handle_at),
	DENIED(swapon),
	DENIED(swapoff),
	DENIED(acct),
	{"init_module", SYS_init_module, -1, 0},
	DENIED(finit_module),
	DENIED(delete_module),
	DENIED(kexec_load),
	DENIED(kexec_file_load),
	DENIED(reboot),
	DENIED(bpf),
	DENIED(perf_event_open),
	DENIED(userfaultfd),
	DENIED(keyctl),
	DENIED(add_key),
	DENIED(request_key),
#if defined(SYS_iopl)
	DENIED(iopl),
	DENIED(ioperm),
#endif
	DENIED(io_uring_setup),
	DENIED(io_uring_enter),
	DENIED(io_uring_register),
	DENIED(settimeofday),
	DENIED(clock_settime),
	DENIED(adjtimex),
	DENIED(clock_adjtime),
	DENIED(setns),
	DENIED(unshare),
	DENIED(setuid),
	DENIED(setgid),
	DENIED(setreuid),
	DENIED(setregid),
	DENIED(setresuid),
	DENIED(setresgid),
	DENIED(setfsuid),
	DENIED(setfsgid),
	DENIED(setgroups),
	DENIED_CLONE(CLONE_NEWNS),
	DENIED_CLONE(CLONE_NEWCGROUP),
	DENIED_CLONE(CLONE_NEWUTS),
	DENIED_CLONE(CLONE_NEWIPC),
	DENIED_CLONE(CLONE_NEWUSER),
	DENIED_CLONE(CLONE_NEWPID),
	DENIED_CLONE(CLONE_NEWNET),
};

static void denied_child(void *arg)
{
	const struct denied *d = arg;
	long r;

	load_proven(SANDBOX_STRICT, 1);
	r = syscall(d->nr, d->arg0, d->arg1, -1L, -1L, -1L, -1L);
	if (d->nr == SYS_clone && r == 0)
		_exit(0);
	if (d->nr == SYS_clone && r > 0)
		waitpid((pid_t)r, NULL, 0);
	_exit(CHILD_SURVIVED);
}

static void monitor_kills_every_denied_call(void **state)
{
	int killed = 1;

	for (size_t i = 0; i < sizeof(monitor_denied) / sizeof(monitor_denied[0]); i++) {
		int status = run_child(denied_child, (void *)&monitor_denied[i]);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			continue;
		fprintf(stderr, "monitor filter let %s through\n", monitor_denied[i].name);
		killed = 0;
	}
	assert_true(killed);
}

static void call_setresuid(void)
{
	syscall(SYS_setresuid, getuid(), getuid(), getuid());
}

/*
 * The monitor's signals. Its worker, to the filter, is parent_pid (the test): kill(2) reaches it,
 * and nothing else reaches any process.
 */
static void call_kill_worker(void)
{
	CHECK(kill(parent_pid, 0) == 0);
}

static void call_kill_other(void)
{
	kill(1, 0);
}

static void call_kill_all(void)
{
	kill(-1, 0);
}

static void call_tgkill_self(void)
{
	CHECK(syscall(SYS_tgkill, getpid(), gettid(), 0) == 0);
}

static void call_tgkill_other(void)
{
	syscall(SYS_tgkill, 1, 1, 0);
}

static void call_tkill(void)
{
	syscall(SYS_tkill, gettid(), 0);
}

static void call_rt_sigqueueinfo(void)
{
	siginfo_t si = {.si_code = SI_QUEUE};

	syscall(SYS_rt_sigqueueinfo, parent_pid, 0, &si);
}

static void call_pidfd_send_signal(void)
{
	/* Even to the worker: the filter cannot see whose pidfd it is. */
	int pidfd = (int)syscall(SYS_pidfd_open, parent_pid, 0);

	CHECK(pidfd >= 0);
	syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
}

static void call_fcntl_setown(void)
{
	fcntl(sv[0], F_SETOWN, 1);
}

static void call_ioctl_fiosetown(void)
{
	int pid = 1;

	ioctl(sv[0], FIOSETOWN, &pid);
}

/* abort() signals its own thread (tgkill): under the monitor's filter it still aborts. */
static void abort_child(void *arg)
{
	struct rlimit no_core = {0, 0};

	CHECK(setrlimit(RLIMIT_CORE, &no_core) == 0);
	load_proven(SANDBOX_STRICT, 1);
	abort();
}

static void monitor_allows_abort(void **state)
{
	int status = run_child(abort_child, NULL);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* In a child: should the check fail, the filter would be loaded in the test itself. */
static void bad_pipe_child(void *arg)
{
	CHECK(sandbox_worker(SANDBOX_STRICT, (const int[]){-1, -1}) == -EBADF);
	CHECK(sandbox_worker(SANDBOX_STRICT, (const int[]){3, -1}) == -EBADF);
	CHECK(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY) >= 0);
	_exit(0);
}

static void bad_pipe_loads_nothing(void **state)
{
	assert_exited_zero(run_child(bad_pipe_child, NULL));
}

static void unknown_mode_loads_nothing(void **state)
{
	assert_int_equal(sandbox_worker((enum sandbox_mode)42, NULL), -EINVAL);
	assert_int_equal(sandbox_monitor((enum sandbox_mode)42, getpid()), -EINVAL);
	assert_int_equal(sandbox_monitor(SANDBOX_OFF, 0), -EINVAL);
	assert_int_equal(sandbox_monitor(SANDBOX_OFF, -1), -EINVAL);
}

#define WORKER_KILLS(fn)                                                                           \
	{                                                                                          \
		"worker kills " #fn, filter_kills, NULL, NULL,                                     \
			(void *)&(const struct probe){SANDBOX_STRICT, 0, call_##fn},               \
	}
#define MONITOR_KILLS(fn)                                                                          \
	{                                                                                          \
		"monitor kills " #fn, filter_kills, NULL, NULL,                                    \
			(void *)&(const struct probe){SANDBOX_STRICT, 1, call_##fn},               \
	}

#define WORKER_ALLOWS(fn)                                                                          \
	{                                                                                          \
		"worker allows " #fn, filter_allows, NULL, NULL,                                   \
			(void *)&(const struct probe){SANDBOX_STRICT, 0, call_##fn},               \
	}
#define MONITOR_ALLOWS(fn)                                                                         \
	{                                                                                          \
		"monitor allows " #fn, filter_allows, NULL, NULL,                                  \
			(void *)&(const struct probe){SANDBOX_STRICT, 1, call_##fn},               \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_mode_loads_nothing),
		cmocka_unit_test(bad_pipe_loads_nothing),
		WORKER_KILLS(openat),
		WORKER_KILLS(execve),
		WORKER_KILLS(socket),
		WORKER_KILLS(mmap_exec),
		WORKER_KILLS(mprotect_exec),
		WORKER_KILLS(getsockopt_type),
		WORKER_KILLS(getsockopt_peercred_wrong_level),
		WORKER_KILLS(getsockopt_peergroups_wrong_level),
		WORKER_KILLS(kill),
		WORKER_KILLS(fork),
		WORKER_KILLS(prctl),
		WORKER_KILLS(setuid),
		WORKER_KILLS(timerfd_realtime),
		WORKER_KILLS(fcntl_dupfd),
		WORKER_KILLS(ptrace),
		WORKER_KILLS(sigaltstack_set),
		WORKER_KILLS(splice_other_pipe),
		WORKER_KILLS(splice_from_other_pipe),
		WORKER_KILLS(splice_at_offset),
		WORKER_KILLS(splice_out_at_offset),
		WORKER_ALLOWS(splice_echo_pipe),
#if defined(__x86_64__)
		{"worker kills i386", i386_kills, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_STRICT, 0, call_i386_getpid}},
		WORKER_KILLS(x32_getpid),
		{"worker log mode still kills x32", filter_kills, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_LOG, 0, call_x32_getpid}},
		{"worker log mode kills the process for x32", filter_kills_process, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_LOG, 0, call_x32_getpid}},
		{"monitor kills i386", i386_kills, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_STRICT, 1, call_i386_getpid}},
		MONITOR_KILLS(x32_getpid),
		{"monitor kills the process for x32", filter_kills_process, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_STRICT, 1, call_x32_getpid}},
#endif
		{"worker kills the process for openat", filter_kills_process, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_STRICT, 0, call_openat}},
		{"worker log mode allows kill", filter_allows, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_LOG, 0, call_kill}},
		cmocka_unit_test(worker_allows_the_loop),
		cmocka_unit_test(worker_round_trip_is_allowed_by_number),
		cmocka_unit_test(worker_log_mode_does_not_kill),
		cmocka_unit_test(off_loads_nothing),
		cmocka_unit_test(status_shows_the_filter),
		cmocka_unit_test(status_errors),
		cmocka_unit_test(monitor_kills_every_denied_call),
		{"monitor log mode does not kill setresuid", filter_allows, NULL, NULL,
		 (void *)&(const struct probe){SANDBOX_LOG, 1, call_setresuid}},
		MONITOR_KILLS(kill_other),
		MONITOR_KILLS(kill_all),
		MONITOR_KILLS(tgkill_other),
		MONITOR_KILLS(tkill),
		MONITOR_KILLS(rt_sigqueueinfo),
		MONITOR_KILLS(pidfd_send_signal),
		MONITOR_KILLS(fcntl_setown),
		MONITOR_KILLS(ioctl_fiosetown),
		MONITOR_ALLOWS(kill_worker),
		MONITOR_ALLOWS(tgkill_self),
		cmocka_unit_test(monitor_allows_abort),
		cmocka_unit_test(monitor_allows_files_and_names),
	};
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
