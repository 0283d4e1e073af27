// SPDX-License-Identifier: MIT
/*
 * echo: the byte-for-byte echo with bounded buffering (see echo.h).
 *
 * send(2) with MSG_NOSIGNAL so that a peer gone away is an EPIPE, never a SIGPIPE. EINTR is
 * retried, EAGAIN parks the remainder. No syscalls beyond recv and send (recv(2), not read(2): the
 * shorter path through the kernel); no logging.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udsecho/echo.h"

size_t echo_pending(const struct echo_buf *b)
{
	return b->len - b->off;
}

void echo_release(struct echo_buf *b)
{
	free(b->data);
	*b = (struct echo_buf){0};
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

int echo_write(int fd, struct echo_buf *b, uint64_t *echoed)
{
	ssize_t n = send_some(fd, b->data + b->off, echo_pending(b));

	if (n < 0)
		return (int)n;
	b->off += (uint32_t)n;
	*echoed += (uint64_t)n;
	if (echo_pending(b) > 0)
		return ECHO_WRITE;
	echo_release(b);
	return ECHO_READ;
}

int echo_read(int fd, struct echo_buf *b, char *scratch, size_t scratch_len, unsigned int budget,
	      int until_eagain, uint64_t *echoed)
{
	if (echo_pending(b) > 0)
		return ECHO_WRITE;
	while (budget-- > 0) {
		ssize_t n = recv(fd, scratch, scratch_len, 0);
		ssize_t sent;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return ECHO_READ;
			return -errno;
		}
		if (n == 0)
			return ECHO_DONE;
		sent = send_some(fd, scratch, (size_t)n);
		if (sent < 0)
			return (int)sent;
		*echoed += (uint64_t)sent;
		if (sent < n) {
			/* The peer is not reading: keep the rest and stop reading from it. */
			b->data = malloc((size_t)(n - sent));
			if (!b->data)
				return -ENOMEM;
			memcpy(b->data, scratch + sent, (size_t)(n - sent));
			b->len = (uint32_t)(n - sent);
			b->off = 0;
			return ECHO_WRITE;
		}
		if ((size_t)n < scratch_len && !until_eagain)
			return ECHO_READ;
	}
	return ECHO_MORE;
}
