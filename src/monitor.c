// SPDX-License-Identifier: MIT
/*
 * monitor: fork the worker, then wait on a signalfd for the few things that matter: a stop
 * signal, a reload signal, the worker's death.
 *
 * The pair is made one-way in the kernel: the monitor shuts down its reading side and the worker
 * its writing side, so a compromised worker has nothing to write to. Stopping closes the
 * monitor's end, which the worker takes as its cue to exit; if it does not within a bound, the
 * monitor exits anyway and the worker's parent-death signal ends it. Only then is the node
 * removed, and only if it is still the one we created.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/log.h"
#include "udsecho/monitor.h"
#include "udsecho/worker.h"

#define MONITOR_STOP_TIMEOUT_MS 5000

struct monitor {
	const struct monitor_config *cfg;
	pid_t worker;
	int pair_fd;
	int sig_fd;
};

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "status=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal=SIG%s%s",
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
			 WCOREDUMP(status) ? " core=dumped" : "");
	else
		snprintf(buf, len, "wait-status=%#x", (unsigned int)status);
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	return 70;
}

static void remove_node(const struct monitor *m)
{
	int r = sockpath_remove(m->cfg->node);

	if (r == SOCKPATH_E_NOT_OURS)
		log_warn(
			"event=stop-keep-node reason=\"the socket node was replaced; left in place\"");
	else if (r < 0)
		log_warn("event=stop-keep-node reason=\"%s\"", strerror(-r));
}

/* Wait for the worker to exit on its own after the pair closed, for a bounded time. */
static void reap_worker(struct monitor *m)
{
	struct pollfd pfd = {.fd = m->sig_fd, .events = POLLIN};
	int waited = 0, status;

	while (waited < MONITOR_STOP_TIMEOUT_MS) {
		struct signalfd_siginfo si;
		pid_t p = waitpid(m->worker, &status, WNOHANG);
		if (p == m->worker) {
			m->worker = -1;
			return;
		}
		if (poll(&pfd, 1, 100) > 0)
			(void)!read(m->sig_fd, &si, sizeof(si));
		waited += 100;
	}
	log_warn("event=stop-timeout worker=%d reason=\"worker did not exit; leaving it to its "
		 "parent-death signal\"",
		 (int)m->worker);
}

/* One signal: returns -1 to go on, or the exit status. */
static int on_signal(struct monitor *m, const struct signalfd_siginfo *si)
{
	char how[64];
	int status;

	switch (si->ssi_signo) {
	case SIGTERM:
	case SIGINT:
		log_info("event=stop signal=SIG%s", sigabbrev_np((int)si->ssi_signo));
		close(m->pair_fd);
		m->pair_fd = -1;
		reap_worker(m);
		remove_node(m);
		return 0;
	case SIGHUP:
		log_info("event=reload result=nothing-to-reload");
		return -1;
	case SIGCHLD:
		if (waitpid(m->worker, &status, WNOHANG) != m->worker)
			return -1;
		m->worker = -1;
		describe_exit(status, how, sizeof(how));
		log_err("event=worker-died %s", how);
		remove_node(m);
		return exit_status_of(status);
	default:
		return -1;
	}
}

static int supervise(struct monitor *m)
{
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(m->sig_fd, &si, sizeof(si));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si)) {
			log_err("monitor: signalfd: %s", n < 0 ? strerror(errno) : "short read");
			close(m->pair_fd);
			reap_worker(m);
			remove_node(m);
			return 71;
		}
		r = on_signal(m, &si);
		if (r >= 0)
			return r;
	}
}

static void run_worker(const struct monitor_config *cfg, int pair_fd, const sigset_t *old)
{
	static const int ignored[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
	struct worker_config wc = {
		.listen_fd = cfg->node->fd,
		.pair_fd = pair_fd,
		.ready_fd = cfg->ready_fd,
	};

	/* The monitor decides when the worker stops: a ^C to the process group is for the monitor.
	 */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigprocmask(SIG_SETMASK, old, NULL);
	sockpath_close_dir(cfg->node);
	/* One-way channel: the worker can only read from the monitor. */
	shutdown(pair_fd, SHUT_WR);
	_exit(worker_run(&wc));
}

int monitor_run(const struct monitor_config *cfg)
{
	struct monitor m = {.cfg = cfg, .worker = -1, .pair_fd = -1, .sig_fd = -1};
	sigset_t mask, old;
	int sv[2];

	/* Block first, so no signal can arrive between fork and signalfd unseen. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0) {
		log_err("monitor: sigprocmask: %s", strerror(errno));
		return 71;
	}
	signal(SIGPIPE, SIG_IGN);
	m.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (m.sig_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("monitor: cannot set up the worker's channel: %s", strerror(errno));
		return 71;
	}
	m.worker = fork();
	if (m.worker < 0) {
		log_err("monitor: fork: %s", strerror(errno));
		return 71;
	}
	if (m.worker == 0) {
		close(sv[0]);
		close(m.sig_fd);
		run_worker(cfg, sv[1], &old);
	}
	close(sv[1]);
	close(cfg->node->fd);
	if (cfg->ready_fd >= 0)
		close(cfg->ready_fd);
	shutdown(sv[0], SHUT_RD);
	m.pair_fd = sv[0];
	log_info("event=start worker=%d", (int)m.worker);
	return supervise(&m);
}
