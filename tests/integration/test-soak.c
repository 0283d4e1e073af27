// SPDX-License-Identifier: MIT
/*
 * Integration soak: the real udsechod under a bounded, mixed load while its policy is reloaded
 * every second. A few driver processes, each running as one uid, keep many connections going at
 * once with poll: byte-exact echoes of 1 B to 256 KiB, half-closed peers, slow readers, peers that
 * never read (closed by --send-timeout), idle peers (closed by --idle-timeout), abandoned peers,
 * and denied peers (one refusal line, then end of file). Two policies alternate: both allow uids
 * 4500-4507, which must never be refused; one also allows 4508-4509, the other 4510-4511, so those
 * peers may be refused at accept or revoked mid-stream, and only for them is the refusal line a
 * valid outcome. Afterwards the server must still echo, its worker must be back to its descriptors
 * and (within a bound) its memory of before the load, and the log must show every reload and no
 * dead worker. UDSECHO_SOAK_SECONDS sets the length of the load (default 20).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define SEND_TIMEOUT 2 /* --send-timeout */
#define IDLE_TIMEOUT 3 /* --idle-timeout */
#define MAX_ECHO     (256 * 1024)
#define SLOTS	     24	   /* connections a driver keeps open at most */
#define PEER_MAX_MS  20000 /* no single connection may take longer */
#define LINE_MAX_LEN 256   /* a refusal line is at most this long */
/*
 * The server works in whole seconds (a one-second tick, a coarse clock), so a timeout of T
 * seconds closes a peer after more than T-1 and at most T+1 seconds; the upper bound here leaves
 * two more for a loaded machine.
 */
#define CLOSE_EARLIEST_MS(t) ((t)*1000 - 1000 - 250)
#define CLOSE_LATEST_MS(t)   ((t)*1000 + 3000)
/*
 * Memory of the worker (VmRSS). While the load runs it may hold, per connection, at most one read
 * (64 KiB) the peer has not taken, plus its bookkeeping: 6 drivers x SLOTS connections x 64 KiB
 * is 9 MiB, so a peak over the baseline + 32 MiB means buffering without bound. After the load
 * every connection is closed and its memory freed, but malloc keeps some of its heap (a freed
 * chunk below a live one cannot be given back), so the end is allowed the baseline + 4 MiB: less
 * than what 64 leaked 64 KiB buffers would take, far more than the heap's fragmentation.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_ASAN 1
#endif
#endif
#if defined(SOAK_ASAN) || defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer keeps freed memory in its quarantine, up to 256 MiB by default, on purpose. */
#define RSS_ASAN_KB (256 * 1024)
#else
#define RSS_ASAN_KB 0
#endif
#define RSS_PEAK_SLACK_KB (32 * 1024 + RSS_ASAN_KB)
#define RSS_END_SLACK_KB  (4 * 1024 + RSS_ASAN_KB)

static const char refusal[] = "udsechod: permission denied";

enum class { STABLE, UNSTABLE, DENIED };

static const struct driver_spec {
	uid_t uid;
	enum class cls;
} drivers[] = {
	{4500, STABLE},	  {4501, STABLE},   {4505, STABLE},
	{4508, UNSTABLE}, {4510, UNSTABLE}, {4515, DENIED},
};
#define NDRIVERS (sizeof(drivers) / sizeof(drivers[0]))

/* Both allow 4500-4507; A adds 4508-4509, B adds 4510-4511; 4512-4519 are denied by both. */
static const char *const policies[2] = {
	"# soak policy A\nallow user 4500-4509\ndeny user 4510-4519\n",
	"# soak policy B\nallow user 4500-4507\nallow user 4510-4511\ndeny user 4508-4509 "
	"4512-4519\n",
};

enum kind { K_ECHO, K_HALF, K_SLOW, K_NONREAD, K_IDLE, K_ABANDON, K_DENY, K_DENY_TALK, NKINDS };
static const char *const kind_name[NKINDS] = {
	"echo", "half-close", "slow-reader", "non-reader",
	"idle", "abandon",    "denied",	     "denied-talk",
};

/* What a driver reports to the parent, in one write (smaller than PIPE_BUF). */
struct counts {
	uint64_t started[NKINDS], ok[NKINDS];
	uint64_t echoes, bytes; /* byte-exact echoes completed, and their bytes */
	uint64_t mismatches;	/* echo bytes that were not what was sent */
	uint64_t refused;	/* a whole refusal line where one was a valid outcome */
	uint64_t revoked_cut;	/* unstable uids: closed with a cut line or none */
	uint64_t send_timeouts; /* stable non-readers closed in the send-timeout window */
	uint64_t idle_timeouts; /* idle peers closed inside the idle-timeout window */
	uint64_t unexpected;	/* anything else: must be 0 */
	uint64_t driver_ok;	/* 1 once the driver ran to its end */
	char first_unexpected[256];
};

struct peer {
	int fd; /* -1: a free slot */
	enum kind kind;
	unsigned char *data;
	size_t len, soff, roff;
	int wr_done, line_mode, sent_any;
	char line[LINE_MAX_LEN + 64];
	size_t line_len;
	int64_t t_start, t_last_send, t_next_read;
};

struct driver {
	const struct driver_spec *spec;
	struct counts c;
	uint64_t rng;
	const char *path;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rnd(struct driver *d)
{
	/* xorshift64*: fast, reproducible from the seed printed at start. */
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_between(struct driver *d, size_t lo, size_t hi)
{
	return lo + (size_t)(rnd(d) % (hi - lo + 1));
}

static void unexpected(struct driver *d, struct peer *p, const char *fmt, ...)
{
	va_list ap;
	char what[200];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!d->c.unexpected++)
		snprintf(d->c.first_unexpected, sizeof(d->c.first_unexpected),
			 "uid %u, %s peer (%zu of %zu bytes back): %s", (unsigned)d->spec->uid,
			 kind_name[p->kind], p->roff, p->len, what);
}

static void peer_end(struct peer *p)
{
	close(p->fd);
	free(p->data);
	p->fd = -1;
	p->data = NULL;
}

static enum kind pick_kind(struct driver *d)
{
	static const unsigned weights[] = {30, 15, 8, 6, 6, 10}; /* K_ECHO .. K_ABANDON */
	unsigned total = 0, r;

	if (d->spec->cls == DENIED)
		return rnd(d) % 2 ? K_DENY : K_DENY_TALK;
	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
		total += weights[i];
	r = (unsigned)(rnd(d) % total);
	for (size_t i = 0;; i++) {
		if (r < weights[i])
			return (enum kind)i;
		r -= weights[i];
	}
}

/* An echo length: spread over the orders of magnitude, both ends included. */
static size_t pick_len(struct driver *d, enum kind k)
{
	static const size_t top[] = {256, 4096, 65536, MAX_ECHO};

	if (k == K_SLOW)
		return rnd_between(d, 128 * 1024, MAX_ECHO);
	if (rnd(d) % 50 == 0)
		return rnd(d) % 2 ? 1 : MAX_ECHO;
	return rnd_between(d, 1, top[rnd(d) % 4]);
}

static void fill(struct driver *d, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0) {
			uint64_t r = rnd(d);
			memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
		}
		/* Peers that may be refused mid-stream never send a 'u': the first 'u' that comes
		 * back where an echo byte was expected starts the refusal line. */
		if (d->spec->cls == UNSTABLE && buf[i] == 'u')
			buf[i] = 'v';
	}
}

static int dial(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct timeval tv = {5, 0}; /* bounds a connect(2) that waits for the backlog */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void peer_start(struct driver *d, struct peer *p, int64_t now)
{
	*p = (struct peer){.fd = -1};
	p->kind = pick_kind(d);
	d->c.started[p->kind]++;
	p->t_start = p->t_last_send = p->t_next_read = now;
	p->fd = dial(d->path);
	if (p->fd < 0) {
		unexpected(d, p, "connect: %s", strerror(errno));
		return;
	}
	switch (p->kind) {
	case K_ECHO:
	case K_HALF:
	case K_SLOW:
		p->len = pick_len(d, p->kind);
		break;
	case K_NONREAD:
	case K_ABANDON:
		p->len = rnd_between(d, 1, 65536);
		break;
	case K_DENY_TALK:
		p->len = rnd_between(d, 1, 512);
		break;
	case K_IDLE:
	case K_DENY:
	case NKINDS:
		p->len = 0;
		p->wr_done = 1;
		break;
	}
	p->data = malloc(p->len ? p->len : 1);
	if (!p->data)
		_exit(122); /* a driver is a child: no cmocka assertion here */
	fill(d, p->data, p->len);
	/* A denied peer expects no echo at all: whatever comes is the refusal line. */
	p->line_mode = p->kind == K_DENY || p->kind == K_DENY_TALK;
	if (p->kind == K_ABANDON) {
		/* Say something, read nothing, go. Whatever fits; a refused peer may see EPIPE. */
		(void)!send(p->fd, p->data, p->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		d->c.ok[K_ABANDON]++;
		peer_end(p);
	}
}

/* The refusal line received so far: 1 whole, 0 cut short (a prefix of one), -1 not one. */
static int line_check(const struct peer *p)
{
	size_t n = p->line_len, plen = sizeof(refusal) - 1;
	const char *nl = memchr(p->line, '\n', n);

	if (n == 0 || n > LINE_MAX_LEN)
		return -1;
	if (memcmp(p->line, refusal, n < plen ? n : plen) != 0)
		return -1;
	if (nl)
		return nl == p->line + n - 1 && n > plen ? 1 : -1;
	return 0;
}

/* Bytes from the server: the echo of what was sent, then (for some) a refusal line. */
static int feed(struct driver *d, struct peer *p, const unsigned char *b, size_t n)
{
	while (n > 0 && !p->line_mode) {
		size_t want = p->len - p->roff, k = n < want ? n : want, i = 0;
		while (i < k && b[i] == p->data[p->roff + i])
			i++;
		p->roff += i;
		b += i;
		n -= i;
		if (n == 0)
			break;
		/* Not the echo: a refusal line is valid where the policy can refuse this peer. */
		if (b[0] == 'u' &&
		    (d->spec->cls != STABLE || p->kind == K_DENY || p->kind == K_DENY_TALK)) {
			p->line_mode = 1;
			break;
		}
		if (i < k)
			d->c.mismatches++;
		unexpected(d, p, "%s byte 0x%02x at offset %zu: \"%.40s\"",
			   i < k ? "mismatched" : "extra", b[0], p->roff, (const char *)b);
		return -1;
	}
	if (p->line_mode) {
		if (p->line_len + n > LINE_MAX_LEN) {
			unexpected(d, p, "refusal line longer than %d bytes", LINE_MAX_LEN);
			return -1;
		}
		memcpy(p->line + p->line_len, b, n);
		p->line_len += n;
	}
	return 0;
}

/* The connection ended (@err: 0 end of file, else the read error). Judge the outcome. */
static void finish(struct driver *d, struct peer *p, int err, int64_t now)
{
	int64_t took = now - p->t_start;
	int line = p->line_mode ? line_check(p) : -2;

	if (line == -1) {
		unexpected(d, p, "not a refusal line: \"%.*s\"", (int)p->line_len, p->line);
	} else if (p->kind == K_DENY || p->kind == K_DENY_TALK) {
		/* One whole line, then end of file (a reset if we had sent what it never read). */
		if (line == 1 && (err == 0 || (err == ECONNRESET && p->sent_any))) {
			d->c.refused++;
			d->c.ok[p->kind]++;
		} else {
			unexpected(d, p, "denied peer: line %d, end %s", line,
				   err ? strerror(err) : "EOF");
		}
	} else if (line >= 0) {
		/* Only uids the reloads can refuse get here (feed() saw to that). */
		if (line == 1)
			d->c.refused++;
		else
			d->c.revoked_cut++;
		d->c.ok[p->kind]++;
	} else if (p->kind == K_IDLE) {
		if (err == 0 && took >= CLOSE_EARLIEST_MS(IDLE_TIMEOUT) &&
		    took <= CLOSE_LATEST_MS(IDLE_TIMEOUT)) {
			d->c.idle_timeouts++;
			d->c.ok[K_IDLE]++;
		} else {
			unexpected(d, p, "idle peer closed after %lld ms (%s)", (long long)took,
				   err ? strerror(err) : "EOF");
		}
	} else if (p->kind == K_NONREAD) {
		int64_t quiet = now - p->t_last_send;
		if (d->spec->cls == UNSTABLE) {
			/* A send-timeout or a revoke (whose line need not fit): both are valid. */
			d->c.ok[K_NONREAD]++;
		} else if (quiet >= CLOSE_EARLIEST_MS(SEND_TIMEOUT) &&
			   quiet <= CLOSE_LATEST_MS(SEND_TIMEOUT)) {
			d->c.send_timeouts++;
			d->c.ok[K_NONREAD]++;
		} else {
			unexpected(d, p, "non-reader closed %lld ms after its last send",
				   (long long)quiet);
		}
	} else if (err == 0 && p->roff == p->len && p->wr_done) {
		/* Half-closed and slow peers: the whole echo, then end of file. */
		d->c.echoes++;
		d->c.bytes += p->len;
		d->c.ok[p->kind]++;
	} else if (d->spec->cls == UNSTABLE) {
		d->c.revoked_cut++; /* revoked with no room left for the line */
		d->c.ok[p->kind]++;
	} else {
		unexpected(d, p, "connection ended early (%s)", err ? strerror(err) : "EOF");
	}
	peer_end(p);
}

static void on_read(struct driver *d, struct peer *p, int64_t now)
{
	static unsigned char buf[65536];
	size_t cap = p->kind == K_SLOW ? 4096 : sizeof(buf);
	ssize_t n = read(p->fd, buf, cap);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			finish(d, p, errno, now);
		return;
	}
	if (n == 0) {
		finish(d, p, 0, now);
		return;
	}
	if (p->kind == K_SLOW)
		p->t_next_read = now + 10;
	if (feed(d, p, buf, (size_t)n) < 0) {
		peer_end(p);
		return;
	}
	if (p->kind == K_ECHO && p->roff == p->len && !p->line_mode) {
		/* A plain echo is done once it is all back: close without a shutdown. */
		d->c.echoes++;
		d->c.bytes += p->len;
		d->c.ok[K_ECHO]++;
		peer_end(p);
	}
}

static void on_write(struct driver *d, struct peer *p, int64_t now)
{
	if (p->kind == K_NONREAD) {
		/* Never read; send whenever there is room, so the server's side fills up. */
		for (int i = 0; i < 64; i++) {
			ssize_t n = send(p->fd, p->data, p->len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
			p->t_last_send = now;
		}
		return;
	}
	while (p->soff < p->len) {
		size_t chunk = p->len - p->soff < 65536 ? p->len - p->soff : 65536;
		ssize_t n = send(p->fd, p->data + p->soff, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* The server closed: what it said is still to be read. */
			p->wr_done = 1;
			return;
		}
		p->sent_any = 1;
		p->soff += (size_t)n;
	}
	p->wr_done = 1;
	if (p->kind == K_HALF || p->kind == K_SLOW || p->kind == K_DENY_TALK)
		shutdown(p->fd, SHUT_WR);
}

static void driver_run(struct driver *d, int64_t deadline)
{
	struct peer peers[SLOTS];
	struct pollfd pfd[SLOTS];
	int64_t now = now_ms(), next_start = now;
	int active;

	for (size_t i = 0; i < SLOTS; i++)
		peers[i].fd = -1;
	for (;;) {
		int timeout = 50;

		active = 0;
		for (size_t i = 0; i < SLOTS; i++) {
			struct peer *p = &peers[i];
			if (p->fd < 0 && now < deadline && now >= next_start) {
				peer_start(d, p, now);
				/* Pace the starts: refused peers would otherwise churn flat out. */
				next_start = now + (int64_t)rnd_between(d, 5, 25);
			}
			if (p->fd >= 0 && now - p->t_start > PEER_MAX_MS) {
				unexpected(d, p, "still open after %d ms", PEER_MAX_MS);
				peer_end(p);
			}
			pfd[i] = (struct pollfd){.fd = p->fd};
			if (p->fd < 0)
				continue;
			active++;
			if (p->kind == K_NONREAD) {
				pfd[i].events = POLLOUT;
				continue;
			}
			if (p->kind != K_SLOW || now >= p->t_next_read)
				pfd[i].events = POLLIN;
			else if (p->t_next_read - now < timeout)
				timeout = (int)(p->t_next_read - now);
			if (!p->wr_done)
				pfd[i].events |= POLLOUT;
		}
		if (!active && now >= deadline)
			break;
		if (now < deadline && next_start - now < timeout)
			timeout = next_start > now ? (int)(next_start - now) : 0;
		if (poll(pfd, SLOTS, timeout) < 0 && errno != EINTR)
			break;
		now = now_ms();
		for (size_t i = 0; i < SLOTS; i++) {
			struct peer *p = &peers[i];
			short r = pfd[i].revents;
			if (p->fd < 0 || !r)
				continue;
			if (p->kind == K_NONREAD) {
				if (r & (POLLHUP | POLLERR))
					finish(d, p, 0, now);
				else
					on_write(d, p, now);
				continue;
			}
			if (r & POLLOUT)
				on_write(d, p, now);
			/* A slow reader pauses between reads, but not once the server hung up. */
			if (r & (POLLIN | POLLHUP | POLLERR))
				on_read(d, p, now);
		}
	}
	d->c.driver_ok = 1;
}

/* A driver process: become @spec's uid, run the load until @deadline, report, exit. */
static void driver_main(const struct driver_spec *spec, const char *path, int report,
			int64_t deadline, uint64_t seed)
{
	static struct driver d;

	d.spec = spec;
	d.path = path;
	d.rng = seed ? seed : 1;
	signal(SIGPIPE, SIG_IGN);
	if (setgroups(0, NULL) < 0 || setresgid(spec->uid, spec->uid, spec->uid) < 0 ||
	    setresuid(spec->uid, spec->uid, spec->uid) < 0) {
		perror("soak driver: cannot change identity");
		_exit(120);
	}
	driver_run(&d, deadline);
	_exit(write(report, &d.c, sizeof(d.c)) == (ssize_t)sizeof(d.c) ? 0 : 121);
}

/* The server's log, read as it grows: the lines the soak counts. */
struct log_tail {
	int fd;
	char buf[16384];
	size_t have;
	unsigned long reloads, reload_failed, applied, worker_died, revokes, allows, denies, closes,
		send_timeouts, idle_timeouts, suppressed;
};

static void tail_line(struct log_tail *t, const char *l)
{
	if (strstr(l, "event=reload result=failed"))
		t->reload_failed++;
	else if (strstr(l, "event=reload "))
		t->reloads++;
	else if (strstr(l, "event=policy-applied "))
		t->applied++;
	else if (strstr(l, "event=worker-died"))
		t->worker_died++;
	else if (strstr(l, "event=revoke "))
		t->revokes++;
	else if (strstr(l, "event=allow "))
		t->allows++;
	else if (strstr(l, "event=deny "))
		t->denies++;
	else if (strstr(l, "event=log-suppressed "))
		t->suppressed++;
	else if (strstr(l, "event=close ")) {
		t->closes++;
		if (strstr(l, "reason=send-timeout"))
			t->send_timeouts++;
		else if (strstr(l, "reason=idle-timeout"))
			t->idle_timeouts++;
	}
}

static void tail_read(struct log_tail *t)
{
	for (;;) {
		ssize_t n = read(t->fd, t->buf + t->have, sizeof(t->buf) - 1 - t->have);
		char *l, *nl;
		if (n <= 0)
			return;
		t->have += (size_t)n;
		t->buf[t->have] = '\0';
		for (l = t->buf; (nl = strchr(l, '\n')); l = nl + 1) {
			*nl = '\0';
			tail_line(t, l);
		}
		t->have -= (size_t)(l - t->buf);
		memmove(t->buf, l, t->have);
		if (t->have == sizeof(t->buf) - 1)
			t->have = 0; /* a line longer than the buffer: none the soak counts */
	}
}

/* The drivers still running, for the teardown of a test that failed half-way. */
static pid_t driver_pids[NDRIVERS];

static int soak_teardown(void **state)
{
	for (size_t i = 0; i < NDRIVERS; i++) {
		if (driver_pids[i] > 0) {
			kill(driver_pids[i], SIGKILL);
			waitpid(driver_pids[i], NULL, 0);
			driver_pids[i] = 0;
		}
	}
	return harness_teardown(state);
}

static int count_fds(pid_t pid)
{
	char path[64];
	DIR *dir;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static long rss_kb(pid_t pid)
{
	char v[64];

	return harness_status_field(pid, "VmRSS", v, sizeof(v)) == 0 ? atol(v) : -1;
}

static void set_policy(const char *dir, const char *pfile, int which)
{
	char tmp[160];

	snprintf(tmp, sizeof(tmp), "%s/policy.new", dir);
	harness_write_file(tmp, policies[which], 0600);
	assert_int_equal(rename(tmp, pfile), 0);
}

/* A fresh allowed peer still gets its echo. */
static void still_echoes(const struct server *s)
{
	struct run_as as = {.uid = 4500, .gid = 4500};
	char out[4096], in[4096];
	size_t have = 0;
	int fd = harness_connect_as(s->path, &as);

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + 1);
	assert_int_equal(write(fd, out, sizeof(out)), (ssize_t)sizeof(out));
	while (have < sizeof(in)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		assert_int_equal(poll(&p, 1, HARNESS_TIMEOUT_MS), 1);
		n = read(fd, in + have, sizeof(in) - have);
		assert_true(n > 0);
		have += (size_t)n;
	}
	assert_memory_equal(in, out, sizeof(out));
	close(fd);
}

static void soak(void **state)
{
	const char *env = getenv("UDSECHO_SOAK_SECONDS");
	long seconds = env ? strtol(env, NULL, 10) : 20;
	char pfile[128], send_to[16], idle_to[16];
	const char *args[] = {"--mode",
			      "0666",
			      "-p",
			      pfile,
			      "--max-per-uid",
			      "200",
			      "--send-timeout",
			      send_to,
			      "--idle-timeout",
			      idle_to,
			      NULL};
	static struct log_tail tail;
	struct server s;
	struct counts total = {0}, c;
	pid_t pids[NDRIVERS], worker;
	int pidfds[NDRIVERS], report[2], running = (int)NDRIVERS, fds0, fds1 = -1, status;
	long rss0, rss1 = -1, rss_peak;
	unsigned long reloads = 0;
	int64_t t0, t_load_end, t_hard, next_reload, t_done;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();

	(void)state;
	if (!harness_is_root("the soak test (peers of several uids)"))
		skip();
	if (seconds < 1 || seconds > 24 * 3600)
		seconds = 20;
	snprintf(send_to, sizeof(send_to), "%d", SEND_TIMEOUT);
	snprintf(idle_to, sizeof(idle_to), "%d", IDLE_TIMEOUT);

	harness_tmpdir(s.dir, sizeof(s.dir));
	assert_int_equal(chmod(s.dir, 0711), 0);
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(pfile, sizeof(pfile), "%s/policy", s.dir);
	set_policy(s.dir, pfile, 0);
	assert_int_equal(harness_server_start_in(&s, args, NULL), 0);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	fds0 = count_fds(worker);
	rss0 = rss_peak = rss_kb(worker);
	assert_true(fds0 > 0 && rss0 > 0);
	tail.fd = open(s.log, O_RDONLY | O_CLOEXEC);
	assert_true(tail.fd >= 0);
	printf("soak: %ld s of load, seed %llu, worker %d: %d descriptors, VmRSS %ld kB\n", seconds,
	       (unsigned long long)seed, (int)worker, fds0, rss0);

	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	t0 = now_ms();
	t_load_end = t0 + seconds * 1000;
	for (size_t i = 0; i < NDRIVERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(report[0]);
			driver_main(&drivers[i], s.path, report[1], t_load_end, seed + i);
		}
		driver_pids[i] = pids[i];
		pidfds[i] = harness_pidfd(pids[i]);
		assert_true(pidfds[i] >= 0);
	}
	close(report[1]);

	/* Reload every second until every driver is done; watch the worker's memory. */
	t_hard = t_load_end + PEER_MAX_MS + 10000;
	next_reload = t0 + 1000;
	while (running > 0 && now_ms() < t_hard) {
		struct pollfd p[NDRIVERS];
		int64_t now = now_ms();
		long rss;

		for (size_t i = 0; i < NDRIVERS; i++)
			p[i] = (struct pollfd){.fd = pidfds[i], .events = POLLIN};
		poll(p, NDRIVERS, next_reload > now ? (int)(next_reload - now) : 0);
		for (size_t i = 0; i < NDRIVERS; i++) {
			if (pids[i] <= 0 || !(p[i].revents & POLLIN))
				continue;
			status = harness_wait(pids[i], pidfds[i], 0);
			driver_pids[i] = 0;
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
			pids[i] = -1;
			pidfds[i] = -1;
			running--;
		}
		rss = rss_kb(worker);
		if (rss > rss_peak)
			rss_peak = rss;
		if (now_ms() < next_reload)
			continue;
		next_reload += 1000;
		reloads++;
		set_policy(s.dir, pfile, (int)(reloads % 2));
		assert_int_equal(kill(s.pid, SIGHUP), 0);
		/* Wait (bounded) until the monitor says it reloaded, so no SIGHUP is merged. */
		for (int64_t until = now_ms() + 5000;
		     tail.reloads + tail.reload_failed < reloads && now_ms() < until;
		     poll(NULL, 0, 10))
			tail_read(&tail);
		if (tail.reloads != reloads)
			printf("soak: reload %lu not logged within 5 s (%lu worker-died lines)\n",
			       reloads, tail.worker_died);
		assert_int_equal(tail.reloads, reloads);
	}
	t_done = now_ms();
	for (size_t i = 0; i < NDRIVERS; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			harness_wait(pids[i], pidfds[i], HARNESS_TIMEOUT_MS);
			driver_pids[i] = 0;
		}
	}
	assert_int_equal(running, 0);

	for (size_t i = 0; i < NDRIVERS; i++) {
		assert_int_equal(read(report[0], &c, sizeof(c)), (ssize_t)sizeof(c));
		if (c.unexpected)
			printf("soak: %llu unexpected, first: %s\n",
			       (unsigned long long)c.unexpected, c.first_unexpected);
		for (int k = 0; k < NKINDS; k++) {
			total.started[k] += c.started[k];
			total.ok[k] += c.ok[k];
		}
		total.echoes += c.echoes;
		total.bytes += c.bytes;
		total.mismatches += c.mismatches;
		total.refused += c.refused;
		total.revoked_cut += c.revoked_cut;
		total.send_timeouts += c.send_timeouts;
		total.idle_timeouts += c.idle_timeouts;
		total.unexpected += c.unexpected;
		total.driver_ok += c.driver_ok;
	}
	close(report[0]);

	/* Still serving; then back to the descriptors of before the load, bounded. */
	still_echoes(&s);
	for (int64_t until = now_ms() + HARNESS_TIMEOUT_MS; now_ms() < until; poll(NULL, 0, 50)) {
		fds1 = count_fds(worker);
		rss1 = rss_kb(worker);
		if (fds1 >= 0 && fds1 <= fds0 && rss1 <= rss0 + RSS_END_SLACK_KB)
			break;
	}
	tail_read(&tail);

	printf("soak: %.1f s in all, %d drivers, %lu reloads\n", (double)(t_done - t0) / 1000,
	       (int)NDRIVERS, reloads);
	for (int k = 0; k < NKINDS; k++)
		printf("soak:   %-12s %6llu started, %6llu as expected\n", kind_name[k],
		       (unsigned long long)total.started[k], (unsigned long long)total.ok[k]);
	printf("soak: %llu echoes byte-exact (%llu bytes), %llu mismatches, %llu refusal lines, "
	       "%llu revoked without a whole line, %llu send-timeouts, %llu idle-timeouts, %llu "
	       "unexpected\n",
	       (unsigned long long)total.echoes, (unsigned long long)total.bytes,
	       (unsigned long long)total.mismatches, (unsigned long long)total.refused,
	       (unsigned long long)total.revoked_cut, (unsigned long long)total.send_timeouts,
	       (unsigned long long)total.idle_timeouts, (unsigned long long)total.unexpected);
	printf("soak: log: %lu reloads (%lu failed), %lu policies applied, %lu allowed, %lu denied "
	       "(+%lu suppressed-lines notes), %lu revoked, %lu closed (%lu send-timeout, %lu "
	       "idle-timeout), %lu worker-died\n",
	       tail.reloads, tail.reload_failed, tail.applied, tail.allows, tail.denies,
	       tail.suppressed, tail.revokes, tail.closes, tail.send_timeouts, tail.idle_timeouts,
	       tail.worker_died);
	printf("soak: worker descriptors %d -> %d, VmRSS %ld kB -> peak %ld kB -> %ld kB\n", fds0,
	       fds1, rss0, rss_peak, rss1);

	assert_int_equal(total.driver_ok, NDRIVERS);
	assert_int_equal(total.mismatches, 0);
	assert_int_equal(total.unexpected, 0);
	for (int k = 0; k < NKINDS; k++)
		assert_int_equal(total.ok[k], total.started[k]);
	assert_true(total.echoes > 0 && total.refused > 0);
	assert_true(total.send_timeouts > 0 && total.idle_timeouts > 0);
	assert_true(fds1 >= 0 && fds1 <= fds0);
	assert_true(rss_peak <= rss0 + RSS_PEAK_SLACK_KB);
	assert_true(rss1 <= rss0 + RSS_END_SLACK_KB);

	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	tail_read(&tail);
	close(tail.fd);
	assert_int_equal(tail.worker_died, 0);
	assert_int_equal(tail.reload_failed, 0);
	assert_int_equal(tail.reloads, reloads);
	assert_true(tail.applied >= reloads + 1);
	/* Every close the drivers saw for a timeout is one the server logged as such. */
	assert_true(tail.send_timeouts >= total.send_timeouts);
	assert_true(tail.idle_timeouts >= total.idle_timeouts);
	harness_rmtree(s.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(soak, soak_teardown),
	};

	return cmocka_run_group_tests_name("soak", tests, NULL, NULL);
}
