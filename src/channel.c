// SPDX-License-Identifier: MIT
/*
 * channel: the pair's frames, encoded in the monitor and decoded in the worker (see channel.h).
 *
 * The decoder runs in the sandboxed worker on bytes it must not trust: it allocates a body only
 * for a length from 1 to CHANNEL_MSG_MAX, never reads past the frame it is in, and hands out only
 * messages of a known type. It calls read(2), malloc and free and nothing else; the encoder,
 * sendmsg(2) alone. Neither logs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "udsecho/channel.h"

int channel_send(int fd, enum channel_msg_type type, const void *payload, size_t len)
{
	unsigned char hdr[sizeof(uint32_t) + 1];
	uint32_t n32;
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	if (len >= CHANNEL_MSG_MAX)
		return -E2BIG;
	n32 = (uint32_t)(len + 1);
	memcpy(hdr, &n32, sizeof(n32));
	hdr[sizeof(n32)] = (unsigned char)type;
	iov[0] = (struct iovec){.iov_base = hdr, .iov_len = sizeof(hdr)};
	iov[1] = (struct iovec){.iov_base = (void *)payload, .iov_len = len};
	/* The payload is sent where it is: a large policy is not copied again. */
	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

char *channel_reader_take(struct channel_reader *r)
{
	char *body = r->delivered ? r->body : NULL;

	if (body) {
		r->body = NULL;
		r->delivered = 0;
	}
	return body;
}

void channel_reader_release(struct channel_reader *r)
{
	free(r->body);
	*r = (struct channel_reader){0};
}

/* The length field is whole: check it, then make room for the body. */
static int take_length(struct channel_reader *r)
{
	if (r->len < 1 || r->len > CHANNEL_MSG_MAX)
		return CHANNEL_E_LENGTH;
	r->body = malloc(r->len);
	if (!r->body)
		return -ENOMEM;
	r->have = 0;
	return CHANNEL_MORE;
}

/* The body is whole: a message, if its type is one we know. */
static int take_body(struct channel_reader *r, struct channel_msg *m)
{
	m->type = (unsigned char)r->body[0];
	m->payload = r->body + 1;
	m->len = r->len - 1;
	r->hdr_have = 0;
	r->delivered = 1;
	if (m->type < CHANNEL_MSG_POLICY || m->type > CHANNEL_MSG_CLOCK)
		return CHANNEL_E_TYPE;
	return 0;
}

int channel_read(struct channel_reader *r, int fd, struct channel_msg *m)
{
	char *dst;
	size_t want;
	ssize_t n;
	int res;

	if (r->failed)
		return r->failed;
	if (r->delivered) {
		free(r->body);
		r->body = NULL;
		r->delivered = 0;
	}
	if (r->hdr_have < sizeof(r->len)) {
		dst = (char *)&r->len + r->hdr_have;
		want = sizeof(r->len) - r->hdr_have;
	} else {
		dst = r->body + r->have;
		want = r->len - r->have;
	}
	n = read(fd, dst, want);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? CHANNEL_MORE : -errno;
	if (n == 0)
		return CHANNEL_EOF;
	if (r->hdr_have < sizeof(r->len)) {
		r->hdr_have += (size_t)n;
		res = r->hdr_have < sizeof(r->len) ? CHANNEL_MORE : take_length(r);
		if (res == CHANNEL_E_LENGTH)
			m->len = r->len;
	} else {
		r->have += (size_t)n;
		res = r->have < r->len ? CHANNEL_MORE : take_body(r, m);
	}
	if (res != 0 && res != CHANNEL_MORE)
		r->failed = res;
	return res;
}
