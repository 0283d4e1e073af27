// SPDX-License-Identifier: MIT
/*
 * Unit tests for privdrop: each drop runs in a forked child, which writes one line to the parent
 * saying what the kernel reports afterwards (ids, groups, the five capability sets, no_new_privs,
 * and the outcome of calls only a capability would allow); the parent compares that line with the
 * expected one. Changing ids needs root: those tests skip otherwise, with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/privdrop.h"
#include "udsecho/sandbox.h"

#define NOBODY 65534
#define EMPTY  "0000000000000000"
#define KILL   "0000000000000020" /* CAP_KILL, bit 5 */
#define NO_CAPS                                                                                    \
	"no_new_privs=1 cap_eff=" EMPTY " cap_prm=" EMPTY " cap_inh=" EMPTY " cap_bnd=" EMPTY      \
	" cap_amb=" EMPTY

struct child {
	int (*fn)(char *line, size_t len, void *arg); /* runs in the child, fills @line */
	void *arg;
};

/* "uid=R,E,S gid=R,E,S groups=N no_new_privs=N cap_eff=... cap_amb=..." of the calling process. */
static int describe_self(char *line, size_t len)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char status[512];
	const char *caps;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), r;

	if (fd < 0 || getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -1;
	r = sandbox_status(fd, status, sizeof(status));
	close(fd);
	if (r < 0)
		return -1;
	caps = strchr(status,
		      ' '); /* past "seccomp=N": the test may run under a container filter */
	return snprintf(line, len, "uid=%u,%u,%u gid=%u,%u,%u groups=%d %s", ru, eu, su, rg, eg, sg,
			getgroups(0, NULL), caps ? caps + 1 : status);
}

/* Fork, run @c in the child and return the line it wrote. */
static void run_child(const struct child *c, char *out, size_t len)
{
	int p[2], status;
	ssize_t n;
	size_t have = 0;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char line[1024];
		int m;
		close(p[0]);
		m = c->fn(line, sizeof(line), c->arg);
		if (m < 0 || (size_t)m >= sizeof(line) || write(p[1], line, (size_t)m) != m)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	while (have < len - 1 && (n = read(p[0], out + have, len - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Start as a service manager may leave a process (AmbientCapabilities=): one capability in the
 * inheritable and ambient sets, which the drop must empty. Leaving uid 0 clears permitted,
 * effective and ambient, never inheritable; the monitor leaves no uid at all.
 */
static int inherit_a_capability(void)
{
	const cap_value_t cap = CAP_NET_BIND_SERVICE;
	cap_t caps = cap_get_proc();
	int r;

	if (!caps)
		return -1;
	r = cap_set_flag(caps, CAP_INHERITABLE, 1, &cap, CAP_SET);
	if (r == 0)
		r = cap_set_proc(caps);
	if (r == 0)
		r = cap_set_ambient(cap, CAP_SET);
	cap_free(caps);
	return r;
}

static int need_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: changing ids and emptying the bounding set needs root\n");
		return -1;
	}
	return 0;
}

/* In a child of root: become NOBODY, as a server started by an ordinary user would be. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return -1;
	return 0;
}

/* As root (skipped otherwise): run @fn in a child and compare its line with @want. */
static void root_child_says(int (*fn)(char *line, size_t len, void *arg), const char *want)
{
	const struct child c = {fn, NULL};
	char got[1024];

	if (need_root() < 0)
		skip();
	run_child(&c, got, sizeof(got));
	assert_string_equal(got, want);
}

static int worker_to_nobody(char *line, size_t len, void *arg)
{
	const struct privdrop_ids ids = {NOBODY, NOBODY};
	char self[700];
	int r, sig = -1, u, g, u_err, g_err;

	if (inherit_a_capability() < 0)
		return -1;
	r = privdrop_worker(&ids);
	if (describe_self(self, sizeof(self)) < 0)
		return -1;
	u = setuid(0);
	u_err = errno;
	g = setgid(0);
	g_err = errno;
	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0)
		return -1;
	return snprintf(line, len, "ret=%d %s setuid0=%d/%s setgid0=%d/%s pdeathsig=%d", r, self, u,
			u ? strerrorname_np(u_err) : "ok", g, g ? strerrorname_np(g_err) : "ok",
			sig);
}

static void worker_becomes_nobody_without_caps(void **state)
{
	static const struct child c = {worker_to_nobody, NULL};
	char got[1024];

	if (need_root() < 0)
		skip();
	run_child(&c, got, sizeof(got));
	assert_string_equal(got,
			    "ret=0 uid=65534,65534,65534 gid=65534,65534,65534 groups=0 " NO_CAPS
			    " setuid0=-1/EPERM setgid0=-1/EPERM pdeathsig=9");
}

static int worker_with_groups(char *line, size_t len, void *arg)
{
	static const gid_t groups[] = {0, 4, 27, 100};
	const struct privdrop_ids ids = {NOBODY, NOBODY};
	int r;

	/* Supplementary groups, including root's, that the drop must take away. */
	if (setgroups(4, groups) < 0)
		return -1;
	r = privdrop_worker(&ids);
	return snprintf(line, len, "ret=%d groups=%d", r, getgroups(0, NULL));
}

static void worker_loses_supplementary_groups(void **state)
{
	root_child_says(worker_with_groups, "ret=0 groups=0");
}

/* As an ordinary user, started with its own ids: caps cleared, bounding set left, ids kept. */
static int worker_unprivileged(char *line, size_t len, void *arg)
{
	struct privdrop_ids ids = {getuid(), getgid()};
	char self[700];
	int r;

	if (ids.uid == 0) {
		if (become_nobody() < 0)
			return -1;
		ids = (struct privdrop_ids){NOBODY, NOBODY};
	}
	r = privdrop_worker(&ids);
	if (describe_self(self, sizeof(self)) < 0)
		return -1;
	return snprintf(line, len, "ret=%d uid=%u %s", r, ids.uid, strstr(self, "no_new_privs"));
}

static void worker_unprivileged_keeps_ids(void **state)
{
	static const struct child c = {worker_unprivileged, NULL};
	char got[1024], want[1024];
	char bnd[17] = "";
	const char *p;
	uid_t uid = getuid() == 0 ? NOBODY : getuid();

	run_child(&c, got, sizeof(got));
	/* The bounding set is whatever it was: an unprivileged process cannot drop it. */
	p = strstr(got, "cap_bnd=");
	assert_non_null(p);
	memcpy(bnd, p + 8, 16);
	snprintf(want, sizeof(want),
		 "ret=0 uid=%u no_new_privs=1 cap_eff=" EMPTY " cap_prm=" EMPTY " cap_inh=" EMPTY
		 " cap_bnd=%s cap_amb=" EMPTY,
		 uid, bnd);
	assert_string_equal(got, want);
}

/* An ordinary user asking for another identity gets an error, not a half-done drop. */
static int worker_unprivileged_other(char *line, size_t len, void *arg)
{
	const struct privdrop_ids ids = {4242, 4242};
	int r;

	if (getuid() == 0 && become_nobody() < 0)
		return -1;
	r = privdrop_worker(&ids);
	return snprintf(line, len, "ret=%s uid=%u", r < 0 ? strerrorname_np(-r) : "0", geteuid());
}

static void worker_unprivileged_cannot_change_ids(void **state)
{
	static const struct child c = {worker_unprivileged_other, NULL};
	char got[128], want[128];

	run_child(&c, got, sizeof(got));
	snprintf(want, sizeof(want), "ret=EPERM uid=%u", getuid() == 0 ? NOBODY : getuid());
	assert_string_equal(got, want);
}

/* A child that ran its setup, then lives until its hold pipe closes. */
struct held {
	pid_t pid;
	int hold; /* held_stop() closes it and reaps pid */
};

static void held_start(struct held *h, int (*setup)(void))
{
	int ready[2], hold[2];
	char b;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (setup() < 0 || write(ready[1], "h", 1) != 1)
			_exit(1);
		while (read(hold[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	h->hold = hold[1];
}

/* Let it go and reap it: it must have ended by itself, not by a signal. */
static void held_stop(struct held *h)
{
	int status;

	close(h->hold);
	assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

struct files {
	char dir[64];
	char secret[96]; /* mode 0000, owned by NOBODY */
	char mine[96];	 /* owned by root, to be given away */
	uid_t worker;	 /* the uid privdrop_monitor() is given */
	pid_t other;	 /* a process of NOBODY's, to signal */
};

static int monitor_drop(char *line, size_t len, void *arg)
{
	const struct files *f = arg;
	char self[700];
	int r, fd, o_err, c, c_err, k, k_err;

	if (inherit_a_capability() < 0)
		return -1;
	r = privdrop_monitor(f->worker);
	if (describe_self(self, sizeof(self)) < 0)
		return -1;
	fd = open(f->secret, O_RDONLY | O_CLOEXEC);
	o_err = errno;
	c = chown(f->mine, NOBODY, NOBODY);
	c_err = errno;
	k = kill(f->other, 0);
	k_err = errno;
	return snprintf(line, len, "ret=%d %s open0000=%s chown=%s kill=%s", r, self,
			fd < 0 ? strerrorname_np(o_err) : "ok",
			c < 0 ? strerrorname_np(c_err) : "ok",
			k < 0 ? strerrorname_np(k_err) : "ok");
}

/*
 * privdrop_monitor(@worker) in a child of root, with a file only a capability could open, one
 * only a capability could give away, and a process of another uid: the child's line in @got.
 * Returns -1 (and says why) when this root has no capability to lose.
 */
static int run_monitor_drop(uid_t worker, char *got, size_t len)
{
	struct files f = {.worker = worker};
	struct child c = {monitor_drop, &f};
	struct held other;
	int fd;

	snprintf(f.dir, sizeof(f.dir), "/tmp/udsecho-privdrop-XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.secret, sizeof(f.secret), "%s/secret", f.dir);
	snprintf(f.mine, sizeof(f.mine), "%s/mine", f.dir);
	fd = open(f.secret, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0000);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(f.secret, NOBODY, NOBODY), 0);
	fd = open(f.mine, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);

	/* With its capabilities, root can open the file: the child's EACCES proves they are gone.
	 */
	fd = open(f.secret, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		held_start(&other, become_nobody);
		f.other = other.pid;
		run_child(&c, got, len);
		held_stop(&other);
	} else {
		fprintf(stderr, "skipped: root here has no CAP_DAC_OVERRIDE to lose\n");
	}
	assert_int_equal(unlink(f.secret), 0);
	assert_int_equal(unlink(f.mine), 0);
	assert_int_equal(rmdir(f.dir), 0);
	return fd >= 0 ? 0 : -1;
}

/* A worker of the monitor's own uid (--user root): no capability is left at all. */
static void monitor_stays_root_without_caps(void **state)
{
	char got[1024];

	if (need_root() < 0 || run_monitor_drop(0, got, sizeof(got)) < 0)
		skip();
	assert_string_equal(got, "ret=0 uid=0,0,0 gid=0,0,0 groups=0 " NO_CAPS
				 " open0000=EACCES chown=EPERM kill=EPERM");
}

/* A worker of another uid: CAP_KILL (bit 5) alone, effective and permitted; nothing else. */
static void monitor_keeps_cap_kill_alone(void **state)
{
	char got[1024];

	if (need_root() < 0 || run_monitor_drop(NOBODY, got, sizeof(got)) < 0)
		skip();
	assert_string_equal(got, "ret=0 uid=0,0,0 gid=0,0,0 groups=0 no_new_privs=1 cap_eff=" KILL
				 " cap_prm=" KILL " cap_inh=" EMPTY " cap_bnd=" EMPTY
				 " cap_amb=" EMPTY " open0000=EACCES chown=EPERM kill=ok");
}

/* Without CAP_KILL to keep (a service manager took it away), the drop fails, not half-works. */
static int monitor_without_cap_kill(char *line, size_t len, void *arg)
{
	const cap_value_t kill_cap[] = {CAP_KILL};
	cap_t caps = cap_get_proc();
	int r;

	if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, 1, kill_cap, CAP_CLEAR) < 0 ||
	    cap_set_flag(caps, CAP_PERMITTED, 1, kill_cap, CAP_CLEAR) < 0 || cap_set_proc(caps) < 0)
		return -1;
	cap_free(caps);
	r = privdrop_monitor(NOBODY);
	return snprintf(line, len, "ret=%s", r < 0 ? strerrorname_np(-r) : "0");
}

static void monitor_needs_cap_kill_for_another_uid(void **state)
{
	root_child_says(monitor_without_cap_kill, "ret=EPERM");
}

/* An ordinary user's worker has its uid: nothing to keep, and no failure for lack of CAP_KILL. */
static int monitor_unprivileged(char *line, size_t len, void *arg)
{
	char self[700], *bounding;
	int r;

	if (getuid() == 0 && become_nobody() < 0)
		return -1;
	r = privdrop_monitor(getuid());
	if (describe_self(self, sizeof(self)) < 0)
		return -1;
	/* The bounding set is whatever it was: an unprivileged process cannot drop it. */
	bounding = strstr(self, " cap_bnd=");
	if (bounding)
		*bounding = '\0';
	return snprintf(line, len, "ret=%d %s", r, strstr(self, "no_new_privs"));
}

static void monitor_unprivileged_keeps_nothing(void **state)
{
	static const struct child c = {monitor_unprivileged, NULL};
	char got[1024];

	run_child(&c, got, sizeof(got));
	assert_string_equal(got, "ret=0 no_new_privs=1 cap_eff=" EMPTY " cap_prm=" EMPTY
				 " cap_inh=" EMPTY);
}

/* A worker (nobody) cannot signal the monitor (uid 0 with CAP_KILL, which is not the worker's). */
struct kill_target {
	pid_t monitor;
};

static int worker_kills_monitor(char *line, size_t len, void *arg)
{
	const struct kill_target *t = arg;
	const struct privdrop_ids ids = {NOBODY, NOBODY};
	int r = privdrop_worker(&ids), k, k_err;

	k = kill(t->monitor, SIGTERM);
	k_err = errno;
	return snprintf(line, len, "ret=%d kill=%s", r, k < 0 ? strerrorname_np(k_err) : "ok");
}

static int monitor_of_nobody(void)
{
	return privdrop_monitor(NOBODY);
}

static void worker_cannot_signal_monitor(void **state)
{
	struct held monitor;
	struct kill_target t;
	struct child c = {worker_kills_monitor, &t};
	char got[128];

	if (need_root() < 0)
		skip();
	held_start(&monitor, monitor_of_nobody);
	t.monitor = monitor.pid;
	run_child(&c, got, sizeof(got));
	/* The monitor ends by itself, not by the worker's signal. */
	held_stop(&monitor);
	assert_string_equal(got, "ret=0 kill=EPERM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(worker_becomes_nobody_without_caps),
		cmocka_unit_test(worker_loses_supplementary_groups),
		cmocka_unit_test(worker_unprivileged_keeps_ids),
		cmocka_unit_test(worker_unprivileged_cannot_change_ids),
		cmocka_unit_test(monitor_stays_root_without_caps),
		cmocka_unit_test(monitor_keeps_cap_kill_alone),
		cmocka_unit_test(monitor_needs_cap_kill_for_another_uid),
		cmocka_unit_test(monitor_unprivileged_keeps_nothing),
		cmocka_unit_test(worker_cannot_signal_monitor),
	};
	return cmocka_run_group_tests_name("privdrop", tests, NULL, NULL);
}
