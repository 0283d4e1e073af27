// SPDX-License-Identifier: MIT
/*
 * client: the udsecho session (see client.h).
 *
 * Bytes read from the source (MESSAGE or standard input) go into one queue: those before
 * send_off are sent and wait for their echo, those after it wait to be sent. Every byte that
 * comes back is compared with the queue before it is written out. Where what comes back stops
 * being the echo, the next bytes are kept, so that a server's refusal line ("udsechod:
 * permission denied...", also when access is revoked mid-stream, "udsechod: busy..." or
 * "udsechod: unavailable...") is recognised as a refusal rather than reported as a wrong echo.
 * connect(2)'s EACCES is explained from the permission bits of the directories and the node, as the
 * kernel applies them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "udsecho/client.h"
#include "udsecho/escape.h"
#include "udsecho/fdio.h"
#include "udsecho/monoclock.h"
#include "udsecho/explain.h"
#include "udsecho/nss.h"

#define CLIENT_QUEUE_MAX (1u << 20) /* unechoed bytes in flight before we stop reading input */
#define CLIENT_READ	 65536
#define CLIENT_HEAD	 256 /* a refusal line is at most this long */

static const char refusal_denied[] = "udsechod: permission denied";
static const char refusal_busy[] = "udsechod: busy";
static const char refusal_unavailable[] = "udsechod: unavailable";

struct session {
	const struct client_options *o;
	FILE *trace;
	struct client_result *res;
	int fd;
	int src_fd; /* 0 for standard input, -1 when the source is MESSAGE */
	int src_eof;
	int send_broken; /* the server stopped taking bytes (it closed, or refused us) */
	int shut;	 /* our writing side is shut down */
	int diverged;	 /* what came back differs from what was sent */
	char *q;
	size_t qcap, echo_off, send_off, end;
	uint64_t verified;
	uint64_t diverged_at;
	char head[CLIENT_HEAD + 1];
	size_t headlen;
	double deadline;
};

static int set_result(struct client_result *res, enum client_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_result(struct client_result *res, enum client_outcome outcome, const char *fmt, ...)
{
	va_list ap;

	res->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return 1;
}

/* At most the first 60 bytes of @p, escaped, with "..." when there are more. */
static void preview(const char *p, size_t len, char *out, size_t outlen)
{
	size_t used = escape(p, len < 60 ? len : 60, out, outlen - 3, ESCAPE_QUOTE);

	if (used < len)
		strcat(out, "...");
}

static void trace_bytes(struct session *s, const char *verb, const char *p, size_t len)
{
	char pv[300];

	if (!s->trace)
		return;
	preview(p, len, pv, sizeof(pv));
	fprintf(s->trace, "udsecho: %s %zu bytes: \"%s\"\n", verb, len, pv);
}

/* --- EACCES: find the directory or the node that refused, and explain it ----------------- */

/* The caller's ids as the kernel sees them; the caller frees c->groups. */
static void fill_caller(struct explain_caller *c, char *name, size_t namelen, gid_t node_gid)
{
	int n = getgroups(0, NULL);
	gid_t *groups = n > 0 ? calloc((size_t)n, sizeof(gid_t)) : NULL, *listed;
	size_t nlisted;

	c->uid = geteuid();
	c->gid = getegid();
	c->groups = groups;
	c->ngroups = groups && (n = getgroups(n, groups)) > 0 ? (size_t)n : 0;
	nss_user_name(c->uid, name, namelen);
	c->user_name = name;
	c->listed_in_node_group = 0;
	if (nss_user_groups(c->uid, &listed, &nlisted) == 0) {
		for (size_t i = 0; i < nlisted; i++)
			if (listed[i] == node_gid)
				c->listed_in_node_group = 1;
		free(listed);
	}
}

static int explain_one(struct session *s, const char *path, enum explain_need need)
{
	char owner[64], group[64], name[64];
	struct explain_caller caller;
	struct explain_node node;
	struct stat st;
	char why[700];

	if (stat(path, &st) < 0)
		return 0;
	nss_user_name(st.st_uid, owner, sizeof(owner));
	nss_group_name(st.st_gid, group, sizeof(group));
	node = (struct explain_node){path, st.st_uid, st.st_gid, st.st_mode, owner, group};
	fill_caller(&caller, name, sizeof(name), st.st_gid);
	if (explain_allowed(&node, need, &caller)) {
		free((gid_t *)caller.groups);
		return 0;
	}
	explain_eacces(&node, need, &caller, why, sizeof(why), s->res->hint, sizeof(s->res->hint));
	free((gid_t *)caller.groups);
	return set_result(s->res, CLIENT_DENIED_FS, "%s: Permission denied by the filesystem: %s",
			  s->o->socket_path, why);
}

static void explain_denied(struct session *s)
{
	const char *path = s->o->socket_path;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	/* Each directory on the way, outermost first, then the node itself. */
	for (const char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		size_t len = (size_t)(p - path);
		memcpy(dir, path, len);
		dir[len] = '\0';
		if (explain_one(s, dir, EXPLAIN_NEED_SEARCH))
			return;
	}
	if (path[0] == '/' && explain_one(s, "/", EXPLAIN_NEED_SEARCH))
		return;
	if (explain_one(s, path, EXPLAIN_NEED_WRITE))
		return;
	set_result(s->res, CLIENT_DENIED_FS,
		   "%s: Permission denied by the filesystem (connect: %s; the permission bits "
		   "allow it, so an ACL or a security module refused)",
		   path, strerror(EACCES));
}

/* --- connecting -------------------------------------------------------------------------- */

static int do_connect(struct session *s)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *path = s->o->socket_path;

	if (s->trace)
		fprintf(s->trace, "udsecho: connecting to %s\n", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return set_result(s->res, CLIENT_FAILED, "socket: %s", strerror(errno));
	while (connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN) {
			/* The server's backlog is full: it exists but has not caught up. */
			if (monoclock_s() >= s->deadline)
				return set_result(s->res, CLIENT_TIMEOUT,
						  "%s: timed out after %g seconds: the server "
						  "accepts no connection",
						  path, s->o->timeout);
			poll(NULL, 0, 10);
			continue;
		}
		if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
			return set_result(s->res, CLIENT_NO_SERVER,
					  "%s: no server is listening (%s)", path, strerror(e));
		if (e == EACCES) {
			explain_denied(s);
			return 1;
		}
		return set_result(s->res, CLIENT_FAILED, "%s: connect: %s", path, strerror(e));
	}
	return 0;
}

/* --- the echo loop ----------------------------------------------------------------------- */

static int queue_room(struct session *s, size_t want)
{
	if (s->echo_off > 0 && s->echo_off == s->end) {
		s->echo_off = s->send_off = s->end = 0;
	} else if (s->echo_off > s->qcap / 2) {
		memmove(s->q, s->q + s->echo_off, s->end - s->echo_off);
		s->send_off -= s->echo_off;
		s->end -= s->echo_off;
		s->echo_off = 0;
	}
	if (s->end + want > s->qcap) {
		size_t cap = s->qcap ? s->qcap : CLIENT_READ;
		char *q;
		while (cap < s->end + want)
			cap *= 2;
		q = realloc(s->q, cap);
		if (!q)
			return -ENOMEM;
		s->q = q;
		s->qcap = cap;
	}
	return 0;
}

static int read_source(struct session *s)
{
	ssize_t n;

	if (queue_room(s, CLIENT_READ) < 0)
		return set_result(s->res, CLIENT_FAILED, "out of memory");
	n = read(s->src_fd, s->q + s->end, CLIENT_READ);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return set_result(s->res, CLIENT_FAILED, "standard input: %s", strerror(errno));
	if (n == 0)
		s->src_eof = 1;
	s->end += (size_t)n;
	return 0;
}

static int send_queue(struct session *s)
{
	ssize_t n =
		send(s->fd, s->q + s->send_off, s->end - s->send_off, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == EPIPE || errno == ECONNRESET) {
			/* The server closed: what it said before closing tells why. */
			s->send_broken = 1;
			return 0;
		}
		return set_result(s->res, CLIENT_FAILED, "%s: send: %s", s->o->socket_path,
				  strerror(errno));
	}
	trace_bytes(s, "sending", s->q + s->send_off, (size_t)n);
	s->send_off += (size_t)n;
	s->deadline = monoclock_s() + s->o->timeout;
	return 0;
}

/* The server stopped echoing: is it a refusal line, or a wrong echo? */
static int classify(struct session *s, int eof)
{
	const char *path = s->o->socket_path;
	char said[4 * CLIENT_HEAD + 1], *nl;

	s->head[s->headlen] = '\0';
	nl = memchr(s->head, '\n', s->headlen);
	if (s->diverged && (nl || eof || s->headlen == CLIENT_HEAD)) {
		if (nl)
			*nl = '\0';
		/* Whatever the server wrote is escaped: it may be anyone's, with terminal controls.
		 */
		escape(s->head, strlen(s->head), said, sizeof(said), 0);
		if (strncmp(said, refusal_denied, sizeof(refusal_denied) - 1) == 0) {
			const char *tail = said + sizeof(refusal_denied) - 1;
			tail += strspn(tail, ": ");
			if (*tail)
				return set_result(
					s->res, CLIENT_DENIED_POLICY,
					"%s: Permission denied by the server's policy (the "
					"server saw %s)",
					path, tail);
			return set_result(s->res, CLIENT_DENIED_POLICY,
					  "%s: Permission denied by the server's policy", path);
		}
		if (strncmp(said, refusal_busy, sizeof(refusal_busy) - 1) == 0)
			return set_result(s->res, CLIENT_BUSY,
					  "%s: the server is busy (%s); try again later", path,
					  said);
		if (strncmp(said, refusal_unavailable, sizeof(refusal_unavailable) - 1) == 0) {
			const char *tail = said + sizeof(refusal_unavailable) - 1;
			tail += strspn(tail, ": ");
			return set_result(s->res, CLIENT_UNAVAILABLE,
					  "%s: the server is unavailable: %s", path,
					  *tail ? tail : "it gave no reason");
		}
	}
	if (s->diverged)
		return set_result(s->res, CLIENT_MISMATCH,
				  "%s: the reply is not the echo: it differs from byte %llu on",
				  path, (unsigned long long)s->diverged_at);
	if (!eof)
		return 0;
	if (s->verified == 0)
		return set_result(s->res, CLIENT_MISMATCH,
				  "%s: the server closed the connection before echoing anything",
				  path);
	return set_result(s->res, CLIENT_MISMATCH,
			  "%s: the server closed the connection after echoing %llu of %llu bytes",
			  path, (unsigned long long)s->verified,
			  (unsigned long long)(s->verified + (s->end - s->echo_off)));
}

/* Keep what came back from the point where it stopped being the echo: maybe a refusal line. */
static void keep_head(struct session *s, const char *p, size_t len)
{
	size_t k = len < CLIENT_HEAD - s->headlen ? len : CLIENT_HEAD - s->headlen;

	memcpy(s->head + s->headlen, p, k);
	s->headlen += k;
}

static int receive(struct session *s)
{
	char buf[CLIENT_READ];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	size_t match = 0, want;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0 && errno != ECONNRESET)
		return set_result(s->res, CLIENT_FAILED, "%s: read: %s", s->o->socket_path,
				  strerror(errno));
	if (n <= 0) {
		if (!s->diverged && s->src_eof && s->echo_off == s->end)
			return 1; /* everything came back, then the server closed: done */
		return classify(s, 1);
	}
	s->deadline = monoclock_s() + s->o->timeout;
	if (s->diverged) {
		keep_head(s, buf, (size_t)n);
		return classify(s, 0);
	}
	trace_bytes(s, "received", buf, (size_t)n);
	want = s->send_off - s->echo_off;
	while (match < (size_t)n && match < want && buf[match] == s->q[s->echo_off + match])
		match++;
	if (fdio_write_all(STDOUT_FILENO, buf, match) < 0)
		return set_result(s->res, CLIENT_FAILED, "standard output: %s", strerror(errno));
	s->echo_off += match;
	s->verified += match;
	if (match < (size_t)n) {
		s->diverged = 1;
		s->diverged_at = s->verified;
		keep_head(s, buf + match, (size_t)n - match);
		return classify(s, 0);
	}
	return 0;
}

static int run_loop(struct session *s)
{
	for (;;) {
		struct pollfd p[2];
		int np = 0, timeout = -1, src = -1, r;

		if (s->src_eof && s->send_off == s->end && !s->shut && !s->send_broken) {
			/* All sent: tell the server, which closes once it has echoed everything. */
			shutdown(s->fd, SHUT_WR);
			s->shut = 1;
		}
		p[np++] = (struct pollfd){
			.fd = s->fd,
			.events = (short)(POLLIN |
					  (s->send_off < s->end && !s->send_broken ? POLLOUT : 0)),
		};
		if (!s->src_eof && s->src_fd >= 0 && s->end - s->echo_off < CLIENT_QUEUE_MAX &&
		    !s->send_broken) {
			src = np;
			p[np++] = (struct pollfd){.fd = s->src_fd, .events = POLLIN};
		}
		/* The server is owed an answer unless we are only waiting for our own input. */
		if (s->send_off > s->echo_off || s->send_off < s->end || s->shut ||
		    s->send_broken) {
			double left = s->deadline - monoclock_s();
			timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		r = poll(p, (nfds_t)np, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return set_result(s->res, CLIENT_FAILED, "poll: %s", strerror(errno));
		if (r == 0)
			return set_result(s->res, CLIENT_TIMEOUT,
					  "%s: timed out after %g seconds waiting for the server",
					  s->o->socket_path, s->o->timeout);
		if (src >= 0 && p[src].revents) {
			if (read_source(s))
				return 1;
			if (s->src_eof == 0 || s->send_off == s->end)
				s->deadline = monoclock_s() + s->o->timeout;
		}
		if ((p[0].revents & POLLOUT) && send_queue(s))
			return 1;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && receive(s))
			return 1;
	}
}

static int load_message(struct session *s)
{
	size_t len = 0;

	for (int i = 0; i < s->o->nmessage; i++)
		len += strlen(s->o->message[i]) + 1;
	s->q = malloc(len);
	if (!s->q)
		return set_result(s->res, CLIENT_FAILED, "out of memory");
	s->qcap = len;
	/* Like echo(1): the words joined by spaces, then a newline. */
	for (int i = 0; i < s->o->nmessage; i++) {
		size_t w = strlen(s->o->message[i]);
		memcpy(s->q + s->end, s->o->message[i], w);
		s->end += w;
		s->q[s->end++] = i + 1 < s->o->nmessage ? ' ' : '\n';
	}
	s->src_eof = 1;
	return 0;
}

void client_run(const struct client_options *opts, FILE *trace, struct client_result *res)
{
	struct session s = {.o = opts, .trace = trace, .res = res, .fd = -1, .src_fd = -1};

	*res = (struct client_result){.outcome = CLIENT_OK};
	s.deadline = monoclock_s() + opts->timeout;
	if (opts->nmessage > 0) {
		if (load_message(&s))
			goto out;
	} else {
		s.src_fd = STDIN_FILENO;
	}
	if (do_connect(&s))
		goto out;
	if (run_loop(&s) && res->outcome != CLIENT_OK)
		goto out;
	if (trace)
		fprintf(trace, "udsecho: closing socket\n");
out:
	if (s.fd >= 0)
		close(s.fd);
	free(s.q);
}
