// SPDX-License-Identifier: MIT
/*
 * Integration: the echo and the client, with the real binaries — the seed's client pattern,
 * socat, udsecho (arguments, standard input, -v), 200 concurrent clients, a peer that never
 * reads, bytes that wait behind a shutdown or an out-of-band mark, descriptors refused, and every
 * client exit status, including refusals and replies that are not the echo.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct server srv;
static struct server old_kernel; /* older_kernels_stay_level_triggered's, stopped at the end */

static int start(void **state)
{
	return harness_server_start(&srv, NULL, NULL);
}

static int stop(void **state)
{
	int status = harness_server_stop(&srv);

	harness_rmtree(srv.dir);
	if (old_kernel.pid > 0) {
		harness_server_stop(&old_kernel);
		harness_rmtree(old_kernel.dir);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* As the seed's client does: one sendall, then recv(16) until all of it is back. */
static void seed_client_pattern(void **state)
{
	static const char msg[] = "This is the message.  It will be repeated.";
	char got[sizeof(msg)] = {0};
	size_t have = 0;
	int fd = harness_connect(srv.path);

	assert_true(fd >= 0);
	send_all(fd, msg, sizeof(msg) - 1);
	while (have < sizeof(msg) - 1) {
		ssize_t n = recv(fd, got + have, 16, 0);
		assert_true(n > 0 && n <= 16);
		have += (size_t)n;
	}
	assert_memory_equal(got, msg, sizeof(msg) - 1);
	close(fd);
}

static void socat_gets_its_message_back(void **state)
{
	char dir[64], in[96], out[96], target[160], buf[256];
	char *argv[] = {"/usr/bin/socat", "-", target, NULL};
	int pidfd, status, fd;
	pid_t pid;

	if (access(argv[0], X_OK) < 0) {
		fprintf(stderr, "skipped: socat is not installed\n");
		skip();
	}
	harness_tmpdir(dir, sizeof(dir));
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(target, sizeof(target), "UNIX-CONNECT:%s", srv.path);
	fd = open(in, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "hello from socat\n", 17), 17);
	close(fd);
	pid = harness_spawn(argv, NULL, in, out, NULL, -1, &pidfd);
	status = harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_read_file(out, buf, sizeof(buf));
	assert_string_equal(buf, "hello from socat\n");
	harness_rmtree(dir);
}

static void udsecho_message_and_trace(void **state)
{
	const char *args[] = {"-v", "-s", srv.path, "hello", "world", NULL};
	char out[256], err[1024];

	assert_int_equal(harness_client(args, NULL, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "hello world\n");
	assert_non_null(strstr(err, "connecting to "));
	assert_non_null(strstr(err, "sending 12 bytes: \"hello world\\n\""));
	assert_non_null(strstr(err, "received 12 bytes"));
	assert_non_null(strstr(err, "closing socket"));
}

static void udsecho_streams_stdin(void **state)
{
	const char *args[] = {"-s", srv.path, NULL};
	size_t len = 3u << 20;
	char *in = malloc(len), *out = malloc(len + 1), err[256];

	for (size_t i = 0; i < len; i++)
		in[i] = (char)(i * 2654435761u >> 13);
	assert_int_equal(harness_client(args, NULL, in, len, out, len + 1, err, sizeof(err)), 0);
	assert_memory_equal(in, out, len);
	free(in);
	free(out);
}

/* Read @len bytes of echo from each of the @n sockets in @p, into @got (@n runs of @len). */
static void read_echoes(struct pollfd *p, int n, char *got, size_t len)
{
	size_t *have = calloc((size_t)n, sizeof(*have));
	int done = 0;

	assert_non_null(have);
	while (done < n) {
		assert_true(poll(p, (nfds_t)n, HARNESS_TIMEOUT_MS) > 0);
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (!(p[i].revents & POLLIN))
				continue;
			r = read(p[i].fd, got + (size_t)i * len + have[i], len - have[i]);
			assert_true(r > 0);
			have[i] += (size_t)r;
			if (have[i] == len) {
				p[i].events = 0;
				done++;
			}
		}
	}
	free(have);
}

/* 200 clients at once, each with its own bytes: each gets exactly its own back. */
static void two_hundred_concurrent_clients(void **state)
{
	enum { N = 200, LEN = 3000 };
	static char sent[N][LEN], got[N][LEN];
	struct pollfd p[N];

	for (int i = 0; i < N; i++) {
		for (int j = 0; j < LEN; j++)
			sent[i][j] = (char)(i * 31 + j * 7);
		p[i].fd = harness_connect(srv.path);
		assert_true(p[i].fd >= 0);
		p[i].events = POLLIN;
	}
	for (int i = 0; i < N; i++)
		send_all(p[i].fd, sent[i], LEN);
	read_echoes(p, N, &got[0][0], LEN);
	for (int i = 0; i < N; i++) {
		assert_memory_equal(sent[i], got[i], LEN);
		close(p[i].fd);
	}
}

static long rss_kib(pid_t pid)
{
	char v[64];

	if (harness_status_field(pid, "VmRSS", v, sizeof(v)) < 0)
		return -1;
	return atol(v);
}

/* A client that sends 64 MiB and never reads: the server stops reading it, memory stays flat. */
static void non_reader_is_bounded(void **state)
{
	const size_t total = 64u << 20;
	const char *args[] = {"-s", srv.path, "still", "served", NULL};
	static char chunk[65536];
	pid_t worker = harness_worker_pid(&srv);
	size_t sent = 0;
	long before, after;
	char out[64];
	int fd;

	assert_true(worker > 0);
	assert_int_equal(harness_client(args, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	before = rss_kib(worker);
	assert_true(before > 0);
	fd = harness_connect(srv.path);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (sent < total) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		/* No room for 500 ms: the server has stopped reading from us. */
		if (poll(&p, 1, 500) == 0)
			break;
	}
	assert_true(sent < total);
	after = rss_kib(worker);
	assert_true(after - before < 1024);
	/* Others are still served while it hangs. */
	assert_int_equal(harness_client(args, NULL, NULL, 0, out, sizeof(out), NULL, 0), 0);
	assert_string_equal(out, "still served\n");
	close(fd);
}

/*
 * Connections are edge-triggered: epoll reports each peer once per change. These peers write while
 * the worker is stopped, so that what they send waits for it all together, in the cases where a
 * short read does not mean the socket is drained; a worker that took it to mean so would never
 * come back to the peer.
 */
static pid_t stopped_worker(const struct server *s)
{
	pid_t worker = harness_worker_pid(s);

	return worker > 0 && kill(worker, SIGSTOP) == 0 ? worker : -1;
}

/* The peer's last bytes and its shutdown, together: the echo, then the server closes. */
static void shutdown_behind_the_bytes(const struct server *s)
{
	pid_t worker = stopped_worker(s);
	char got[64];
	int fd;

	assert_true(worker > 0);
	fd = harness_connect(s->path);
	if (fd >= 0) {
		send_all(fd, "last words", 10);
		shutdown(fd, SHUT_WR);
	}
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_true(fd >= 0);
	assert_int_equal(harness_recv(fd, got, sizeof(got), HARNESS_TIMEOUT_MS), 10);
	assert_memory_equal(got, "last words", 10);
	close(fd);
}

/*
 * An out-of-band byte between two writes: the read stops at it, the rest still comes back (the
 * out-of-band byte is not part of the stream). Returns -1 where the kernel has no such bytes.
 */
static int out_of_band_byte(const struct server *s)
{
	pid_t worker = stopped_worker(s);
	char got[8];
	int fd, oob = -1;

	assert_true(worker > 0);
	fd = harness_connect(s->path);
	if (fd >= 0) {
		send_all(fd, "abc", 3);
		oob = (int)send(fd, "d", 1, MSG_OOB);
		send_all(fd, "efg", 3);
	}
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_true(fd >= 0);
	if (oob < 0) {
		fprintf(stderr, "no AF_UNIX out-of-band data here: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	assert_int_equal(harness_recv(fd, got, 6, HARNESS_TIMEOUT_MS), 6);
	assert_memory_equal(got, "abcefg", 6);
	close(fd);
	return 0;
}

static void shutdown_behind_the_bytes_is_seen(void **state)
{
	shutdown_behind_the_bytes(&srv);
}

static void out_of_band_byte_does_not_stall(void **state)
{
	if (out_of_band_byte(&srv) < 0)
		skip();
}

/* Send "fd" with a descriptor (stdin) attached; returns what sendmsg(2) returned. */
static ssize_t send_with_descriptor(int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = "fd", .iov_len = 2};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = control,
			   .msg_controllen = sizeof(control)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int passed = STDIN_FILENO;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passed, sizeof(passed));
	return sendmsg(fd, &m, MSG_NOSIGNAL);
}

/*
 * A peer cannot pass descriptors to the worker: its sendmsg(2) with SCM_RIGHTS fails, and the
 * connection goes on. Kernels before 6.16 cannot refuse them (no SO_PASSRIGHTS): skipped there.
 */
static void descriptors_are_refused(void **state)
{
	int fd = harness_connect(srv.path), v;
	socklen_t vlen = sizeof(v);
	char got[4];

	assert_true(fd >= 0);
	if (getsockopt(fd, SOL_SOCKET, 83 /* SO_PASSRIGHTS */, &v, &vlen) < 0) {
		fprintf(stderr, "skipped: this kernel cannot refuse descriptors: %s\n",
			strerror(errno));
		close(fd);
		skip();
	}
	assert_int_equal(send_with_descriptor(fd), -1);
	assert_int_equal(errno, EPERM);
	send_all(fd, "ok", 2);
	assert_int_equal(harness_recv(fd, got, 2, HARNESS_TIMEOUT_MS), 2);
	assert_memory_equal(got, "ok", 2);
	close(fd);
}

/*
 * A kernel that cannot refuse descriptors (played by a filter that hides SO_PASSRIGHTS): a read
 * ends after a message that carries some, so connections stay level-triggered, and the bytes
 * behind such a message, a shutdown or an out-of-band mark all come back.
 */
static void older_kernels_stay_level_triggered(void **state)
{
	struct run_as old = {.uid = (uid_t)-1, .no_passrights = 1};
	struct server *s = &old_kernel;
	pid_t worker;
	char got[8];
	int fd, status;

	assert_int_equal(harness_server_start(s, NULL, &old), 0);
	assert_true(harness_wait_log(s, "connections are level-triggered", 1000));
	worker = stopped_worker(s);
	assert_true(worker > 0);
	fd = harness_connect(s->path);
	if (fd >= 0 && send_with_descriptor(fd) == 2)
		send_all(fd, "after", 5);
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_true(fd >= 0);
	assert_int_equal(harness_recv(fd, got, 7, HARNESS_TIMEOUT_MS), 7);
	assert_memory_equal(got, "fdafter", 7);
	close(fd);
	shutdown_behind_the_bytes(s);
	out_of_band_byte(s);
	status = harness_server_stop(s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s->dir);
}

/*
 * One uid's peers with more queued together than the worker reads for a uid in one turn (1 MiB):
 * those it leaves for the next turn are watched again, and every byte comes back to each.
 */
static void a_busy_uid_waits_its_turn_and_loses_nothing(void **state)
{
	enum { N = 16, LEN = 96 * 1024 };
	static char sent[N][LEN], got[N][LEN];
	struct pollfd p[N];
	pid_t worker;
	char one;

	for (int i = 0; i < N; i++) {
		for (int j = 0; j < LEN; j++)
			sent[i][j] = (char)(i * 131 + j * 7 + (j >> 9));
		p[i].fd = harness_connect(srv.path);
		assert_true(p[i].fd >= 0);
		p[i].events = POLLIN;
		/* Accepted and watched before the worker stops. */
		send_all(p[i].fd, "x", 1);
		assert_int_equal(harness_recv(p[i].fd, &one, 1, HARNESS_TIMEOUT_MS), 1);
	}
	worker = stopped_worker(&srv);
	assert_true(worker > 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(fcntl(p[i].fd, F_SETFL, O_NONBLOCK), 0);
		assert_int_equal(send(p[i].fd, sent[i], LEN, MSG_NOSIGNAL), LEN);
	}
	assert_int_equal(kill(worker, SIGCONT), 0);
	read_echoes(p, N, &got[0][0], LEN);
	for (int i = 0; i < N; i++) {
		assert_memory_equal(sent[i], got[i], LEN);
		close(p[i].fd);
	}
}

/*
 * A peer whose reads fill the worker's buffer is echoed with splice(2), which raises SIGPIPE for a
 * peer gone away: the worker ignores it. Here a bulk peer sends once more and leaves before the
 * worker, stopped, can splice the bytes back: that ends its connection, not the worker.
 */
static void bulk_peer_that_leaves_ends_only_itself(void **state)
{
	enum { LEN = 128 * 1024 };
	static char sent[LEN], got[LEN], head[65536];
	char ign[64];
	pid_t worker = harness_worker_pid(&srv);
	int fd;

	assert_true(worker > 0);
	assert_int_equal(harness_status_field(worker, "SigIgn", ign, sizeof(ign)), 0);
	assert_true(strtoull(ign, NULL, 16) & (1ULL << (SIGPIPE - 1)));
	for (int j = 0; j < LEN; j++)
		sent[j] = (char)(j * 13 + (j >> 12));
	fd = harness_connect(srv.path);
	assert_true(fd >= 0);
	send_all(fd, sent, LEN);
	assert_int_equal(harness_recv(fd, got, LEN, HARNESS_TIMEOUT_MS), LEN);
	assert_memory_equal(got, sent, LEN);
	assert_int_equal(kill(worker, SIGSTOP), 0);
	assert_true(harness_stopped_within(worker, HARNESS_TIMEOUT_MS));
	send_all(fd, sent, LEN);
	close(fd);
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_true(harness_wait_log(&srv, "bytes=131072 reason=", HARNESS_TIMEOUT_MS));
	assert_int_equal(harness_worker_pid(&srv), worker);
	/* Another bulk peer gets its own bytes: none of those left behind is in the pipe. */
	for (int j = 0; j < LEN; j++)
		sent[j] = (char)(j * 7 + 1);
	fd = harness_connect(srv.path);
	assert_true(fd >= 0);
	send_all(fd, sent, LEN);
	assert_int_equal(harness_recv(fd, got, LEN, HARNESS_TIMEOUT_MS), LEN);
	assert_memory_equal(got, sent, LEN);
	close(fd);
	/* The worker had its pipe: the warning would be among the first lines of its log. */
	assert_true(harness_read_file(srv.log, head, sizeof(head)) > 0);
	assert_null(strstr(head, "no pipe for bulk echoes"));
}

/*
 * A bulk peer's small writes, queued while the worker is stopped: the pipe's buffers fill before
 * a splice has the bytes it asked for, and the worker must read on, or never see the rest.
 */
static void bulk_peer_small_writes_all_come_back(void **state)
{
	enum { LEN = 128 * 1024, PIECE = 100, PIECES = 150 };
	static char sent[LEN], got[LEN];
	pid_t worker = harness_worker_pid(&srv);
	int fd;

	assert_true(worker > 0);
	memset(sent, 'w', LEN);
	fd = harness_connect(srv.path);
	assert_true(fd >= 0);
	send_all(fd, sent, LEN);
	assert_int_equal(harness_recv(fd, got, LEN, HARNESS_TIMEOUT_MS), LEN);
	assert_int_equal(kill(worker, SIGSTOP), 0);
	assert_true(harness_stopped_within(worker, HARNESS_TIMEOUT_MS));
	for (int i = 0; i < PIECES; i++) {
		memset(sent + i * PIECE, 'a' + i % 26, PIECE);
		send_all(fd, sent + i * PIECE, PIECE);
	}
	assert_int_equal(kill(worker, SIGCONT), 0);
	assert_int_equal(harness_recv(fd, got, PIECES * PIECE, HARNESS_TIMEOUT_MS), PIECES * PIECE);
	assert_memory_equal(got, sent, PIECES * PIECE);
	close(fd);
}

/*
 * The worker holds the log lines of a busy loop for a moment, but writes them before it sleeps:
 * an idle server's line is in the log at once, not at its next wakeup (a timer, the monitor's
 * look at the pair, once a second). Three peers in turn, each of its own process, so that a
 * wakeup that happens to come within the bound cannot pass it for all three.
 */
static void an_idle_server_has_written_its_lines(void **state)
{
	for (int i = 0; i < 3; i++) {
		char needle[64];
		int status;
		pid_t peer = fork();

		assert_true(peer >= 0);
		if (peer == 0) {
			char buf[4];
			int fd = harness_connect(srv.path);

			_exit(fd >= 0 && write(fd, "idle", 4) == 4 &&
					      harness_recv(fd, buf, 4, HARNESS_TIMEOUT_MS) == 4
				      ? 0
				      : 1);
		}
		assert_int_equal(waitpid(peer, &status, 0), peer);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		snprintf(needle, sizeof(needle), "event=close pid=%d ", (int)peer);
		assert_true(harness_wait_log(&srv, needle, 250));
	}
}

static void no_server_is_69(void **state)
{
	char path[100], err[512];
	const char *args[] = {"-s", path, "hi", NULL};
	int fd;

	snprintf(path, sizeof(path), "%s/nothing-here", srv.dir);
	assert_int_equal(harness_client(args, NULL, NULL, 0, NULL, 0, err, sizeof(err)), 69);
	assert_non_null(strstr(err, "no server is listening"));

	/* A stale node: connection refused, also 69. */
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(harness_client(args, NULL, NULL, 0, NULL, 0, err, sizeof(err)), 69);
	assert_non_null(strstr(err, "Connection refused"));
	unlink(path);
}

/* The mode shuts another uid out: connect says EACCES, the client explains and exits 77. */
static void filesystem_refusal_is_explained(void **state)
{
	const char *args[] = {"-s", srv.path, "hi", NULL};
	struct run_as as = {.uid = 4204, .gid = 4204};
	char err[2048], expect[256];

	if (!harness_is_root("connecting as another uid"))
		skip();
	/* The directory is 0700 root: open it for search so the node's own mode decides. */
	assert_int_equal(chmod(srv.dir, 0711), 0);
	assert_int_equal(harness_client(args, &as, NULL, 0, NULL, 0, err, sizeof(err)), 77);
	assert_non_null(strstr(err, "Permission denied by the filesystem"));
	snprintf(expect, sizeof(expect), "%s, which is owned by root:root with mode 0600",
		 srv.path);
	assert_non_null(strstr(err, expect));
	assert_non_null(strstr(err, "you are 4204 (uid 4204, gid 4204)"));
	assert_non_null(strstr(err, "udsecho: hint: "));

	/* The directory shuts it out instead: the explanation names the directory. */
	assert_int_equal(chmod(srv.dir, 0700), 0);
	assert_int_equal(harness_client(args, &as, NULL, 0, NULL, 0, err, sizeof(err)), 77);
	snprintf(expect, sizeof(expect), "search (x) permission on directory %s", srv.dir);
	assert_non_null(strstr(err, expect));
}

/* A fake server that answers @reply (or nothing) to the first bytes, then closes. */
static void fake_server(const char *path, const char *reply, int silent, pid_t *pid, int *pidfd)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		char buf[256];
		int c = accept(lfd, NULL, NULL);
		if (c < 0 || read(c, buf, sizeof(buf)) <= 0)
			_exit(1);
		if (silent) {
			/* Say nothing until the client hangs up completely (POLLHUP), bounded. */
			struct pollfd p = {.fd = c, .events = POLLRDHUP};
			while (poll(&p, 1, HARNESS_TIMEOUT_MS) == 1 && !(p.revents & POLLHUP))
				if (read(c, buf, sizeof(buf)) <= 0)
					p.events = 0;
			_exit(0);
		}
		if (write(c, reply, strlen(reply)) < 0)
			_exit(2);
		_exit(0);
	}
	close(lfd);
	*pidfd = harness_pidfd(*pid);
}

static void client_reports(const char *reply, int silent, int want_status, const char *want_err)
{
	char path[100], err[1024];
	const char *args[] = {"-t", "0.5", "-s", path, "hello", NULL};
	int pidfd;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/fake", srv.dir);
	fake_server(path, reply, silent, &pid, &pidfd);
	assert_int_equal(harness_client(args, NULL, NULL, 0, NULL, 0, err, sizeof(err)),
			 want_status);
	assert_non_null(strstr(err, want_err));
	assert_true(harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS) != -1);
	unlink(path);
}

static void client_exit_statuses(void **state)
{
	client_reports("jello\n", 0, 76, "the reply is not the echo: it differs from byte 0 on");
	client_reports("hel", 0, 76, "closed the connection after echoing 3 of 6 bytes");
	client_reports("hello\nmore", 0, 76, "the reply is not the echo: it differs from byte 6");
	client_reports("udsechod: permission denied: uid=1000 gid=1000 pid=42\n", 0, 77,
		       "Permission denied by the server's policy (the server saw uid=1000 "
		       "gid=1000 pid=42)");
	client_reports("udsechod: busy: too many connections\n", 0, 75, "the server is busy");
	client_reports(NULL, 1, 75, "timed out after 0.5 seconds");
}

/* No byte of @err is one a terminal acts on: ESC, BEL, CR, other controls, or >= 0x80. */
static void assert_inert(const char *err)
{
	for (const unsigned char *p = (const unsigned char *)err; *p; p++)
		if (*p != '\n' && (*p < 0x20 || *p >= 0x7f)) {
			fprintf(stderr, "byte 0x%02x at %td reached the terminal: %s\n", *p,
				(const char *)p - err, err);
			fail();
		}
}

/*
 * A hostile server at the path the user was told to use: its refusal and busy lines carry
 * terminal controls (window title, OSC 52 clipboard, clear screen, carriage return over the
 * line, an 8-bit CSI). The client says what it said, escaped.
 */
static void hostile_server_bytes_are_escaped(void **state)
{
	static const struct {
		const char *reply, *want;
		int status;
	} cases[] = {
		{"udsechod: permission denied: \033]0;pwned\007\033]52;c;cm0gLXJmIH4=\007\n",
		 "(the server saw \\x1b]0;pwned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07)", 77},
		{"udsechod: permission denied: uid=0\rudsecho: all is well\033[2J\n",
		 "(the server saw uid=0\\x0dudsecho: all is well\\x1b[2J)", 77},
		{"udsechod: busy: \233"
		 "2J\377\\x41\n",
		 "(udsechod: busy: \\x9b2J\\xff\\\\x41)", 75},
	};
	char path[100], err[1024];
	const char *args[] = {"-t", "2", "-s", path, "hello", NULL};

	snprintf(path, sizeof(path), "%s/hostile", srv.dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int pidfd;
		pid_t pid;

		fake_server(path, cases[i].reply, 0, &pid, &pidfd);
		assert_int_equal(harness_client(args, NULL, NULL, 0, NULL, 0, err, sizeof(err)),
				 cases[i].status);
		assert_inert(err);
		if (!strstr(err, cases[i].want)) {
			fprintf(stderr, "wanted %s in: %s\n", cases[i].want, err);
			fail();
		}
		assert_true(harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS) != -1);
		unlink(path);
	}
}

static void bad_usage_is_64(void **state)
{
	const char *a1[] = {"-t", "0", "x", NULL};
	const char *a2[] = {"--bogus", NULL};
	char err[512];

	assert_int_equal(harness_client(a1, NULL, NULL, 0, NULL, 0, err, sizeof(err)), 64);
	assert_non_null(strstr(err, "-t: '0' is not a number of seconds"));
	assert_int_equal(harness_client(a2, NULL, NULL, 0, NULL, 0, err, sizeof(err)), 64);
	assert_non_null(strstr(err, "unknown option '--bogus'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed_client_pattern),
		cmocka_unit_test(socat_gets_its_message_back),
		cmocka_unit_test(udsecho_message_and_trace),
		cmocka_unit_test(udsecho_streams_stdin),
		cmocka_unit_test(two_hundred_concurrent_clients),
		cmocka_unit_test(non_reader_is_bounded),
		cmocka_unit_test(shutdown_behind_the_bytes_is_seen),
		cmocka_unit_test(out_of_band_byte_does_not_stall),
		cmocka_unit_test(descriptors_are_refused),
		cmocka_unit_test(older_kernels_stay_level_triggered),
		cmocka_unit_test(a_busy_uid_waits_its_turn_and_loses_nothing),
		cmocka_unit_test(bulk_peer_that_leaves_ends_only_itself),
		cmocka_unit_test(bulk_peer_small_writes_all_come_back),
		cmocka_unit_test(an_idle_server_has_written_its_lines),
		cmocka_unit_test(no_server_is_69),
		cmocka_unit_test(filesystem_refusal_is_explained),
		cmocka_unit_test(client_exit_statuses),
		cmocka_unit_test(hostile_server_bytes_are_escaped),
		cmocka_unit_test(bad_usage_is_64),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("echo", tests, start, stop);
}
