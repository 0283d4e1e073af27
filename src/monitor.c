// SPDX-License-Identifier: MIT
/*
 * monitor: fork the worker, then wait on a signalfd for the few things that matter: a stop
 * signal, a reload signal, the worker's death.
 *
 * The pair is made one-way in the kernel: the monitor shuts down its reading side and the worker
 * its writing side, so a compromised worker has nothing to write to. Stopping closes the
 * monitor's end, which the worker takes as its cue to exit; if it does not within a bound, the
 * monitor kills it. That, and the worker's parent-death signal should the monitor die, is what
 * the monitor's one capability is for: CAP_KILL, when the worker runs as another uid, which its
 * filter lets reach the worker's pid alone. Only then is the node removed, and only if it is
 * still the one we created.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "udsecho/channel.h"
#include "udsecho/confine.h"
#include "udsecho/log.h"
#include "udsecho/monoclock.h"
#include "udsecho/monitor.h"
#include "udsecho/notify.h"
#include "udsecho/policy-staged.h"
#include "udsecho/wallclock.h"
#include "udsecho/worker.h"

#define MONITOR_STOP_TIMEOUT_MS 5000
#define MONITOR_STOPPED_MAX_S	5 /* a worker stopped longer than this is treated as dead */
#define MONITOR_PROBE_S		1 /* how often the monitor looks at what the worker left unread */
#define MONITOR_UNREAD_MAX_S	5 /* a worker that reads nothing longer than this, as dead */
#define GO_ON			-1000 /* a step's result: keep supervising (never an -errno) */
#define MONITOR_SEND_TIMEOUT_S	5
#define MONITOR_YIELD_S		0.0002	    /* the longest a load holds the CPU (yield_cpu()) */
#define MONITOR_REST_NS		50000	    /* and then sleeps this long */
#define MONITOR_MMAP_FROM	(32 << 20)  /* the smallest allocation mmap(2) serves, bytes */
#define MONITOR_TRIM_FROM	(256 << 20) /* the heap's free top it hands back, bytes */

struct monitor {
	const struct monitor_config *cfg;
	pid_t worker;
	int *worker_status;  /* how it ended, once it has */
	double stopped_at;   /* monotonic seconds since it was stopped (SIGSTOP, SIGTSTP), or 0 */
	double next_probe;   /* when to look at the pair next (monotonic seconds) */
	double unread_since; /* since when bytes sent have stayed unread, or 0 */
	int pair_fd;
	int sig_fd;
	struct policy *policy; /* the policy in force; NULL while none could be loaded */
	int builtin;	       /* it is the built-in one */
	char failed[256];      /* with no policy: why the last try failed (its first line) */
	char loaded[32];       /* when it was loaded, UTC, for the status line */
	int ready_rd;	       /* the worker says "serving" here, once; then closed */
	int clock_fd; /* a wall-clock timer at the policy's next from=/until=, or -1 (see arm_clock)
		       */
	struct wallclock_ops clock; /* on clock_fd */
};

/*
 * A load's yield (struct policy_source): once MONITOR_YIELD_S has passed since the load began or
 * last rested, the monitor sleeps MONITOR_REST_NS at the next yield point (every 64 lines or
 * rules), so that whoever waits for the CPU gets it. On a CPU shared with the worker, a load of
 * many rules would otherwise hold up every client: the scheduler (EEVDF) lets a process that
 * slept between two reloads run until it has had its share, up to a tick (4 ms at 250 Hz), and
 * sched_yield(2) gives the CPU only to a process that has not had more than its share, which a
 * worker serving a busy client has. A sleep gives it to anyone; on an idle CPU it costs the load
 * a quarter of its time.
 */
static double rested;

static void yield_cpu(void)
{
	if (monoclock_s() - rested < MONITOR_YIELD_S)
		return;
	nanosleep(&(struct timespec){.tv_nsec = MONITOR_REST_NS}, NULL);
	rested = monoclock_s();
}

/* Load the policy @src names, as at start, resting as yield_cpu() says (and so may its sending). */
static int load_source(struct policy_source *src, struct diag_list *diags, struct policy **out,
		       int *builtin)
{
	src->yield = yield_cpu;
	rested = monoclock_s();
	return policy_load_source(src, diags, out, builtin);
}

/* Remember when the policy in force was loaded. */
static void stamp_loaded(struct monitor *m)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm))
		strftime(m->loaded, sizeof(m->loaded), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Tell the service manager, if any; a failure is logged, never fatal. */
static void notify(const char *state)
{
	int r = notify_send(state);

	if (r < 0)
		log_warn("event=notify-failed reason=\"%s\"", strerror(-r));
}

static void log_policy(const char *event, const struct monitor *m)
{
	if (m->builtin)
		log_info("event=%s policy=built-in rules=1 allow-uid=%u (no file at %s)", event,
			 (unsigned int)m->cfg->source->trusted_uid, m->cfg->source->path);
	else
		log_info("event=%s policy=%s rules=%zu", event, m->cfg->source->path,
			 policy_rule_count(m->policy));
}

/* The wall-clock timer could not be made or armed (@err): the log says what that costs. */
static void clock_failed(int err)
{
	log_err("monitor: the wall-clock timer: %s: open connections are not decided again at a "
		"rule's from= or until=",
		strerror(err));
}

/*
 * Arm the wall-clock timer for the policy in force (wallclock.h): the worker decides again at
 * each from= and until=, and when the clock is set. The worker has no such timer: its sandbox
 * allows only monotonic ones; it reads the wall clock when it decides. A failure is logged:
 * decisions stay right for new peers, and an open connection past its window is closed at the
 * next reload.
 */
static void arm_clock(struct monitor *m)
{
	int64_t r = m->clock_fd < 0 ? 0 : wallclock_arm(&m->clock, m->policy);

	if (r < 0)
		clock_failed((int)-r);
}

/*
 * The wall-clock timer fired or was cancelled: the worker decides again, and the timer is armed
 * for what comes next. Returns GO_ON or -errno when the worker cannot be told (the channel is
 * then out of step).
 */
static int on_clock(struct monitor *m)
{
	int64_t armed = 0;
	enum wallclock_event e = wallclock_event(&m->clock, m->policy, &armed);
	const char *why = e == WALLCLOCK_BOUNDARY ? "boundary" : "clock-set";
	int r;

	if (armed < 0)
		clock_failed((int)-armed);
	if (e == WALLCLOCK_NONE || !m->policy)
		return GO_ON;
	r = channel_send(m->pair_fd, CHANNEL_MSG_CLOCK, why, strlen(why));
	if (r < 0) {
		log_err("monitor: cannot tell the worker of the clock: %s", strerror(-r));
		return r;
	}
	return GO_ON;
}

/* Send the policy in force to the worker, as numbers, and time its windows. */
static int send_policy(struct monitor *m)
{
	size_t len;
	void *blob;
	int r = policy_encode(m->policy, &blob, &len);

	if (r < 0)
		return r;
	yield_cpu();
	r = channel_send(m->pair_fd, CHANNEL_MSG_POLICY, blob, len);
	free(blob);
	if (r == 0)
		arm_clock(m);
	return r;
}

/* With no policy in force, the service manager's status line says why (systemctl status). */
static void notify_status(const struct monitor *m, const char *ready)
{
	char state[400];

	if (m->policy)
		snprintf(state, sizeof(state), "%sSTATUS=serving, worker %d", ready,
			 (int)m->worker);
	else
		snprintf(state, sizeof(state),
			 "%sSTATUS=unavailable, every client is turned away: %s", ready,
			 m->failed[0] ? m->failed : "the policy could not be loaded");
	notify(state);
}

/*
 * Why loading failed, in one line: the first diagnostic, or the error. Returns whether it
 * differs from the last one recorded in m->failed (and records it).
 */
static int failure_changed(struct monitor *m, const struct diag_list *diags, int r)
{
	char why[sizeof(m->failed)];

	if (diags->count)
		diag_format(&diags->items[0], why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s: %s", m->cfg->source->path,
			 r > 0 ? "invalid policy" : strerror(-r));
	if (strcmp(why, m->failed) == 0)
		return 0;
	memcpy(m->failed, why, sizeof(why));
	return 1;
}

/*
 * Load the policy again: on SIGHUP (@retry 0), and, while none is in force, once a second
 * (@retry 1; logged only when the failure changes, so fixing the file is all it takes). On any
 * error the policy in force, if any, stays and the log says why. Returns GO_ON; -errno when the
 * worker could not be sent the new policy (the channel is then out of step, so the server stops
 * rather than serve on with a policy nobody can tell).
 */
static int reload_policy(struct monitor *m, int retry)
{
	const char *event = retry ? "retry" : "reload";
	struct policy_source src = *m->cfg->source;
	struct diag_list diags;
	struct policy *next = NULL;
	int builtin, r;

	diag_list_init(&diags);
	r = load_source(&src, &diags, &next, &builtin);
	if (r && (failure_changed(m, &diags, r) || !retry)) {
		log_diags(&diags);
		log_err("event=%s result=failed policy=%s reason=\"%s\" (%s)", event,
			m->cfg->source->path, r > 0 ? "invalid policy" : strerror(-r),
			m->policy ? "the policy in force is unchanged"
				  : "no policy is in force: every client is turned away; it is "
				    "tried again every second");
		if (!m->policy)
			notify_status(m, "");
	} else if (r == 0) {
		log_diags(&diags); /* warnings */
	}
	diag_list_free(&diags);
	if (r)
		return GO_ON;
	policy_free(m->policy);
	m->policy = next;
	m->failed[0] = '\0';
	r = send_policy(m);
	if (r < 0) {
		log_err("event=%s result=failed reason=\"cannot send the policy to the worker: "
			"%s\"",
			event, strerror(-r));
		return r;
	}
	m->builtin = builtin;
	stamp_loaded(m);
	log_policy(retry ? "policy" : "reload", m);
	if (retry)
		notify_status(m, "");
	return GO_ON;
}

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

static void remove_node(const struct monitor *m)
{
	int r;

	if (m->cfg->node->dir_fd < 0)
		return; /* passed by the service manager, which removes it */
	r = sockpath_remove(m->cfg->node);

	if (r == SOCKPATH_E_NOT_OURS)
		log_warn(
			"event=stop-keep-node reason=\"the socket node was replaced; left in place\"");
	else if (r < 0)
		log_warn("event=stop-keep-node reason=\"%s\"", strerror(-r));
}

/*
 * Wait for the worker to exit on its own after the pair closed, for a bounded time; then kill
 * it (a stopped or hijacked worker) and reap it.
 */
/* Wait up to MONITOR_STOP_TIMEOUT_MS for the worker to be gone; 1 once it is (and reaped). */
static int worker_gone(struct monitor *m)
{
	struct pollfd pfd = {.fd = m->sig_fd, .events = POLLIN};
	int status;

	for (int waited = 0; waited < MONITOR_STOP_TIMEOUT_MS; waited += 100) {
		struct signalfd_siginfo si;

		if (waitpid(m->worker, &status, WNOHANG) == m->worker) {
			m->worker = -1;
			return 1;
		}
		if (poll(&pfd, 1, 100) > 0)
			(void)!read(m->sig_fd, &si, sizeof(si));
	}
	return 0;
}

static void reap_worker(struct monitor *m)
{
	if (worker_gone(m))
		return;
	log_warn("event=stop-kill worker=%d reason=\"worker did not exit\"", (int)m->worker);
	if (kill(m->worker, SIGKILL) < 0) {
		log_err("event=stop-kill-failed worker=%d reason=\"%s\"", (int)m->worker,
			strerror(errno));
		return;
	}
	/*
	 * SIGKILL ends even a stopped process, but not one in a frozen cgroup (v1) until it is
	 * thawed: the wait is bounded too, so the node is removed and the server exits anyway.
	 */
	if (!worker_gone(m))
		log_err("event=stop-kill-failed worker=%d reason=\"still there after SIGKILL "
			"(frozen?)\"",
			(int)m->worker);
}

static int reload(struct monitor *m)
{
	char state[96];
	int r;

	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)(monoclock_ns() / 1000));
	notify(state);
	r = reload_policy(m, 0);
	if (r == GO_ON)
		notify_status(m, "READY=1\n");
	else
		notify("STATUS=stopping: the worker missed a policy");
	return r;
}

/*
 * SIGUSR2: read, check and compile the file @src names exactly as SIGHUP does, and send it to the
 * worker as a preview, which it evaluates against the open connections and drops; nothing changes
 * here.
 */
static void preview_policy(struct monitor *m, struct policy_source *src)
{
	const char *path = src->path;
	struct diag_list diags;
	struct policy *next = NULL;
	size_t len, plen = strlen(path);
	char *payload = NULL;
	void *blob = NULL;
	int builtin, r;

	diag_list_init(&diags);
	r = load_source(src, &diags, &next, &builtin);
	log_diags(&diags);
	diag_list_free(&diags);
	if (r) {
		log_err("event=preview-failed policy=%s reason=\"%s\" (nothing changes)", path,
			r > 0 ? "invalid policy" : strerror(-r));
		return;
	}
	if (!m->policy) {
		log_notice("event=preview policy=%s rules=%zu open=0 would-revoke=0 (no policy is "
			   "in force: no connection is open)",
			   path, policy_rule_count(next));
		policy_free(next);
		return;
	}
	r = policy_encode(next, &blob, &len);
	policy_free(next);
	yield_cpu();
	if (r == 0 && !(payload = malloc(plen + 1 + len)))
		r = -ENOMEM;
	if (r == 0) {
		memcpy(payload, path, plen + 1);
		memcpy(payload + plen + 1, blob, len);
		yield_cpu();
		r = channel_send(m->pair_fd, CHANNEL_MSG_PREVIEW, payload, plen + 1 + len);
	}
	if (r < 0)
		log_err("event=preview-failed policy=%s reason=\"%s\"", path, strerror(-r));
	free(blob);
	free(payload);
}

/*
 * SIGUSR2 queued with POLICY_STAGED_SIGVAL (sigqueue(3), as `udsecho-policy edit --preview`
 * sends it) previews the staged copy beside the policy, under the policy's own file checks; any
 * other SIGUSR2 previews the policy. Who may send either is kill(2)'s rule: root, CAP_KILL, or
 * the server's own uid. ssi_uid is not checked, since in a queued signal it is what the sender
 * wrote (rt_sigqueueinfo(2)); the file checks are what keep out a copy nobody trusted wrote.
 */
static void on_preview(struct monitor *m, const struct signalfd_siginfo *si)
{
	struct policy_source staged = *m->cfg->source;
	char path[PATH_MAX];
	int r;

	if (si->ssi_code != SI_QUEUE || si->ssi_int != POLICY_STAGED_SIGVAL) {
		preview_policy(m, &staged);
		return;
	}
	r = policy_staged_path(staged.path, path, sizeof(path));
	if (r < 0) {
		log_err("event=preview-failed policy=%s reason=\"staged copy: %s\" (nothing "
			"changes)",
			staged.path, strerror(-r));
		return;
	}
	staged.path = path;
	staged.explicit_path = 1; /* a missing copy fails, never previews the built-in policy */
	preview_policy(m, &staged);
}

/* SIGUSR1: the worker, which holds the counts, logs one status line with what we add here. */
static void report_status(struct monitor *m)
{
	char text[512];
	int r;

	if (!m->policy)
		snprintf(text, sizeof(text), "policy=none unavailable=yes");
	else
		snprintf(text, sizeof(text), "policy=%s loaded=%s",
			 m->builtin ? "built-in" : m->cfg->source->path, m->loaded);
	r = channel_send(m->pair_fd, CHANNEL_MSG_STATUS, text, strlen(text));
	if (r < 0)
		log_warn("event=status-failed reason=\"%s\"", strerror(-r));
}

/* Stop: close the pair (the worker's cue), reap the worker, remove our node; returns @outcome. */
static int shut_down(struct monitor *m, int outcome)
{
	notify("STOPPING=1");
	if (m->pair_fd >= 0) {
		close(m->pair_fd);
		m->pair_fd = -1;
	}
	if (m->worker > 0)
		reap_worker(m);
	remove_node(m);
	return outcome;
}

/*
 * SIGCHLD: the worker exited, was killed, stopped or continued. A stopped worker serves no one
 * and its clients hang: it is logged, and supervise() treats it as dead once it stayed stopped
 * for MONITOR_STOPPED_MAX_S. Returns GO_ON, or MONITOR_WORKER_DIED.
 */
static int on_child(struct monitor *m)
{
	char how[64];
	int st;
	pid_t p;

	while ((p = waitpid(m->worker, &st, WNOHANG | WUNTRACED | WCONTINUED)) == m->worker) {
		if (WIFSTOPPED(st)) {
			m->stopped_at = monoclock_s();
			log_warn("event=worker-stopped worker=%d signal=SIG%s (it serves no one; "
				 "stopped over %d s, it is treated as dead)",
				 (int)m->worker,
				 sigabbrev_np(WSTOPSIG(st)) ? sigabbrev_np(WSTOPSIG(st)) : "?",
				 MONITOR_STOPPED_MAX_S);
		} else if (WIFCONTINUED(st)) {
			m->stopped_at = 0;
			log_notice("event=worker-continued worker=%d", (int)m->worker);
		} else {
			*m->worker_status = st;
			m->worker = -1;
			describe_exit(st, how, sizeof(how));
			log_err("event=worker-died %s", how);
			return shut_down(m, MONITOR_WORKER_DIED);
		}
	}
	return GO_ON;
}

/*
 * Is the worker still turning its loop? Nothing comes back over the one-way pair, but the
 * kernel says how much of what the monitor wrote is still unread (SIOCOUTQ): when all of it was
 * read, send a probe; when something stays unread for MONITOR_UNREAD_MAX_S, the worker reads
 * nothing and so serves no one (spinning, held in a ptrace stop, frozen), which its parent is
 * never told of. Returns GO_ON, or MONITOR_WORKER_HUNG.
 */
static int probe(struct monitor *m)
{
	double now = monoclock_s();
	int unread, r;

	m->next_probe = now + MONITOR_PROBE_S;
	if (!m->policy && (r = reload_policy(m, 1)) != GO_ON)
		return shut_down(m, r);
	if (m->stopped_at || ioctl(m->pair_fd, SIOCOUTQ, &unread) < 0)
		return GO_ON; /* stopped: on_child() keeps that time */
	if (unread == 0) {
		m->unread_since = 0;
		(void)channel_send(m->pair_fd, CHANNEL_MSG_PROBE, "", 0);
		return GO_ON;
	}
	if (!m->unread_since)
		m->unread_since = now;
	if (now - m->unread_since < MONITOR_UNREAD_MAX_S)
		return GO_ON;
	log_err("event=worker-died worker=%d reason=\"not reading from the monitor for more than "
		"%d s\"",
		(int)m->worker, MONITOR_UNREAD_MAX_S);
	return shut_down(m, MONITOR_WORKER_HUNG);
}

/* How long poll() may wait: until a stopped worker's bound, or the next probe. */
static int poll_timeout(const struct monitor *m)
{
	double due = m->next_probe, left;

	if (m->stopped_at && m->stopped_at + MONITOR_STOPPED_MAX_S < due)
		due = m->stopped_at + MONITOR_STOPPED_MAX_S;
	left = due - monoclock_s();
	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

/* One signal: returns GO_ON, or how the monitor ends (monitor_run()'s outcome). */
static int on_signal(struct monitor *m, const struct signalfd_siginfo *si)
{
	int r;

	switch (si->ssi_signo) {
	case SIGTERM:
	case SIGINT:
		log_info("event=stop signal=SIG%s", sigabbrev_np((int)si->ssi_signo));
		return shut_down(m, MONITOR_STOPPED);
	case SIGUSR1:
		report_status(m);
		return GO_ON;
	case SIGUSR2:
		on_preview(m, si);
		return GO_ON;
	case SIGHUP:
		r = reload(m);
		return r == GO_ON ? GO_ON : shut_down(m, r);
	case SIGCHLD:
		return on_child(m);
	default:
		return GO_ON;
	}
}

/*
 * The worker wrote its one byte: it serves. Pass the news on (--ready-fd, the service manager)
 * and close the pipe, so that the worker has nothing left to write to.
 */
static void on_ready(struct monitor *m)
{
	char c;
	ssize_t n = read(m->ready_rd, &c, 1);

	close(m->ready_rd);
	m->ready_rd = -1;
	if (n != 1)
		return; /* the worker closed it without a word: its exit will be reported */
	if (m->cfg->ready_fd >= 0) {
		while (write(m->cfg->ready_fd, "\n", 1) < 0 && errno == EINTR)
			;
		close(m->cfg->ready_fd);
	}
	notify_status(m, "READY=1\n");
}

static int supervise(struct monitor *m)
{
	for (;;) {
		/* A negative fd is ignored by poll(2): ready_rd once closed, clock_fd if none. */
		struct pollfd p[3] = {{.fd = m->sig_fd, .events = POLLIN},
				      {.fd = m->ready_rd, .events = POLLIN},
				      {.fd = m->clock_fd, .events = POLLIN}};
		struct signalfd_siginfo si;
		ssize_t n;
		int r;

		r = poll(p, 3, poll_timeout(m));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			log_err("monitor: poll: %s", strerror(-r));
			return shut_down(m, r);
		}
		if (m->stopped_at && m->stopped_at + MONITOR_STOPPED_MAX_S <= monoclock_s()) {
			log_err("event=worker-died worker=%d reason=\"stopped for more than %d s\"",
				(int)m->worker, MONITOR_STOPPED_MAX_S);
			return shut_down(m, MONITOR_WORKER_HUNG);
		}
		if (m->next_probe <= monoclock_s() && (r = probe(m)) != GO_ON)
			return r;
		if (m->ready_rd >= 0 && p[1].revents)
			on_ready(m);
		if (p[2].revents && (r = on_clock(m)) != GO_ON)
			return shut_down(m, r);
		if (!p[0].revents)
			continue;
		n = read(m->sig_fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si)) {
			r = n < 0 ? -errno : -EIO;
			log_err("monitor: signalfd: %s", n < 0 ? strerror(-r) : "short read");
			return shut_down(m, r);
		}
		r = on_signal(m, &si);
		if (r != GO_ON)
			return r;
	}
}

/* In the forked worker: what it needs from the monitor's state, and nothing more of it. */
static void prepare_worker(const struct monitor_config *cfg, pid_t monitor, int pair_fd,
			   int ready_wr, const sigset_t *old, struct worker_config *wc)
{
	static const int ignored[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

	*wc = (struct worker_config){
		.listen_fd = cfg->node->fd,
		.pair_fd = pair_fd,
		.ready_fd = ready_wr,
		.ids = cfg->worker_ids,
		.monitor = monitor,
		.user = cfg->worker_user,
		.sandbox = cfg->sandbox,
		.limits = cfg->limits,
	};
	/* The monitor decides when the worker stops: a ^C to the process group is for the monitor.
	 */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigprocmask(SIG_SETMASK, old, NULL);
	sockpath_close_dir(cfg->node);
	if (cfg->ready_fd >= 0)
		close(cfg->ready_fd); /* the monitor passes readiness on */
	/* One-way channel: the worker can only read from the monitor. */
	shutdown(pair_fd, SHUT_WR);
}

/* The signals the monitor reads from its signalfd, blocked first so none arrives unseen. */
static int take_signals(struct monitor *m, sigset_t *old)
{
	/*
	 * Every signal comes through the signalfd, so that one the monitor gives no meaning
	 * (SIGALRM, SIGPROF, SIGIO, a real-time one...) is read and ignored instead of ending it
	 * with its node left behind; but for those that cannot be taken, the faults, which must
	 * stay fatal, and job control, which stops and continues it as any program.
	 */
	static const int untaken[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,  SIGILL, SIGTRAP,
				      SIGSYS,  SIGABRT, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT};
	sigset_t mask;
	int r;

	sigfillset(&mask);
	for (size_t i = 0; i < sizeof(untaken) / sizeof(untaken[0]); i++)
		sigdelset(&mask, untaken[i]);
	if (sigprocmask(SIG_BLOCK, &mask, old) < 0) {
		r = -errno;
		log_err("monitor: sigprocmask: %s", strerror(-r));
		return r;
	}
	signal(SIGPIPE, SIG_IGN);
	m->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	return 0;
}

/*
 * The pair (policies to the worker), the pipe (one byte back when it serves), then fork(). Returns
 * 0 in the monitor, MONITOR_IN_WORKER in the worker (with @wc filled), or -errno.
 */
static int fork_worker(struct monitor *m, const sigset_t *old, struct worker_config *wc)
{
	const struct monitor_config *cfg = m->cfg;
	struct timeval send_timeout = {.tv_sec = MONITOR_SEND_TIMEOUT_S};
	pid_t self = getpid();
	int sv[2], ready[2], r;

	if (m->sig_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(ready, O_CLOEXEC) < 0) {
		r = -errno;
		log_err("monitor: cannot set up the worker's channel: %s", strerror(-r));
		return r;
	}
	m->worker = fork();
	if (m->worker < 0) {
		r = -errno;
		log_err("monitor: fork: %s", strerror(-r));
		return r;
	}
	if (m->worker == 0) {
		close(sv[0]);
		close(ready[0]);
		close(m->sig_fd);
		/* The worker gets its policy over the pair, as numbers, like every later one. */
		policy_free(m->policy);
		prepare_worker(cfg, self, sv[1], ready[1], old, wc);
		return MONITOR_IN_WORKER;
	}
	close(sv[1]);
	close(ready[1]);
	m->ready_rd = ready[0];
	close(cfg->node->fd);
	shutdown(sv[0], SHUT_RD);
	m->pair_fd = sv[0];
	/* A worker that stops reading must not hang the monitor: bound every send. */
	setsockopt(m->pair_fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
	return 0;
}

/* The monitor's life after the fork: confined, it sends the first policy, then supervises. */
static int monitor_serve(struct monitor *m)
{
	char err[256];
	int r;

	stamp_loaded(m);
	m->clock_fd = wallclock_timerfd_open();
	if (m->clock_fd < 0)
		clock_failed(-m->clock_fd);
	m->clock = wallclock_timerfd;
	m->clock.ctx = &m->clock_fd;
	r = confine(&(struct confine_spec){.role = CONFINE_MONITOR,
					   .sandbox = m->cfg->sandbox,
					   .ids = m->cfg->worker_ids,
					   .peer = m->worker},
		    err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		return shut_down(m, r);
	}
	log_info("event=start worker=%d", (int)m->worker);
	if (m->policy) {
		log_policy("policy", m);
		r = send_policy(m);
	} else {
		r = channel_send(m->pair_fd, CHANNEL_MSG_UNAVAILABLE, "", 0);
	}
	if (r < 0) {
		log_err("monitor: cannot send the policy to the worker: %s", strerror(-r));
		return shut_down(m, r);
	}
	return supervise(m);
}

/*
 * Keep what a load frees for the next one, in the monitor and the worker it forks: a large
 * policy's parse and compile allocate tens of MiB, and its decode in the worker several, which
 * glibc would otherwise hand back to the kernel after every reload or preview and fault in, page
 * by page, on the next (a third of a preview's time at 100,000 rules). Each process then holds
 * the most its largest policy needed: 40 MiB at 100,000 rules, below the trim threshold. 32 MiB
 * is the largest mmap threshold mallopt(3) allows on 64-bit; a C library that refuses either
 * leaves the heap as it was.
 */
static void keep_freed_memory(void)
{
	if (!mallopt(M_MMAP_THRESHOLD, MONITOR_MMAP_FROM) ||
	    !mallopt(M_TRIM_THRESHOLD, MONITOR_TRIM_FROM))
		log_warn("monitor: mallopt refused to keep freed memory: every load faults its "
			 "memory in again");
}

int monitor_run(const struct monitor_config *cfg, struct worker_config *wc, int *worker_status)
{
	struct monitor m = {.cfg = cfg,
			    .worker = -1,
			    .worker_status = worker_status,
			    .pair_fd = -1,
			    .sig_fd = -1,
			    .policy = cfg->policy,
			    .builtin = cfg->builtin,
			    .ready_rd = -1,
			    .clock_fd = -1};
	sigset_t old;
	int r;

	keep_freed_memory();
	r = take_signals(&m, &old);

	if (r == 0)
		r = fork_worker(&m, &old, wc);
	if (r == 0)
		r = monitor_serve(&m);
	if (r != MONITOR_IN_WORKER)
		policy_free(m.policy);
	return r;
}
