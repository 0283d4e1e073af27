// SPDX-License-Identifier: MIT
/*
 * bench-ref: the bare-epoll yardstick of the benchmark. A single-threaded, non-blocking, level-
 * triggered epoll echo server on a Unix-domain socket path, with nothing else: no policy, no
 * privilege separation, no sandbox, no log. It reads into one shared buffer and writes the bytes
 * straight back; what the peer does not take yet is kept for that peer alone, and the server stops
 * reading from it until it is drained (back-pressure), so idle peers cost only a small slot. Out
 * of file descriptors, it stops accepting until a connection closes. It writes a newline to
 * --ready-fd N once it accepts, and exits 0 on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE     65536
#define MAX_EVENTS   128
#define ACCEPT_BATCH 32

struct slot {
	char *held; /* bytes the peer has not taken yet (NULL: none) */
	uint32_t len, off;
};

static struct slot *slots;
static size_t nslots;
static volatile sig_atomic_t stopping;
static int listen_fd, accept_paused;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int watch(int ep, int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(ep, op, fd, &ev);
}

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(slots[fd].held);
	slots[fd] = (struct slot){0};
	/* Out of descriptors, accepting was paused: one is free again. */
	if (accept_paused && watch(ep, EPOLL_CTL_ADD, listen_fd, EPOLLIN) == 0)
		accept_paused = 0;
}

static int make_slot(int fd)
{
	size_t n = nslots ? nslots : 256;
	struct slot *s;

	if ((size_t)fd < nslots)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	s = realloc(slots, n * sizeof(*s));
	if (!s)
		return -1;
	memset(s + nslots, 0, (n - nslots) * sizeof(*s));
	slots = s;
	nslots = n;
	return 0;
}

/* Write what is held for @fd; once all is gone, read from it again. -1: close it. */
static int drain(int ep, int fd)
{
	struct slot *s = &slots[fd];

	while (s->off < s->len) {
		ssize_t w = send(fd, s->held + s->off, s->len - s->off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		s->off += (uint32_t)w;
	}
	free(s->held);
	*s = (struct slot){0};
	return watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
}

/* Echo what @fd sent. -1: close it (end of stream or error). */
static int echo(int ep, int fd, char *buf)
{
	ssize_t n, off = 0;

	do {
		n = recv(fd, buf, BUF_SIZE, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	while (off < n) {
		ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w < 0) {
			/* The peer is not reading: keep the rest, stop reading it. */
			struct slot *s = &slots[fd];

			s->len = (uint32_t)(n - off);
			s->off = 0;
			s->held = malloc(s->len);
			if (!s->held)
				return -1;
			memcpy(s->held, buf + off, s->len);
			return watch(ep, EPOLL_CTL_MOD, fd, EPOLLOUT);
		}
		off += w;
	}
	return 0;
}

static void accept_some(int ep, int lfd)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* Let the peers wait in the backlog until a connection closes: no spinning.
			 */
			if (epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL) == 0)
				accept_paused = 1;
			return;
		}
		if (fd < 0)
			return;
		if (make_slot(fd) < 0 || watch(ep, EPOLL_CTL_ADD, fd, EPOLLIN) < 0)
			close(fd);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-ref PATH [--ready-fd N]\n");
	return 64;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct epoll_event evs[MAX_EVENTS];
	struct sigaction sa = {.sa_handler = on_signal};
	struct rlimit rl;
	int lfd, ep, ready = -1;
	char *buf;

	if (argc == 4 && strcmp(argv[2], "--ready-fd") == 0)
		ready = atoi(argv[3]);
	else if (argc != 2)
		return usage();
	if (strlen(argv[1]) >= sizeof(addr.sun_path))
		return usage();
	memcpy(addr.sun_path, argv[1], strlen(argv[1]));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	buf = malloc(BUF_SIZE);
	lfd = listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!buf || lfd < 0 || ep < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 4096) < 0 || watch(ep, EPOLL_CTL_ADD, lfd, EPOLLIN) < 0) {
		perror("bench-ref");
		return 71;
	}
	if (ready >= 0 && (write(ready, "\n", 1) != 1 || close(ready) < 0)) {
		perror("bench-ref: --ready-fd");
		return 71;
	}

	while (!stopping) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, r;

			if (fd == lfd) {
				accept_some(ep, lfd);
				continue;
			}
			if (slots[fd].held)
				r = drain(ep, fd);
			else
				r = echo(ep, fd, buf);
			if (r < 0)
				drop(ep, fd);
		}
		if (n < 0 && errno != EINTR) {
			perror("bench-ref: epoll_wait");
			return 71;
		}
	}
	unlink(argv[1]);
	return 0;
}
