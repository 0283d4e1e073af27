/* SPDX-License-Identifier: MIT */
/*
 * echo: move bytes from a peer back to the same peer, with back-pressure.
 *
 * Data is read into a scratch buffer shared by all connections and sent straight back; only what
 * the peer's socket would not take is kept, in a per-connection buffer of at most one read. While
 * anything is kept, the connection reads nothing more: a peer that does not read stops being read,
 * so it cannot make the server buffer without bound. A peer whose reads fill the scratch buffer
 * sends in bulk: its bytes then go back through a pipe shared by all connections, with splice(2)
 * in and splice(2) out, so that the kernel hands their pages on instead of copying them into the
 * process and out again; the pipe is empty whenever echo_read() returns. Works on any connected
 * stream socket (tests use socketpair(2)); runs inside the worker's sandbox (recv, send, splice,
 * read, malloc, free).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct echo_buf {
	char *data;   /* bytes read but not yet sent back, or NULL */
	uint32_t len; /* how many */
	uint32_t off; /* how many of them are already sent */
	int bulk;     /* the peer sends in bulk: read it through the pipe (see echo_read) */
};

/* What echo_read() reads with, one for all the connections of a process. */
struct echo_io {
	char *scratch;	    /* where a read is copied */
	size_t scratch_len; /* the most one read takes, copied or spliced */
	int pipe[2]; /* the pipe for bulk peers {read end, write end} (see echo_io_pipe), or -1 */
};

enum echo_state {
	ECHO_READ = 0, /* all echoed and the socket drained; wait until the peer is readable */
	ECHO_WRITE,    /* bytes pending; wait until the peer is writable, do not read */
	ECHO_DONE,     /* the peer finished sending and has everything back: close */
	ECHO_MORE, /* the budget ran out first: more may be waiting, come back without waiting */
};

/*
 * echo_io_pipe - give @io its pipe, non-blocking and close-on-exec, for bulk peers. splice(2)
 * cannot be told MSG_NOSIGNAL: a splice to a peer gone away raises SIGPIPE, so the pipe is only
 * made for a process that ignores SIGPIPE. Returns 0, -EPERM when SIGPIPE is not ignored (@io
 * copies), or -errno from pipe2(2).
 */
int echo_io_pipe(struct echo_io *io);

/*
 * echo_read - read what @fd has (up to @budget reads of @io->scratch_len) and send it back.
 * A copied read shorter than scratch_len is taken to mean the socket is drained, which saves the
 * read that would say EAGAIN: a stream socket's read takes all that is queued, up to its length.
 * Not quite all: it stops before an out-of-band mark, and its peer's shutdown can stand behind
 * it; so with @until_eagain (the caller saw EPOLLPRI, EPOLLRDHUP, EPOLLHUP or EPOLLERR) it reads on
 * until EAGAIN or EOF. A copied read that fills scratch_len makes the peer a bulk one; a bulk
 * peer is spliced, and always read until EAGAIN or EOF (a splice stops where the pipe is full,
 * not only where the socket is empty), until a splice brings less than an eighth of scratch_len
 * (then the next read is copied: a splice that brings nothing is EOF only if recv(2) says so).
 * Returns an echo_state, or -errno when the connection failed (close it). *@echoed grows by the
 * number of bytes sent back. A pipe that cannot be emptied (never seen) is given up: @io copies
 * from then on, and the connection fails with -EIO.
 */
int echo_read(int fd, struct echo_buf *b, struct echo_io *io, unsigned int budget, int until_eagain,
	      uint64_t *echoed);

/* echo_write - send pending bytes; returns ECHO_READ when drained, ECHO_WRITE, or -errno. */
int echo_write(int fd, struct echo_buf *b, uint64_t *echoed);

/* echo_pending - how many bytes are held for the peer (inline: the loop asks for every peer). */
static inline size_t echo_pending(const struct echo_buf *b)
{
	return b->len - b->off;
}

/* echo_release - free what @b holds. */
void echo_release(struct echo_buf *b);
