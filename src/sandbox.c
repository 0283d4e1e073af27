// SPDX-License-Identifier: MIT
/*
 * sandbox: seccomp filters for the worker (allow-list) and the monitor (deny-list), libseccomp.
 *
 * The worker's list is what its event loop really calls under glibc, found by tracing it, and
 * nothing for convenience: a call outside it kills the whole process (SCMP_ACT_KILL_PROCESS, never
 * the thread alone). Only the native architecture is in the filter, so i386 int 0x80 and x32
 * numbers take the bad-architecture action, which kills in every mode. Filters are built and
 * loaded last; the sanitizer build adds one harmless query in one #if (sanitizer_arg_rules), never
 * more. This module never logs and never exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "udsecho/sandbox.h"

#if UDSECHO_SANITIZED
#include <sanitizer/common_interface_defs.h>

/*
 * LeakSanitizer checks at exit by stopping the world from a cloned tracer with ptrace(2), which
 * every filter here forbids (the tracer is killed and the check waits for it forever). The
 * runtime asks this hook first: once a filter is loaded, the exit-time check is off. Leaks are
 * still checked in every process that runs without a filter (unit tests, --sandbox off).
 */
static int filter_loaded;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return filter_loaded;
}
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Argument comparisons usable in static tables (libseccomp's SCMP_A* are compound literals). */
#define ARG_EQ(n, v)                                                                               \
	{                                                                                          \
		.arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v)                                      \
	}
#define ARG_HAS_NONE(n, bits)                                                                      \
	{                                                                                          \
		.arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (bits), .datum_b = 0              \
	}
#define ARG_HAS(n, bits)                                                                           \
	{                                                                                          \
		.arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (bits), .datum_b = (bits)         \
	}

struct arg_rule {
	int nr;
	unsigned int count;
	struct scmp_arg_cmp cmp[2];
};

/* What the worker's event loop calls (glibc 2.36, x86_64 and others), and nothing else. */
static const int worker_allowed[] = {
	/* Event loop. epoll_pwait: what glibc's epoll_wait() uses where there is no epoll_wait. */
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl),

	/* Clients and the monitor's end of the pair; recv()/send(MSG_NOSIGNAL) are recvfrom/sendto.
	 */
	SCMP_SYS(accept4),
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendto),
	SCMP_SYS(shutdown),
	SCMP_SYS(close),
	/* sandbox_status() on the /proc/self/status fd opened before the filter. */
	SCMP_SYS(pread64),

	/* malloc. mmap and mprotect are in worker_arg_rules: never executable. */
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),

	/* Timeouts: timerfd_create is in worker_arg_rules (monotonic clock only). */
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	/* Normally answered by the vDSO; these are its fallback. */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday),

	/* Log lines carry the pid. */
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),

	/* Signals, restarts and the way out. */
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),

	/* glibc internals: locks, and malloc's random seeds. */
	SCMP_SYS(futex),
	SCMP_SYS(getrandom),

	/* The loop gives the CPU up between turns of background work (an inventory, a reload). */
	SCMP_SYS(sched_yield),
};

/* Calls the worker makes only with these arguments. Rules for the same call are alternatives. */
static const struct arg_rule worker_arg_rules[] = {
	/* Who the peer is, and nothing else getsockopt could reveal. */
	{SCMP_SYS(getsockopt), 2, {ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_PEERCRED)}},
	{SCMP_SYS(getsockopt), 2, {ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_PEERGROUPS)}},
	/* Memory, never executable: a hijacked worker cannot bring in new code. */
	{SCMP_SYS(mmap), 1, {ARG_HAS_NONE(2, PROT_EXEC)}},
	{SCMP_SYS(mprotect), 1, {ARG_HAS_NONE(2, PROT_EXEC)}},
	/* Timeouts on the monotonic clock; also the spare descriptor that worker.c makes again
	   after using it up, so that no dup(2) or F_DUPFD is needed. */
	{SCMP_SYS(timerfd_create), 1, {ARG_EQ(0, CLOCK_MONOTONIC)}},
	/* O_NONBLOCK on a socket, and nothing else fcntl can do (no F_DUPFD, no locks, no
	   F_SETOWN). */
	{SCMP_SYS(fcntl), 1, {ARG_EQ(1, F_GETFL)}},
	{SCMP_SYS(fcntl), 1, {ARG_EQ(1, F_SETFL)}},
};

#if UDSECHO_SANITIZED
/*
 * The sanitizer build only (-Db_sanitize=address,undefined), never production. ASan asks for the
 * current signal stack (sigaltstack(NULL, &old)) before every noreturn call, _exit() included, so
 * the query is allowed; setting a stack stays fatal.
 */
static const struct arg_rule sanitizer_arg_rules[] = {
	{SCMP_SYS(sigaltstack), 1, {ARG_EQ(0, 0)}},
};
#endif

/* What the monitor never needs, and what would turn a compromised monitor into a root shell. */
static const int monitor_denied[] = {
	/* Running another program, or reading and writing another process. */
	SCMP_SYS(execve),
	SCMP_SYS(execveat),
	SCMP_SYS(ptrace),
	SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev),
	SCMP_SYS(pidfd_getfd),

	/* The file system tree, old and new mount API. */
	SCMP_SYS(mount),
	SCMP_SYS(umount),
	SCMP_SYS(umount2),
	SCMP_SYS(pivot_root),
	SCMP_SYS(chroot),
	SCMP_SYS(fsopen),
	SCMP_SYS(fsconfig),
	SCMP_SYS(fsmount),
	SCMP_SYS(fspick),
	SCMP_SYS(move_mount),
	SCMP_SYS(open_tree),
	SCMP_SYS(mount_setattr),
	SCMP_SYS(open_by_handle_at),
	SCMP_SYS(name_to_handle_at),
	SCMP_SYS(swapon),
	SCMP_SYS(swapoff),
	SCMP_SYS(acct),

	/* The kernel itself. */
	SCMP_SYS(init_module),
	SCMP_SYS(finit_module),
	SCMP_SYS(delete_module),
	SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load),
	SCMP_SYS(reboot),
	SCMP_SYS(bpf),
	SCMP_SYS(perf_event_open),
	SCMP_SYS(userfaultfd),
	SCMP_SYS(keyctl),
	SCMP_SYS(add_key),
	SCMP_SYS(request_key),
	SCMP_SYS(iopl),
	SCMP_SYS(ioperm),
	/* io_uring runs its operations without passing through this filter. */
	SCMP_SYS(io_uring_setup),
	SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register),

	/* The system clock. */
	SCMP_SYS(settimeofday),
	SCMP_SYS(clock_settime),
	SCMP_SYS(adjtimex),
	SCMP_SYS(clock_adjtime),

	/* Namespaces (clone with CLONE_NEW* is in monitor_arg_rules). */
	SCMP_SYS(setns),
	SCMP_SYS(unshare),

	/* Identity: the monitor keeps the one it started with. */
	SCMP_SYS(setuid),
	SCMP_SYS(setgid),
	SCMP_SYS(setreuid),
	SCMP_SYS(setregid),
	SCMP_SYS(setresuid),
	SCMP_SYS(setresgid),
	SCMP_SYS(setfsuid),
	SCMP_SYS(setfsgid),
	SCMP_SYS(setgroups),
};

/*
 * Signals: the monitor's CAP_KILL (privdrop_monitor()) is for its worker alone. These calls are
 * refused outright; kill(2) and tgkill(2) are in monitor_signal_rules, fenced to one pid each.
 */
static const int monitor_signals_denied[] = {
	SCMP_SYS(tkill), /* glibc uses tgkill */
	SCMP_SYS(rt_sigqueueinfo),
	SCMP_SYS(rt_tgsigqueueinfo),
	/* A pidfd's process is out of the filter's sight. */
	SCMP_SYS(pidfd_send_signal),
};

/* Refused with these arguments. clone() into a new namespace: one rule per flag, any matches. */
static const struct arg_rule monitor_arg_rules[] = {
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWNS)}},
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWCGROUP)}},
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWUTS)}},
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWIPC)}},
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWUSER)}},
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWPID)}},
	{SCMP_SYS(clone), 1, {ARG_HAS(0, CLONE_NEWNET)}},
	/* A descriptor's owner gets SIGIO, or the F_SETSIG signal, checked against the owner's
	   euid when it was set: from uid 0, any process. */
	{SCMP_SYS(fcntl), 1, {ARG_EQ(1, F_SETOWN)}},
	{SCMP_SYS(fcntl), 1, {ARG_EQ(1, F_SETOWN_EX)}},
	{SCMP_SYS(ioctl), 1, {ARG_EQ(1, FIOSETOWN)}},
	{SCMP_SYS(ioctl), 1, {ARG_EQ(1, SIOCSPGRP)}},
};

static int add_rules(scmp_filter_ctx ctx, uint32_t action, const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, action, nrs[i], 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_arg_rules(scmp_filter_ctx ctx, uint32_t action, const struct arg_rule *rules,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add_array(ctx, action, rules[i].nr, rules[i].count,
					       rules[i].cmp);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A context for the native architecture only, whose bad-architecture action kills. */
static int new_filter(uint32_t default_action, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* i386 and x32 calls from an x86_64 process are attacks, not mistakes: kill in any mode. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* libseccomp sets no_new_privs at load; privdrop has done it already, this is a backstop.
	 */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	/* The kernel's errno when the load fails, not libseccomp's -ECANCELED. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	/*
	 * A call allowed by its number alone is answered from the kernel's seccomp action cache
	 * (Linux 5.11 and later) without running the filter: every call of an echo's round trip
	 * is. A call allowed by its arguments runs it, as every call does on an older kernel: a
	 * binary tree over the syscall numbers keeps that to a handful of BPF steps instead of
	 * one per rule.
	 */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/*
 * The sanitizer build (-Db_sanitize=address,undefined) gets the same filters plus one query
 * (sanitizer_arg_rules). Its runtimes need nothing else until they report an error, and a report
 * needs what the worker
 * must never do: readlink and open in /proc/self, prctl, ioctl on stderr, and clone for the
 * symbolizer. A report inside the worker therefore ends in SIGSYS after its first line: the
 * process still dies and the test still fails, it only says less. Reproduce with
 * --sandbox=log (or off) for the full report.
 */
static int load(scmp_filter_ctx ctx)
{
#if UDSECHO_SANITIZED
	/* Let the runtimes read /proc/self/maps now, while they still can. */
	__sanitizer_sandbox_on_notify(NULL);
	int r = seccomp_load(ctx);
	filter_loaded |= r == 0;
	return r;
#else
	return seccomp_load(ctx);
#endif
}

/*
 * What a call the filter refuses does in @mode: *@action, and 0; 1 for "off" (no filter at all);
 * -EINVAL for no mode.
 */
static int refusal_action(enum sandbox_mode mode, uint32_t *action)
{
	switch (mode) {
	case SANDBOX_STRICT:
		*action = SCMP_ACT_KILL_PROCESS;
		return 0;
	case SANDBOX_LOG:
		*action = SCMP_ACT_LOG;
		return 0;
	case SANDBOX_OFF:
		return 1;
	}
	return -EINVAL;
}

/* splice(2) into the worker's pipe or out of it, from or to the current position only. */
static int splice_rules(scmp_filter_ctx ctx, const int pipe[2])
{
	const struct arg_rule rules[] = {
		{SCMP_SYS(splice), 2, {ARG_EQ(2, (scmp_datum_t)pipe[1]), ARG_EQ(1, 0)}},
		{SCMP_SYS(splice), 2, {ARG_EQ(0, (scmp_datum_t)pipe[0]), ARG_EQ(3, 0)}},
	};

	if (pipe[0] < 0 || pipe[1] < 0)
		return -EBADF;
	return add_arg_rules(ctx, SCMP_ACT_ALLOW, rules, ARRAY_SIZE(rules));
}

int sandbox_worker(enum sandbox_mode mode, const int *splice_pipe)
{
	scmp_filter_ctx ctx;
	uint32_t refuse;
	int r = refusal_action(mode, &refuse);

	if (r)
		return r > 0 ? 0 : r;
	r = new_filter(refuse, &ctx);
	if (r < 0)
		return r;
	r = add_rules(ctx, SCMP_ACT_ALLOW, worker_allowed, ARRAY_SIZE(worker_allowed));
	if (r < 0)
		goto out;
	r = add_arg_rules(ctx, SCMP_ACT_ALLOW, worker_arg_rules, ARRAY_SIZE(worker_arg_rules));
	if (r == 0 && splice_pipe)
		r = splice_rules(ctx, splice_pipe);
	if (r < 0)
		goto out;
#if UDSECHO_SANITIZED
	r = add_arg_rules(ctx, SCMP_ACT_ALLOW, sanitizer_arg_rules,
			  ARRAY_SIZE(sanitizer_arg_rules));
	if (r < 0)
		goto out;
#endif
	r = load(ctx);
out:
	seccomp_release(ctx);
	return r;
}

/*
 * kill(2) to anything but the worker (another pid, a group, -1), and tgkill(2) to another
 * process than the monitor itself (abort() and raise() signal their own thread with it).
 */
static int monitor_signal_rules(scmp_filter_ctx ctx, uint32_t deny, pid_t worker)
{
	int r = add_rules(ctx, deny, monitor_signals_denied, ARRAY_SIZE(monitor_signals_denied));

	if (r == 0)
		r = seccomp_rule_add(ctx, deny, SCMP_SYS(kill), 1,
				     SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)worker, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, deny, SCMP_SYS(tgkill), 1,
				     SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)getpid(), 0));
	return r;
}

int sandbox_monitor(enum sandbox_mode mode, pid_t worker)
{
	scmp_filter_ctx ctx;
	uint32_t deny;
	int r = worker > 0 ? refusal_action(mode, &deny) : -EINVAL;

	if (r)
		return r > 0 ? 0 : r;
	r = new_filter(SCMP_ACT_ALLOW, &ctx);
	if (r < 0)
		return r;
	r = add_rules(ctx, deny, monitor_denied, ARRAY_SIZE(monitor_denied));
	if (r < 0)
		goto out;
	r = add_arg_rules(ctx, deny, monitor_arg_rules, ARRAY_SIZE(monitor_arg_rules));
	if (r < 0)
		goto out;
	r = monitor_signal_rules(ctx, deny, worker);
	if (r < 0)
		goto out;
	/* clone3's flags are in memory the filter cannot read: ENOSYS makes glibc use clone. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r < 0)
		goto out;
	r = load(ctx);
out:
	seccomp_release(ctx);
	return r;
}

/* The value after "@key:" at the start of a line of @text, up to the end of that line. */
static int status_field(const char *text, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) != 0 || p[klen] != ':')
			continue;
		p += klen + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		*val = p;
		*vlen = strcspn(p, "\n");
		return 0;
	}
	return -ENODATA;
}

int sandbox_status(int status_fd, char *buf, size_t len)
{
	static const struct {
		const char *out, *key;
	} fields[] = {
		{"seccomp", "Seccomp"}, {"no_new_privs", "NoNewPrivs"}, {"cap_eff", "CapEff"},
		{"cap_prm", "CapPrm"},	{"cap_inh", "CapInh"},		{"cap_bnd", "CapBnd"},
		{"cap_amb", "CapAmb"},
	};
	char text[8192];
	size_t have = 0, off = 0;

	/* pread at offset 0 makes the kernel generate the file anew: the state as of now. */
	while (have < sizeof(text) - 1) {
		ssize_t n = pread(status_fd, text + have, sizeof(text) - 1 - have, (off_t)have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	text[have] = '\0';

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *val;
		size_t vlen;
		int n, r = status_field(text, fields[i].key, &val, &vlen);
		if (r < 0)
			return r;
		if (off >= len)
			return -ENOSPC;
		n = snprintf(buf + off, len - off, "%s%s=%.*s", i ? " " : "", fields[i].out,
			     (int)vlen, val);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}
