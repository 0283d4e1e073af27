// SPDX-License-Identifier: MIT
/*
 * echo: the byte-for-byte echo with bounded buffering (see echo.h).
 *
 * send(2) with MSG_NOSIGNAL so that a peer gone away is an EPIPE, never a SIGPIPE; a splice(2) to
 * it is an EPIPE because the process ignores SIGPIPE (echo_io_pipe checks). EINTR is retried,
 * EAGAIN parks the remainder. Inside the sandbox, no syscalls beyond recv, send, splice and read,
 * the last only to take back from the pipe what a peer would not take (recv(2), not read(2), from
 * sockets: the shorter path through the kernel); echo_io_pipe(), before it, sigaction and pipe2.
 * No logging.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udsecho/echo.h"

/* Forget the held bytes, not how the peer sends. */
static void drop_held(struct echo_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->off = 0;
}

void echo_release(struct echo_buf *b)
{
	drop_held(b);
	b->bulk = 0;
}

int echo_io_pipe(struct echo_io *io)
{
	struct sigaction sa;
	int p[2];

	if (sigaction(SIGPIPE, NULL, &sa) < 0)
		return -errno;
	if (sa.sa_handler != SIG_IGN)
		return -EPERM;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	io->pipe[0] = p[0];
	io->pipe[1] = p[1];
	return 0;
}

/* Send @len bytes of @p; returns how many went, or -errno. */
static ssize_t send_some(int fd, const char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Splice up to @len bytes from the pipe to @fd; returns how many went, *@err -errno if it failed.
 */
static size_t splice_some(int fd, int pipe_rd, size_t len, int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < len) {
		ssize_t n = splice(pipe_rd, NULL, fd, NULL, len - done, SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			*err = n < 0 ? -errno : -EIO; /* 0: the pipe held less than it was given */
			break;
		}
		done += (size_t)n;
	}
	return done;
}

/* Read exactly @len bytes from the pipe into @to; 0, or -EIO when it would not give them. */
static int pipe_take(int pipe_rd, char *to, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(pipe_rd, to + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Keep the @len bytes of @from a peer would not take; returns ECHO_WRITE or -ENOMEM. */
static int hold(struct echo_buf *b, const char *from, size_t len)
{
	b->data = malloc(len);
	if (!b->data)
		return -ENOMEM;
	if (from)
		memcpy(b->data, from, len);
	b->len = (uint32_t)len;
	b->off = 0;
	return ECHO_WRITE;
}

/*
 * One bulk read: splice what @fd has into the pipe and out again, keeping in @b what the peer
 * would not take. Returns the bytes read (0: none, at EOF or for want of kernel memory), -EAGAIN
 * when there were none to read, or -errno. The pipe is empty on return, or given up.
 */
static ssize_t splice_echo(int fd, struct echo_buf *b, struct echo_io *io, uint64_t *echoed)
{
	size_t sent, rest;
	ssize_t n;
	int r;

	do
		n = splice(fd, NULL, io->pipe[1], NULL, io->scratch_len, SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	sent = splice_some(fd, io->pipe[0], (size_t)n, &r);
	*echoed += sent;
	rest = (size_t)n - sent;
	if (rest == 0)
		return n;
	/* The peer is not reading, or failed: what it did not take leaves the pipe all the same. */
	if (r == 0)
		r = hold(b, NULL, rest);
	if (pipe_take(io->pipe[0], b->data ? b->data : io->scratch, rest) < 0) {
		drop_held(b);
		io->pipe[0] = io->pipe[1] = -1;
		return -EIO;
	}
	return r < 0 ? r : n;
}

int echo_write(int fd, struct echo_buf *b, uint64_t *echoed)
{
	ssize_t n = send_some(fd, b->data + b->off, echo_pending(b));

	if (n < 0)
		return (int)n;
	b->off += (uint32_t)n;
	*echoed += (uint64_t)n;
	if (echo_pending(b) > 0)
		return ECHO_WRITE;
	drop_held(b);
	return ECHO_READ;
}

int echo_read(int fd, struct echo_buf *b, struct echo_io *io, unsigned int budget, int until_eagain,
	      uint64_t *echoed)
{
	if (echo_pending(b) > 0)
		return ECHO_WRITE;
	while (budget-- > 0) {
		ssize_t n, sent;

		if (b->bulk && io->pipe[0] >= 0) {
			n = splice_echo(fd, b, io, echoed);
			if (n == -EAGAIN)
				return ECHO_READ;
			if (n < 0)
				return (int)n;
			if (b->data)
				return ECHO_WRITE;
			/* So does 0: the end of the stream, or a kernel out of pages; recv(2) says.
			 */
			if ((size_t)n < io->scratch_len / 8)
				b->bulk = 0;
			continue;
		}
		n = recv(fd, io->scratch, io->scratch_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return ECHO_READ;
			return -errno;
		}
		if (n == 0)
			return ECHO_DONE;
		sent = send_some(fd, io->scratch, (size_t)n);
		if (sent < 0)
			return (int)sent;
		*echoed += (uint64_t)sent;
		if (sent < n) /* the peer is not reading: keep the rest and stop reading from it */
			return hold(b, io->scratch + sent, (size_t)(n - sent));
		if ((size_t)n == io->scratch_len)
			b->bulk = 1;
		else if (!until_eagain)
			return ECHO_READ;
	}
	return ECHO_MORE;
}
