// SPDX-License-Identifier: MIT
/*
 * Integration: the limits of the real udsechod — --max-connections, --max-per-uid and
 * --max-bytes-per-uid refuse with "udsechod: busy" (the client exits 75) while other uids are
 * still served; a uid at --max-bytes-per-uid is not read, and its many writers that never read
 * grow the worker by no more than that; --idle-timeout and --send-timeout close the peers they
 * are for; a flood of denied peers is logged with a limit; out of descriptors, every client is
 * told, none waits, and the worker does not spin; running out of memory closes the connection
 * that needed it, not the server.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

/* A server whose directory and socket others may use, with @policy and @args. */
static void start(struct server *s, const char *policy, const char *const *extra)
{
	char pfile[128];
	const char *args[16] = {"--mode", "0666", "-p", pfile};
	int n = 4;

	harness_tmpdir(s->dir, sizeof(s->dir));
	assert_int_equal(chmod(s->dir, 0711), 0);
	snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
	snprintf(pfile, sizeof(pfile), "%s/policy", s->dir);
	harness_write_file(pfile, policy, 0600);
	for (const char *const *a = extra; a && *a; a++)
		args[n++] = *a;
	args[n] = NULL;
	assert_int_equal(harness_server_start_in(s, args, NULL), 0);
}

static void stop(struct server *s)
{
	int status = harness_server_stop(s);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s->dir);
}

/* Echo one message over @fd: proves the connection is served. */
static void served(int fd)
{
	char buf[8];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	assert_int_equal(write(fd, "ping", 4), 4);
	assert_int_equal(poll(&p, 1, HARNESS_TIMEOUT_MS), 1);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
}

/* Everything @fd says until EOF, bounded. */
static void read_all(int fd, char *buf, size_t len)
{
	ssize_t n = harness_recv(fd, buf, len - 1, HARNESS_TIMEOUT_MS);

	assert_true(n >= 0);
	buf[n] = '\0';
}

static void max_connections(void **state)
{
	const char *limit[] = {"--max-connections", "3", NULL};
	const char *hi[] = {"-s", NULL, "hi", NULL};
	struct server s;
	char buf[256], err[512];
	int fd[3], extra;

	start(&s, "allow all\n", limit);
	for (int i = 0; i < 3; i++) {
		fd[i] = harness_connect(s.path);
		assert_true(fd[i] >= 0);
		served(fd[i]);
	}
	extra = harness_connect(s.path);
	assert_true(extra >= 0);
	read_all(extra, buf, sizeof(buf));
	assert_string_equal(buf, "udsechod: busy: too many connections\n");
	close(extra);
	hi[1] = s.path;
	assert_int_equal(harness_client(hi, NULL, NULL, 0, NULL, 0, err, sizeof(err)), 75);
	assert_non_null(strstr(err, "the server is busy (udsechod: busy: too many connections); "
				    "try again later"));
	assert_true(harness_wait_log(&s, "event=busy pid=", 1000));
	assert_true(harness_wait_log(&s, "reason=\"too many connections\" open=3", 1000));

	/* A place freed is a place taken again. */
	close(fd[0]);
	assert_true(harness_wait_log(&s, "event=close", 2000));
	fd[0] = harness_connect(s.path);
	served(fd[0]);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	stop(&s);
}

static void max_per_uid_spares_other_uids(void **state)
{
	const char *limit[] = {"--max-per-uid", "2", NULL};
	struct run_as a = {.uid = 4480, .gid = 4480}, b = {.uid = 4481, .gid = 4481};
	struct server s;
	char buf[256];
	int fd[3], other;

	if (!harness_is_root("connecting as other uids"))
		skip();
	start(&s, "allow all\n", limit);
	for (int i = 0; i < 2; i++) {
		fd[i] = harness_connect_as(s.path, &a);
		served(fd[i]);
	}
	fd[2] = harness_connect_as(s.path, &a);
	read_all(fd[2], buf, sizeof(buf));
	assert_string_equal(buf, "udsechod: busy: too many connections for this uid\n");
	other = harness_connect_as(s.path, &b);
	served(other);
	assert_true(harness_wait_log(
		&s, "uid=4480 gid=4480 reason=\"too many connections for this uid\"", 1000));
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	close(other);
	stop(&s);
}

static void idle_timeout(void **state)
{
	const char *limit[] = {"--idle-timeout", "1", NULL};
	struct server s;
	char buf[64];
	int idle, busy;

	start(&s, "allow all\n", limit);
	idle = harness_connect(s.path);
	busy = harness_connect(s.path);
	served(idle);
	/* Keep one talking for three seconds; the silent one is closed meanwhile. */
	for (int i = 0; i < 15; i++) {
		served(busy);
		poll(NULL, 0, 200);
	}
	read_all(idle, buf, sizeof(buf));
	assert_string_equal(buf, "");
	served(busy);
	assert_true(harness_wait_log(&s, "reason=idle-timeout", 1000));
	close(idle);
	close(busy);
	stop(&s);
}

static void send_timeout(void **state)
{
	const char *limit[] = {"--send-timeout", "1", NULL};
	static char chunk[65536];
	struct server s;
	int fd;

	start(&s, "allow all\n", limit);
	fd = harness_connect(s.path);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	/* Write until nothing more goes in: the server holds our echo and waits. */
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) > 0)
			continue;
		assert_int_equal(errno, EAGAIN);
		if (poll(&p, 1, 300) == 0)
			break;
	}
	assert_true(harness_wait_log(&s, "reason=send-timeout", 5000));
	close(fd);
	stop(&s);
}

/* A flood of refused peers: the log holds a burst a second and counts the rest. */
static void deny_flood_is_rate_limited(void **state)
{
	struct server s;
	static char log[1 << 20];
	int status, lines = 0;
	pid_t pid;

	if (!harness_is_root("connecting as another uid"))
		skip();
	start(&s, "allow user root\n", NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(4490, 4490, 4490) < 0 || setresuid(4490, 4490, 4490) < 0)
			_exit(2);
		for (int i = 0; i < 200; i++) {
			char buf[256];
			int fd = harness_connect(s.path);
			if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
				_exit(3);
			close(fd);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* An allowed peer is served all the same. */
	{
		int fd = harness_connect(s.path);
		served(fd);
		close(fd);
	}
	assert_true(harness_wait_log(&s, "event=log-suppressed lines=", 5000));
	harness_read_file(s.log, log, sizeof(log));
	for (char *p = log; (p = strstr(p, "event=deny ")); p++)
		lines++;
	assert_true(lines >= 20 && lines < 200);
	stop(&s);
}

static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	assert_true(harness_read_file(path, buf, sizeof(buf)) > 0);
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Out of descriptors: every client is answered within a bound, with its echo or with the busy
 * line (the worker's spare descriptor makes room to accept and tell it), and the worker does not
 * spin on the listening socket meanwhile.
 */
static void descriptor_exhaustion_tells_every_client(void **state)
{
	/* 40 descriptors in all, and a maximum the limit cannot honour. */
	struct run_as low = {.uid = (uid_t)-1, .nofile = 40};
	const char *args[] = {"--mode", "0666", "--max-connections", "1000", NULL};
	static const char busy[] = "udsechod: busy: out of file descriptors\n";
	struct server s;
	int fd[60], extra, echoed = 0, told = 0;
	double before, after;
	pid_t worker;

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	assert_int_equal(harness_server_start_in(&s, args, &low), 0);
	assert_true(harness_wait_log(&s, "is more than the descriptor limit allows", 1000));
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	for (int i = 0; i < 60; i++) {
		ssize_t w;

		fd[i] = harness_connect(s.path);
		assert_true(fd[i] >= 0);
		/* A client told busy may already be closed: its line waits to be read all the same.
		 */
		w = send(fd[i], "ping", 4, MSG_NOSIGNAL);
		assert_true(w == 4 || (w < 0 && (errno == EPIPE || errno == ECONNRESET)));
	}
	for (int i = 0; i < 60; i++) {
		char buf[128];
		struct pollfd p = {.fd = fd[i], .events = POLLIN};
		ssize_t n;

		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd[i], buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		if (strcmp(buf, "ping") == 0) {
			echoed++;
		} else {
			assert_string_equal(buf, busy);
			told++;
		}
	}
	fprintf(stderr, "# 60 clients, 40 descriptors: %d echoed, %d told busy\n", echoed, told);
	assert_true(echoed > 0 && told > 0);
	assert_true(harness_wait_log(&s, "reason=\"out of file descriptors\"", 1000));
	before = cpu_seconds(worker);
	/* A second of waiting: a worker spinning on its listening socket would burn it. */
	poll(NULL, 0, 1000);
	after = cpu_seconds(worker);
	assert_true(after - before < 0.2);
	/* Freeing descriptors lets new peers in. */
	for (int i = 0; i < 60; i++)
		close(fd[i]);
	extra = harness_connect(s.path);
	served(extra);
	close(extra);
	stop(&s);
}

/*
 * Lower @pid's RLIMIT_DATA to @kib from a child with its real uid and gid: prlimit(2) lets a
 * process of the same ids do it, no CAP_SYS_RESOURCE needed.
 */
static void lower_data_limit(pid_t pid, unsigned long kib)
{
	struct run_as same = {0};
	char field[128];
	unsigned int uid, gid;
	int status;
	pid_t child;

	assert_int_equal(harness_status_field(pid, "Uid", field, sizeof(field)), 0);
	assert_int_equal(sscanf(field, "%u", &uid), 1);
	assert_int_equal(harness_status_field(pid, "Gid", field, sizeof(field)), 0);
	assert_int_equal(sscanf(field, "%u", &gid), 1);
	same.uid = uid;
	same.gid = gid;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct rlimit rl = {kib * 1024, kib * 1024};
		harness_become(&same);
		_exit(prlimit(pid, RLIMIT_DATA, &rl, NULL) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Write to @fd without reading until the server stops taking bytes, or closes it. */
static void fill_without_reading(int fd)
{
	static char chunk[65536];

	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) > 0)
			continue;
		if (errno != EAGAIN || poll(&p, 1, 200) == 0 || (p.revents & (POLLERR | POLLHUP)))
			return;
	}
}

/*
 * A new connection as @as until one is told a line at once (a served peer says nothing first),
 * bounded: the worker may not have taken in what a writer sent yet. Returns that line in @buf.
 */
static void told_as(const char *path, const struct run_as *as, char *buf, size_t len)
{
	for (int i = 0; i < 50; i++) {
		int fd = harness_connect_as(path, as);
		struct pollfd p = {.fd = fd, .events = POLLIN};

		assert_true(fd >= 0);
		if (poll(&p, 1, 200) == 1) {
			read_all(fd, buf, len);
			close(fd);
			return;
		}
		close(fd);
	}
	fail_msg("no connection was told anything");
}

/*
 * --max-bytes-per-uid: once the echo the worker holds for a uid reaches the budget, that uid's
 * other connections are not read (paused) and its new ones are told "busy"; other uids are
 * served; the bytes freed, the paused connection is read again. Meanwhile OTHER_UIDS more uids
 * come and go, so that the worker's table of uids grows and its entries move while the hog's
 * bytes are held: what is freed must still be counted to the hog's uid.
 */
#define OTHER_UIDS 40
static void bytes_per_uid_budget(void **state)
{
	const char *limit[] = {"--max-bytes-per-uid", "1", NULL};
	struct run_as a = {.uid = 4483, .gid = 4483}, b = {.uid = 4484, .gid = 4484};
	struct pollfd p;
	struct server s;
	char buf[256];
	int hog, waiting, other, others[OTHER_UIDS];

	if (!harness_is_root("connecting as other uids"))
		skip();
	start(&s, "allow all\n", limit);
	hog = harness_connect_as(s.path, &a);
	waiting = harness_connect_as(s.path, &a);
	served(hog);
	served(waiting);
	fill_without_reading(hog);
	told_as(s.path, &a, buf, sizeof(buf));
	assert_string_equal(buf, "udsechod: busy: too much unread echo for this uid\n");
	assert_true(harness_wait_log(
		&s, "uid=4483 gid=4483 reason=\"too much unread echo for this uid\"", 1000));
	/* The uid's open connection is not read while the budget is spent. */
	assert_int_equal(write(waiting, "ping", 4), 4);
	p = (struct pollfd){.fd = waiting, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 500), 0);
	other = harness_connect_as(s.path, &b);
	served(other);
	for (int i = 0; i < OTHER_UIDS; i++) {
		struct run_as u = {.uid = 5200 + (uid_t)i, .gid = 5200 + (gid_t)i};

		others[i] = harness_connect_as(s.path, &u);
		served(others[i]);
	}
	for (int i = 0; i < OTHER_UIDS; i += 2)
		close(others[i]);
	/* The hog gone, its bytes are freed: the paused connection gets its echo. */
	close(hog);
	assert_int_equal(harness_recv(waiting, buf, 4, HARNESS_TIMEOUT_MS), 4);
	assert_memory_equal(buf, "ping", 4);
	served(waiting);
	close(waiting);
	close(other);
	for (int i = 1; i < OTHER_UIDS; i += 2)
		close(others[i]);
	stop(&s);
}

/* Write to each of @fd without reading, all at once, until the server takes no more. */
static void fill_all_without_reading(const int *fd, int n)
{
	static char chunk[65536];
	struct pollfd p[512];

	assert_true(n <= 512);
	for (int i = 0; i < n; i++) {
		assert_int_equal(fcntl(fd[i], F_SETFL, O_NONBLOCK), 0);
		p[i] = (struct pollfd){.fd = fd[i], .events = POLLOUT};
	}
	while (poll(p, (nfds_t)n, 300) > 0)
		for (int i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			while (send(p[i].fd, chunk, sizeof(chunk), MSG_NOSIGNAL) > 0)
				;
			if (errno != EAGAIN || (p[i].revents & (POLLERR | POLLHUP)))
				p[i].fd = -1;
		}
}

static unsigned long worker_rss_kib(pid_t worker)
{
	char field[64];
	unsigned long kib;

	assert_int_equal(harness_status_field(worker, "VmRSS", field, sizeof(field)), 0);
	assert_int_equal(sscanf(field, "%lu", &kib), 1);
	return kib;
}

/*
 * The worst case of one uid: many connections that write and never read. What the worker holds
 * for them (its resident memory grows by it) stays within the budget and one read; the bytes
 * beyond are left in the uid's own socket buffers.
 */
static void one_uid_cannot_take_the_memory(void **state)
{
	enum { CONNS = 256, BUDGET_KIB = 1024 };
	const char *limit[] = {"--max-bytes-per-uid", "1048576", NULL};
	struct run_as a = {.uid = 4485, .gid = 4485};
	struct server s;
	unsigned long before, after;
	int fd[CONNS];
	pid_t worker;

	if (!harness_is_root("connecting as another uid"))
		skip();
	start(&s, "allow all\n", limit);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	before = worker_rss_kib(worker);
	for (int i = 0; i < CONNS; i++) {
		fd[i] = harness_connect_as(s.path, &a);
		assert_true(fd[i] >= 0);
	}
	fill_all_without_reading(fd, CONNS);
	after = worker_rss_kib(worker);
	fprintf(stderr, "# %d writers of one uid that never read: worker VmRSS %lu -> %lu KiB\n",
		CONNS, before, after);
	/* The budget, one read beyond it, and room for the connections' own bookkeeping. */
	assert_true(after - before < BUDGET_KIB + 64 + 1024);
	for (int i = 0; i < CONNS; i++)
		close(fd[i]);
	stop(&s);
}

/*
 * The worker out of memory: with its data limit 1 MiB above what it uses, the buffers it keeps
 * for peers that do not read soon cannot be allocated. The peer whose buffer failed is closed,
 * with "out-of-memory" in the log; the peers holding buffers stay open, the worker lives on, and
 * once they are gone it serves again. A peer that does not read leaves it holding the rest of one
 * read, 64 KiB at most, but much less when the worker read its bytes as they came (on a busy
 * host, 64 peers held under 1 MiB): peers are added until the limit gives way, OOM_PEERS at most.
 * Each takes 200 ms at least (fill_without_reading), so the first may wait a minute: the send
 * timeout, which would close it first, is off.
 */
#define OOM_PEERS 512
static void out_of_memory_closes_only_that_connection(void **state)
{
	const char *no_send_timeout[] = {"--send-timeout", "0", NULL};
	struct server s;
	char vmdata[64];
	unsigned long kib;
	pid_t worker;
	int fd[OOM_PEERS], n = 0, extra, freed = 0;
	struct timespec t0, t1;

	if (!harness_is_root("lowering the worker's limit as its own uid"))
		skip();
#if UDSECHO_SANITIZED
	fprintf(stderr, "skipped: the sanitizer's allocator aborts where malloc returns NULL\n");
	skip();
#endif
	start(&s, "allow all\n", no_send_timeout);
	worker = harness_worker_pid(&s);
	assert_true(worker > 0);
	assert_int_equal(harness_status_field(worker, "VmData", vmdata, sizeof(vmdata)), 0);
	assert_int_equal(sscanf(vmdata, "%lu", &kib), 1);
	lower_data_limit(worker, kib + 1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < OOM_PEERS && !harness_wait_log(&s, "reason=out-of-memory", 0)) {
		fd[n] = harness_connect(s.path);
		assert_true(fd[n] >= 0);
		fill_without_reading(fd[n++]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "# %d peers that never read until the data limit gave way, in %.1f s\n", n,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_true(harness_wait_log(&s, "reason=out-of-memory", 1000));
	assert_true(n > 1);
	assert_int_equal(harness_worker_pid(&s), worker);
	/* Only the last one was closed: a parked peer asks for no memory. */
	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fd[i], .events = POLLRDHUP};
		assert_int_equal(poll(&p, 1, i == n - 1 ? HARNESS_TIMEOUT_MS : 0), i == n - 1);
	}
	while (n > 0)
		close(fd[--n]);
	/* The status line counts what is open: wait until the worker has closed them all. */
	for (int i = 0; i < 50 && !freed; i++) {
		assert_int_equal(kill(s.pid, SIGUSR1), 0);
		freed = harness_wait_log(&s, "event=status open=0 ", 200);
	}
	assert_true(freed);
	extra = harness_connect(s.path);
	served(extra);
	close(extra);
	stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(max_connections, harness_teardown),
		cmocka_unit_test_teardown(max_per_uid_spares_other_uids, harness_teardown),
		cmocka_unit_test_teardown(idle_timeout, harness_teardown),
		cmocka_unit_test_teardown(send_timeout, harness_teardown),
		cmocka_unit_test_teardown(deny_flood_is_rate_limited, harness_teardown),
		cmocka_unit_test_teardown(descriptor_exhaustion_tells_every_client,
					  harness_teardown),
		cmocka_unit_test_teardown(bytes_per_uid_budget, harness_teardown),
		cmocka_unit_test_teardown(one_uid_cannot_take_the_memory, harness_teardown),
		cmocka_unit_test_teardown(out_of_memory_closes_only_that_connection,
					  harness_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
