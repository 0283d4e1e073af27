// SPDX-License-Identifier: MIT
/*
 * Unit tests for echo over socketpair(2): the "server" end is non-blocking as in the worker, the
 * "client" end is driven by the test. Bytes come back whole and in order, a peer that does not
 * read stops being read (proved with FIONREAD on the server end), and a peer that went away is an
 * error code, never a SIGPIPE. Every test runs twice: copying every read, then with the pipe that
 * bulk peers are spliced through, which must be empty after every call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/echo.h"

#define SCRATCH 4096

/* The next malloc() fails with ENOMEM (the executable is linked with --wrap=malloc). */
static int fail_next_malloc;
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
	if (fail_next_malloc) {
		fail_next_malloc = 0;
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

static char scratch_buf[SCRATCH];
static struct echo_io io = {scratch_buf, SCRATCH, {-1, -1}};

/* sv[0] is the server end, sv[1] the client end; both non-blocking. @buf > 0 shrinks buffers. */
static void make_pair(int sv[2], int buf)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fcntl(sv[i], F_SETFL, O_NONBLOCK), 0);
		if (buf > 0) {
			assert_int_equal(
				setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)), 0);
			assert_int_equal(
				setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)), 0);
		}
	}
}

static int inq(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i % 251 + (i / 251) % 5);
}

/* Write from @buf[*done] up to @total until the socket would block. */
static void write_until_full(int fd, const unsigned char *buf, size_t total, size_t *done)
{
	while (*done < total) {
		ssize_t n = write(fd, buf + *done, total - *done < 1000 ? total - *done : 1000);
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		*done += (size_t)n;
	}
}

/* Read what is there into @buf[*done], up to @total. */
static void read_available(int fd, unsigned char *buf, size_t total, size_t *done)
{
	while (*done < total) {
		ssize_t n = read(fd, buf + *done, total - *done);
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		assert_true(n > 0);
		*done += (size_t)n;
	}
}

/* Between two calls, the pipe holds nothing: no peer's bytes can reach another. */
static void assert_pipe_empty(void)
{
	if (io.pipe[0] >= 0)
		assert_int_equal(inq(io.pipe[0]), 0);
}

/* One step of the worker's loop for this connection. */
static int step(int fd, int state, struct echo_buf *b, uint64_t *echoed)
{
	int r = state == ECHO_WRITE ? echo_write(fd, b, echoed)
				    : echo_read(fd, b, &io, 16, 0, echoed);

	assert_true(r >= 0);
	assert_true(echo_pending(b) <= SCRATCH);
	assert_pipe_empty();
	return r;
}

/*
 * Stream @total bytes through the echo with the client writing and reading as it can, then end
 * with shutdown(SHUT_WR); checks every byte and the counter.
 */
static void stream(int sv[2], size_t total)
{
	unsigned char *out = malloc(total), *in = malloc(total);
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	size_t sent = 0, got = 0;
	int state = ECHO_READ, shut = 0;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < total; i++)
		out[i] = pattern(i);
	for (unsigned int rounds = 0; state != ECHO_DONE; rounds++) {
		assert_true(rounds < 1000000);
		write_until_full(sv[1], out, total, &sent);
		if (sent == total && !shut) {
			assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
			shut = 1;
		}
		state = step(sv[0], state, &b, &echoed);
		read_available(sv[1], in, total, &got);
		assert_true(echoed >= got);
	}
	read_available(sv[1], in, total, &got);
	assert_int_equal(got, total);
	assert_memory_equal(in, out, total);
	assert_int_equal(echoed, total);
	assert_int_equal(echo_pending(&b), 0);
	assert_null(b.data);
	free(out);
	free(in);
}

static void echoes_whole_and_in_order(void **state)
{
	int sv[2];
	char back[64];
	struct echo_buf b = {0};
	uint64_t echoed = 0;

	make_pair(sv, 0);
	assert_int_equal(write(sv[1], "hello, ", 7), 7);
	assert_int_equal(write(sv[1], "world\n", 6), 6);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_int_equal(echoed, 13);
	assert_int_equal(echo_pending(&b), 0);
	assert_int_equal(read(sv[1], back, sizeof(back)), 13);
	assert_memory_equal(back, "hello, world\n", 13);
	/* Nothing more to read: ECHO_READ, nothing sent. */
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_int_equal(echoed, 13);
	assert_int_equal(inq(sv[1]), 0);
	close(sv[0]);
	close(sv[1]);

	/* Every byte value, and much more than one scratch buffer. */
	make_pair(sv, 0);
	stream(sv, 1 << 20);
	close(sv[0]);
	close(sv[1]);
}

static void short_read_is_echoed_at_once(void **state)
{
	int sv[2];
	char big[10000], back[10000];
	struct echo_buf b = {0};
	uint64_t echoed = 0;

	make_pair(sv, 0);
	assert_int_equal(write(sv[1], "ab", 2), 2);
	assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_READ);
	assert_int_equal(inq(sv[1]), 2);
	assert_int_equal(echoed, 2);
	assert_int_equal(read(sv[1], back, sizeof(back)), 2);
	assert_memory_equal(back, "ab", 2);

	/* One read per unit of budget, each echoed before the next. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)pattern(i);
	assert_int_equal(write(sv[1], big, sizeof(big)), sizeof(big));
	assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_MORE);
	assert_int_equal(inq(sv[1]), SCRATCH);
	assert_int_equal(inq(sv[0]), sizeof(big) - SCRATCH);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_int_equal(inq(sv[0]), 0);
	assert_int_equal(echoed, 2 + sizeof(big));
	assert_int_equal(read(sv[1], back, sizeof(back)), sizeof(back));
	assert_memory_equal(back, big, sizeof(big));
	/* A zero budget reads nothing, and says there may be more. */
	assert_int_equal(write(sv[1], "z", 1), 1);
	assert_int_equal(echo_read(sv[0], &b, &io, 0, 0, &echoed), ECHO_MORE);
	assert_int_equal(inq(sv[0]), 1);
	/* Told to read until EAGAIN: past the short read, to EAGAIN, and the peer is still there.
	 */
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 1, &echoed), ECHO_READ);
	assert_int_equal(inq(sv[0]), 0);
	assert_int_equal(echoed, 2 + sizeof(big) + 1);
	close(sv[0]);
	close(sv[1]);
}

static void eof_gives_done(void **state)
{
	int sv[2];
	char back[8];
	struct echo_buf b = {0};
	uint64_t echoed = 0;

	make_pair(sv, 0);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_DONE);
	assert_int_equal(echoed, 0);
	close(sv[0]);
	close(sv[1]);

	/*
	 * The last bytes before EOF come back, then ECHO_DONE: at the next call, or at once when
	 * told to read past a short read until EAGAIN or EOF.
	 */
	for (int until_eagain = 0; until_eagain <= 1; until_eagain++) {
		echoed = 0;
		make_pair(sv, 0);
		assert_int_equal(write(sv[1], "bye", 3), 3);
		assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
		if (!until_eagain)
			assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
		assert_int_equal(echo_read(sv[0], &b, &io, 16, until_eagain, &echoed), ECHO_DONE);
		assert_int_equal(echoed, 3);
		assert_int_equal(read(sv[1], back, sizeof(back)), 3);
		assert_memory_equal(back, "bye", 3);
		close(sv[0]);
		close(sv[1]);
	}

	/* A peer that closed entirely, having read everything, is also just done. */
	make_pair(sv, 0);
	close(sv[1]);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_DONE);
	close(sv[0]);
}

/*
 * Why the worker reads until EAGAIN after EPOLLPRI: the kernel ends a read before an out-of-band
 * mark, bytes still queued behind it. The out-of-band byte itself is not part of the stream.
 */
static void out_of_band_mark_ends_a_read(void **state)
{
	int sv[2];
	char back[8];
	struct echo_buf b = {0};
	uint64_t echoed = 0;

	make_pair(sv, 0);
	assert_int_equal(write(sv[1], "abc", 3), 3);
	if (send(sv[1], "d", 1, MSG_OOB) < 0) {
		fprintf(stderr, "skipped: no AF_UNIX out-of-band data here: %s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		skip();
	}
	assert_int_equal(write(sv[1], "efg", 3), 3);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_int_equal(echoed, 3);
	assert_true(inq(sv[0]) > 0);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 1, &echoed), ECHO_READ);
	assert_int_equal(echoed, 6);
	assert_int_equal(read(sv[1], back, sizeof(back)), 6);
	assert_memory_equal(back, "abcefg", 6);
	close(sv[0]);
	close(sv[1]);
}

static void peer_that_does_not_read(void **state)
{
	size_t cap = 8 << 20, sent = 0, got = 0;
	unsigned char *out = malloc(cap), *in = malloc(cap);
	struct echo_buf b = {0};
	uint64_t echoed = 0, echoed_then;
	size_t pending;
	int sv[2], r = ECHO_READ, queued;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < cap; i++)
		out[i] = pattern(i);
	make_pair(sv, 4096);

	/* The client writes and never reads, until the server has to hold bytes back. */
	for (int rounds = 0; r != ECHO_WRITE; rounds++) {
		assert_true(rounds < 10000);
		write_until_full(sv[1], out, cap, &sent);
		assert_true(sent < cap);
		r = echo_read(sv[0], &b, &io, 64, 0, &echoed);
		assert_true(r == ECHO_READ || r == ECHO_MORE || r == ECHO_WRITE);
	}
	assert_pipe_empty();
	pending = echo_pending(&b);
	assert_true(pending > 0);
	assert_true(pending <= SCRATCH);
	/* Everything sent back so far is waiting, unread, at the client. */
	assert_int_equal(echoed, inq(sv[1]));
	assert_int_equal(echoed + pending + (size_t)inq(sv[0]), sent);

	/* Whatever else the client sends stays in the server's socket. */
	write_until_full(sv[1], out, cap, &sent);
	queued = inq(sv[0]);
	assert_true(queued > 0);
	assert_int_equal(echoed + pending + (size_t)queued, sent);
	echoed_then = echoed;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(echo_read(sv[0], &b, &io, 64, 0, &echoed), ECHO_WRITE);
		assert_int_equal(inq(sv[0]), queued);
		assert_int_equal(echo_pending(&b), pending);
		assert_int_equal(echoed, echoed_then);
		assert_int_equal(echo_write(sv[0], &b, &echoed), ECHO_WRITE);
		assert_int_equal(echo_pending(&b), pending);
		assert_int_equal(echoed, echoed_then);
	}

	/* The client drains: the held bytes go first, then reading resumes. */
	read_available(sv[1], in, cap, &got);
	assert_int_equal(got, echoed);
	r = echo_write(sv[0], &b, &echoed);
	assert_int_equal(r, ECHO_READ);
	assert_int_equal(echo_pending(&b), 0);
	assert_null(b.data);
	assert_int_equal(echoed, echoed_then + pending);
	assert_int_equal(inq(sv[0]), queued);

	/* And the rest of the conversation completes, every byte in place. */
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	for (int rounds = 0; r != ECHO_DONE; rounds++) {
		assert_true(rounds < 100000);
		r = step(sv[0], r, &b, &echoed);
		read_available(sv[1], in, cap, &got);
	}
	read_available(sv[1], in, cap, &got);
	assert_int_equal(got, sent);
	assert_int_equal(echoed, sent);
	assert_memory_equal(in, out, sent);

	echo_release(&b);
	close(sv[0]);
	close(sv[1]);
	free(out);
	free(in);
}

static void closed_peer_is_an_error_not_sigpipe(void **state)
{
	char big[1 << 16];
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	void (*old)(int) = signal(SIGPIPE, SIG_DFL);
	sigset_t pending;
	int sv[2], r = ECHO_READ;

	/* The peer wrote, then left without reading: echo_read's send fails. */
	make_pair(sv, 0);
	assert_int_equal(write(sv[1], "gone", 4), 4);
	close(sv[1]);
	r = echo_read(sv[0], &b, &io, 16, 0, &echoed);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	assert_int_equal(echoed, 0);
	echo_release(&b);
	close(sv[0]);

	/* Bytes held for a peer that then leaves: echo_write fails. */
	memset(big, 'x', sizeof(big));
	make_pair(sv, 4096);
	r = ECHO_READ;
	for (int rounds = 0; r != ECHO_WRITE; rounds++) {
		assert_true(rounds < 10000);
		if (write(sv[1], big, sizeof(big)) < 0)
			assert_int_equal(errno, EAGAIN);
		r = echo_read(sv[0], &b, &io, 64, 0, &echoed);
		assert_true(r >= 0);
	}
	assert_true(echo_pending(&b) > 0);
	close(sv[1]);
	r = echo_write(sv[0], &b, &echoed);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	/* Still a failure on the next attempt, from either side. */
	r = echo_write(sv[0], &b, &echoed);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	echo_release(&b);
	assert_int_equal(echo_pending(&b), 0);
	r = echo_read(sv[0], &b, &io, 16, 0, &echoed);
	assert_true(r < 0 || r == ECHO_DONE);
	close(sv[0]);

	/* We are still alive, and no SIGPIPE waits for us either. */
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGPIPE));
	signal(SIGPIPE, old);
}

/* No memory to hold what a peer would not take: the connection fails, and nothing is held. */
static void no_memory_to_hold_is_an_error(void **state)
{
	size_t cap = 4 << 20, sent = 0;
	unsigned char *out = malloc(cap);
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	int sv[2], r = ECHO_READ;

	assert_non_null(out);
	for (size_t i = 0; i < cap; i++)
		out[i] = pattern(i);
	make_pair(sv, 0);
	for (int rounds = 0; r != -ENOMEM; rounds++) {
		assert_true(rounds < 10000);
		write_until_full(sv[1], out, cap, &sent);
		fail_next_malloc = 1;
		r = echo_read(sv[0], &b, &io, 16, 0, &echoed);
		assert_true(r == ECHO_READ || r == ECHO_MORE || r == -ENOMEM);
	}
	fail_next_malloc = 0;
	assert_null(b.data);
	assert_int_equal(echo_pending(&b), 0);
	assert_pipe_empty();
	close(sv[0]);
	close(sv[1]);
	free(out);
}

static void release_and_pending(void **state)
{
	struct echo_buf b = {.data = malloc(10), .len = 10, .off = 4};

	assert_non_null(b.data);
	assert_int_equal(echo_pending(&b), 6);
	echo_release(&b);
	assert_null(b.data);
	assert_int_equal(echo_pending(&b), 0);
	echo_release(&b); /* twice is harmless */
}

/*
 * A read that fills the scratch buffer makes a bulk peer, whose reads then go through the pipe:
 * the scratch buffer still holds the first read when four more have been echoed. A read of less
 * than an eighth of it makes the peer's reads copies again.
 */
static void bulk_peer_is_spliced_then_copied(void **state)
{
	char chunk[5][SCRATCH], back[5 * SCRATCH];
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	int sv[2];

	make_pair(sv, 0);
	for (int k = 0; k < 5; k++) {
		memset(chunk[k], 'a' + k, SCRATCH);
		assert_int_equal(write(sv[1], chunk[k], SCRATCH), SCRATCH);
	}
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_int_equal(echoed, sizeof(back));
	assert_true(b.bulk);
	assert_pipe_empty();
	assert_memory_equal(io.scratch, chunk[0], SCRATCH);
	assert_int_equal(recv(sv[1], back, sizeof(back), MSG_WAITALL), sizeof(back));
	assert_memory_equal(back, chunk, sizeof(back));

	/* A trickle: spliced once, and then copied, the scratch buffer shows it. */
	assert_int_equal(write(sv[1], "tiny", 4), 4);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_false(b.bulk);
	assert_memory_equal(io.scratch, chunk[0], 4);
	assert_int_equal(write(sv[1], "next", 4), 4);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_memory_equal(io.scratch, "next", 4);
	assert_int_equal(echoed, sizeof(back) + 8);
	assert_int_equal(recv(sv[1], back, 8, MSG_WAITALL), 8);
	assert_memory_equal(back, "tinynext", 8);
	assert_pipe_empty();
	close(sv[0]);
	close(sv[1]);
}

/*
 * A splice stops short before an out-of-band mark, with more queued: a bulk peer is read on until
 * EAGAIN, never taken to be drained by a short read.
 */
static void bulk_read_goes_past_a_short_splice(void **state)
{
	char big[SCRATCH], piece[1000], back[SCRATCH + 2 * sizeof(piece)];
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	int sv[2];

	make_pair(sv, 0);
	memset(big, 'b', sizeof(big));
	memset(piece, 'p', sizeof(piece));
	assert_int_equal(write(sv[1], big, sizeof(big)), sizeof(big));
	assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_MORE);
	assert_true(b.bulk);
	assert_int_equal(write(sv[1], piece, sizeof(piece)), sizeof(piece));
	if (send(sv[1], "!", 1, MSG_OOB) < 0) {
		fprintf(stderr, "skipped: no AF_UNIX out-of-band data here: %s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		skip();
	}
	assert_int_equal(write(sv[1], piece, sizeof(piece)), sizeof(piece));
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
	assert_int_equal(echoed, sizeof(back)); /* FIONREAD would count the out-of-band byte */
	assert_true(b.bulk);
	assert_pipe_empty();
	assert_int_equal(recv(sv[1], back, sizeof(back), MSG_WAITALL), sizeof(back));
	close(sv[0]);
	close(sv[1]);
}

/*
 * Small writes fill the pipe's buffers before the splice has the bytes it asked for: the read
 * goes on, spliced while a splice still brings an eighth of the scratch buffer, copied after.
 */
static void bulk_read_goes_past_a_full_pipe(void **state)
{
	static const size_t sizes[] = {20, 100};
	char big[SCRATCH], piece[100], back[150 * sizeof(piece)];

	memset(big, 'b', sizeof(big));
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct echo_buf b = {0};
		uint64_t echoed = 0;
		size_t n = 150 * sizes[k];
		int sv[2];

		make_pair(sv, 0);
		assert_int_equal(write(sv[1], big, sizeof(big)), sizeof(big));
		assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_MORE);
		assert_int_equal(recv(sv[1], back, SCRATCH, MSG_WAITALL), SCRATCH);
		assert_true(b.bulk);
		for (int i = 0; i < 150; i++) {
			memset(piece, 'a' + i % 26, sizes[k]);
			assert_int_equal(write(sv[1], piece, sizes[k]), sizes[k]);
		}
		assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_READ);
		assert_int_equal(inq(sv[0]), 0);
		assert_int_equal(echoed, SCRATCH + n);
		assert_pipe_empty();
		assert_int_equal(recv(sv[1], back, n, MSG_WAITALL), n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(back[i], 'a' + (int)(i / sizes[k]) % 26);
		close(sv[0]);
		close(sv[1]);
	}
}

/* A bulk peer that stops reading: what the splice back left in the pipe is held, in order. */
static void spliced_rest_is_held(void **state)
{
	size_t cap = 4 << 20, sent = 0, got = 0;
	unsigned char *out = malloc(cap), *in = malloc(cap);
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	int sv[2], r = ECHO_READ;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < cap; i++)
		out[i] = pattern(i);
	make_pair(sv, 0);
	assert_int_equal(write(sv[1], out, SCRATCH), SCRATCH);
	assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_MORE);
	assert_true(b.bulk);
	sent = SCRATCH;
	for (int rounds = 0; r != ECHO_WRITE; rounds++) {
		assert_true(rounds < 10000);
		write_until_full(sv[1], out, cap, &sent);
		r = step(sv[0], r, &b, &echoed);
	}
	assert_true(b.bulk);
	assert_true(echo_pending(&b) > 0);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	for (int rounds = 0; r != ECHO_DONE; rounds++) {
		assert_true(rounds < 100000);
		read_available(sv[1], in, cap, &got);
		r = step(sv[0], r, &b, &echoed);
	}
	read_available(sv[1], in, cap, &got);
	assert_int_equal(got, sent);
	assert_memory_equal(in, out, sent);
	close(sv[0]);
	close(sv[1]);
	free(out);
	free(in);
}

/* A bulk peer's end of the stream: its last bytes come back, then ECHO_DONE. */
static void bulk_peer_eof_is_done(void **state)
{
	char big[2 * SCRATCH], back[2 * SCRATCH];
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	int sv[2];

	make_pair(sv, 0);
	memset(big, 'e', sizeof(big));
	assert_int_equal(write(sv[1], big, sizeof(big)), sizeof(big));
	assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_MORE);
	assert_true(b.bulk);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	assert_int_equal(echo_read(sv[0], &b, &io, 16, 0, &echoed), ECHO_DONE);
	assert_int_equal(echoed, sizeof(big));
	assert_pipe_empty();
	assert_int_equal(recv(sv[1], back, sizeof(back), MSG_WAITALL), sizeof(back));
	assert_memory_equal(back, big, sizeof(big));
	close(sv[0]);
	close(sv[1]);
}

/* A bulk peer that sent and left: the splice back fails, and its bytes do not stay in the pipe. */
static void spliced_peer_gone_is_an_error(void **state)
{
	char big[3 * SCRATCH];
	struct echo_buf b = {0};
	uint64_t echoed = 0;
	sigset_t pending;
	int sv[2], r;

	make_pair(sv, 0);
	memset(big, 'g', sizeof(big));
	assert_int_equal(write(sv[1], big, sizeof(big)), sizeof(big));
	assert_int_equal(echo_read(sv[0], &b, &io, 1, 0, &echoed), ECHO_MORE);
	assert_true(b.bulk);
	close(sv[1]);
	r = echo_read(sv[0], &b, &io, 16, 0, &echoed);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	assert_int_equal(echoed, SCRATCH);
	assert_int_equal(echo_pending(&b), 0);
	assert_null(b.data);
	assert_true(io.pipe[0] >= 0);
	assert_pipe_empty();
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGPIPE));
	close(sv[0]);
}

/* Why echo_io_pipe() wants SIGPIPE ignored: the kernel raises it for a splice to a peer gone. */
static void splice_to_a_gone_peer_raises_sigpipe(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int sv[2], p[2];

		signal(SIGPIPE, SIG_DFL);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0 ||
		    write(sv[1], "x", 1) != 1 || splice(sv[0], NULL, p[1], NULL, 1, 0) != 1)
			_exit(2);
		close(sv[1]);
		splice(p[0], NULL, sv[0], NULL, 1, 0);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGPIPE);
}

static void pipe_only_where_sigpipe_is_ignored(void **state)
{
	struct echo_io t = {io.scratch, SCRATCH, {-1, -1}};
	void (*old)(int) = signal(SIGPIPE, SIG_DFL);

	assert_int_equal(echo_io_pipe(&t), -EPERM);
	assert_int_equal(t.pipe[0], -1);
	assert_int_equal(t.pipe[1], -1);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(echo_io_pipe(&t), 0);
	assert_true(t.pipe[0] >= 0 && t.pipe[1] >= 0);
	assert_true(fcntl(t.pipe[0], F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(t.pipe[1], F_GETFD) & FD_CLOEXEC);
	close(t.pipe[0]);
	close(t.pipe[1]);
	signal(SIGPIPE, old);
}

static int with_pipe(void **state)
{
	return signal(SIGPIPE, SIG_IGN) == SIG_ERR || echo_io_pipe(&io) < 0 ? -1 : 0;
}

static int without_pipe(void **state)
{
	close(io.pipe[0]);
	close(io.pipe[1]);
	io.pipe[0] = io.pipe[1] = -1;
	signal(SIGPIPE, SIG_DFL);
	return 0;
}

#define BOTH_WAYS                                                                                  \
	cmocka_unit_test(echoes_whole_and_in_order),                                               \
		cmocka_unit_test(short_read_is_echoed_at_once), cmocka_unit_test(eof_gives_done),  \
		cmocka_unit_test(out_of_band_mark_ends_a_read),                                    \
		cmocka_unit_test(peer_that_does_not_read),                                         \
		cmocka_unit_test(closed_peer_is_an_error_not_sigpipe),                             \
		cmocka_unit_test(no_memory_to_hold_is_an_error),                                   \
		cmocka_unit_test(release_and_pending)

int main(void)
{
	const struct CMUnitTest copied[] = {
		BOTH_WAYS,
		cmocka_unit_test(pipe_only_where_sigpipe_is_ignored),
		cmocka_unit_test(splice_to_a_gone_peer_raises_sigpipe),
	};
	const struct CMUnitTest spliced[] = {
		BOTH_WAYS,
		cmocka_unit_test(bulk_peer_is_spliced_then_copied),
		cmocka_unit_test(bulk_read_goes_past_a_short_splice),
		cmocka_unit_test(bulk_read_goes_past_a_full_pipe),
		cmocka_unit_test(spliced_rest_is_held),
		cmocka_unit_test(bulk_peer_eof_is_done),
		cmocka_unit_test(spliced_peer_gone_is_an_error),
	};

	return cmocka_run_group_tests_name("echo, copied", copied, NULL, NULL) |
	       cmocka_run_group_tests_name("echo, spliced", spliced, with_pipe, without_pipe);
}
