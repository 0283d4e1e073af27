// SPDX-License-Identifier: MIT
/*
 * bench-filter: what the worker's seccomp filter costs a system call, measured in this program.
 * Each call is made CALLS times in a row and timed, the best of ROUNDS rounds, with no filter
 * and, in a child of each round, under the worker's own (sandbox_worker(), strict, with an echo
 * pipe for its splice(2) rules, as udsechod loads it):
 *
 *   getpid(2), and recvfrom(2) on an empty socket (EAGAIN): the filter allows both whatever their
 *   arguments, so the kernel's seccomp action cache (Linux 5.11 and later) answers for them and
 *   runs no BPF; every call of a round trip is of this kind;
 *   getsockopt(2) SO_PEERCRED: allowed by its arguments, so the filter runs for every such call
 *   (one a connection, two when the policy has group rules).
 *
 * Prints one `RESULT key=value ...` line and one human line starting with `#`; exits 1 if the
 * filter cannot be loaded or a call fails in a way it should not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/monoclock.h"
#include "udsecho/sandbox.h"

#define CALLS  200000
#define ROUNDS 7

enum call { GETPID, RECV, PEERCRED, NCALLS };

static const char *const names[NCALLS] = {"getpid", "recv", "getsockopt"};
static int pair[2];

/* One call of @c; 0 when it did what it should (recv: EAGAIN on the empty socket). */
static int call(enum call c)
{
	char buf[64];
	struct ucred cred;
	socklen_t len = sizeof(cred);

	switch (c) {
	case GETPID:
		return syscall(SYS_getpid) > 0 ? 0 : -1;
	case RECV:
		if (recv(pair[0], buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN)
			return 0;
		return -1;
	case PEERCRED:
		return getsockopt(pair[0], SOL_SOCKET, SO_PEERCRED, &cred, &len);
	case NCALLS:
		break;
	}
	return -1;
}

/* One round: the time of one call of each kind, in ns, into @ns; -1 if a call failed. */
static int round_ns(double *ns)
{
	for (int c = 0; c < NCALLS; c++) {
		uint64_t start = monoclock_ns();

		for (int i = 0; i < CALLS; i++)
			if (call(c) < 0) {
				fprintf(stderr, "bench-filter: %s failed: %s\n", names[c],
					strerror(errno));
				return -1;
			}
		ns[c] = (double)(monoclock_ns() - start) / CALLS;
	}
	return 0;
}

/* One round under the worker's filter, in a child that loads it (it cannot be taken off). */
static int filtered_round_ns(double *ns)
{
	int p[2], echo_pipe[2], status, r;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (pipe2(echo_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
			_exit(1);
		r = sandbox_worker(SANDBOX_STRICT, echo_pipe);
		if (r < 0) {
			fprintf(stderr, "bench-filter: the worker's filter: %s\n", strerror(-r));
			_exit(1);
		}
		_exit(round_ns(ns) == 0 && write(p[1], ns, sizeof(*ns) * NCALLS) > 0 ? 0 : 1);
	}
	close(p[1]);
	n = pid < 0 ? -1 : read(p[0], ns, sizeof(*ns) * NCALLS);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "bench-filter: the filtered round died of %s\n",
			strsignal(WTERMSIG(status)));
	if (status != 0)
		return -1;
	return n == (ssize_t)(sizeof(*ns) * NCALLS) ? 0 : -1;
}

/* Keep in @best the lower of each of its times and @ns's; round @r 0 sets them. */
static void keep_best(double *best, const double *ns, int r)
{
	for (int c = 0; c < NCALLS; c++)
		best[c] = r == 0 || ns[c] < best[c] ? ns[c] : best[c];
}

int main(void)
{
	double off[NCALLS], on[NCALLS], ns[NCALLS];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		perror("bench-filter: socketpair");
		return 1;
	}
	/* Rounds with and without the filter alternate, so that a host that slows down for a
	   while slows down both. */
	for (int r = 0; r < ROUNDS; r++) {
		if (round_ns(ns) < 0)
			return 1;
		keep_best(off, ns, r);
		if (filtered_round_ns(ns) < 0)
			return 1;
		keep_best(on, ns, r);
	}
	printf("RESULT workload=filter label=udsechod status=ok");
	for (int c = 0; c < NCALLS; c++)
		printf(" %s_off_ns=%.1f %s_on_ns=%.1f", names[c], off[c], names[c], on[c]);
	printf("\n# filter, best of %d rounds of %d calls:", ROUNDS, CALLS);
	for (int c = 0; c < NCALLS; c++)
		printf(" %s %.1f -> %.1f ns (%+.1f)%s", names[c], off[c], on[c], on[c] - off[c],
		       c + 1 < NCALLS ? "," : "\n");
	return 0;
}
