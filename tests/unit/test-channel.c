// SPDX-License-Identifier: MIT
/*
 * Unit tests for channel over socketpair(2): sv[0] is the worker's end, non-blocking, so a read
 * with nothing queued says CHANNEL_MORE instead of waiting; sv[1] is the monitor's. Frames are
 * built by hand from the documented format, so the decoder is tested on bytes the encoder would
 * never write, and the encoder's bytes are compared with the format. The decoder also runs once
 * under the worker's real seccomp filter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/channel.h"
#include "udsecho/sandbox.h"

/* One stream and its reader: sv[0], the reading end, is non-blocking; sv[1] writes. */
struct fx {
	int sv[2];
	struct channel_reader r;
	struct channel_msg m;
	char buf[64];
};

static void fx_open(struct fx *f)
{
	*f = (struct fx){.r = {0}};
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(fcntl(f->sv[0], F_SETFL, O_NONBLOCK), 0);
}

static void fx_close(struct fx *f)
{
	channel_reader_release(&f->r);
	close(f->sv[0]);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
}

/* The writer goes away. */
static void fx_hang_up(struct fx *f)
{
	close(f->sv[1]);
	f->sv[1] = -1;
}

static int setup(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	if (!f)
		return -1;
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_close(*state);
	free(*state);
	return 0;
}

/* One channel_read() on @f's stream. */
static int rd(struct fx *f)
{
	return channel_read(&f->r, f->sv[0], &f->m);
}

static int inq(int fd)
{
	int n = -1;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

/* A frame by hand into @buf: @len as the length field, then @type and @plen bytes of @payload. */
static size_t frame(char *buf, uint32_t len, unsigned char type, const char *payload, size_t plen)
{
	memcpy(buf, &len, sizeof(len));
	buf[sizeof(len)] = (char)type;
	memcpy(buf + sizeof(len) + 1, payload, plen);
	return sizeof(len) + 1 + plen;
}

static void put(int fd, const void *p, size_t len)
{
	assert_int_equal(write(fd, p, len), (ssize_t)len);
}

/* Read until something other than CHANNEL_MORE. */
static int read_until(struct fx *f)
{
	int res, calls = 0;

	do {
		res = rd(f);
		assert_true(++calls < 100000);
	} while (res == CHANNEL_MORE);
	return res;
}

static void assert_msg(const struct fx *f, unsigned int type, const char *payload, size_t len)
{
	assert_int_equal(f->m.type, type);
	assert_int_equal(f->m.len, len);
	assert_memory_equal(f->m.payload, payload, len);
}

static void whole_message(void **state)
{
	struct fx *f = *state;

	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_POLICY, "policy\0bytes", 12), 0);
	/* One read for the length, one for the body. */
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_int_equal(rd(f), 0);
	assert_msg(f, CHANNEL_MSG_POLICY, "policy\0bytes", 12);
	assert_int_equal(inq(f->sv[0]), 0);
	/* Nothing more queued: a non-blocking read says so. */
	assert_int_equal(rd(f), CHANNEL_MORE);

	/* An empty payload is a frame of one byte. */
	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_STATUS, "", 0), 0);
	assert_int_equal(read_until(f), 0);
	assert_msg(f, CHANNEL_MSG_STATUS, "", 0);
	/* The monitor's probe is one, and a type the reader knows. */
	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_PROBE, "", 0), 0);
	assert_int_equal(read_until(f), 0);
	assert_msg(f, CHANNEL_MSG_PROBE, "", 0);
}

/* What channel_send() writes is the documented format, to the byte. */
static void send_writes_the_format(void **state)
{
	struct fx *f = *state;
	size_t n = frame(f->buf, 6, CHANNEL_MSG_STATUS, "hello", 5);
	char got[64];

	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_STATUS, "hello", 5), 0);
	assert_int_equal(read(f->sv[0], got, sizeof(got)), (ssize_t)n);
	assert_memory_equal(got, f->buf, n);
}

/* The writer sends one byte at a time: each read takes what is there and asks for more. */
static void one_byte_at_a_time(void **state)
{
	struct fx *f = *state;
	size_t n = frame(f->buf, 11, CHANNEL_MSG_POLICY, "0123456789", 10);

	for (size_t i = 0; i + 1 < n; i++) {
		put(f->sv[1], f->buf + i, 1);
		assert_int_equal(rd(f), CHANNEL_MORE);
		assert_int_equal(inq(f->sv[0]), 0);
		/* Nothing queued now: still more to come, and nothing lost. */
		assert_int_equal(rd(f), CHANNEL_MORE);
	}
	put(f->sv[1], f->buf + n - 1, 1);
	assert_int_equal(rd(f), 0);
	assert_msg(f, CHANNEL_MSG_POLICY, "0123456789", 10);
}

/* The length arrives in pieces, the last one together with the body. */
static void header_split(void **state)
{
	struct fx *f = *state;
	size_t n = frame(f->buf, 4, CHANNEL_MSG_STATUS, "abc", 3);

	put(f->sv[1], f->buf, 2);
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_int_equal(rd(f), CHANNEL_MORE);
	put(f->sv[1], f->buf + 2, 1);
	assert_int_equal(rd(f), CHANNEL_MORE);
	put(f->sv[1], f->buf + 3, n - 3);
	assert_int_equal(rd(f), CHANNEL_MORE); /* the last length byte, and not one more */
	assert_int_equal(inq(f->sv[0]), 4);
	assert_int_equal(rd(f), 0);
	assert_msg(f, CHANNEL_MSG_STATUS, "abc", 3);
}

/* A frame whose body comes in pieces, the first piece together with the length. */
static void body_split(void **state)
{
	struct fx *f = *state;
	char payload[3000], buf[3100];
	size_t n;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)(i * 7);
	n = frame(buf, sizeof(payload) + 1, CHANNEL_MSG_POLICY, payload, sizeof(payload));
	put(f->sv[1], buf, 1000);
	assert_int_equal(rd(f), CHANNEL_MORE);
	/* The reader never takes more than the length: the body's first bytes are still queued. */
	assert_int_equal(inq(f->sv[0]), 996);
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_int_equal(rd(f), CHANNEL_MORE);
	put(f->sv[1], buf + 1000, 1000);
	assert_int_equal(rd(f), CHANNEL_MORE);
	put(f->sv[1], buf + 2000, n - 2000);
	assert_int_equal(rd(f), 0);
	assert_msg(f, CHANNEL_MSG_POLICY, payload, sizeof(payload));
}

/* Three frames in one write come out as three messages, in order, and nothing more. */
static void several_frames_in_one_write(void **state)
{
	struct fx *f = *state;
	size_t n = 0;

	n += frame(f->buf + n, 4, CHANNEL_MSG_POLICY, "one", 3);
	n += frame(f->buf + n, 1, CHANNEL_MSG_STATUS, "", 0);
	n += frame(f->buf + n, 6, CHANNEL_MSG_STATUS, "three", 5);
	put(f->sv[1], f->buf, n);
	assert_int_equal(read_until(f), 0);
	assert_msg(f, CHANNEL_MSG_POLICY, "one", 3);
	assert_int_equal(read_until(f), 0);
	assert_msg(f, CHANNEL_MSG_STATUS, "", 0);
	assert_int_equal(read_until(f), 0);
	assert_msg(f, CHANNEL_MSG_STATUS, "three", 5);
	assert_int_equal(inq(f->sv[0]), 0);
	assert_int_equal(rd(f), CHANNEL_MORE);
}

/* @len as a length field is a protocol error, reported with the length, and stays one. */
static void assert_bad_length(uint32_t len)
{
	struct fx f;
	size_t n;

	fx_open(&f);
	n = frame(f.buf, len, CHANNEL_MSG_POLICY, "xyz", 3);
	put(f.sv[1], f.buf, n);
	assert_int_equal(rd(&f), CHANNEL_E_LENGTH);
	assert_int_equal(f.m.len, len);
	assert_null(f.r.body);
	/* Out of step: not another byte is read. */
	assert_int_equal(rd(&f), CHANNEL_E_LENGTH);
	assert_int_equal(inq(f.sv[0]), (int)(n - sizeof(len)));
	fx_close(&f);
}

static void zero_length(void **state)
{
	assert_bad_length(0);
}

static void length_over_the_limit(void **state)
{
	assert_bad_length(CHANNEL_MSG_MAX + 1);
	assert_bad_length(UINT32_MAX);
}

/*
 * The largest length is taken: the body is allocated (and, untouched, costs no memory) and read
 * into, until the writer gives up.
 */
static void length_at_the_limit(void **state)
{
	struct fx *f = *state;

	put(f->sv[1], f->buf, frame(f->buf, CHANNEL_MSG_MAX, CHANNEL_MSG_POLICY, "partial", 7));
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_non_null(f->r.body);
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_int_equal(f->r.have, 8);
	assert_int_equal(inq(f->sv[0]), 0);
	fx_hang_up(f);
	assert_int_equal(rd(f), CHANNEL_EOF);
}

/* The encoder refuses what the decoder would, before writing a byte. */
static void send_refuses_over_the_limit(void **state)
{
	struct fx *f = *state;

	/* The size is checked first: the payload is never read. */
	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_POLICY, f->buf, CHANNEL_MSG_MAX),
			 -E2BIG);
	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_POLICY, f->buf, SIZE_MAX), -E2BIG);
	assert_int_equal(inq(f->sv[0]), 0);
}

/* A closed reader is -EPIPE for the writer, never a SIGPIPE. */
static void send_to_a_closed_peer(void **state)
{
	struct fx *f = *state;

	shutdown(f->sv[0], SHUT_RD);
	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_STATUS, "x", 1), -EPIPE);
}

/* A type byte that is no message: a protocol error with the byte, after the whole frame. */
static void unknown_type(void **state)
{
	static const unsigned char types[] = {0, 7, 0x7f, 0x80, 0xff};

	for (size_t i = 0; i < sizeof(types); i++) {
		struct fx f;
		size_t n;

		fx_open(&f);
		n = frame(f.buf, 3, types[i], "ab", 2);
		put(f.sv[1], f.buf, n);
		put(f.sv[1], f.buf, n);
		assert_int_equal(read_until(&f), CHANNEL_E_TYPE);
		assert_int_equal(f.m.type, types[i]);
		assert_int_equal(inq(f.sv[0]), (int)n);
		/* The next frame is not read: the stream is out of step. */
		assert_int_equal(rd(&f), CHANNEL_E_TYPE);
		assert_int_equal(inq(f.sv[0]), (int)n);
		fx_close(&f);
	}
}

/* The writer closes after @sent bytes of a frame: no message, the end of the stream. */
static void assert_eof_after(size_t sent)
{
	struct fx f;

	fx_open(&f);
	assert_true(sent < frame(f.buf, 9, CHANNEL_MSG_POLICY, "payload!", 8));
	put(f.sv[1], f.buf, sent);
	fx_hang_up(&f);
	assert_int_equal(read_until(&f), CHANNEL_EOF);
	assert_int_equal(rd(&f), CHANNEL_EOF);
	fx_close(&f);
}

static void eof_in_the_length(void **state)
{
	assert_eof_after(1);
	assert_eof_after(3);
}

static void eof_in_the_body(void **state)
{
	assert_eof_after(4); /* the length whole, no body */
	assert_eof_after(5); /* the type byte, no payload */
	assert_eof_after(10);
}

static void eof_between_frames(void **state)
{
	struct fx *f = *state;

	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_STATUS, "last", 4), 0);
	fx_hang_up(f);
	assert_int_equal(read_until(f), 0);
	assert_msg(f, CHANNEL_MSG_STATUS, "last", 4);
	assert_int_equal(rd(f), CHANNEL_EOF);
}

/* Released mid-frame, a reader starts a new stream afresh. */
static void release_starts_afresh(void **state)
{
	struct fx *f = *state;
	struct fx next;
	size_t n = frame(f->buf, 5, CHANNEL_MSG_POLICY, "abcd", 4);

	put(f->sv[1], f->buf, n - 2);
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_int_equal(rd(f), CHANNEL_MORE);
	assert_int_equal(f->r.have, 3);
	channel_reader_release(&f->r);
	assert_null(f->r.body);
	assert_int_equal(f->r.hdr_have, 0);

	fx_open(&next);
	put(next.sv[1], f->buf, n);
	assert_int_equal(channel_read(&f->r, next.sv[0], &f->m), CHANNEL_MORE);
	assert_int_equal(channel_read(&f->r, next.sv[0], &f->m), 0);
	assert_msg(f, CHANNEL_MSG_POLICY, "abcd", 4);
	fx_close(&next);
}

/*
 * In a forked child: read one policy message of the @len bytes at @payload, then the end of the
 * stream, and exit 0; 91 for another message, 92 for anything after it.
 */
static _Noreturn void read_one_policy(struct fx *f, const char *payload, size_t len)
{
	int res;

	while ((res = rd(f)) == CHANNEL_MORE)
		;
	if (res != 0 || f->m.type != CHANNEL_MSG_POLICY || f->m.len != len ||
	    memcmp(f->m.payload, payload, len) != 0)
		_exit(91);
	channel_reader_release(&f->r);
	_exit(rd(f) == CHANNEL_EOF ? 0 : 92);
}

/*
 * @len bytes of a pattern, and a forked child that reads them as one policy message, blocking in
 * read(2) as the worker does until its first policy, under the worker's filter when @confined.
 * Returns the child's pid; the pattern is in *@payload, the caller's to free.
 */
static pid_t start_reader(struct fx *f, size_t len, int confined, char **payload)
{
	char *p = malloc(len);
	pid_t pid;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i % 251);
	assert_int_equal(fcntl(f->sv[0], F_SETFL, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(f->sv[1]);
		if (confined && sandbox_worker(SANDBOX_STRICT, NULL) < 0)
			_exit(90);
		read_one_policy(f, p, len);
	}
	*payload = p;
	return pid;
}

/* The writer goes away, and the reader @pid must have read the message whole, and nothing more. */
static void reader_read_it(struct fx *f, pid_t pid)
{
	int status;

	fx_hang_up(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFSIGNALED(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Under the worker's allow-list, in a forked child: a message of several pages, so that malloc
 * and free go to the kernel for it, and EOF. A call outside the list would kill the child.
 */
static void reads_under_the_worker_filter(void **state)
{
	enum { PAYLOAD = 1 << 20 };
	struct fx *f = *state;
	char *payload;
	pid_t pid = start_reader(f, PAYLOAD, 1, &payload);

	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_POLICY, payload, PAYLOAD), 0);
	reader_read_it(f, pid);
	free(payload);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * A send that signals interrupt returns what it wrote so far: channel_send() goes on from there,
 * across the header and the payload, and the reader gets the frame whole, then nothing more.
 */
static void send_goes_on_after_a_short_write(void **state)
{
	enum { PAYLOAD = 8 << 20 };
	struct fx *f = *state;
	struct sigaction sa = {.sa_handler = on_alarm}, old; /* no SA_RESTART */
	struct itimerval tick = {.it_interval = {0, 200}, .it_value = {0, 200}}, off = {0};
	char *payload;
	pid_t pid = start_reader(f, PAYLOAD, 0, &payload);

	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &tick, NULL), 0);
	assert_int_equal(channel_send(f->sv[1], CHANNEL_MSG_POLICY, payload, PAYLOAD), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_true(alarms > 0);
	reader_read_it(f, pid);
	free(payload);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(whole_message),
		TEST(send_writes_the_format),
		TEST(one_byte_at_a_time),
		TEST(header_split),
		TEST(body_split),
		TEST(several_frames_in_one_write),
		cmocka_unit_test(zero_length),
		cmocka_unit_test(length_over_the_limit),
		TEST(length_at_the_limit),
		TEST(send_refuses_over_the_limit),
		TEST(send_to_a_closed_peer),
		cmocka_unit_test(unknown_type),
		cmocka_unit_test(eof_in_the_length),
		cmocka_unit_test(eof_in_the_body),
		TEST(eof_between_frames),
		TEST(release_starts_afresh),
		TEST(reads_under_the_worker_filter),
		TEST(send_goes_on_after_a_short_write),
	};

	/* SIGPIPE keeps its default action: a send without MSG_NOSIGNAL would end the test. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
