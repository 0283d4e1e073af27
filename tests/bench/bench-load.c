// SPDX-License-Identifier: MIT
/*
 * bench-load: the load generator of the benchmark, for any echo server on a Unix-domain socket
 * path. Workloads: rtt (C connections ping-ponging S-byte messages: round trips per second and
 * p50/p99 latency), stream (C connections each streaming S-byte chunks and reading the echo, a
 * bounded number of bytes in flight: MB/s), conn (W threads looping socket, connect, send S,
 * read S, close: connections per second) and idle (K connections opened and each proven served
 * by a 16-byte echo, then the server's memory per connection as PSS summed over its process tree,
 * and a short rtt probe on one more connection). Every byte read back is checked against what was
 * sent (a pseudo-random pattern, at a different offset for every connection); a mismatch exits 2,
 * a failed connect, an early close or a timeout exits 3, bad usage 64. Output: one line
 * `RESULT key=value ...` and one human line starting with `#`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PAT_LEN	     131071u /* a prime: the pattern's period */
#define RECV_BUF     65536u  /* < PAT_LEN: one read is checked with one memcmp */
#define EXIT_USAGE   64
#define EXIT_BADDATA 2
#define EXIT_FAILED  3

static uint8_t pattern[2 * PAT_LEN];
static struct sockaddr_un addr = {.sun_family = AF_UNIX};
static double timeout_s = 2.0;

struct opts {
	const char *workload, *label;
	int conns;
	size_t size, window;
	double secs, probe_secs;
	int idle_k, reps, probe_uid;
	long rules;
	const char *log;
	pid_t server;
};

__attribute__((format(printf, 2, 3), noreturn)) static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-load: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pattern_init(void)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (size_t i = 0; i < PAT_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pattern[i] = (uint8_t)(x >> 24);
	}
	memcpy(pattern + PAT_LEN, pattern, PAT_LEN);
}

/* The bytes at stream position @pos: at least PAT_LEN of them are contiguous. */
static const uint8_t *pat_at(uint64_t pos)
{
	return pattern + pos % PAT_LEN;
}

/* Where connection number @n starts in the pattern. */
static uint64_t origin(uint64_t n)
{
	return n * 7919u;
}

static void check(const uint8_t *got, uint64_t pos, size_t len, uint64_t conn, uint64_t at)
{
	if (memcmp(got, pat_at(pos), len) == 0)
		return;
	/* A refusal line instead of the echo: say what the server said. */
	if (at == 0 && len > 9 && memcmp(got, "udsechod:", 9) == 0) {
		const uint8_t *nl = memchr(got, '\n', len);

		die(EXIT_BADDATA, "connection %llu: not echoed, the server said: %.*s",
		    (unsigned long long)conn, nl ? (int)(nl - got) : (int)len, (const char *)got);
	}
	die(EXIT_BADDATA, "connection %llu: echo differs from what was sent near byte %llu",
	    (unsigned long long)conn, (unsigned long long)at);
}

/* A connected socket, blocking unless @nonblock; failure is fatal. */
static int dial(int nonblock)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);
	struct timeval tv = {.tv_sec = (time_t)timeout_s,
			     .tv_usec =
				     (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};

	if (fd < 0)
		die(EXIT_FAILED, "socket: %s", strerror(errno));
	/* A blocking connect waits for room in the backlog, up to the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno != EINTR && (errno != EAGAIN || now_ns() > deadline))
			die(EXIT_FAILED, "connect %s: %s", addr.sun_path, strerror(errno));
	}
	if (nonblock) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
			die(EXIT_FAILED, "fcntl: %s", strerror(errno));
	}
	return fd;
}

/* Latency samples, in nanoseconds. */
struct lat {
	uint32_t *v;
	size_t n, cap;
};

static void lat_add(struct lat *l, uint64_t ns)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 65536;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			die(EXIT_FAILED, "out of memory");
	}
	l->v[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The @q quantile in microseconds (sorts the samples). */
static double lat_us(struct lat *l, double q)
{
	size_t i;

	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	i = (size_t)(q * (double)(l->n - 1) + 0.5);
	return l->v[i] / 1000.0;
}

/* The server's process tree: @pid and its descendants (udsechod's monitor and worker). */
static size_t server_tree(pid_t pid, pid_t *out, size_t max)
{
	size_t n = 0;

	if (pid <= 0)
		return 0;
	out[n++] = pid;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		FILE *f;
		long c;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)out[i], (int)out[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (n < max && fscanf(f, "%ld", &c) == 1)
			out[n++] = (pid_t)c;
		fclose(f);
	}
	return n;
}

/* Summed over the tree: PSS in KiB (@what "Pss:") or CPU time in seconds (@what NULL). */
static double server_sum(pid_t pid, const char *what, size_t *nprocs)
{
	pid_t tree[256];
	size_t n = server_tree(pid, tree, 256);
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		char path[64], line[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)tree[i],
			 what ? "smaps_rollup" : "stat");
		f = fopen(path, "re");
		if (!f)
			die(EXIT_FAILED, "%s: %s", path, strerror(errno));
		while (fgets(line, sizeof(line), f)) {
			unsigned long long ut, st;
			char *p = strrchr(line, ')');

			if (what && strncmp(line, what, strlen(what)) == 0) {
				sum += strtod(line + strlen(what), NULL);
			} else if (!what && p &&
				   sscanf(p + 2,
					  "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
					  &ut, &st) == 2) {
				sum += (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
			}
		}
		fclose(f);
	}
	if (nprocs)
		*nprocs = n;
	return sum;
}

/* " srv_cpu_us_per_op=X" for the RESULT line, or "" without a server pid. */
static void cpu_field(char *buf, size_t len, pid_t pid, double cpu0, uint64_t ops)
{
	buf[0] = '\0';
	if (pid > 0 && ops)
		snprintf(buf, len, " srv_cpu_us_per_op=%.3f",
			 (server_sum(pid, NULL, NULL) - cpu0) * 1e6 / (double)ops);
}

/* One connection of the rtt and stream workloads. */
struct conn {
	int fd;
	uint64_t id, sent, rcvd, target; /* target: bytes to have sent (rtt: end of the message) */
	uint64_t t_send, t_progress;
	int out; /* EPOLLOUT wanted */
};

/* Send towards c->target; -1 if the socket is full. */
static int conn_send(struct conn *c, uint64_t now)
{
	while (c->sent < c->target) {
		size_t len = c->target - c->sent;
		ssize_t w = send(c->fd, pat_at(origin(c->id) + c->sent),
				 len > PAT_LEN ? PAT_LEN : len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return -1;
		if (w < 0)
			die(EXIT_FAILED, "connection %llu: send: %s", (unsigned long long)c->id,
			    strerror(errno));
		c->sent += (uint64_t)w;
		c->t_progress = now;
	}
	return 0;
}

/* Read and check what is there (at most what was sent); 0 when nothing more is there now. */
static size_t conn_recv(struct conn *c, uint8_t *buf, uint64_t now)
{
	size_t want = c->sent - c->rcvd;
	ssize_t n;

	if (!want)
		return 0;
	do {
		n = recv(c->fd, buf, want > RECV_BUF ? RECV_BUF : want, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0)
		die(EXIT_FAILED, "connection %llu: recv: %s", (unsigned long long)c->id,
		    strerror(errno));
	if (n == 0)
		die(EXIT_FAILED, "connection %llu: closed by the server with %llu bytes not echoed",
		    (unsigned long long)c->id, (unsigned long long)want);
	check(buf, origin(c->id) + c->rcvd, (size_t)n, c->id, c->rcvd);
	c->rcvd += (uint64_t)n;
	c->t_progress = now;
	return (size_t)n;
}

static void conn_watch(int ep, struct conn *c, int op, uint32_t extra)
{
	struct epoll_event ev = {.events = EPOLLIN | extra, .data.ptr = c};

	if (epoll_ctl(ep, op, c->fd, &ev) < 0)
		die(EXIT_FAILED, "epoll_ctl: %s", strerror(errno));
}

/* Fatal if a connection waits for its echo longer than the timeout. */
static void stall_check(struct conn *cs, int n, uint64_t now)
{
	for (int i = 0; i < n; i++)
		if (cs[i].rcvd < cs[i].sent && now - cs[i].t_progress > (uint64_t)(timeout_s * 1e9))
			die(EXIT_FAILED, "connection %d: no echo for %.1f s (timeout)", i,
			    timeout_s);
}

/* rtt on one blocking connection (also the idle probe); returns the number of round trips. */
static uint64_t rtt_blocking(int fd, uint64_t id, size_t size, double secs, struct lat *l)
{
	static uint8_t buf[RECV_BUF];
	uint64_t pos = 0, ops = 0, end = now_ns() + (uint64_t)(secs * 1e9);

	for (;;) {
		uint64_t t0 = now_ns(), got = 0, sent = 0;

		if (t0 >= end)
			break;
		while (sent < size) {
			ssize_t w =
				send(fd, pat_at(origin(id) + pos + sent),
				     size - sent > PAT_LEN ? PAT_LEN : size - sent, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				die(EXIT_FAILED, "send: %s", strerror(errno));
			sent += (uint64_t)w;
		}
		while (got < size) {
			ssize_t n = recv(fd, buf, size - got > RECV_BUF ? RECV_BUF : size - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die(EXIT_FAILED, "connection %llu: %s", (unsigned long long)id,
				    n == 0	      ? "closed by the server"
				    : errno == EAGAIN ? "no echo (timeout)"
						      : strerror(errno));
			check(buf, origin(id) + pos + got, (size_t)n, id, pos + got);
			got += (uint64_t)n;
		}
		lat_add(l, now_ns() - t0);
		pos += size;
		ops++;
	}
	return ops;
}

static void rtt(const struct opts *o)
{
	static uint8_t buf[RECV_BUF];
	struct conn *cs = calloc((size_t)o->conns, sizeof(*cs));
	struct lat l = {0};
	uint64_t ops = 0, t0, end, last = 0, now;
	double cpu0 = o->server > 0 ? server_sum(o->server, NULL, NULL) : 0;
	int ep = epoll_create1(EPOLL_CLOEXEC), live;
	char cpu[64];

	if (!cs || ep < 0)
		die(EXIT_FAILED, "out of memory");
	if (o->conns == 1) {
		int fd = dial(0);

		t0 = now_ns();
		ops = rtt_blocking(fd, 0, o->size, o->secs, &l);
		end = now_ns();
		close(fd);
		goto report;
	}
	for (int i = 0; i < o->conns; i++) {
		cs[i].fd = dial(1);
		cs[i].id = (uint64_t)i;
		conn_watch(ep, &cs[i], EPOLL_CTL_ADD, 0);
	}
	t0 = now_ns();
	end = t0 + (uint64_t)(o->secs * 1e9);
	for (int i = 0; i < o->conns; i++) {
		cs[i].target = o->size;
		cs[i].t_send = cs[i].t_progress = t0;
		if (conn_send(&cs[i], t0) < 0) {
			cs[i].out = 1;
			conn_watch(ep, &cs[i], EPOLL_CTL_MOD, EPOLLOUT);
		}
	}
	live = o->conns;
	while (live) {
		struct epoll_event evs[128];
		int n = epoll_wait(ep, evs, 128, 100);

		now = now_ns();
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->out && conn_send(c, now) == 0) {
				c->out = 0;
				conn_watch(ep, c, EPOLL_CTL_MOD, 0);
			}
			while (conn_recv(c, buf, now))
				;
			if (c->rcvd < c->target || c->sent < c->target)
				continue;
			/* A whole message came back: count it, send the next one. */
			if (c->t_send < end) {
				lat_add(&l, now - c->t_send);
				ops += now < end;
			}
			if (now >= end) {
				live--;
				conn_watch(ep, c, EPOLL_CTL_DEL, 0);
				continue;
			}
			c->target += o->size;
			c->t_send = now;
			if (conn_send(c, now) < 0 && !c->out) {
				c->out = 1;
				conn_watch(ep, c, EPOLL_CTL_MOD, EPOLLOUT);
			}
		}
		if (now - last > 100000000u) {
			stall_check(cs, o->conns, now);
			last = now;
		}
	}
	for (int i = 0; i < o->conns; i++)
		close(cs[i].fd);
report:
	cpu_field(cpu, sizeof(cpu), o->server, cpu0, ops);
	{
		double secs = (double)(end - t0) / 1e9, rate = (double)ops / secs;
		double p50 = lat_us(&l, 0.50), p99 = lat_us(&l, 0.99), max = lat_us(&l, 1);

		printf("RESULT workload=rtt label=%s status=ok conns=%d size=%zu secs=%.2f ops=%llu "
		       "rtt_per_s=%.0f p50_us=%.2f p99_us=%.2f max_us=%.2f%s\n",
		       o->label, o->conns, o->size, secs, (unsigned long long)ops, rate, p50, p99,
		       max, cpu);
		printf("# %s rtt C=%d S=%zu: %.0f round trips/s, p50 %.2f us, p99 %.2f us, worst "
		       "%.2f us\n",
		       o->label, o->conns, o->size, rate, p50, p99, max);
	}
	free(l.v);
	free(cs);
	close(ep);
}

static void stream(const struct opts *o)
{
	static uint8_t buf[RECV_BUF];
	struct conn *cs = calloc((size_t)o->conns, sizeof(*cs));
	uint64_t bytes = 0, t0, end, last = 0, now;
	double cpu0 = o->server > 0 ? server_sum(o->server, NULL, NULL) : 0;
	int ep = epoll_create1(EPOLL_CLOEXEC), stopped = 0, pending;
	char cpu[64];

	if (!cs || ep < 0)
		die(EXIT_FAILED, "out of memory");
	for (int i = 0; i < o->conns; i++) {
		cs[i].fd = dial(1);
		cs[i].id = (uint64_t)i;
		/* Edge-triggered: every event reads until EAGAIN, then writes while it may. */
		conn_watch(ep, &cs[i], EPOLL_CTL_ADD, EPOLLOUT | EPOLLET);
	}
	t0 = now_ns();
	end = t0 + (uint64_t)(o->secs * 1e9);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 100);

		now = now_ns();
		if (!stopped && now >= end)
			stopped = 1; /* no more writes: drain what is in flight */
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			size_t got;

			for (;;) {
				while ((got = conn_recv(c, buf, now)) != 0)
					if (now < end)
						bytes += got;
				if (stopped)
					break;
				if (c->target == c->sent) {
					/* The next chunk, if the window has room for it. */
					if (c->sent - c->rcvd + o->size > o->window)
						break; /* wait for the echo (EPOLLIN) */
					c->target += o->size;
				}
				if (conn_send(c, now) < 0)
					break; /* wait for room (EPOLLOUT) */
			}
		}
		pending = 0;
		for (int i = 0; i < o->conns; i++)
			pending |= cs[i].rcvd < cs[i].sent;
		if (stopped && !pending)
			break;
		if (now - last > 100000000u) {
			stall_check(cs, o->conns, now);
			last = now;
		}
	}
	for (int i = 0; i < o->conns; i++)
		close(cs[i].fd);
	cpu_field(cpu, sizeof(cpu), o->server, cpu0, bytes / o->size);
	{
		double secs = (double)(end - t0) / 1e9, mbps = (double)bytes / secs / 1e6;

		printf("RESULT workload=stream label=%s status=ok conns=%d size=%zu secs=%.2f "
		       "bytes=%llu MBps=%.1f%s\n",
		       o->label, o->conns, o->size, secs, (unsigned long long)bytes, mbps, cpu);
		printf("# %s stream C=%d S=%zu: %.1f MB/s echoed and checked\n", o->label, o->conns,
		       o->size, mbps);
	}
	free(cs);
	close(ep);
}

/* One thread of the conn workload; its counters are polled by a watchdog in the main thread. */
struct worker {
	pthread_t thread;
	uint64_t id;
	size_t size;
	_Atomic uint64_t done;
	atomic_int finished;
	char pad[64];
};

static atomic_int conn_stop;

static void *conn_worker(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[RECV_BUF];

	for (uint64_t k = 0; !atomic_load_explicit(&conn_stop, memory_order_relaxed); k++) {
		uint64_t id = w->id << 40 | k, got = 0;
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
			die(EXIT_FAILED, "connect %s: %s", addr.sun_path, strerror(errno));
		if (send(fd, pat_at(origin(id)), w->size, MSG_NOSIGNAL) != (ssize_t)w->size)
			die(EXIT_FAILED, "send: %s", strerror(errno));
		while (got < w->size) {
			ssize_t n = recv(fd, buf, w->size - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die(EXIT_FAILED, "connection %llu: %s", (unsigned long long)id,
				    n == 0 ? "closed by the server before the echo"
					   : strerror(errno));
			check(buf, origin(id) + got, (size_t)n, id, got);
			got += (uint64_t)n;
		}
		close(fd);
		atomic_store_explicit(&w->done, k + 1, memory_order_relaxed);
	}
	atomic_store(&w->finished, 1);
	return NULL;
}

/* Wait until @deadline, failing if a worker makes no progress for the timeout. */
static void conn_watch_workers(struct worker *ws, int n, uint64_t deadline, int until_finished)
{
	uint64_t t_seen = now_ns(), *last = calloc((size_t)n, sizeof(*last));

	if (!last)
		die(EXIT_FAILED, "out of memory");
	for (;;) {
		uint64_t now = now_ns();
		int all = 1;

		for (int i = 0; i < n; i++) {
			uint64_t d = atomic_load_explicit(&ws[i].done, memory_order_relaxed);

			all &= atomic_load(&ws[i].finished);
			if (d != last[i])
				last[i] = d, t_seen = now;
		}
		if (until_finished ? all : now >= deadline)
			break;
		if (now - t_seen > (uint64_t)(timeout_s * 1e9))
			die(EXIT_FAILED, "conn: no connection completed for %.1f s (timeout)",
			    timeout_s);
		nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
	}
	free(last);
}

static void conn(const struct opts *o)
{
	struct worker *ws = calloc((size_t)o->conns, sizeof(*ws));
	double cpu0 = o->server > 0 ? server_sum(o->server, NULL, NULL) : 0;
	uint64_t t0, t1, ops = 0;
	char cpu[64];

	if (!ws)
		die(EXIT_FAILED, "out of memory");
	if (o->size > RECV_BUF)
		die(EXIT_USAGE, "conn: -s is at most %u", RECV_BUF);
	t0 = now_ns();
	for (int i = 0; i < o->conns; i++) {
		ws[i].id = (uint64_t)i;
		ws[i].size = o->size;
		if (pthread_create(&ws[i].thread, NULL, conn_worker, &ws[i]) != 0)
			die(EXIT_FAILED, "pthread_create failed");
	}
	conn_watch_workers(ws, o->conns, t0 + (uint64_t)(o->secs * 1e9), 0);
	for (int i = 0; i < o->conns; i++)
		ops += atomic_load(&ws[i].done);
	t1 = now_ns();
	atomic_store(&conn_stop, 1);
	conn_watch_workers(ws, o->conns, 0, 1);
	for (int i = 0; i < o->conns; i++)
		pthread_join(ws[i].thread, NULL);
	cpu_field(cpu, sizeof(cpu), o->server, cpu0, ops);
	{
		double secs = (double)(t1 - t0) / 1e9, rate = (double)ops / secs;

		printf("RESULT workload=conn label=%s status=ok workers=%d size=%zu secs=%.2f "
		       "connections=%llu conn_per_s=%.0f%s\n",
		       o->label, o->conns, o->size, secs, (unsigned long long)ops, rate, cpu);
		printf("# %s conn W=%d S=%zu: %.0f connections/s, each echoed and checked\n",
		       o->label, o->conns, o->size, rate);
	}
	free(ws);
}

/* @k blocking connections, each proven served (not just queued) by a 16-byte echo. */
static int *open_served(int k, const char *what)
{
	int *fds = calloc((size_t)k, sizeof(int));
	uint8_t buf[16];
	struct rlimit rl;

	if (!fds)
		die(EXIT_FAILED, "out of memory");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)k + 32)
		die(EXIT_FAILED, "%s: %d connections need a file limit of %d (have %llu)", what, k,
		    k + 32, (unsigned long long)rl.rlim_cur);
	for (int i = 0; i < k; i++)
		fds[i] = dial(0);
	for (int i = 0; i < k; i++)
		if (send(fds[i], pat_at(origin((uint64_t)i)), 16, MSG_NOSIGNAL) != 16)
			die(EXIT_FAILED, "%s: send on connection %d: %s", what, i, strerror(errno));
	for (int i = 0; i < k; i++) {
		size_t got = 0;

		while (got < 16) {
			ssize_t n = recv(fds[i], buf + got, 16 - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die(EXIT_FAILED, "%s: connection %d not served: %s", what, i,
				    n == 0	      ? "closed"
				    : errno == EAGAIN ? "timeout"
						      : strerror(errno));
			got += (size_t)n;
		}
		check(buf, origin((uint64_t)i), 16, (uint64_t)i, 0);
	}
	return fds;
}

static void idle(const struct opts *o)
{
	int k = o->idle_k, *fds, probe;
	double pss0, pss1, per_conn;
	size_t procs = 0;
	struct lat l = {0};

	pss0 = o->server > 0 ? server_sum(o->server, "Pss:", NULL) : 0;
	fds = open_served(k, "idle");
	nanosleep(&(struct timespec){.tv_nsec = 300000000}, NULL);
	pss1 = o->server > 0 ? server_sum(o->server, "Pss:", &procs) : 0;
	per_conn = (pss1 - pss0) / k;
	probe = dial(0);
	rtt_blocking(probe, (uint64_t)k, 64, o->probe_secs, &l);
	close(probe);
	for (int i = 0; i < k; i++)
		close(fds[i]);
	{
		double p50 = lat_us(&l, 0.50), p99 = lat_us(&l, 0.99), max = lat_us(&l, 1);

		printf("RESULT workload=idle label=%s status=ok k=%d served=%d procs=%zu "
		       "pss_base_kib=%.0f pss_kib=%.0f pss_per_conn_kib=%.3f probe_p50_us=%.2f "
		       "probe_p99_us=%.2f probe_max_us=%.2f\n",
		       o->label, k, k, procs, pss0, pss1, per_conn, p50, p99, max);
		printf("# %s idle K=%d: all served, %.3f KiB PSS per connection (%zu processes), "
		       "probe p50 %.2f us, worst %.2f us\n",
		       o->label, k, per_conn, procs, p50, max);
	}
	free(l.v);
	free(fds);
}

/* Send @size (at most 64) bytes at @pos of connection @id's stream on blocking @fd and check
 * the echo; any failure is fatal, named @what. */
static void echo_once(int fd, uint64_t id, uint64_t pos, size_t size, const char *what)
{
	uint8_t buf[64];
	size_t got = 0;

	if (send(fd, pat_at(origin(id) + pos), size, MSG_NOSIGNAL) != (ssize_t)size)
		die(EXIT_FAILED, "%s: send: %s", what, strerror(errno));
	while (got < size) {
		ssize_t n = recv(fd, buf, size - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(EXIT_FAILED, "%s: %s", what,
			    n == 0	      ? "closed by the server"
			    : errno == EAGAIN ? "no echo (timeout)"
					      : strerror(errno));
		check(buf, origin(id) + pos + got, (size_t)n, id, pos + got);
		got += (size_t)n;
	}
}

/*
 * The reload workload. K idle connections (each proven served) and one active client that
 * ping-pongs S bytes on a blocking connection from its own thread throughout; then, for each
 * operation, N times: the monitor (-P) is sent its signal and the time is taken from just before
 * kill(2) to the moment this process reads the log line that ends the operation from the server's
 * log file (-L), watched with inotify: SIGHUP ends at the worker's event=policy-applied, SIGUSR2
 * at event=preview, SIGUSR1 at the last line of the inventory (event=client-more, or the last
 * event=client when all are listed). So a figure is the server's time plus one wakeup of this
 * process. Between operations it waits 20 ms, for round trips outside them to compare with. The
 * CPU time each server process spent in the window is read from /proc/PID/schedstat.
 */
struct pinger {
	pthread_t thread;
	int fd;
	size_t size;
	atomic_int stop, recording;
	uint64_t *start; /* when each round trip began (ns), and how long it took */
	uint32_t *dur;
	size_t n, cap;
};

static void *pinger_run(void *arg)
{
	struct pinger *p = arg;
	uint64_t pos = 0, id = UINT32_MAX;

	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		uint64_t t0 = now_ns(), t1;

		echo_once(p->fd, id, pos, p->size, "reload: active client");
		t1 = now_ns();
		pos += p->size;
		if (atomic_load_explicit(&p->recording, memory_order_relaxed) && p->n < p->cap) {
			p->start[p->n] = t0;
			p->dur[p->n++] = t1 - t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t1 - t0);
		}
	}
	return NULL;
}

/* The operations, in the order they run. */
static const struct reload_op {
	const char *name;
	int sig;
	const char *end; /* the line that ends it (inventory: see inventory_line) */
} reload_ops[] = {
	{"applied", SIGHUP, "event=policy-applied "},
	{"preview", SIGUSR2, "event=preview "},
	{"inventory", SIGUSR1, NULL},
};

/* The server's log, read as it grows. */
struct logwatch {
	int fd, ino;
	char buf[1 << 16];
	size_t len;
};

/* The inventory: its status line says how many are open; it lists 1000 of them, then a count. */
struct inventory {
	long open, listed;
};

#define INVENTORY_MAX 1000

/* 1 when @line ends operation @op, 0 if not; fatal when it says the operation failed. */
static int op_line(const struct reload_op *op, const char *line, long rules, struct inventory *inv)
{
	const char *v;

	if (strstr(line, "result=failed") || strstr(line, "event=policy-rejected") ||
	    strstr(line, "event=preview-failed") || strstr(line, "event=message-rejected"))
		die(EXIT_FAILED, "reload: the server says: %s", line);
	if (op->end) {
		if (!strstr(line, op->end))
			return 0;
		v = strstr(line, "rules=");
		if (rules > 0 && (!v || strtol(v + 6, NULL, 10) != rules))
			die(EXIT_FAILED, "reload: not %ld rules: %s", rules, line);
		v = strstr(line, op->sig == SIGHUP ? " revoked=" : " would-revoke=");
		if (!v || strtol(strchr(v, '=') + 1, NULL, 10) != 0)
			die(EXIT_FAILED, "reload: the same policy revokes a connection: %s", line);
		return 1;
	}
	if ((v = strstr(line, "event=status "))) {
		v = strstr(v, " open=");
		inv->open = v ? strtol(v + 6, NULL, 10) : -1;
		inv->listed = 0;
		return 0;
	}
	if (inv->open < 0)
		return 0;
	if (strstr(line, "event=client-more ")) {
		if (inv->listed != INVENTORY_MAX)
			die(EXIT_FAILED, "reload: inventory: %ld lines before: %s", inv->listed,
			    line);
		return 1;
	}
	if (strstr(line, "event=client "))
		return ++inv->listed == inv->open && inv->open <= INVENTORY_MAX;
	return 0;
}

/* Read the log until @op's last line; the time it was read, or fatal after the timeout. */
static uint64_t log_wait(struct logwatch *lw, const struct reload_op *op, long rules)
{
	uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);
	struct inventory inv = {.open = -1};

	for (;;) {
		ssize_t n = read(lw->fd, lw->buf + lw->len, sizeof(lw->buf) - 1 - lw->len);
		uint64_t now = now_ns();
		char *line, *nl;

		if (n < 0 && errno != EINTR)
			die(EXIT_FAILED, "reload: reading the log: %s", strerror(errno));
		if (n > 0) {
			lw->len += (size_t)n;
			lw->buf[lw->len] = '\0';
			for (line = lw->buf; (nl = strchr(line, '\n')); line = nl + 1) {
				*nl = '\0';
				if (op_line(op, line, rules, &inv)) {
					/* What follows belongs to no operation: skip it. */
					lw->len = 0;
					return now;
				}
			}
			lw->len -= (size_t)(line - lw->buf);
			memmove(lw->buf, line, lw->len);
			if (lw->len == sizeof(lw->buf) - 1)
				lw->len = 0; /* a line longer than the buffer: not ours */
			continue;
		}
		if (n < 0)
			continue;
		/* At the end of the file: wait for it to grow. */
		if (now >= deadline)
			die(EXIT_FAILED, "reload: %s: no end line after %.1f s (timeout)", op->name,
			    timeout_s);
		{
			struct pollfd pfd = {.fd = lw->ino, .events = POLLIN};
			char ev[4096];

			if (poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1)) > 0)
				(void)!read(lw->ino, ev, sizeof(ev));
		}
	}
}

/* CPU time of @pid so far, in ns (the first field of /proc/PID/schedstat). */
static uint64_t cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%llu", &v) != 1)
		die(EXIT_FAILED, "%s: cannot read it", path);
	fclose(f);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The median of @n values (sorts them). */
static uint64_t median_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void reload(const struct opts *o)
{
	size_t nops = sizeof(reload_ops) / sizeof(reload_ops[0]), nwin = nops * (size_t)o->reps;
	uint64_t *w0 = calloc(nwin, sizeof(uint64_t)), *w1 = calloc(nwin, sizeof(uint64_t));
	uint64_t *mon = calloc(nwin, sizeof(uint64_t)), *wrk = calloc(nwin, sizeof(uint64_t));
	struct logwatch *lw = calloc(1, sizeof(*lw));
	struct pinger p = {.size = o->size, .cap = 1u << 22};
	struct lat outside = {0};
	pid_t tree[8];
	int *fds;

	if (!w0 || !w1 || !mon || !wrk || !lw)
		die(EXIT_FAILED, "out of memory");
	if (o->server <= 0 || !o->log || o->size > 64)
		die(EXIT_USAGE, "reload: needs -P MONITOR_PID and -L LOG, and -s at most 64");
	if (server_tree(o->server, tree, 8) != 2)
		die(EXIT_FAILED, "reload: pid %d is not a monitor with one worker", (int)o->server);
	p.start = calloc(p.cap, sizeof(*p.start));
	p.dur = calloc(p.cap, sizeof(*p.dur));
	if (!p.start || !p.dur)
		die(EXIT_FAILED, "out of memory");
	/* Touched now, not while round trips are timed. */
	memset(p.start, 1, p.cap * sizeof(*p.start));
	memset(p.dur, 1, p.cap * sizeof(*p.dur));
	fds = open_served(o->idle_k, "reload");
	lw->fd = open(o->log, O_RDONLY | O_CLOEXEC);
	lw->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (lw->fd < 0 || lw->ino < 0 || inotify_add_watch(lw->ino, o->log, IN_MODIFY) < 0 ||
	    lseek(lw->fd, 0, SEEK_END) < 0)
		die(EXIT_FAILED, "reload: %s: %s", o->log, strerror(errno));
	p.fd = dial(0);
	if (pthread_create(&p.thread, NULL, pinger_run, &p) != 0)
		die(EXIT_FAILED, "pthread_create failed");
	nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
	atomic_store(&p.recording, 1);
	for (size_t k = 0; k < nops; k++)
		for (int i = 0; i < o->reps; i++) {
			size_t j = k * (size_t)o->reps + (size_t)i;
			uint64_t m = cpu_ns(tree[0]), c = cpu_ns(tree[1]);

			w0[j] = now_ns();
			if (kill(o->server, reload_ops[k].sig) < 0)
				die(EXIT_FAILED, "reload: kill: %s", strerror(errno));
			w1[j] = log_wait(lw, &reload_ops[k], o->rules);
			mon[j] = cpu_ns(tree[0]) - m;
			wrk[j] = cpu_ns(tree[1]) - c;
			nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
		}
	atomic_store(&p.recording, 0);
	atomic_store(&p.stop, 1);
	pthread_join(p.thread, NULL);
	if (p.n == p.cap)
		fprintf(stderr, "bench-load: reload: only the first %zu round trips were kept\n",
			p.cap);
	/* Round trips that overlap no operation: the baseline. */
	for (size_t s = 0, j = 0; s < p.n; s++) {
		while (j < nwin && w1[j] <= p.start[s])
			j++;
		if (j == nwin || p.start[s] + p.dur[s] <= w0[j])
			lat_add(&outside, p.dur[s]);
	}
	for (size_t k = 0; k < nops; k++) {
		uint64_t *a = w0 + k * (size_t)o->reps, *b = w1 + k * (size_t)o->reps;
		uint64_t *ms = calloc((size_t)o->reps, sizeof(uint64_t)), worst = 0,
			 best = UINT64_MAX;
		struct lat during = {0};
		double med, rtt_max, rtt_p999;

		if (!ms)
			die(EXIT_FAILED, "out of memory");
		/* Round trips that overlap one of this operation's windows. */
		for (size_t s = 0, j = 0; s < p.n; s++) {
			while (j < (size_t)o->reps && b[j] <= p.start[s])
				j++;
			if (j < (size_t)o->reps && p.start[s] + p.dur[s] > a[j])
				lat_add(&during, p.dur[s]);
		}
		for (int i = 0; i < o->reps; i++) {
			ms[i] = b[i] - a[i];
			worst = ms[i] > worst ? ms[i] : worst;
			best = ms[i] < best ? ms[i] : best;
		}
		med = (double)median_u64(ms, (size_t)o->reps) / 1e6;
		rtt_max = lat_us(&during, 1);
		rtt_p999 = lat_us(&during, 0.999);
		printf("RESULT workload=reload label=%s status=ok op=%s rules=%ld k=%d n=%d size=%zu "
		       "median_ms=%.3f min_ms=%.3f max_ms=%.3f monitor_cpu_ms=%.3f "
		       "worker_cpu_ms=%.3f rtt_during=%zu rtt_max_us=%.1f rtt_p999_us=%.1f "
		       "rtt_outside=%zu rtt_outside_p999_us=%.1f rtt_outside_max_us=%.1f\n",
		       o->label, reload_ops[k].name, o->rules, o->idle_k, o->reps, o->size, med,
		       (double)best / 1e6, (double)worst / 1e6,
		       (double)median_u64(mon + k * (size_t)o->reps, (size_t)o->reps) / 1e6,
		       (double)median_u64(wrk + k * (size_t)o->reps, (size_t)o->reps) / 1e6,
		       during.n, rtt_max, rtt_p999, outside.n, lat_us(&outside, 0.999),
		       lat_us(&outside, 1));
		printf("# %s %s (SIG%s) R=%ld K=%d: median %.2f ms (max %.2f) of %d, CPU monitor "
		       "%.2f ms, worker %.2f ms; active client during it: worst %.0f us, p99.9 "
		       "%.0f us\n",
		       o->label, reload_ops[k].name, sigabbrev_np(reload_ops[k].sig), o->rules,
		       o->idle_k, med, (double)worst / 1e6, o->reps,
		       (double)median_u64(mon + k * (size_t)o->reps, (size_t)o->reps) / 1e6,
		       (double)median_u64(wrk + k * (size_t)o->reps, (size_t)o->reps) / 1e6,
		       rtt_max, rtt_p999);
		free(during.v);
		free(ms);
	}
	close(p.fd);
	for (int i = 0; i < o->idle_k; i++)
		close(fds[i]);
	close(lw->fd);
	close(lw->ino);
	free(outside.v);
	free(p.start);
	free(p.dur);
	free(fds);
	free(lw);
	free(w0);
	free(w1);
	free(mon);
	free(wrk);
}

/*
 * The per-uid budget: C connections of this process's uid that write and never read, until
 * neither they nor the server make progress for 300 ms; meanwhile a probe connection of another
 * uid (-u, connected with that effective uid: SO_PEERCRED is taken at connect) ping-pongs 64
 * bytes from its own thread. Reports what the flood pins: bytes queued towards the server and
 * echoed towards the flood but unread (SIOCOUTQ, which counts the kernel's buffers whole, and
 * SIOCINQ on the flood's sockets), the server's PSS growth, and the probe's round trips before,
 * during and after the filling.
 */
struct probe {
	pthread_t thread;
	int fd;
	atomic_int phase; /* 0 before, 1 filling, 2 full, 3 stop */
	struct lat lat[3];
};

static void *probe_run(void *arg)
{
	struct probe *p = arg;
	uint64_t pos = 0, id = UINT32_MAX - 1;
	int ph;

	while ((ph = atomic_load(&p->phase)) < 3) {
		uint64_t t0 = now_ns();

		echo_once(p->fd, id, pos, 64, "flood: probe");
		lat_add(&p->lat[ph], now_ns() - t0);
		pos += 64;
	}
	return NULL;
}

static void sleep_s(double secs)
{
	nanosleep(&(struct timespec){.tv_sec = (time_t)secs,
				     .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)},
		  NULL);
}

static void flood(const struct opts *o)
{
	int n = o->conns, *fds = calloc((size_t)n, sizeof(int));
	struct probe p = {0};
	double pss0, pss1;
	uint64_t sent = 0, quiet_since, outq = 0, inq = 0;
	size_t procs = 0;

	if (!fds)
		die(EXIT_FAILED, "out of memory");
	if (o->probe_uid < 0 || o->server <= 0)
		die(EXIT_USAGE, "flood: needs -u UID and -P PID");
	/* The probe is another uid's: its effective uid at connect is what the server sees. */
	if (seteuid((uid_t)o->probe_uid) < 0)
		die(EXIT_FAILED, "flood: seteuid %d: %s", o->probe_uid, strerror(errno));
	p.fd = dial(0);
	if (seteuid(0) < 0)
		die(EXIT_FAILED, "flood: seteuid 0: %s", strerror(errno));
	pss0 = server_sum(o->server, "Pss:", NULL);
	for (int i = 0; i < n; i++)
		fds[i] = dial(1);
	if (pthread_create(&p.thread, NULL, probe_run, &p) != 0)
		die(EXIT_FAILED, "pthread_create failed");
	sleep_s(o->probe_secs);
	atomic_store(&p.phase, 1);
	/* Write everywhere until nothing moves for 300 ms: every buffer on the way is full. */
	quiet_since = now_ns();
	while (now_ns() - quiet_since < 300000000u) {
		int moved = 0;

		for (int i = 0; i < n; i++) {
			ssize_t w = send(fds[i], pattern, RECV_BUF, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && errno != EAGAIN && errno != EINTR)
				die(EXIT_FAILED, "flood: connection %d: send: %s", i,
				    strerror(errno));
			if (w > 0) {
				sent += (uint64_t)w, moved = 1;
				if (sent > (64ull << 30))
					die(EXIT_FAILED,
					    "flood: 64 GiB sent and still no back-pressure");
			}
		}
		if (moved)
			quiet_since = now_ns();
		else
			nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	atomic_store(&p.phase, 2);
	pss1 = server_sum(o->server, "Pss:", &procs);
	for (int i = 0; i < n; i++) {
		int q = 0;

		if (ioctl(fds[i], SIOCOUTQ, &q) == 0)
			outq += (uint64_t)q;
		if (ioctl(fds[i], SIOCINQ, &q) == 0)
			inq += (uint64_t)q;
	}
	sleep_s(o->probe_secs);
	atomic_store(&p.phase, 3);
	pthread_join(p.thread, NULL);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(p.fd);
	{
		double mib = 1024.0 * 1024.0, held = (pss1 - pss0) / 1024.0;
		double q[3][3];

		for (int ph = 0; ph < 3; ph++) {
			q[ph][0] = lat_us(&p.lat[ph], 0.5);
			q[ph][1] = lat_us(&p.lat[ph], 0.99);
			q[ph][2] = lat_us(&p.lat[ph], 1);
		}
		printf("RESULT workload=flood label=%s status=ok conns=%d sent_mib=%.1f "
		       "kernel_to_server_mib=%.1f unread_echo_mib=%.1f server_pss_mib=%.1f "
		       "per_conn_kib=%.1f probe_before_p50_us=%.2f probe_before_p99_us=%.2f "
		       "probe_before_max_us=%.1f probe_filling_p50_us=%.2f probe_filling_p99_us=%.2f "
		       "probe_filling_max_us=%.1f probe_full_p50_us=%.2f probe_full_p99_us=%.2f "
		       "probe_full_max_us=%.1f\n",
		       o->label, n, (double)sent / mib, (double)outq / mib, (double)inq / mib, held,
		       ((double)outq + (double)inq) / 1024.0 / n + held * 1024.0 / n, q[0][0],
		       q[0][1], q[0][2], q[1][0], q[1][1], q[1][2], q[2][0], q[2][1], q[2][2]);
		printf("# %s flood C=%d of one uid: %.1f MiB queued in the kernel towards the server, "
		       "%.1f MiB of echo unread, %.1f MiB more server PSS; another uid's probe p50/p99/"
		       "worst us: before %.1f/%.1f/%.0f, filling %.1f/%.1f/%.0f, full %.1f/%.1f/%.0f\n",
		       o->label, n, (double)outq / mib, (double)inq / mib, held, q[0][0], q[0][1],
		       q[0][2], q[1][0], q[1][1], q[1][2], q[2][0], q[2][1], q[2][2]);
		for (int ph = 0; ph < 3; ph++)
			free(p.lat[ph].v);
	}
	free(fds);
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	if (*end || !v)
		die(EXIT_USAGE, "bad size: %s", s);
	return (size_t)v;
}

static const char usage[] =
	"usage: bench-load rtt|stream|conn|idle|reload|flood -p PATH [OPTION]...\n"
	"  -p PATH   the server's socket\n"
	"  -c N      connections (rtt, stream, flood) or worker threads (conn); default 1\n"
	"  -s SIZE   message or chunk size, k and m suffixes; default 64\n"
	"  -t SECS   duration; default 2\n"
	"  -w SIZE   stream: bytes in flight per connection; default 1m\n"
	"  -k K      idle, reload: idle connections to open; default 1000\n"
	"  -i SECS   idle: the probe's duration; flood: before and after the filling; default 1\n"
	"  -u UID    flood: the probe's uid (needs root)\n"
	"  -P PID    the server's pid: its CPU time and memory (summed over its children);\n"
	"            reload: udsechod's monitor, which it signals\n"
	"  -L FILE   reload: the server's log, which it watches for the end of each operation\n"
	"  -n N      reload: times each operation (SIGHUP, SIGUSR2, SIGUSR1) is run; default 10\n"
	"  -r RULES  reload: the rules the policy has (checked in the log lines)\n"
	"  -o SECS   timeout of one operation; default 2\n"
	"  -l LABEL  name of the server in the output\n";

int main(int argc, char **argv)
{
	struct opts o = {.label = "server",
			 .conns = 1,
			 .size = 64,
			 .window = 1 << 20,
			 .secs = 2,
			 .probe_secs = 1,
			 .idle_k = 1000,
			 .reps = 10,
			 .probe_uid = -1};
	const char *path = NULL;
	struct rlimit rl;
	int c;

	if (argc < 2 || argv[1][0] == '-') {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	o.workload = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "p:c:s:t:w:k:i:P:o:l:L:n:r:u:")) != -1) {
		switch (c) {
		case 'p':
			path = optarg;
			break;
		case 'c':
			o.conns = atoi(optarg);
			break;
		case 's':
			o.size = parse_size(optarg);
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'w':
			o.window = parse_size(optarg);
			break;
		case 'k':
			o.idle_k = atoi(optarg);
			break;
		case 'i':
			o.probe_secs = atof(optarg);
			break;
		case 'P':
			o.server = (pid_t)atoi(optarg);
			break;
		case 'o':
			timeout_s = atof(optarg);
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'L':
			o.log = optarg;
			break;
		case 'n':
			o.reps = atoi(optarg);
			break;
		case 'r':
			o.rules = atol(optarg);
			break;
		case 'u':
			o.probe_uid = atoi(optarg);
			break;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (!path || optind != argc || o.conns < 1 || o.idle_k < 1 || o.reps < 1 || o.secs <= 0 ||
	    timeout_s <= 0 || strlen(path) >= sizeof(addr.sun_path)) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	memcpy(addr.sun_path, path, strlen(path));
	if (o.window < o.size)
		o.window = o.size;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pattern_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(o.workload, "rtt") == 0)
		rtt(&o);
	else if (strcmp(o.workload, "stream") == 0)
		stream(&o);
	else if (strcmp(o.workload, "conn") == 0)
		conn(&o);
	else if (strcmp(o.workload, "idle") == 0)
		idle(&o);
	else if (strcmp(o.workload, "reload") == 0)
		reload(&o);
	else if (strcmp(o.workload, "flood") == 0)
		flood(&o);
	else
		die(EXIT_USAGE, "unknown workload %s", o.workload);
	return 0;
}
