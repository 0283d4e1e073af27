// SPDX-License-Identifier: MIT
/*
 * worker: accept, identify, decide, echo — in one single-threaded epoll loop: the listening
 * socket, the pair and the timer level-triggered, connections edge-triggered (see conn_watch).
 *
 * Every peer is identified by SO_PEERCRED/SO_PEERGROUPS at accept and checked against the
 * compiled policy before a single byte is read from it: a refused peer gets the refusal line and
 * is closed; a peer whose identity cannot be read is closed, never served. Reads share one scratch
 * buffer; only bytes a peer will not take are kept (echo.c), and their sum over a uid's peers is
 * kept next to its count (uidcount.h): while it is at --max-bytes-per-uid, none of that uid's
 * peers is read (paused, see held_changed). Limits are checked at accept: past --max-connections,
 * past --max-per-uid or --max-bytes-per-uid for the peer's uid, the peer is told "udsechod: busy"
 * and closed. Out of descriptors, a spare one kept for it (see on_listen) makes room to accept
 * the peer and tell it so; without the spare, accepting pauses until a connection closes, so the
 * loop never spins on a listening socket it cannot drain. A one-second timer, armed only while
 * it has work, closes peers silent past --idle-timeout and peers that take no echo for
 * --send-timeout, and ends the window of the log limiter: deny and busy lines beyond a burst per
 * second are counted, not written, and the count is logged. Messages arrive from the monitor over
 * the pair (see channel.h); they are decoded as untrusted input, and a new policy is applied at
 * once to the connections already open. The monitor's end of the pair closing ends the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "udsecho/channel.h"
#include "udsecho/confine.h"
#include "udsecho/echo.h"
#include "udsecho/log.h"
#include "udsecho/monoclock.h"
#include "udsecho/peercred.h"
#include "udsecho/policy.h"
#include "udsecho/refusal.h"
#include "udsecho/uidcount.h"
#include "udsecho/utctime.h"
#include "udsecho/worker.h"

#define WORKER_EVENTS	    256
#define WORKER_READ_BUDGET  4
#define WORKER_SCRATCH	    65536
#define WORKER_FD_RESERVE   64	 /* descriptors kept for refusing, logging and the loop itself */
#define WORKER_PER_UID	    1024 /* default --max-per-uid, if the above leaves room for it */
#define WORKER_LOG_BURST    20	 /* deny and busy lines per second before they are counted */
#define WORKER_LIST_MAX	    1000 /* connections the SIGUSR1 inventory lists, then a count */
#define WORKER_LIST_SLICE   100	 /* of them, per turn of the loop: the others are served between */
#define WORKER_COUNT_SLICE  1000 /* of those not listed, counted per turn */
#define WORKER_PACE_NS	    500000    /* a policy coming in takes at most this long a turn */
#define WORKER_UID_TURN	    (1 << 20) /* bytes read for one uid a turn, then its peers wait */
#define WORKER_DECODE_SLICE 128	      /* units of its decode between two looks at the clock */
#define WORKER_DECIDE_SLICE 64	      /* connections decided by it between two looks */
#define WORKER_LOG_HOLD_NS  1000000   /* the longest a log line waits while the loop is busy */

struct conn {
	int fd;
	uint32_t events; /* what epoll watches for it now */
	struct echo_buf out;
	uint32_t last_io; /* the loop's clock when it last read or wrote for this peer */
	uint32_t since;	  /* the loop's clock when it was admitted */
	uint64_t echoed;
	struct conn *prev, *next; /* every open connection, for re-checking at a policy change */
	struct peer_cred cred;
	long rule;	/* the rule that admitted it, in the policy in force (-1: none) */
	int per_rule;	/* counted in per_rule: its rule has max-per-uid= */
	int next_allow; /* the decision of the policy coming in (see struct incoming) */
	long next_rule;
	struct uidcount_slot *uid_slot; /* its uid's entry in per_uid, while per_uid.moves is */
	uint64_t uid_moves;		/* what it was when uid_slot was looked up (see conn_uid) */
};

/*
 * A policy the monitor sent, taken in between turns of the loop (see pace()), so that a large
 * one stalls no client: decoded a slice at a time while the policy in force goes on deciding,
 * then, for a reload, every open connection is decided by it a slice at a time (a peer accepted
 * meanwhile is decided by both at once), and only then is it put in force, in one turn: each
 * decision is made by one whole policy, the old or the new. A newer message of the same kind
 * replaces one still coming in: the last policy sent is the one put in force.
 */
struct incoming {
	char *body;		    /* the message, whose payload the decoder reads; NULL: none */
	struct policy_decoder *dec; /* until decoded */
	struct policy *policy;	    /* once decoded */
	const char *path;	    /* a preview's file, in body */
	size_t pathlen;
	struct conn *at;    /* once decoded: the next connection to decide by it, NULL at the end */
	int groups;	    /* once decoded: the policy has group rules */
	size_t open, would; /* a preview's counts */
};

struct worker {
	const struct worker_config *cfg;
	int epfd;
	int spare_fd; /* kept to be closed when out of descriptors (see on_listen), or -1 */
	int accept_paused;
	size_t nconns;
	struct conn *conns;
	struct policy *policy;
	int need_groups; /* the policy has group rules: read every peer's groups */
	int unavailable; /* no policy could be loaded: every peer is told so, until one comes */
	int edge;	 /* connections are edge-triggered (see conn_watch) */
	uint64_t allowed, denied, revoked, busy; /* since start, for the status line */
	struct worker_limits limits;		 /* the configured ones, defaults filled in */
	struct uidcount per_uid;
	struct uidcount per_rule; /* connections by rule and uid, of rules with max-per-uid= */
	int idle_rules;		  /* the policy has rules with idle-timeout= */
	int timer_fd, timer_armed;
	uint32_t now;		    /* monotonic seconds, read once per turn of the loop */
	uint32_t turn;		    /* turns of the loop so far (see turn_share) */
	int64_t wall;		    /* the wall clock's seconds, read with it: rules' windows */
	struct log_limit log_limit; /* deny and busy lines */
	struct channel_reader pair; /* the message from the monitor being received */
	struct conn *listing;	    /* the next connection the SIGUSR1 inventory lists, or NULL */
	struct incoming reload;	    /* a policy coming in to be put in force */
	struct incoming preview;    /* a policy coming in to be previewed */
	size_t listed, unlisted;    /* connections it has listed so far, and counted after those */
	int counting;		    /* it has listed all it lists: counting the rest, then a line */
	struct echo_io io;	    /* its scratch, and the pipe for bulk echoes */
	char scratch[WORKER_SCRATCH];
};

/* epoll tags for the fds that are not connections. */
static char tag_listen, tag_pair, tag_timer;

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

/*
 * Connections epoll watches for this are paused (see held_changed); epoll still reports a hang-up
 * or an error for them (epoll_ctl(2)).
 */
#define CONN_PAUSED 0
/* Not an echo_state: @c's uid is at --max-bytes-per-uid, so @c is paused instead of read. */
#define CONN_PAUSE (ECHO_MORE + 1)

static int conn_watch(struct worker *w, int op, struct conn *c, uint32_t events);

/* The entry of @c's uid in per_uid, looked up again only when per_uid has changed since. */
static struct uidcount_slot *conn_uid(struct worker *w, struct conn *c)
{
	if (!c->uid_slot || c->uid_moves != w->per_uid.moves) {
		c->uid_slot = uidcount_find(&w->per_uid, c->cred.uid);
		c->uid_moves = w->per_uid.moves;
	}
	return c->uid_slot;
}

/*
 * Whether the echo held for the peers of @e's uid (@e: its slot in per_uid, or NULL) is at
 * --max-bytes-per-uid: none of them is read.
 */
static int budget_spent(const struct worker *w, const struct uidcount_slot *e)
{
	return w->limits.max_bytes_per_uid && e && e->held >= w->limits.max_bytes_per_uid;
}

/*
 * What was read in this turn of the loop for the uid of @e, its slot in per_uid. Once it is
 * WORKER_UID_TURN, its other peers wait for the next turn, so that one uid's peers, many and busy,
 * cannot make another's wait for all of them to be read: a turn moves at most about WORKER_UID_TURN
 * for each uid.
 */
static uint32_t *turn_share(const struct worker *w, struct uidcount_slot *e)
{
	if (e->turn != w->turn) {
		e->turn = w->turn;
		e->turn_read = 0;
	}
	return &e->turn_read;
}

/*
 * Read again from @uid's paused peers. No connection is closed here (the batch being served may
 * name it): one epoll will not watch again is shut down, and the hang-up closes it (on_conn).
 */
static void resume_uid(struct worker *w, uid_t uid)
{
	for (struct conn *c = w->conns; c; c = c->next) {
		if (c->events != CONN_PAUSED || c->cred.uid != uid)
			continue;
		if (conn_watch(w, EPOLL_CTL_MOD, c, EPOLLIN) < 0) {
			shutdown(c->fd, SHUT_RDWR);
			continue;
		}
		c->events = EPOLLIN;
		c->last_io = w->now;
		conn_uid(w, c)->paused--;
	}
}

/*
 * @c held @before bytes and holds @now, another count: its uid's total follows. A peer is read only
 * while that total is under the budget, so the worker holds at most the budget and one read for a
 * uid. Paused peers are resumed once the total is down to half the budget, so that a uid at its
 * budget cannot make the loop pause and resume all of its peers for every byte.
 */
static void held_changed(struct worker *w, struct conn *c, size_t before, size_t now)
{
	struct uidcount_slot *e = conn_uid(w, c);

	e->held = e->held - before + now;
	if (now < before && e->paused && e->held <= w->limits.max_bytes_per_uid / 2)
		resume_uid(w, c->cred.uid);
}

static void conn_close(struct worker *w, struct conn *c, const char *why)
{
	size_t held = echo_pending(&c->out);

	log_info("event=close pid=%d uid=%u gid=%u bytes=%llu reason=%s", (int)c->cred.pid,
		 (unsigned int)c->cred.uid, (unsigned int)c->cred.gid,
		 (unsigned long long)c->echoed, why);
	/* close(2) takes the fd out of the epoll set: the connection is its only holder. */
	close(c->fd);
	if (w->listing == c)
		w->listing = c->next;
	if (w->reload.at == c)
		w->reload.at = c->next;
	if (w->preview.at == c)
		w->preview.at = c->next;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	echo_release(&c->out);
	if (c->events == CONN_PAUSED)
		conn_uid(w, c)->paused--;
	if (held > 0)
		held_changed(w, c, held, 0);
	uidcount_sub(&w->per_uid, c->cred.uid);
	if (c->per_rule)
		uidcount_sub(&w->per_rule, uidcount_key((uint32_t)c->rule, c->cred.uid));
	peercred_release(&c->cred);
	free(c);
	w->nconns--;
	set_accepting(w, 1);
}

/* A connection failed with -@err: closed, and the log says why. */
static void conn_fail(struct worker *w, struct conn *c, int err)
{
	conn_close(w, c, err == -ENOMEM ? "out-of-memory" : strerror(-err));
}

/*
 * Connections are edge-triggered where the kernel allows (see plain_stream_reads): epoll reports a
 * peer once per change, so a turn costs no second look at a socket just drained (level-triggered
 * epoll polls every socket it reported again at the next wait, to see whether it is still ready).
 * In return, the loop must never stop reading before the socket is drained without saying so:
 * echo_read() reads until a short copied read, or until EAGAIN or EOF for a bulk peer and after a
 * shutdown or an out-of-band mark (EPOLLRDHUP, EPOLLHUP, EPOLLPRI), and a spent budget re-arms the
 * socket, which has epoll look at it once more. A connection waiting to write is watched for
 * EPOLLOUT alone: a shutdown it cannot act on must not wake a level-triggered loop again and again.
 */
static int conn_watch(struct worker *w, int op, struct conn *c, uint32_t events)
{
	if (events & EPOLLIN)
		events |= EPOLLRDHUP | EPOLLPRI;
	if (w->edge)
		events |= EPOLLET;
	return watch(w, op, c->fd, events, c);
}

/*
 * Watch @c for @events from now on, or look at it again (an edge-triggered watch re-armed); a
 * connection epoll cannot watch would never be served.
 */
static void conn_set_events(struct worker *w, struct conn *c, uint32_t events)
{
	int r = conn_watch(w, EPOLL_CTL_MOD, c, events);

	if (r < 0) {
		conn_fail(w, c, r);
		return;
	}
	c->events = events;
	if (events == CONN_PAUSED)
		conn_uid(w, c)->paused++;
}

/* What becomes of @c after its echo_read() or echo_write() returned @state: epoll is told only
   of a change, or of a read stopped before EAGAIN (ECHO_MORE). */
static void conn_after(struct worker *w, struct conn *c, int state)
{
	uint32_t events = EPOLLIN;

	if (state < 0) {
		conn_fail(w, c, state);
		return;
	}
	if (state == ECHO_DONE) {
		conn_close(w, c, "eof");
		return;
	}
	if (state == ECHO_WRITE)
		events = EPOLLOUT;
	else if (state == CONN_PAUSE)
		events = CONN_PAUSED;
	if (c->events != events || state == ECHO_MORE)
		conn_set_events(w, c, events);
}

static void on_conn(struct worker *w, struct conn *c, uint32_t events)
{
	int until_eagain = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI)) != 0;
	size_t held = echo_pending(&c->out), now;
	int s = held > 0 ? ECHO_WRITE : ECHO_READ;
	struct uidcount_slot *e;

	/* Paused, a peer is reported only for a hang-up or an error: its echo cannot go. */
	if (c->events == CONN_PAUSED) {
		conn_close(w, c, "hangup");
		return;
	}
	c->last_io = w->now;
	/* A hang-up may come without EPOLLOUT: the send says what became of the peer. */
	if (held > 0 && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		s = echo_write(c->fd, &c->out, &c->echoed);
	/* The entry stays where it is: reading adds and drops no uid. */
	e = s == ECHO_READ ? conn_uid(w, c) : NULL;
	if (budget_spent(w, e)) {
		s = CONN_PAUSE;
	} else if (e) {
		uint32_t *share = turn_share(w, e);
		uint64_t echoed = c->echoed;
		size_t pending = echo_pending(&c->out);

		if (*share >= WORKER_UID_TURN) {
			s = ECHO_MORE; /* watched again, and read in a turn to come */
		} else {
			s = echo_read(c->fd, &c->out, &w->io, WORKER_READ_BUDGET, until_eagain,
				      &c->echoed);
			*share += (uint32_t)(c->echoed - echoed + echo_pending(&c->out) - pending);
		}
	}
	now = echo_pending(&c->out);
	if (now != held)
		held_changed(w, c, held, now);
	conn_after(w, c, s);
}

/*
 * Tell a refused peer so, in one line, without waiting, with the message= of the rule of @p that
 * refused it: a new socket always has room for it; a revoked peer that has not read its echo may
 * miss it, and is closed all the same.
 */
static void send_refusal(int fd, const struct peer_cred *cred, const struct policy *p, long rule)
{
	const struct policy_attrs *a = policy_rule_attrs(p, rule);
	char line[REFUSAL_MAX];
	size_t len = refusal_denied(line, sizeof(line), cred, a ? a->message : NULL);

	while (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
		;
}

/* The log limiter's second is over: say how many lines it held back, and start a new one. */
static void log_window_end(struct worker *w)
{
	uint64_t held = log_limit_end_window(&w->log_limit, w->now);

	if (held)
		log_notice(
			"event=log-suppressed lines=%llu (deny and busy lines beyond %d a second)",
			(unsigned long long)held, WORKER_LOG_BURST);
}

/* Whether a deny or busy line may be written now: WORKER_LOG_BURST a second, the rest counted. */
static int log_limited(struct worker *w)
{
	log_window_end(w);
	return log_limit_allow(&w->log_limit);
}

/* The rule @rule of @p as a log value: FILE and LINE, the built-in policy's name, "default deny".
 */
static void rule_origin(const struct policy *p, long rule, const char **file, unsigned int *line)
{
	if (rule < 0 || policy_rule_origin(p, rule, file, line) != 0) {
		*file = "\"default deny\"";
		*line = 0;
	}
}

/*
 * The rule @rule of @p as the log writes it, into @buf: "rule=FILE:LINE", " name=NAME" after it
 * for a named rule, or "rule=\"default deny\"" (the names and messages of a decoded policy are
 * checked: a name holds no blank, no quote and no control).
 */
static const char *rule_field(const struct policy *p, long rule, char *buf, size_t size)
{
	const struct policy_attrs *a = policy_rule_attrs(p, rule);
	const char *file;
	unsigned int line;

	rule_origin(p, rule, &file, &line);
	if (!line)
		return log_format(buf, size, "rule=%s", file);
	if (a && a->name)
		return log_format(buf, size, "rule=%s:%u name=%s", file, line, a->name);
	return log_format(buf, size, "rule=%s:%u", file, line);
}

/* Room for rule_field(): a file name as decoded (at most 4096 bytes), a line and a name. */
#define RULE_FIELD_MAX (4096 + 96)

/* One line about one peer: @event, its ids and the rule of @p that decides for it. */
static void log_peer(const struct policy *p, const char *event, const struct peer_cred *c,
		     long rule)
{
	static char field[RULE_FIELD_MAX];

	log_info("event=%s pid=%d uid=%u gid=%u %s", event, (int)c->pid, (unsigned int)c->uid,
		 (unsigned int)c->gid, rule_field(p, rule, field, sizeof(field)));
}

static void log_decision(const struct worker *w, const char *event, const struct peer_cred *c,
			 long rule)
{
	log_peer(w->policy, event, c, rule);
}

/* No policy is in force: the peer is told, in one line, that the server cannot serve. */
static void refuse_unavailable(struct worker *w, int fd, const struct peer_cred *c)
{
	char line[REFUSAL_MAX];
	size_t len = refusal_unavailable(line, sizeof(line));

	w->denied++;
	if (log_limited(w))
		log_notice("event=unavailable pid=%d uid=%u gid=%u reason=\"no policy\"",
			   (int)c->pid, (unsigned int)c->uid, (unsigned int)c->gid);
	while (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
		;
}

/* A limit is reached: tell the peer to come back later, in one line. */
static void refuse_busy(struct worker *w, int fd, const struct peer_cred *c, const char *why)
{
	char line[REFUSAL_MAX];
	size_t len = refusal_busy(line, sizeof(line), why);

	w->busy++;
	if (log_limited(w))
		log_notice("event=busy pid=%d uid=%u gid=%u reason=\"%s\" open=%zu", (int)c->pid,
			   (unsigned int)c->uid, (unsigned int)c->gid, why, w->nconns);
	while (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
		;
}

/*
 * The per_rule key of @c's connections under @rule of @p when that rule has max-per-uid=, in
 * *@key; 0 when it has none, and the connection is not counted there.
 */
static uint32_t rule_limit(const struct policy *p, long rule, const struct conn *c, uint64_t *key)
{
	const struct policy_attrs *a = policy_rule_attrs(p, rule);

	*key = uidcount_key((uint32_t)rule, c->cred.uid);
	return a ? a->max_per_uid : 0;
}

/* A decision that could not be made: the policy needs the peer's groups, which cannot be read. */
#define RULE_GROUPS_UNKNOWN (-2L)

/*
 * The decision of @p for @c at the wall clock's @wall into *@v; @groups says whether @p has group
 * rules. Admitted under a policy without them, a peer's groups are read now, still the kernel's
 * record of them at connect. Returns 0, or -1 when they cannot be read.
 */
static int decide(const struct policy *p, int groups, struct conn *c, int64_t wall,
		  struct policy_verdict *v)
{
	if (groups && !c->cred.groups_known && peercred_read_groups(c->fd, &c->cred) < 0)
		return -1;
	*v = policy_eval(p, &c->cred, wall);
	return 0;
}

/* The decision for @c of the policy coming in to be put in force, kept until it is. */
static void decide_next(struct worker *w, struct conn *c)
{
	const struct incoming *in = &w->reload;
	struct policy_verdict v;

	if (decide(in->policy, in->groups, c, w->wall, &v) < 0)
		v = (struct policy_verdict){.allow = 0, .rule = RULE_GROUPS_UNKNOWN};
	c->next_rule = v.rule;
	c->next_allow = v.allow;
}

static void admit(struct worker *w, int fd)
{
	struct policy_verdict v;
	uint32_t limit;
	uint64_t key;
	struct conn *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warn("event=refuse reason=out-of-memory");
		close(fd);
		return;
	}
	r = peercred_read_ids(fd, &c->cred);
	if (r == 0 && !w->policy) {
		refuse_unavailable(w, fd, &c->cred);
		goto drop;
	}
	if (r == 0 && w->need_groups)
		r = peercred_read_groups(fd, &c->cred);
	if (r < 0) {
		log_warn("event=refuse reason=\"cannot read peer credentials: %s\"", strerror(-r));
		goto drop;
	}
	if (w->nconns >= w->limits.max_connections) {
		refuse_busy(w, fd, &c->cred, "too many connections");
		goto drop;
	}
	v = policy_eval(w->policy, &c->cred, w->wall);
	if (!v.allow) {
		w->denied++;
		if (log_limited(w))
			log_decision(w, "deny", &c->cred, v.rule);
		send_refusal(fd, &c->cred, w->policy, v.rule);
		goto drop;
	}
	if (uidcount_get(&w->per_uid, c->cred.uid) >= w->limits.max_per_uid) {
		refuse_busy(w, fd, &c->cred, "too many connections for this uid");
		goto drop;
	}
	limit = rule_limit(w->policy, v.rule, c, &key);
	if (limit && uidcount_get(&w->per_rule, key) >= limit) {
		refuse_busy(w, fd, &c->cred, "too many connections for this uid under its rule");
		goto drop;
	}
	if (budget_spent(w, uidcount_find(&w->per_uid, c->cred.uid))) {
		refuse_busy(w, fd, &c->cred, "too much unread echo for this uid");
		goto drop;
	}
	c->fd = fd;
	c->events = EPOLLIN;
	c->last_io = w->now;
	c->since = w->now;
	c->rule = v.rule;
	if (uidcount_add(&w->per_uid, c->cred.uid) < 0) {
		log_warn("event=refuse pid=%d uid=%u reason=out-of-memory", (int)c->cred.pid,
			 (unsigned int)c->cred.uid);
		goto drop;
	}
	if (limit && uidcount_add(&w->per_rule, key) < 0) {
		uidcount_sub(&w->per_uid, c->cred.uid);
		log_warn("event=refuse pid=%d uid=%u reason=out-of-memory", (int)c->cred.pid,
			 (unsigned int)c->cred.uid);
		goto drop;
	}
	c->per_rule = limit != 0;
	if (conn_watch(w, EPOLL_CTL_ADD, c, EPOLLIN) < 0) {
		uidcount_sub(&w->per_uid, c->cred.uid);
		if (c->per_rule)
			uidcount_sub(&w->per_rule, key);
		goto drop;
	}
	w->allowed++;
	log_decision(w, "allow", &c->cred, v.rule);
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	/* A policy about to be put in force has decided for those open before: for it, too. */
	if (w->reload.policy)
		decide_next(w, c);
	return;
drop:
	peercred_release(&c->cred);
	free(c);
	close(fd);
}

/*
 * The spare descriptor: a timerfd never armed, because the filter lets the worker make one again
 * (timerfd_create on the monotonic clock), where it allows no dup(2), no F_DUPFD and no open(2).
 */
static int spare_reserve(void)
{
	return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
}

/* Out of descriptors: the spare makes room to accept the first peer waiting and tell it so. */
static void refuse_no_descriptor(struct worker *w)
{
	struct peer_cred cred = {0};
	int fd;

	close(w->spare_fd);
	fd = accept4(w->cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		/* Like admit(): a peer whose ids cannot be read is closed, never told. */
		if (peercred_read_ids(fd, &cred) == 0)
			refuse_busy(w, fd, &cred, "out of file descriptors");
		peercred_release(&cred);
		close(fd);
	}
	w->spare_fd = spare_reserve();
}

/*
 * One connection per turn: the listening socket stays ready while others wait, and epoll says so
 * again. A connection costs no accept4() that only says EAGAIN, and a flood of connects takes its
 * turn with the peers already served. The spare, if lost, is taken back before the next peer.
 */
static void on_listen(struct worker *w)
{
	int fd;

	if (w->spare_fd < 0)
		w->spare_fd = spare_reserve();
	fd = accept4(w->cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		admit(w, fd);
	} else if ((errno == EMFILE || errno == ENFILE) && w->spare_fd >= 0) {
		refuse_no_descriptor(w);
	} else if (errno == EMFILE || errno == ENFILE) {
		/* Out of descriptors: stop accepting until a connection closes. */
		log_warn("event=accept-paused reason=\"%s\" connections=%zu", strerror(errno),
			 w->nconns);
		set_accepting(w, 0);
	} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
		log_warn("event=accept-failed reason=\"%s\"", strerror(errno));
	}
}

/* Whether the @len bytes at @s are printable ASCII, as the monitor's texts must be. */
static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Decide every open connection again, with the policy in force at the wall clock's @wall: peers
 * it no longer allows are told so and closed at once, the others take the rule that now admits
 * them, and are counted again under it (limits apply to new connections: none is closed for a
 * count). With @decided, each connection's decision is the one already made by the policy, in
 * next_rule and next_allow (see struct incoming). Returns how many were revoked.
 */
static size_t redecide(struct worker *w, int decided)
{
	const struct policy *p = w->policy;
	size_t revoked = 0;

	/* One pass: a connection's count is dropped before it may be closed, never after. */
	uidcount_release(&w->per_rule);
	for (struct conn *c = w->conns, *next; c; c = next) {
		struct policy_verdict v = {.allow = c->next_allow, .rule = c->next_rule};
		uint64_t key;

		next = c->next;
		c->per_rule = 0;
		if (!decided && decide(p, w->need_groups, c, w->wall, &v) < 0)
			v.rule = RULE_GROUPS_UNKNOWN;
		if (v.rule == RULE_GROUPS_UNKNOWN) {
			conn_close(w, c, "groups-unknown");
			revoked++;
			continue;
		}
		c->rule = v.rule;
		if (!v.allow) {
			log_decision(w, "revoke", &c->cred, v.rule);
			send_refusal(c->fd, &c->cred, p, v.rule);
			conn_close(w, c, "revoked");
			revoked++;
			w->revoked++;
			continue;
		}
		if (rule_limit(p, v.rule, c, &key))
			c->per_rule = uidcount_add(&w->per_rule, key) > 0;
	}
	return revoked;
}

/*
 * A new policy is in force: every open connection is decided again by it, or was already
 * (@decided).
 */
static void apply_policy(struct worker *w, struct policy *p, int decided)
{
	size_t revoked;

	policy_free(w->policy);
	w->policy = p;
	w->unavailable = 0;
	w->need_groups = policy_uses_groups(p);
	w->idle_rules = policy_has_idle_timeouts(p);
	revoked = redecide(w, decided);
	log_info("event=policy-applied rules=%zu revoked=%zu open=%zu", policy_rule_count(p),
		 revoked, w->nconns);
}

/* Set w->wall from the wall clock: a decision needs the instant, as precise as the boundary. */
static void read_wall(struct worker *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	w->wall = (int64_t)ts.tv_sec;
}

/*
 * A rule's time window opened or closed, or the wall clock was set (the monitor says which, in
 * @why): the connections are decided again, as at a reload, at the instant read now.
 */
static void on_clock(struct worker *w, const char *why, size_t len)
{
	char when[UTCTIME_LEN + 1];
	size_t revoked;

	if (!printable(why, len)) {
		log_err("event=clock-rejected reason=\"not printable\"");
		return;
	}
	read_wall(w);
	revoked = redecide(w, 0);
	/* A policy coming in decides again too, at this instant. */
	if (w->reload.policy)
		w->reload.at = w->conns;
	log_info("event=redecided reason=%.*s at=%s revoked=%zu open=%zu", (int)len, why,
		 utctime_format(w->wall, when, sizeof(when)), revoked, w->nconns);
}

/* Let go of what @in holds: it is no longer coming in. */
static void incoming_drop(struct incoming *in)
{
	policy_decoder_free(in->dec);
	policy_free(in->policy);
	free(in->body);
	*in = (struct incoming){0};
}

static const char *wire_error(int r)
{
	return r == POLICY_E_WIRE ? "invalid encoding" : strerror(-r);
}

/*
 * Begin to take in the @len bytes at @payload, which belong to @body (the message, now @in's),
 * in place of what @in was taking in. Returns 0, or what policy_decoder_start() does (@in is
 * then empty).
 */
static int incoming_start(struct incoming *in, char *body, const char *payload, size_t len)
{
	int r;

	incoming_drop(in);
	in->body = body;
	r = policy_decoder_start(payload, len, &in->dec);
	if (r != 0)
		incoming_drop(in);
	return r;
}

/*
 * SIGUSR2 at the monitor: the policy a reload would apply, the file's path, a NUL, the policy.
 * It is decoded and evaluated against every connection open once it is, between turns (pace()),
 * then dropped. A preview never closes, delays or re-decides a connection: it only says which
 * ones the reload would revoke.
 */
static void preview_start(struct worker *w, char *body, const char *payload, size_t len)
{
	const char *nul = memchr(payload, '\0', len);
	size_t plen = nul ? (size_t)(nul - payload) : 0;
	int r;

	if (w->preview.body)
		log_err("event=preview-failed policy=%.*s reason=\"a newer preview came\"",
			(int)w->preview.pathlen, w->preview.path);
	if (nul && printable(payload, plen)) {
		r = incoming_start(&w->preview, body, nul + 1, len - plen - 1);
	} else {
		incoming_drop(&w->preview);
		free(body);
		r = POLICY_E_WIRE;
	}
	if (r != 0) {
		log_err("event=preview-failed reason=\"%s\"", wire_error(r));
		return;
	}
	w->preview.path = payload;
	w->preview.pathlen = plen;
}

/* The preview's decisions, from where it is, until @deadline; then its summary. */
static void preview_some(struct worker *w, uint64_t deadline)
{
	struct incoming *in = &w->preview;

	while (in->at) {
		for (int n = 0; in->at && n < WORKER_DECIDE_SLICE; n++) {
			struct conn *c = in->at;
			struct policy_verdict v = {.allow = 0, .rule = -1};

			in->at = c->next;
			/* As a reload would: groups unknown to a group rule mean a revocation. */
			(void)decide(in->policy, in->groups, c, w->wall, &v);
			if (v.allow)
				continue;
			log_peer(in->policy, "would-revoke", &c->cred, v.rule);
			in->would++;
		}
		if (monoclock_ns() >= deadline)
			return;
	}
	log_info("event=preview policy=%.*s rules=%zu open=%zu would-revoke=%zu", (int)in->pathlen,
		 in->path, policy_rule_count(in->policy), in->open, in->would);
	incoming_drop(in);
}

/*
 * Decode what @in is taking in until @deadline. Returns 1 when it is decoded (in->at then set to
 * the first open connection), 0 when work remains, -1 after an error (logged by the caller).
 */
static int decode_some(struct worker *w, struct incoming *in, uint64_t deadline, int *err)
{
	while (in->dec) {
		int r = policy_decoder_step(in->dec, WORKER_DECODE_SLICE, &in->policy);

		if (r == 0) {
			policy_decoder_free(in->dec);
			in->dec = NULL;
			in->at = w->conns;
			in->open = w->nconns;
			in->groups = policy_uses_groups(in->policy);
			return 1;
		}
		if (r != POLICY_DECODE_MORE) {
			*err = r;
			return -1;
		}
		if (monoclock_ns() >= deadline)
			return 0;
	}
	return 1;
}

/*
 * The reload's decisions for the open connections, from where it is, until @deadline; once all
 * are made, the policy is put in force with them, in a turn of its own if this one is spent
 * (putting it in force walks every connection once more).
 */
static void reload_some(struct worker *w, uint64_t deadline)
{
	struct incoming *in = &w->reload;
	struct policy *p;

	while (in->at) {
		for (int n = 0; in->at && n < WORKER_DECIDE_SLICE; n++) {
			struct conn *c = in->at;

			in->at = c->next;
			decide_next(w, c);
		}
		if (monoclock_ns() >= deadline)
			return;
	}
	if (w->nconns > 0 && monoclock_ns() >= deadline - WORKER_PACE_NS / 2)
		return;
	p = in->policy;
	in->policy = NULL;
	incoming_drop(in);
	apply_policy(w, p, 1);
}

/*
 * Between turns, what is coming in goes on, for at most WORKER_PACE_NS a turn: the connections
 * are served in between, and none waits longer for a large policy.
 */
static void pace(struct worker *w)
{
	struct incoming *in[] = {&w->reload, &w->preview};
	uint64_t deadline;
	int err = 0;

	/* Most turns have nothing coming in: they do not even read the clock. */
	if (!w->reload.body && !w->preview.body)
		return;
	deadline = monoclock_ns() + WORKER_PACE_NS;
	for (size_t i = 0; i < 2 && monoclock_ns() < deadline; i++) {
		if (!in[i]->body)
			continue;
		switch (decode_some(w, in[i], deadline, &err)) {
		case -1:
			if (in[i] == &w->reload)
				log_err("event=policy-rejected reason=\"%s\"", wire_error(err));
			else
				log_err("event=preview-failed policy=%.*s reason=\"%s\"",
					(int)in[i]->pathlen, in[i]->path, wire_error(err));
			incoming_drop(in[i]);
			break;
		case 1:
			if (in[i] == &w->reload)
				reload_some(w, deadline);
			else
				preview_some(w, deadline);
			break;
		}
	}
}

/*
 * After the SIGUSR1 status line, one line per open connection, WORKER_LIST_SLICE a turn so that
 * a long list does not hold up the echo of the others, WORKER_LIST_MAX in all, then a count.
 */
static void list_some(struct worker *w)
{
	static char field[RULE_FIELD_MAX];

	if (w->counting) {
		/*
		 * The rest are counted, WORKER_COUNT_SLICE a turn: a long walk stalls the others.
		 * Those that close first are not (conn_close() moves the cursor past them), and
		 * the count is logged even when all of them do.
		 */
		for (int n = 0; w->listing && n < WORKER_COUNT_SLICE; n++) {
			w->listing = w->listing->next;
			w->unlisted++;
		}
		if (!w->listing) {
			log_info("event=client-more count=%zu", w->unlisted);
			w->counting = 0;
		}
		return;
	}
	for (int n = 0; w->listing && n < WORKER_LIST_SLICE && w->listed < WORKER_LIST_MAX; n++) {
		struct conn *c = w->listing;

		log_info("event=client pid=%d uid=%u gid=%u %s age=%u bytes=%llu", (int)c->cred.pid,
			 (unsigned int)c->cred.uid, (unsigned int)c->cred.gid,
			 rule_field(w->policy, c->rule, field, sizeof(field)), w->now - c->since,
			 (unsigned long long)c->echoed);
		w->listed++;
		w->listing = c->next;
	}
	w->counting = w->listing && w->listed == WORKER_LIST_MAX;
}

/* SIGUSR1 at the monitor: one line with the counts, and what the monitor knows (its text). */
static void log_status(struct worker *w, const char *text, size_t len)
{
	if (!printable(text, len)) {
		log_err("event=status-rejected reason=\"not printable\"");
		return;
	}
	log_info("event=status open=%zu allowed=%llu denied=%llu revoked=%llu busy=%llu rules=%zu "
		 "%.*s",
		 w->nconns, (unsigned long long)w->allowed, (unsigned long long)w->denied,
		 (unsigned long long)w->revoked, (unsigned long long)w->busy,
		 w->policy ? policy_rule_count(w->policy) : 0, (int)len, text);
	w->listing = w->conns;
	w->listed = w->unlisted = 0;
	w->counting = 0;
}

/* A whole message from the monitor, of a type channel_read() knows. */
static int on_message(struct worker *w, const struct channel_msg *m)
{
	struct policy *p = NULL;
	int r;

	if (m->type == CHANNEL_MSG_PROBE)
		return 0; /* reading it was the point: the monitor watches its end drain */
	if (m->type == CHANNEL_MSG_STATUS) {
		if (w->policy || w->unavailable)
			log_status(w, m->payload, m->len);
		return 0;
	}
	if (m->type == CHANNEL_MSG_PREVIEW) {
		if (w->policy)
			preview_start(w, channel_reader_take(&w->pair), m->payload, m->len);
		return 0;
	}
	if (m->type == CHANNEL_MSG_CLOCK) {
		if (w->policy)
			on_clock(w, m->payload, m->len);
		return 0;
	}
	if (m->type == CHANNEL_MSG_UNAVAILABLE) {
		w->unavailable = !w->policy;
		return 0;
	}
	/* Without a policy in force nobody is served yet: no need to spare anyone a wait. */
	if (w->policy)
		r = incoming_start(&w->reload, channel_reader_take(&w->pair), m->payload, m->len);
	else if ((r = policy_decode(m->payload, m->len, &p)) == 0)
		apply_policy(w, p, 0);
	if (r != 0) {
		/* Keep the policy in force; with none yet, nothing is served. */
		log_err("event=policy-rejected reason=\"%s\"", wire_error(r));
		return w->policy ? 0 : -1;
	}
	return 0;
}

/*
 * Bytes from the monitor. Returns 0 to go on, 1 when the monitor is gone, -1 when what it sent
 * is not a message we know (the channel can no longer be trusted to be in step).
 */
static int on_pair(struct worker *w)
{
	struct channel_msg m;
	int r = channel_read(&w->pair, w->cfg->pair_fd, &m);

	switch (r) {
	case 0:
		r = on_message(w, &m);
		channel_reader_release(&w->pair);
		return r;
	case CHANNEL_MORE:
		return 0;
	case CHANNEL_E_LENGTH:
		log_err("event=message-rejected reason=\"message of %u bytes\"",
			(unsigned int)m.len);
		return -1;
	case CHANNEL_E_TYPE:
		log_err("event=message-rejected type=%u", m.type);
		return -1;
	case -ENOMEM:
		log_err("event=message-rejected reason=out-of-memory");
		return -1;
	default:
		return 1; /* the end of the stream, or a failed read: the monitor is gone */
	}
}

static uint32_t clock_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

/* The one-second tick runs only while it has something to look after. */
static void timer_update(struct worker *w)
{
	int want = log_limit_held(&w->log_limit) > 0 ||
		   (w->nconns > 0 &&
		    (w->limits.idle_timeout || w->limits.send_timeout || w->idle_rules));
	struct itimerspec its = {{want, 0}, {want, 0}};

	if (want == w->timer_armed || w->timer_fd < 0)
		return;
	if (timerfd_settime(w->timer_fd, 0, &its, NULL) == 0)
		w->timer_armed = want;
}

/* @c's idle timeout: the tighter of --idle-timeout and its rule's idle-timeout=; 0 for none. */
static uint32_t idle_timeout(const struct worker *w, const struct conn *c)
{
	const struct policy_attrs *a = w->idle_rules ? policy_rule_attrs(w->policy, c->rule) : NULL;
	uint32_t t = w->limits.idle_timeout;

	if (a && a->idle_timeout && (!t || a->idle_timeout < t))
		t = a->idle_timeout;
	return t;
}

/* The tick: close peers past their deadlines; let the log limiter's window end. */
static void on_timer(struct worker *w)
{
	const struct worker_limits *l = &w->limits;
	uint64_t ticks;

	(void)!read(w->timer_fd, &ticks, sizeof(ticks));
	for (struct conn *c = w->conns, *next; c; c = next) {
		uint32_t quiet = w->now - c->last_io, idle = idle_timeout(w, c);
		next = c->next;
		/* Whole seconds: "more than N" is at least N, at most N + 1 seconds of quiet. */
		if (c->events == EPOLLOUT && l->send_timeout && quiet > l->send_timeout)
			conn_close(w, c, "send-timeout");
		else if (c->events == EPOLLIN && idle && quiet > idle)
			conn_close(w, c, "idle-timeout");
	}
	log_window_end(w);
}

/*
 * Descriptors: raise the soft limit to the hard one (each client is one), and fill in the
 * defaults: all but a reserve for the loop, and for one uid WORKER_PER_UID, or three quarters of
 * that if less: one uid's peers that do not read pin kernel memory too, their socket buffers.
 */
static void set_limits(struct worker *w)
{
	struct rlimit rl;
	struct worker_limits *l = &w->limits;

	*l = w->cfg->limits;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = 1024;
	if (!l->max_connections)
		l->max_connections = rl.rlim_cur > 2 * WORKER_FD_RESERVE
					     ? (unsigned long)(rl.rlim_cur - WORKER_FD_RESERVE)
					     : WORKER_FD_RESERVE;
	if (!l->max_per_uid)
		l->max_per_uid = l->max_connections - l->max_connections / 4;
	if (!w->cfg->limits.max_per_uid && l->max_per_uid > WORKER_PER_UID)
		l->max_per_uid = WORKER_PER_UID;
	if (l->max_connections + WORKER_FD_RESERVE > rl.rlim_cur)
		log_warn("worker: --max-connections %lu is more than the descriptor limit allows "
			 "(%llu); accepting pauses when descriptors run out",
			 l->max_connections, (unsigned long long)rl.rlim_cur);
	log_info("event=limits max-connections=%lu max-per-uid=%lu max-bytes-per-uid=%lu "
		 "idle-timeout=%u send-timeout=%u",
		 l->max_connections, l->max_per_uid, l->max_bytes_per_uid, l->idle_timeout,
		 l->send_timeout);
}

/* Not in every libc's headers yet: the values of asm-generic/socket.h. */
#if !defined(SO_PASSPIDFD) && (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__))
#define SO_PASSPIDFD 76
#endif
#if !defined(SO_PASSRIGHTS) && (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__))
#define SO_PASSRIGHTS 83
#endif

/*
 * A short read must mean the socket is drained for connections to be edge-triggered (see
 * conn_watch), but a read also ends where the writer changes while SO_PASSCRED or SO_PASSPIDFD is
 * on, and after a message that carries descriptors. Accepted sockets inherit these options from
 * the listening socket, which a service manager may have set: credentials passing off
 * (SO_PEERCRED says who the peer is), and descriptors refused (SO_PASSRIGHTS): a peer's
 * sendmsg(2) with SCM_RIGHTS then fails with EPERM. Returns whether descriptors are refused: a
 * kernel before Linux 6.16 cannot, and its connections stay level-triggered.
 */
static int plain_stream_reads(int listen_fd)
{
	int off = 0;

	(void)setsockopt(listen_fd, SOL_SOCKET, SO_PASSCRED, &off, sizeof(off));
#ifdef SO_PASSPIDFD
	(void)setsockopt(listen_fd, SOL_SOCKET, SO_PASSPIDFD, &off, sizeof(off));
#endif
#ifdef SO_PASSRIGHTS
	if (setsockopt(listen_fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off)) == 0)
		return 1;
#endif
	log_notice("worker: this kernel cannot refuse descriptors (SO_PASSRIGHTS, Linux 6.16): "
		   "connections are level-triggered");
	return 0;
}

/* One byte to the monitor, which passes it on; then the pipe is closed for good. */
static void announce_ready(const struct worker_config *cfg)
{
	while (write(cfg->ready_fd, "\n", 1) < 0 && errno == EINTR)
		;
	close(cfg->ready_fd);
}

/*
 * Standard input and output to /dev/null: they may be a terminal or a file of whoever started
 * the server. Returns 0 or -errno.
 */
static int null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Every descriptor the loop needs is made before confinement, which comes last: afterwards none
 * can be. Returns 0 or -errno (logged).
 */
static int worker_setup(struct worker *w)
{
	const struct worker_config *cfg = w->cfg;
	char err[256];
	int r;

	r = null_stdio();
	if (r < 0) {
		log_err("worker: /dev/null: %s", strerror(-r));
		return r;
	}
	log_limit_init(&w->log_limit, WORKER_LOG_BURST);
	set_limits(w);
	w->edge = plain_stream_reads(cfg->listen_fd);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->spare_fd = spare_reserve();
	if (w->epfd < 0 || w->timer_fd < 0 ||
	    watch(w, EPOLL_CTL_ADD, cfg->listen_fd, EPOLLIN, &tag_listen) < 0 ||
	    watch(w, EPOLL_CTL_ADD, cfg->pair_fd, EPOLLIN, &tag_pair) < 0 ||
	    watch(w, EPOLL_CTL_ADD, w->timer_fd, EPOLLIN, &tag_timer) < 0) {
		r = -errno;
		log_err("worker: epoll: %s", strerror(-r));
		return r;
	}
	w->io = (struct echo_io){w->scratch, sizeof(w->scratch), {-1, -1}};
	r = echo_io_pipe(&w->io);
	if (r < 0)
		log_warn("worker: no pipe for bulk echoes, every echo is copied: %s", strerror(-r));
	r = confine(&(struct confine_spec){.role = CONFINE_WORKER,
					   .sandbox = cfg->sandbox,
					   .ids = cfg->ids,
					   .user = cfg->user,
					   .peer = cfg->monitor,
					   .splice_pipe = w->io.pipe[0] >= 0 ? w->io.pipe : NULL},
		    err, sizeof(err));
	if (r < 0)
		log_err("%s", err);
	return r;
}

/*
 * epoll_wait(2) for the loop. The log lines it holds (log_hold()) go out before a wait that would
 * sleep, once the first has waited WORKER_LOG_HOLD_NS (at the end of a turn), or when they would
 * fill a write (log.c): a busy server writes its log a few KiB at a time, where it wrote once a
 * turn (about once a connection, under a stream of short ones), and no line waits long.
 */
static int wait_events(struct worker *w, struct epoll_event *evs, int timeout)
{
	if (timeout != 0 && log_pending()) {
		int n = epoll_wait(w->epfd, evs, WORKER_EVENTS, 0);

		if (n != 0)
			return n;
		log_flush();
	}
	return epoll_wait(w->epfd, evs, WORKER_EVENTS, timeout);
}

/* One turn of the loop: the events of one epoll_wait(). Returns what on_pair() returns, or 0. */
static int worker_turn(struct worker *w, const struct epoll_event *evs, int n)
{
	int pair_ready = 0, timer_ready = 0, stop = 0;

	w->now = clock_seconds();
	w->turn++;
	read_wall(w);
	log_hold();
	for (int i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;
		if (p == &tag_listen)
			on_listen(w);
		else if (p == &tag_pair)
			pair_ready = 1;
		else if (p == &tag_timer)
			timer_ready = 1;
		else
			on_conn(w, p, evs[i].events);
	}
	/*
	 * The timer and the monitor come after the batch: both may close connections it names, and
	 * no event of it may be dropped: an edge-triggered one would not come again.
	 */
	if (timer_ready)
		on_timer(w);
	if (pair_ready)
		stop = on_pair(w);
	list_some(w);
	pace(w);
	timer_update(w);
	log_flush_older(WORKER_LOG_HOLD_NS);
	return stop;
}

int worker_run(const struct worker_config *cfg)
{
	struct epoll_event evs[WORKER_EVENTS];
	struct worker *w;
	int stop = 0, r;

	w = calloc(1, sizeof(*w));
	if (!w) {
		log_err("worker: out of memory");
		return -ENOMEM;
	}
	w->cfg = cfg;
	r = worker_setup(w);
	if (r < 0)
		return r;
	w->now = clock_seconds();
	read_wall(w);
	/*
	 * Nothing is accepted before the first policy is in, or word that none can be: until then
	 * every peer would wait.
	 */
	while (!w->policy && !w->unavailable && !stop)
		stop = on_pair(w);
	if (!stop)
		announce_ready(cfg);
	while (!stop) {
		/*
		 * An inventory, a policy coming in: they go on at once, between turns that serve,
		 * and each such turn gives the CPU up first. A client its echo woke may be waiting
		 * for this CPU, and the loop, which then never blocks, would hold it until the
		 * scheduler's tick: a client stalled for milliseconds.
		 */
		int busy = w->listing || w->counting || w->reload.body || w->preview.body;
		int n;

		if (busy)
			sched_yield();
		n = wait_events(w, evs, busy ? 0 : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			log_err("worker: epoll_wait: %s", strerror(-r));
			log_flush();
			return r;
		}
		stop = worker_turn(w, evs, n);
	}
	log_flush();
	return stop > 0 ? 0 : -EPROTO;
}
