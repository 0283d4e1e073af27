// SPDX-License-Identifier: MIT
/*
 * Integration: the policy enforced by the real udsechod on real peers — clients the test runs as
 * other uids, gids and supplementary groups are allowed or refused exactly as the policy says;
 * SIGHUP revokes and admits; a broken reload changes nothing; --check; the built-in policy; the
 * rules' attributes: names in the log, messages to the peer, per-rule limits, time windows.
 * Root only: changing a peer's identity needs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct fixture {
	struct server srv;
	char policy[128];
};

/* A server in a directory others may search, socket 0666, with @text as its policy. */
/* Start udsechod with the policy @text, and @more (two options at most, or NULL). */
static void start_with_args(struct fixture *f, const char *text, const char *const *more)
{
	const char *args[8] = {"--mode", "0666", "-p", f->policy};

	for (size_t i = 0; more && more[i]; i++) {
		assert_true(4 + i < sizeof(args) / sizeof(args[0]) - 1);
		args[4 + i] = more[i];
	}

	harness_tmpdir(f->srv.dir, sizeof(f->srv.dir));
	assert_int_equal(chmod(f->srv.dir, 0711), 0);
	snprintf(f->srv.path, sizeof(f->srv.path), "%s/sock", f->srv.dir);
	snprintf(f->policy, sizeof(f->policy), "%s/policy", f->srv.dir);
	harness_write_file(f->policy, text, 0600);
	assert_int_equal(harness_server_start_in(&f->srv, args, NULL), 0);
}

static void start_with(struct fixture *f, const char *text)
{
	start_with_args(f, text, NULL);
}

static void stop(struct fixture *f)
{
	int status = harness_server_stop(&f->srv);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	harness_rmtree(f->srv.dir);
}

/* Run udsecho as @uid/@gid/@groups; return its status, with stdout and stderr. */
static int client_as(const struct fixture *f, uid_t uid, gid_t gid, const gid_t *groups,
		     size_t ngroups, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *args[] = {"-s", f->srv.path, "ping", NULL};
	struct run_as as = {.uid = uid, .gid = gid, .ngroups = ngroups, .groups = groups};

	return harness_client(args, &as, NULL, 0, out, outlen, err, errlen);
}

static void decisions_follow_the_policy(void **state)
{
	static const char text[] = "# first match wins\n"
				   "deny user 4401\n"
				   "allow group 4411\n"
				   "allow user 4400-4405\n"
				   "allow user 4409 group 4412\n";
	static const gid_t g4411[] = {4411}, g4412[] = {4412};
	struct fixture f;
	char out[64], err[512], line[256];

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, text);

	/* A range. */
	assert_int_equal(client_as(&f, 4400, 4400, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "ping\n");
	snprintf(line, sizeof(line), "uid=4400 gid=4400 rule=%s:4", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 2000));

	/* deny before allow: the group would allow, the earlier deny wins. */
	assert_int_equal(client_as(&f, 4401, 4401, g4411, 1, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "Permission denied by the server's policy (the server saw "
				    "uid=4401 gid=4401 pid="));
	snprintf(line, sizeof(line), "event=deny pid=");
	assert_true(harness_wait_log(&f.srv, line, 2000));
	snprintf(line, sizeof(line), "uid=4401 gid=4401 rule=%s:2", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 2000));

	/* group: supplementary, then primary. */
	assert_int_equal(client_as(&f, 4406, 4406, g4411, 1, out, sizeof(out), err, sizeof(err)),
			 0);
	assert_int_equal(client_as(&f, 4407, 4411, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "uid=4407 gid=4411 rule=%s:3", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 2000));

	/* Several selectors: all must match. */
	assert_int_equal(client_as(&f, 4409, 4409, g4412, 1, out, sizeof(out), err, sizeof(err)),
			 0);
	assert_int_equal(client_as(&f, 4409, 4409, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_int_equal(client_as(&f, 4410, 4410, g4412, 1, out, sizeof(out), err, sizeof(err)),
			 77);

	/* No rule: default deny, said so in the log. */
	assert_int_equal(client_as(&f, 4408, 4408, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_true(harness_wait_log(&f.srv, "uid=4408 gid=4408 rule=\"default deny\"", 2000));
	stop(&f);
}

static void expect_echo(int fd, const char *msg)
{
	char buf[64];
	size_t len = strlen(msg), have = 0;

	assert_int_equal(write(fd, msg, len), (ssize_t)len);
	while (have < len) {
		ssize_t n = read(fd, buf + have, len - have);
		assert_true(n > 0);
		have += (size_t)n;
	}
	assert_memory_equal(buf, msg, len);
}

static void reload_revokes_and_admits(void **state)
{
	struct run_as a = {.uid = 4420, .gid = 4420};
	struct fixture f;
	char buf[300], out[64], err[512];
	ssize_t n, have = 0;
	int fd;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4420\n");
	fd = harness_connect_as(f.srv.path, &a);
	assert_true(fd >= 0);
	expect_echo(fd, "before");
	assert_int_equal(client_as(&f, 4421, 4421, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);

	harness_write_file(f.policy, "allow user 4421\n", 0600);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	assert_true(harness_wait_log(&f.srv, "event=policy-applied rules=1 revoked=1", 5000));
	/* The open connection is told why, then closed. */
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - (size_t)have)) > 0)
		have += n;
	buf[have] = '\0';
	assert_true(strncmp(buf, "udsechod: permission denied: uid=4420 gid=4420 pid=", 51) == 0);
	assert_int_equal(buf[have - 1], '\n');
	close(fd);
	assert_int_equal(client_as(&f, 4421, 4421, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(client_as(&f, 4420, 4420, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	stop(&f);
}

static void broken_reload_changes_nothing(void **state)
{
	struct run_as a = {.uid = 4430, .gid = 4430};
	struct fixture f;
	char out[64], err[512], line[256];
	int fd;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4430\n");
	fd = harness_connect_as(f.srv.path, &a);
	assert_true(fd >= 0);
	expect_echo(fd, "one");

	harness_write_file(f.policy, "allow user 4431\nallow usr 4430\n", 0600);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	assert_true(harness_wait_log(&f.srv, "event=reload result=failed", 5000));
	snprintf(line, sizeof(line), "%s:2:7: error:", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 1000));
	/* The open connection goes on, the old policy decides new ones. */
	expect_echo(fd, "two");
	close(fd);
	assert_int_equal(client_as(&f, 4430, 4430, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(client_as(&f, 4431, 4431, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);

	/* A policy file that became writable by others is refused just the same. */
	harness_write_file(f.policy, "allow user 4431\n", 0666);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	assert_true(harness_wait_log(&f.srv, "writable by", 5000));
	assert_int_equal(client_as(&f, 4431, 4431, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	stop(&f);
}

/*
 * SIGUSR2 previews the file as a reload would apply it: one line per connection it would revoke
 * and a summary, and nothing changes: the connection it names goes on, the policy in force
 * still decides. A broken file is reported, and nothing changes either.
 */
static void preview_changes_nothing(void **state)
{
	struct run_as a = {.uid = 4440, .gid = 4440}, b = {.uid = 4441, .gid = 4441},
		      c = {.uid = 4442, .gid = 4442};
	struct fixture f;
	char out[64], err[512], line[256];
	int fa, fb, fc;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4440-4442\n");
	fa = harness_connect_as(f.srv.path, &a);
	fb = harness_connect_as(f.srv.path, &b);
	fc = harness_connect_as(f.srv.path, &c);
	assert_true(fa >= 0 && fb >= 0 && fc >= 0);
	expect_echo(fa, "a");
	expect_echo(fb, "b");
	expect_echo(fc, "c");

	harness_write_file(f.policy, "allow user 4441\ndeny user 4440\n", 0600);
	assert_int_equal(kill(f.srv.pid, SIGUSR2), 0);
	snprintf(line, sizeof(line), "event=preview policy=%s rules=2 open=3 would-revoke=2",
		 f.policy);
	assert_true(harness_wait_log(&f.srv, line, 5000));
	snprintf(line, sizeof(line), "uid=4440 gid=4440 rule=%s:2\n", f.policy);
	assert_true(harness_wait_log(&f.srv, "event=would-revoke pid=", 0));
	assert_true(harness_wait_log(&f.srv, line, 0));
	assert_true(harness_wait_log(&f.srv, "uid=4442 gid=4442 rule=\"default deny\"", 0));
	assert_false(harness_wait_log(&f.srv, "event=revoke", 0));
	assert_false(harness_wait_log(&f.srv, "event=policy-applied rules=2", 0));
	expect_echo(fa, "still");
	expect_echo(fb, "still");
	expect_echo(fc, "still");
	assert_int_equal(client_as(&f, 4440, 4440, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);

	harness_write_file(f.policy, "allow usr 4441\n", 0600);
	assert_int_equal(kill(f.srv.pid, SIGUSR2), 0);
	assert_true(harness_wait_log(&f.srv, "event=preview-failed policy=", 5000));
	expect_echo(fa, "and still");
	expect_echo(fb, "b too");
	close(fa);
	close(fb);
	close(fc);
	stop(&f);
}

/*
 * SIGUSR1 lists the open connections after the status line, with the rule that admitted each,
 * at most 1000, then a count of the others (more than the worker counts in one turn).
 */
static void status_lists_who_is_connected(void **state)
{
	enum { N = 3012 };
	struct rlimit rl = {4096, 4096}, old;
	static int fds[N];
	struct fixture f;
	char line[256], log[1 << 20];
	ssize_t len;
	size_t listed = 0;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max < 4096 && geteuid() != 0)
		skip();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	start_with_args(&f, "allow all\n", (const char *const[]){"--max-per-uid", "4000", NULL});
	for (int i = 0; i < N; i++) {
		fds[i] = harness_connect(f.srv.path);
		assert_true(fds[i] >= 0);
	}
	expect_echo(fds[N - 1], "last");
	assert_int_equal(kill(f.srv.pid, SIGUSR1), 0);
	assert_true(harness_wait_log(&f.srv, "event=client-more count=2012", 5000));
	snprintf(line, sizeof(line),
		 "event=client pid=%d uid=%u gid=%u rule=%s:1 age=", (int)getpid(),
		 (unsigned int)geteuid(), (unsigned int)getegid(), f.policy);
	assert_true(harness_wait_log(&f.srv, line, 0));
	assert_true(harness_wait_log(&f.srv, " bytes=4\n", 0));
	len = harness_read_file(f.srv.log, log, sizeof(log));
	assert_true(len > 0);
	for (const char *p = log; (p = strstr(p, "event=client pid=")); p++)
		listed++;
	assert_int_equal(listed, 1000);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	stop(&f);
	setrlimit(RLIMIT_NOFILE, &old);
}

/*
 * Admitted under a policy without group rules, whose groups the worker had no reason to read; a
 * new policy with a group rule still sees them, as the kernel recorded them at connect.
 */
static void group_rule_at_reload_sees_supplementary_groups(void **state)
{
	static const gid_t g[] = {4426};
	struct run_as a = {.uid = 4425, .gid = 4425, .ngroups = 1, .groups = g};
	struct run_as b = {.uid = 4427, .gid = 4427};
	struct fixture f;
	char buf[300];
	ssize_t n, have = 0;
	int fa, fb;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow all\n");
	fa = harness_connect_as(f.srv.path, &a);
	fb = harness_connect_as(f.srv.path, &b);
	expect_echo(fa, "x");
	expect_echo(fb, "y");
	harness_write_file(f.policy, "deny group 4426\nallow all\n", 0600);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	assert_true(harness_wait_log(&f.srv, "event=policy-applied rules=2 revoked=1", 5000));
	while ((n = read(fa, buf + have, sizeof(buf) - 1 - (size_t)have)) > 0)
		have += n;
	buf[have] = '\0';
	assert_true(strncmp(buf, "udsechod: permission denied: uid=4425", 37) == 0);
	expect_echo(fb, "z");
	close(fa);
	close(fb);
	stop(&f);
}

/* udsechod --check: exit 0 or 78 with the reason, and nothing bound. */
/*
 * Peers with many supplementary groups, against a tiny policy with a group rule, allowed and
 * denied: the worker sorts their groups after its filter is in force, from a cold process (a
 * big sort before the fork would have hidden a C library call the filter lacks). It must serve
 * on, the same worker.
 */
static void many_groups_do_not_kill_the_worker(void **state)
{
	static gid_t groups[65536];
	static const size_t sizes[] = {256, 300, 65536};
	struct fixture f;
	char out[64], err[512];
	pid_t worker;

	if (!harness_is_root("running peers with many groups"))
		skip();
	for (size_t i = 0; i < 65536; i++)
		groups[i] = (gid_t)(100000 + 65535 - i);
	start_with(&f, "deny group 4490\nallow user 4480\n");
	worker = harness_worker_pid(&f.srv);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(client_as(&f, 4480, 4480, groups, sizes[i], out, sizeof(out), err,
					   sizeof(err)),
				 0);
		assert_string_equal(out, "ping\n");
		assert_int_equal(client_as(&f, 4481, 4481, groups, sizes[i], out, sizeof(out), err,
					   sizeof(err)),
				 77);
	}
	assert_int_equal(harness_worker_pid(&f.srv), worker);
	stop(&f);
}

/* A policy of @nranges single-id ranges (ids 10000, 10002, ...), then "allow user 4480". */
static void write_ranges(const char *path, size_t nranges)
{
	size_t cap = nranges * 8 + 64, len = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	for (size_t i = 0; i < nranges; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s%zu%s",
					i % 100 ? " " : "allow user ", 10000 + 2 * i,
					i % 100 == 99 || i + 1 == nranges ? "\n" : "");
	snprintf(text + len, cap - len, "allow user 4480\n");
	harness_write_file(path, text, 0600);
	free(text);
}

/* Reloads into ever larger valid policies: the worker decodes and indexes each and serves on. */
static void reload_into_large_policies(void **state)
{
	static const size_t sizes[] = {200, 100000};
	struct fixture f;
	char out[64], err[512], line[96];
	pid_t worker;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow group 4490\nallow user 4480\n");
	worker = harness_worker_pid(&f.srv);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_ranges(f.policy, sizes[i]);
		assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
		snprintf(line, sizeof(line), "event=policy-applied rules=%zu ",
			 (sizes[i] + 99) / 100 + 1);
		assert_true(harness_wait_log(&f.srv, line, 20000));
		assert_int_equal(
			client_as(&f, 4480, 4480, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	}
	assert_int_equal(harness_worker_pid(&f.srv), worker);
	stop(&f);
}

/* Ids are unsigned 32-bit: a peer with uid 4000000000 is matched and logged as such. */
static void ids_above_two_to_the_31(void **state)
{
	struct fixture f;
	char out[64], err[512];

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4000000000\n");
	assert_int_equal(client_as(&f, 4000000000u, 4000000000u, NULL, 0, out, sizeof(out), err,
				   sizeof(err)),
			 0);
	assert_true(harness_wait_log(&f.srv, "uid=4000000000 gid=4000000000 rule=", 2000));
	assert_int_equal(client_as(&f, 4000000001u, 4000000001u, NULL, 0, out, sizeof(out), err,
				   sizeof(err)),
			 77);
	assert_non_null(strstr(err, "the server saw uid=4000000001 gid=4000000001 "));
	stop(&f);
}

/*
 * An included file's name may hold a newline (it comes from a directory listing): the decision
 * line that names its rule must stay one line, the name escaped, no line forged.
 */
static void included_file_names_cannot_forge_log_lines(void **state)
{
	const char *args[] = {"--mode", "0666", "-p", NULL, NULL};
	struct fixture f;
	char out[64], err[512], text[320], inc[256], name[320], log[8192];

	if (!harness_is_root("running peers as other uids"))
		skip();
	harness_tmpdir(f.srv.dir, sizeof(f.srv.dir));
	assert_int_equal(chmod(f.srv.dir, 0711), 0);
	snprintf(f.srv.path, sizeof(f.srv.path), "%s/sock", f.srv.dir);
	snprintf(f.policy, sizeof(f.policy), "%s/policy", f.srv.dir);
	snprintf(inc, sizeof(inc), "%s/inc", f.srv.dir);
	assert_int_equal(mkdir(inc, 0755), 0);
	snprintf(name, sizeof(name), "%s/a\nudsechod: event=allow forged.policy", inc);
	harness_write_file(name, "allow user 4495\n", 0600);
	snprintf(text, sizeof(text), "include %s/*.policy\n", inc);
	harness_write_file(f.policy, text, 0600);
	args[3] = f.policy;
	assert_int_equal(harness_server_start_in(&f.srv, args, NULL), 0);

	assert_int_equal(client_as(&f, 4495, 4495, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	assert_true(harness_wait_log(&f.srv, "/a\\nudsechod: event=allow forged.policy:1", 2000));
	assert_true(harness_read_file(f.srv.log, log, sizeof(log)) > 0);
	assert_null(strstr(log, "\nudsechod: event=allow forged"));
	stop(&f);
}

static void check_mode(void **state)
{
	struct server s;
	char policy[128], line[256];
	const char *args[] = {"-t", "-s", s.path, "-p", policy, NULL};
	const char *missing[] = {"--check", "-s", s.path, "-p", "/nonexistent/policy", NULL};

	harness_tmpdir(s.dir, sizeof(s.dir));
	snprintf(s.path, sizeof(s.path), "%s/sock", s.dir);
	snprintf(policy, sizeof(policy), "%s/policy", s.dir);

	harness_write_file(policy, "allow user root\ndeny all\n", 0600);
	assert_int_equal(harness_server_run(&s, args, NULL), 0);
	assert_true(harness_wait_log(&s, "configuration OK", 100));
	assert_int_equal(access(s.path, F_OK), -1);

	harness_write_file(policy, "allow user root\nallow grup 0\n", 0600);
	assert_int_equal(harness_server_run(&s, args, NULL), 78);
	snprintf(line, sizeof(line), "%s:2:7: error:", policy);
	assert_true(harness_wait_log(&s, line, 100));
	assert_int_equal(access(s.path, F_OK), -1);

	harness_write_file(policy, "allow user root\n", 0622);
	assert_int_equal(harness_server_run(&s, args, NULL), 78);
	assert_true(harness_wait_log(&s, "writable by", 100));

	/* The directory that would hold the socket is checked too. */
	harness_write_file(policy, "allow user root\n", 0600);
	snprintf(line, sizeof(line), "%s/open", s.dir);
	assert_int_equal(mkdir(line, 0700), 0);
	assert_int_equal(chmod(line, 0777), 0);
	snprintf(s.path, sizeof(s.path), "%s/open/sock", s.dir);
	assert_int_equal(harness_server_run(&s, args, NULL), 78);
	assert_true(harness_wait_log(&s, "open: unsafe directory for the socket", 100));
	assert_int_equal(access(s.path, F_OK), -1);

	assert_int_equal(harness_server_run(&s, missing, NULL), 78);
	assert_true(harness_wait_log(
		&s, "/nonexistent/policy: cannot load the policy: No such file", 100));
	harness_rmtree(s.dir);
}

/* With no policy file at all, only the uid that started the server is allowed. */
static void builtin_policy_allows_only_the_starter(void **state)
{
	struct run_as starter = {.uid = 4440, .gid = 4440};
	const char *args[] = {"--mode", "0666", NULL};
	struct fixture f;
	char out[64], err[512];

	if (!harness_is_root("starting the server as an ordinary user"))
		skip();
	harness_tmpdir(f.srv.dir, sizeof(f.srv.dir));
	assert_int_equal(chown(f.srv.dir, 4440, 4440), 0);
	assert_int_equal(chmod(f.srv.dir, 0711), 0);
	snprintf(f.srv.path, sizeof(f.srv.path), "%s/sock", f.srv.dir);
	assert_int_equal(harness_server_start_in(&f.srv, args, &starter), 0);
	if (!harness_wait_log(&f.srv, "policy=built-in", 2000)) {
		harness_server_stop(&f.srv);
		harness_rmtree(f.srv.dir);
		fprintf(stderr, "skipped: a policy file exists at the default path\n");
		skip();
	}
	assert_true(harness_wait_log(&f.srv, "allow-uid=4440", 100));
	assert_int_equal(client_as(&f, 4440, 4440, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(client_as(&f, 4441, 4440, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_true(harness_wait_log(&f.srv, "uid=4440 gid=4440 rule=built-in", 2000));
	stop(&f);
}

/* @t, seconds from the epoch, as the policy writes an instant. */
static void utc(char *buf, size_t len, time_t t)
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Read what the server says on @fd until it closes, within @ms; NUL-terminated. */
static void read_to_close(int fd, char *buf, size_t len, int ms)
{
	size_t have = 0;
	ssize_t n;

	while (have + 1 < len && (n = harness_recv(fd, buf + have, len - 1 - have, ms)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
}

/*
 * A rule's name is in every decision line and the inventory; a deny rule's message reaches the
 * client, which prints it, escaped, and still exits 77.
 */
static void names_and_messages(void **state)
{
	struct run_as a = {.uid = 4450, .gid = 4450};
	struct fixture f;
	char out[64], err[512], line[256];
	int fd;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f,
		   "allow user 4450 name=staff-4450\n"
		   "deny user 4451 name=no-4451 message=\"ask the ops desk, x1234 \\\"now\\\"\"\n"
		   "deny user 4452\n");
	fd = harness_connect_as(f.srv.path, &a);
	assert_true(fd >= 0);
	expect_echo(fd, "hello");
	snprintf(line, sizeof(line), "event=allow pid=");
	assert_true(harness_wait_log(&f.srv, line, 2000));
	snprintf(line, sizeof(line), "uid=4450 gid=4450 rule=%s:1 name=staff-4450\n", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 2000));

	assert_int_equal(client_as(&f, 4451, 4451, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_non_null(strstr(err, "Permission denied by the server's policy"));
	assert_non_null(strstr(err, "uid=4451 gid=4451 pid="));
	assert_non_null(strstr(err, ": ask the ops desk, x1234 \"now\""));
	snprintf(line, sizeof(line), "uid=4451 gid=4451 rule=%s:2 name=no-4451\n", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 2000));
	/* A deny rule without a message: the line ends after the ids. */
	assert_int_equal(client_as(&f, 4452, 4452, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_null(strstr(err, "ask the ops"));

	assert_int_equal(kill(f.srv.pid, SIGUSR1), 0);
	snprintf(line, sizeof(line), "uid=4450 gid=4450 rule=%s:1 name=staff-4450 age=", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 5000));
	close(fd);
	stop(&f);
}

/*
 * max-per-uid= holds for the uids its rule admits, and only for connections that rule admitted:
 * another rule's uid is not limited by it, and a uid that has closed one may come back.
 */
static void per_rule_limit(void **state)
{
	struct run_as a = {.uid = 4453, .gid = 4453}, b = {.uid = 4454, .gid = 4454};
	struct fixture f;
	char out[64], err[512];
	int fa[2], fb[3];

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4453 name=batch max-per-uid=2\nallow user 4454\n");
	for (int i = 0; i < 2; i++) {
		fa[i] = harness_connect_as(f.srv.path, &a);
		assert_true(fa[i] >= 0);
		expect_echo(fa[i], "a");
	}
	for (int i = 0; i < 3; i++) {
		fb[i] = harness_connect_as(f.srv.path, &b);
		assert_true(fb[i] >= 0);
		expect_echo(fb[i], "b");
	}
	assert_int_equal(client_as(&f, 4453, 4453, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 75);
	assert_non_null(strstr(err, "too many connections for this uid under its rule"));
	assert_true(harness_wait_log(&f.srv, "event=busy pid=", 2000));
	assert_int_equal(client_as(&f, 4454, 4454, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	close(fa[0]);
	assert_true(harness_wait_log(&f.srv, "uid=4453 gid=4453 bytes=1 reason=eof", 2000));
	assert_int_equal(client_as(&f, 4453, 4453, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	close(fa[1]);
	for (int i = 0; i < 3; i++)
		close(fb[i]);
	stop(&f);
}

/* idle-timeout= closes the quiet connections its rule admitted, and not another rule's. */
static void per_rule_idle_timeout(void **state)
{
	struct run_as a = {.uid = 4455, .gid = 4455}, b = {.uid = 4456, .gid = 4456};
	struct fixture f;
	char buf[64];
	int fa, fb;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4455 idle-timeout=1\nallow user 4456\n");
	fa = harness_connect_as(f.srv.path, &a);
	fb = harness_connect_as(f.srv.path, &b);
	assert_true(fa >= 0 && fb >= 0);
	expect_echo(fa, "a");
	expect_echo(fb, "b");
	assert_true(
		harness_wait_log(&f.srv, "uid=4455 gid=4455 bytes=1 reason=idle-timeout", 5000));
	read_to_close(fa, buf, sizeof(buf), 2000);
	assert_string_equal(buf, "");
	assert_false(harness_wait_log(&f.srv, "uid=4456 gid=4456 bytes=1 reason=idle-timeout", 0));
	expect_echo(fb, "still");
	close(fa);
	close(fb);
	stop(&f);
}

/*
 * until= a few seconds ahead: the open connection is revoked at the deadline, without a reload,
 * within a second of it, told so like at a reload; from= admits new peers from its instant.
 */
static void windows_open_and_close_on_time(void **state)
{
	struct run_as a = {.uid = 4457, .gid = 4457};
	struct fixture f;
	char policy[256], until[32], from[32], buf[300], out[64], err[512], line[256];
	struct timespec t0, t1;
	time_t deadline;
	int fd;

	if (!harness_is_root("running peers as other uids"))
		skip();
	clock_gettime(CLOCK_REALTIME, &t0);
	deadline = t0.tv_sec + 3;
	utc(until, sizeof(until), deadline);
	utc(from, sizeof(from), deadline);
	snprintf(policy, sizeof(policy),
		 "allow user 4457 name=contractor until=%s\nallow user 4458 from=%s\n", until,
		 from);
	start_with(&f, policy);
	fd = harness_connect_as(f.srv.path, &a);
	assert_true(fd >= 0);
	expect_echo(fd, "before");
	assert_int_equal(client_as(&f, 4458, 4458, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	clock_gettime(CLOCK_REALTIME, &t1);
	assert_true(t1.tv_sec < deadline); /* all of the above before the deadline */

	read_to_close(fd, buf, sizeof(buf), 6000);
	clock_gettime(CLOCK_REALTIME, &t1);
	assert_true(strncmp(buf, "udsechod: permission denied: uid=4457 gid=4457 pid=", 51) == 0);
	assert_true(t1.tv_sec >= deadline);
	assert_true(t1.tv_sec <= deadline + 1);
	snprintf(line, sizeof(line), "event=redecided reason=boundary at=%s revoked=1 open=0",
		 until);
	assert_true(harness_wait_log(&f.srv, line, 2000));
	assert_true(harness_wait_log(&f.srv, "event=revoke pid=", 0));
	assert_false(harness_wait_log(&f.srv, "event=policy-applied rules=2 revoked=1", 0));
	close(fd);
	assert_int_equal(client_as(&f, 4457, 4457, NULL, 0, out, sizeof(out), err, sizeof(err)),
			 77);
	assert_int_equal(client_as(&f, 4458, 4458, NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "uid=4458 gid=4458 rule=%s:2\n", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 2000));
	stop(&f);
}

/* A policy of @n rules: @head, then deny rules for uids from @base on, none of the test's. */
static void write_big(const char *path, const char *head, size_t n, unsigned base)
{
	size_t cap = n * 32 + strlen(head) + 64, len = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "%s", head);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "deny user %zu\n", base + i);
	harness_write_file(path, text, 0600);
	free(text);
}

/* How many times @needle is in the server's log, and where the @nth (1-based) starts. */
static size_t log_count(const struct fixture *f, const char *needle, size_t nth, size_t *at)
{
	static char log[1 << 22];
	ssize_t len = harness_read_file(f->srv.log, log, sizeof(log));
	size_t n = 0;

	assert_true(len >= 0);
	for (const char *p = log; (p = strstr(p, needle)); p++)
		if (++n == nth && at)
			*at = (size_t)(p - log);
	return n;
}

/* Connect as @as: 1 when the server echoes, 0 when it refuses. */
static int admitted(const struct fixture *f, const struct run_as *as)
{
	char buf[300];
	ssize_t n;
	int fd = harness_connect_as(f->srv.path, as), ok;

	assert_true(fd >= 0);
	/* A refused peer may find the connection closed already: its line is still there. */
	(void)!write(fd, "x", 1);
	n = harness_recv(fd, buf, 1, 5000);
	assert_int_equal(n, 1);
	ok = buf[0] == 'x';
	assert_true(ok || buf[0] == 'u');
	close(fd);
	return ok;
}

/*
 * A reload of 100,000 rules is taken in between turns: connections are decided while it comes
 * in, each by one whole policy, the old or the new: a peer both allow is always allowed, a peer
 * both deny always denied, and an open connection both allow goes on.
 */
static void decisions_during_a_sliced_reload(void **state)
{
	struct run_as b = {.uid = 4461, .gid = 4461};
	const char *head = "allow user 4460\ndeny user 4461\nallow user 0\n";
	struct fixture f;
	size_t reload_at = 0, applied_at = 0, during = 0, tries = 0;
	char line[64];
	int fd;

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, head);
	fd = harness_connect(f.srv.path);
	assert_true(fd >= 0);
	expect_echo(fd, "before");
	write_big(f.policy, head, 99990, 5000000);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	/* Root (the test) connects without a fork, fast: many decisions fall in the reload. */
	while (log_count(&f, "event=policy-applied rules=99993 ", 0, NULL) == 0) {
		int c = harness_connect(f.srv.path);

		assert_true(++tries < 100000);
		assert_true(c >= 0);
		expect_echo(c, "x");
		close(c);
		if (tries % 16 == 0)
			assert_int_equal(admitted(&f, &b), 0);
	}
	/* Decisions were made while the new policy came in, and all as both policies decide. */
	assert_int_equal(log_count(&f, "event=reload policy=", 1, &reload_at), 1);
	assert_int_equal(log_count(&f, "event=policy-applied rules=99993 ", 1, &applied_at), 1);
	snprintf(line, sizeof(line), "event=allow pid=");
	for (size_t k = 1, at, n = log_count(&f, line, 0, NULL); k <= n; k++) {
		log_count(&f, line, k, &at);
		during += at > reload_at && at < applied_at;
	}
	/* Taken at once, a reload leaves room for a few at most: the turns that read its end. */
	print_message("connections decided while the reload came in: %zu\n", during);
	assert_true(during >= 3);
	assert_int_equal(log_count(&f, "uid=4461 gid=4461 rule=", 0, NULL),
			 log_count(&f, "event=deny pid=", 0, NULL));
	assert_true(log_count(&f, "event=deny pid=", 0, NULL) > 0); /* rate-limited: not all */
	expect_echo(fd, "after");
	assert_int_equal(admitted(&f, &b), 0);
	close(fd);
	stop(&f);
}

/*
 * A reload that comes while a large one is still coming in is not lost: the last policy sent is
 * the one in force.
 */
static void reload_during_a_sliced_reload(void **state)
{
	struct run_as a = {.uid = 4462, .gid = 4462}, b = {.uid = 4463, .gid = 4463};
	struct fixture f;
	char line[256];

	if (!harness_is_root("running peers as other uids"))
		skip();
	start_with(&f, "allow user 4462\n");
	write_big(f.policy, "allow user 4462\n", 99990, 6000000);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	/* Once the monitor has sent it, the next one follows close behind. */
	assert_true(harness_wait_log(&f.srv, "event=reload policy=", 30000));
	harness_write_file(f.policy, "allow user 4463\n", 0600);
	assert_int_equal(kill(f.srv.pid, SIGHUP), 0);
	snprintf(line, sizeof(line), "event=reload policy=%s rules=1\n", f.policy);
	assert_true(harness_wait_log(&f.srv, line, 30000));
	assert_true(harness_wait_log(&f.srv, "event=policy-applied rules=1 ", 30000));
	assert_int_equal(admitted(&f, &b), 1);
	assert_int_equal(admitted(&f, &a), 0);
	print_message("the large policy was %s\n",
		      harness_wait_log(&f.srv, "event=policy-applied rules=99991 ", 0)
			      ? "put in force, then replaced"
			      : "replaced while it came in");
	stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(decisions_follow_the_policy, harness_teardown),
		cmocka_unit_test_teardown(reload_revokes_and_admits, harness_teardown),
		cmocka_unit_test_teardown(broken_reload_changes_nothing, harness_teardown),
		cmocka_unit_test_teardown(preview_changes_nothing, harness_teardown),
		cmocka_unit_test_teardown(status_lists_who_is_connected, harness_teardown),
		cmocka_unit_test_teardown(group_rule_at_reload_sees_supplementary_groups,
					  harness_teardown),
		cmocka_unit_test_teardown(many_groups_do_not_kill_the_worker, harness_teardown),
		cmocka_unit_test_teardown(reload_into_large_policies, harness_teardown),
		cmocka_unit_test_teardown(ids_above_two_to_the_31, harness_teardown),
		cmocka_unit_test_teardown(included_file_names_cannot_forge_log_lines,
					  harness_teardown),
		cmocka_unit_test_teardown(check_mode, harness_teardown),
		cmocka_unit_test_teardown(builtin_policy_allows_only_the_starter, harness_teardown),
		cmocka_unit_test_teardown(names_and_messages, harness_teardown),
		cmocka_unit_test_teardown(per_rule_limit, harness_teardown),
		cmocka_unit_test_teardown(per_rule_idle_timeout, harness_teardown),
		cmocka_unit_test_teardown(windows_open_and_close_on_time, harness_teardown),
		cmocka_unit_test_teardown(decisions_during_a_sliced_reload, harness_teardown),
		cmocka_unit_test_teardown(reload_during_a_sliced_reload, harness_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
