/* SPDX-License-Identifier: MIT */
/*
 * channel: the messages of the pair, monitor to worker, as frames on a stream socket.
 *
 * A frame is a 32-bit length in host order of what follows (1 to CHANNEL_MSG_MAX bytes), a type
 * byte (enum channel_msg_type), then the payload. The monitor writes frames with channel_send();
 * the worker reads them with channel_read() inside its sandbox and trusts none of their bytes: a
 * length of 0 or over the limit, or a type it does not know, is a protocol error, after which the
 * stream is out of step and nothing more is read from it. Nothing here logs: the caller says what
 * went wrong, from the codes below.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum channel_msg_type {
	CHANNEL_MSG_POLICY = 1, /* payload: policy_encode()'s bytes */
	CHANNEL_MSG_STATUS = 2, /* payload: printable text to add to the worker's status line */
	CHANNEL_MSG_PROBE = 3,	/* no payload: read to show the worker still turns its loop */
	CHANNEL_MSG_UNAVAILABLE = 4, /* no payload: no policy could be loaded; turn everyone away */
	CHANNEL_MSG_PREVIEW = 5,     /* payload: the file's path, a NUL, policy_encode()'s bytes */
	CHANNEL_MSG_CLOCK = 6, /* payload: printable reason; the wall clock passed a boundary */
};

#define CHANNEL_MSG_MAX (64u << 20) /* more than any policy of POLICY_RULES_MAX rules takes */

/* Positive outcomes of channel_read(); negative values are -errno. */
enum {
	CHANNEL_MORE = 1, /* no whole message yet: call again when the socket is readable */
	CHANNEL_EOF,	  /* the writer closed its end; a frame it had begun is dropped */
	CHANNEL_E_LENGTH, /* protocol error: the length is 0 or over CHANNEL_MSG_MAX */
	CHANNEL_E_TYPE,	  /* protocol error: the type byte is no enum channel_msg_type */
};

/* What channel_read() received; the bytes belong to the reader. */
struct channel_msg {
	unsigned int type;   /* an enum channel_msg_type; with CHANNEL_E_TYPE, the unknown byte */
	const char *payload; /* len bytes, valid until the next channel_read() or release */
	size_t len;	     /* with CHANNEL_E_LENGTH: the length the frame announced */
};

/* The receiving end's state; all zeros (= {0}, calloc) is a reader at the start of a stream. */
struct channel_reader {
	uint32_t len;	 /* the frame's length field, as far as it has arrived */
	size_t hdr_have; /* bytes of it received */
	size_t have;	 /* bytes of the frame's body received */
	char *body;	 /* the body (type and payload), once the length is known */
	int delivered;	 /* body is a message channel_read() returned */
	int failed;	 /* the protocol error or -ENOMEM that stopped the stream, or 0 */
};

/*
 * channel_send - write one frame of @type with the @len bytes of @payload to the stream socket
 * @fd, whole, retrying EINTR and short writes (sendmsg(2) with MSG_NOSIGNAL: a closed peer is
 * -EPIPE, never SIGPIPE; a timeout set with SO_SNDTIMEO ends it with -EAGAIN). Returns 0,
 * -E2BIG when @len + 1 is over CHANNEL_MSG_MAX (nothing is written), -errno from sendmsg(2),
 * or -EIO when it wrote nothing; after a failure part of the frame may have gone. It copies
 * nothing (the payload is sent from where it is): the monitor's call, never the worker's (whose
 * end of the pair is shut for writing).
 */
int channel_send(int fd, enum channel_msg_type type, const void *payload, size_t len);

/*
 * channel_read - make one read(2) from @fd, for at most what the current frame still lacks, and
 * return 0 with the message in *@m when that completed a frame of a known type. Returns
 * CHANNEL_MORE when no message is complete yet (also on EAGAIN and EINTR), CHANNEL_EOF,
 * CHANNEL_E_LENGTH or CHANNEL_E_TYPE (details in *@m), -ENOMEM when the body a valid length
 * announces cannot be allocated, or -errno from read(2). After a protocol error or -ENOMEM every
 * later call returns the same code, reading nothing and leaving *@m alone. One read per call, so
 * on a blocking socket it waits only when nothing at all has arrived. The message is freed by the
 * next call or by channel_reader_release(). Safe in the worker's sandbox: read(2), malloc and free
 * only.
 */
int channel_read(struct channel_reader *r, int fd, struct channel_msg *m);

/*
 * channel_reader_take - the message channel_read() last returned, now the caller's: the frame's
 * body, the type byte then the payload (free() it), which the next channel_read() leaves alone;
 * NULL when no message is held. Safe in the worker's sandbox.
 */
char *channel_reader_take(struct channel_reader *r);

/*
 * channel_reader_release - free what @r holds (the last message, or a frame half received, which
 * is lost) and set it back to the start of a stream. Safe in the worker's sandbox (free only).
 */
void channel_reader_release(struct channel_reader *r);
