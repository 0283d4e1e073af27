// SPDX-License-Identifier: MIT
/*
 * worker: accept, identify, echo — in one single-threaded, level-triggered epoll loop.
 *
 * Every peer is identified by SO_PEERCRED/SO_PEERGROUPS at accept; a peer whose identity cannot be
 * read is closed, never served. Reads share one scratch buffer; only bytes a peer will not take
 * are kept (echo.c). EMFILE/ENFILE on accept pause accepting until a connection closes, so the
 * loop never spins on a listening socket it cannot drain. The monitor's end of the pair closing
 * (the monitor stopped or died) ends the loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udsecho/echo.h"
#include "udsecho/log.h"
#include "udsecho/peercred.h"
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
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

struct worker {
	const struct worker_config *cfg;
	int epfd;
	int accept_paused;
	size_t nconns;
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

static void conn_close(struct worker *w, struct conn *c, const char *why)
{
	log_info("event=close pid=%d uid=%u gid=%u bytes=%llu reason=%s", (int)c->pid,
		 (unsigned int)c->uid, (unsigned int)c->gid, (unsigned long long)c->echoed, why);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	echo_release(&c->out);
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

static void admit(struct worker *w, int fd)
{
	struct peer_cred cred;
	struct conn *c;
	int r;

	r = peercred_read(fd, &cred);
	if (r < 0) {
		log_warn("event=refuse reason=\"cannot read peer credentials: %s\"", strerror(-r));
		close(fd);
		return;
	}
	peercred_release(&cred);
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warn("event=refuse pid=%d uid=%u gid=%u reason=out-of-memory", (int)cred.pid,
			 (unsigned int)cred.uid, (unsigned int)cred.gid);
		close(fd);
		return;
	}
	*c = (struct conn){
		.fd = fd, .events = EPOLLIN, .pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
	if (watch(w, EPOLL_CTL_ADD, fd, EPOLLIN, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	w->nconns++;
	log_info("event=connect pid=%d uid=%u gid=%u", (int)c->pid, (unsigned int)c->uid,
		 (unsigned int)c->gid);
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

/* Data from the monitor: nothing is defined yet, so drain it; EOF means the monitor is gone. */
static int on_pair(struct worker *w)
{
	ssize_t n = read(w->cfg->pair_fd, w->scratch, sizeof(w->scratch));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n <= 0 ? 1 : 0;
}

static void announce_ready(const struct worker_config *cfg)
{
	if (cfg->ready_fd < 0)
		return;
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
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0 || watch(w, EPOLL_CTL_ADD, cfg->listen_fd, EPOLLIN, &tag_listen) < 0 ||
	    watch(w, EPOLL_CTL_ADD, cfg->pair_fd, EPOLLIN, &tag_pair) < 0) {
		log_err("worker: epoll: %s", strerror(errno));
		return 71;
	}
	announce_ready(cfg);
	while (!stop) {
		int n = epoll_wait(w->epfd, evs, WORKER_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("worker: epoll_wait: %s", strerror(errno));
			return 71;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_listen)
				on_listen(w);
			else if (p == &tag_pair)
				stop = on_pair(w);
			else
				on_conn(w, p, evs[i].events);
		}
	}
	return 0;
}
