// SPDX-License-Identifier: MIT
/*
 * worker: accept, identify, decide, echo — in one single-threaded, level-triggered epoll loop.
 *
 * Every peer is identified by SO_PEERCRED/SO_PEERGROUPS at accept and checked against the
 * compiled policy before a single byte is read from it: a refused peer gets the refusal line and
 * is closed; a peer whose identity cannot be read is closed, never served. Reads share one scratch
 * buffer; only bytes a peer will not take are kept (echo.c). EMFILE/ENFILE on accept pause
 * accepting until a connection closes, so the loop never spins on a listening socket it cannot
 * drain. Policies arrive from the monitor over the pair as a 32-bit length and policy_encode()'s
 * bytes; they are decoded as untrusted input, and a new policy is applied at once to the
 * connections already open. The monitor's end of the pair closing ends the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udsecho/echo.h"
#include "udsecho/log.h"
#include "udsecho/peercred.h"
#include "udsecho/policy.h"
#include "udsecho/refusal.h"
#include "udsecho/worker.h"

#define WORKER_EVENTS	    256
#define WORKER_ACCEPT_BATCH 64
#define WORKER_READ_BUDGET  4
#define WORKER_SCRATCH	    65536

struct conn {
	int fd;
	uint32_t events; /* what epoll watches for it now */
	struct echo_buf out;
	uint64_t echoed;
	struct conn *prev, *next; /* every open connection, for re-checking at a policy change */
	struct peer_cred cred;
};

struct worker {
	const struct worker_config *cfg;
	int epfd;
	int accept_paused;
	size_t nconns;
	struct conn *conns;
	struct policy *policy;
	uint64_t allowed, denied, revoked; /* decisions since start, for the status line */
	/* A policy message being received: its length, then its bytes. */
	uint32_t msg_len;
	size_t hdr_have, msg_have;
	char *msg;
	char scratch[WORKER_SCRATCH];
};

/* epoll tags for the two fds that are not connections. */
static char tag_listen, tag_pair;

static int watch(struct worker *w, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};

	return epoll_ctl(w->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static void set_accepting(struct worker *w, int on)
{
	if (w->accept_paused == !on)
		return;
	if (watch(w, EPOLL_CTL_MOD, w->cfg->listen_fd, on ? EPOLLIN : 0, &tag_listen) == 0)
		w->accept_paused = !on;
}

/* "FILE:LINE" of the deciding rule, or "default deny". */
static const char *rule_name(const struct worker *w, long rule, char *buf, size_t len)
{
	const char *file;
	unsigned line;

	if (rule < 0 || policy_rule_origin(w->policy, rule, &file, &line) != 0)
		return "\"default deny\"";
	if (line == 0)
		return file; /* the built-in policy */
	snprintf(buf, len, "%s:%u", file, line);
	return buf;
}

static void conn_close(struct worker *w, struct conn *c, const char *why)
{
	log_info("event=close pid=%d uid=%u gid=%u bytes=%llu reason=%s", (int)c->cred.pid,
		 (unsigned int)c->cred.uid, (unsigned int)c->cred.gid,
		 (unsigned long long)c->echoed, why);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	echo_release(&c->out);
	peercred_release(&c->cred);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	w->nconns--;
	set_accepting(w, 1);
}

static void conn_set_events(struct worker *w, struct conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	if (watch(w, EPOLL_CTL_MOD, c->fd, events, c) == 0)
		c->events = events;
}

static void conn_after(struct worker *w, struct conn *c, int state)
{
	if (state < 0) {
		conn_close(w, c, state == -ENOMEM ? "out-of-memory" : strerror(-state));
		return;
	}
	switch (state) {
	case ECHO_DONE:
		conn_close(w, c, "eof");
		break;
	case ECHO_WRITE:
		conn_set_events(w, c, EPOLLOUT);
		break;
	default:
		conn_set_events(w, c, EPOLLIN);
		break;
	}
}

static void on_conn(struct worker *w, struct conn *c, uint32_t events)
{
	if (events & EPOLLOUT) {
		int s = echo_write(c->fd, &c->out, &c->echoed);
		if (s != ECHO_READ) {
			conn_after(w, c, s);
			return;
		}
	}
	conn_after(w, c,
		   echo_read(c->fd, &c->out, w->scratch, sizeof(w->scratch), WORKER_READ_BUDGET,
			     &c->echoed));
}

/* Tell a refused peer so, in one line; the socket is new or drained, so the line fits. */
static void send_refusal(int fd, const struct peer_cred *cred)
{
	char line[REFUSAL_MAX];
	size_t len = refusal_denied(line, sizeof(line), cred);

	while (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
		;
}

static void log_decision(const struct worker *w, const char *event, const struct peer_cred *c,
			 long rule)
{
	char where[512];

	log_info("event=%s pid=%d uid=%u gid=%u rule=%s", event, (int)c->pid, (unsigned int)c->uid,
		 (unsigned int)c->gid, rule_name(w, rule, where, sizeof(where)));
}

static void admit(struct worker *w, int fd)
{
	struct policy_verdict v;
	struct conn *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warn("event=refuse reason=out-of-memory");
		close(fd);
		return;
	}
	r = peercred_read(fd, &c->cred);
	if (r < 0) {
		log_warn("event=refuse reason=\"cannot read peer credentials: %s\"", strerror(-r));
		goto drop;
	}
	v = policy_eval(w->policy, &c->cred);
	log_decision(w, v.allow ? "allow" : "deny", &c->cred, v.rule);
	if (v.allow)
		w->allowed++;
	else
		w->denied++;
	if (!v.allow) {
		send_refusal(fd, &c->cred);
		goto drop;
	}
	c->fd = fd;
	c->events = EPOLLIN;
	if (watch(w, EPOLL_CTL_ADD, fd, EPOLLIN, c) < 0)
		goto drop;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	return;
drop:
	peercred_release(&c->cred);
	free(c);
	close(fd);
}

static void on_listen(struct worker *w)
{
	for (int i = 0; i < WORKER_ACCEPT_BATCH; i++) {
		int fd = accept4(w->cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			admit(w, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: stop accepting until a connection closes. */
			log_warn("event=accept-paused reason=\"%s\" connections=%zu",
				 strerror(errno), w->nconns);
			set_accepting(w, 0);
		} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			log_warn("event=accept-failed reason=\"%s\"", strerror(errno));
		}
		return;
	}
}

/* A new policy is in force: peers it no longer allows are told so and closed at once. */
static void apply_policy(struct worker *w, struct policy *p)
{
	size_t revoked = 0;

	policy_free(w->policy);
	w->policy = p;
	for (struct conn *c = w->conns, *next; c; c = next) {
		struct policy_verdict v = policy_eval(p, &c->cred);
		next = c->next;
		if (v.allow)
			continue;
		log_decision(w, "revoke", &c->cred, v.rule);
		echo_release(&c->out);
		send_refusal(c->fd, &c->cred);
		conn_close(w, c, "revoked");
		revoked++;
		w->revoked++;
	}
	log_info("event=policy-applied rules=%zu revoked=%zu open=%zu", policy_rule_count(p),
		 revoked, w->nconns);
}

/* SIGUSR1 at the monitor: one line with the counts, and what the monitor knows (its text). */
static void log_status(const struct worker *w, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] < 0x20 || text[i] > 0x7e) {
			log_err("event=status-rejected reason=\"not printable\"");
			return;
		}
	log_info("event=status open=%zu allowed=%llu denied=%llu revoked=%llu rules=%zu %.*s",
		 w->nconns, (unsigned long long)w->allowed, (unsigned long long)w->denied,
		 (unsigned long long)w->revoked, policy_rule_count(w->policy), (int)len, text);
}

/* A whole message from the monitor: its type byte, then its payload. */
static int on_message(struct worker *w, const char *msg, size_t len)
{
	struct policy *p = NULL;
	int r;

	switch (msg[0]) {
	case WORKER_MSG_POLICY:
		r = policy_decode(msg + 1, len - 1, &p);
		if (r != 0) {
			/* Keep the policy in force; with none yet, nothing is served. */
			log_err("event=policy-rejected reason=\"%s\"",
				r == POLICY_E_WIRE ? "invalid encoding" : strerror(-r));
			return w->policy ? 0 : -1;
		}
		apply_policy(w, p);
		return 0;
	case WORKER_MSG_STATUS:
		if (w->policy)
			log_status(w, msg + 1, len - 1);
		return 0;
	default:
		log_err("event=message-rejected type=%u", (unsigned int)(unsigned char)msg[0]);
		return -1;
	}
}

/*
 * Bytes from the monitor. Returns 0 to go on, 1 when the monitor is gone, -1 when what it sent
 * is not a message we know (the channel can no longer be trusted to be in step).
 */
static int on_pair(struct worker *w)
{
	char *dst;
	size_t want;
	ssize_t n;
	int r;

	if (w->hdr_have < sizeof(w->msg_len)) {
		dst = (char *)&w->msg_len + w->hdr_have;
		want = sizeof(w->msg_len) - w->hdr_have;
	} else {
		dst = w->msg + w->msg_have;
		want = w->msg_len - w->msg_have;
	}
	n = read(w->cfg->pair_fd, dst, want);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (n == 0)
		return 1;
	if (w->hdr_have < sizeof(w->msg_len)) {
		w->hdr_have += (size_t)n;
		if (w->hdr_have < sizeof(w->msg_len))
			return 0;
		if (w->msg_len < 1 || w->msg_len > WORKER_MSG_MAX) {
			log_err("event=message-rejected reason=\"message of %u bytes\"",
				w->msg_len);
			return -1;
		}
		w->msg = malloc(w->msg_len);
		w->msg_have = 0;
		if (!w->msg) {
			log_err("event=message-rejected reason=out-of-memory");
			return -1;
		}
		return 0;
	}
	w->msg_have += (size_t)n;
	if (w->msg_have < w->msg_len)
		return 0;
	r = on_message(w, w->msg, w->msg_len);
	free(w->msg);
	w->msg = NULL;
	w->hdr_have = 0;
	return r;
}

/*
 * Become the run-as user with no capability, then load the allow-list; say what is in force, as
 * the kernel reports it. /proc/self/status is opened first: once filtered, the worker opens
 * nothing.
 */
static int confine(const struct worker_config *cfg)
{
	int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	char status[256];
	int r;

	r = privdrop_worker(&cfg->ids);
	if (r < 0) {
		log_err("worker: cannot drop privileges to %s (uid %u, gid %u): %s", cfg->user,
			(unsigned int)cfg->ids.uid, (unsigned int)cfg->ids.gid, strerror(-r));
		return r;
	}
	r = sandbox_worker(cfg->sandbox);
	if (r < 0) {
		log_err("worker: cannot load the seccomp filter: %s", strerror(-r));
		return r;
	}
	if (status_fd < 0 || sandbox_status(status_fd, status, sizeof(status)) < 0)
		snprintf(status, sizeof(status), "status=unknown");
	if (status_fd >= 0)
		close(status_fd);
	log_info("event=sandbox role=worker user=%s uid=%u gid=%u sandbox=%s %s", cfg->user,
		 (unsigned int)cfg->ids.uid, (unsigned int)cfg->ids.gid,
		 sandbox_mode_name(cfg->sandbox), status);
	if (cfg->sandbox == SANDBOX_OFF)
		log_warn(
			"worker: --sandbox off: the process that faces clients has NO seccomp filter");
	return 0;
}

/* One byte to the monitor, which passes it on; then the pipe is closed for good. */
static void announce_ready(const struct worker_config *cfg)
{
	while (write(cfg->ready_fd, "\n", 1) < 0 && errno == EINTR)
		;
	close(cfg->ready_fd);
}

int worker_run(const struct worker_config *cfg)
{
	struct epoll_event evs[WORKER_EVENTS];
	struct worker *w;
	int stop = 0;

	w = calloc(1, sizeof(*w));
	if (!w) {
		log_err("worker: out of memory");
		return 71;
	}
	w->cfg = cfg;
	/* Every descriptor the loop needs is made before confinement: afterwards it can't. */
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0 || watch(w, EPOLL_CTL_ADD, cfg->listen_fd, EPOLLIN, &tag_listen) < 0 ||
	    watch(w, EPOLL_CTL_ADD, cfg->pair_fd, EPOLLIN, &tag_pair) < 0) {
		log_err("worker: epoll: %s", strerror(errno));
		return 71;
	}
	if (confine(cfg) < 0)
		return 71;
	/* Nothing is accepted before the first policy is in: until then every peer would wait. */
	while (!w->policy && !stop)
		stop = on_pair(w);
	if (stop)
		return stop > 0 ? 0 : 71;
	announce_ready(cfg);
	while (!stop) {
		int n = epoll_wait(w->epfd, evs, WORKER_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("worker: epoll_wait: %s", strerror(errno));
			return 71;
		}
		for (int i = 0; i < n && !stop; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_listen)
				on_listen(w);
			else if (p == &tag_pair) {
				/* A new policy may have closed connections this batch still names.
				 */
				stop = on_pair(w);
				break;
			} else {
				on_conn(w, p, evs[i].events);
			}
		}
	}
	return stop > 0 ? 0 : 71;
}
