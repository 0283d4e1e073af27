/* SPDX-License-Identifier: MIT */
/*
 * harness: run the real udsechod and udsecho from integration tests.
 *
 * The binaries come from the UDSECHOD and UDSECHO environment variables that meson sets. Servers
 * are started with --ready-fd and waited for on that pipe, with a bound; every process started is
 * stopped by its pid, and every wait is bounded (a pidfd polled with a timeout), never a sleep.
 */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <sys/types.h>

#define HARNESS_TIMEOUT_MS 10000

struct server {
	pid_t pid;
	int pidfd;
	char dir[64];	/* a private temporary directory, removed by harness_cleanup_dir() */
	char path[108]; /* the socket: DIR/sock unless the test chose another */
	char log[128];	/* the server's stderr */
};

struct run_as {
	uid_t uid; /* (uid_t)-1: keep the test's identity */
	gid_t gid;
	size_t ngroups;
	const gid_t *groups;
	unsigned long nofile; /* RLIMIT_NOFILE, soft and hard, for the process; 0: inherited */
	int no_passrights;    /* setsockopt(SO_PASSRIGHTS) fails, as before Linux 6.16 */
};

/*
 * harness_become - in a child process: take on @as (its limits, its filter, its ids). The child
 * exits with a status over 117 when it cannot.
 */
void harness_become(const struct run_as *as);

/* harness_is_root - 1 as root; otherwise print why @what is skipped and return 0. */
int harness_is_root(const char *what);

/* harness_tmpdir - make a private 0700 directory where a policy may live (testdir.h). */
void harness_tmpdir(char *dir, size_t len);

/* harness_rmtree - remove @dir and what the tests left in it. */
void harness_rmtree(const char *dir);

/*
 * harness_spawn - start @argv[0] (a path) as @as (may be NULL), with stdin from @in (or
 * /dev/null), stdout and stderr to the files @out and @err (or /dev/null), and fd 3 = @fd3 if
 * not -1, and SIGPIPE at its default action. Returns the pid; *@pidfd is a pidfd for bounded
 * waits.
 */
pid_t harness_spawn(char *const argv[], const struct run_as *as, const char *in, const char *out,
		    const char *err, int fd3, int *pidfd);

/* harness_wait - wait up to @ms for the process, return its wait status; -1 on timeout. */
int harness_wait(pid_t pid, int pidfd, int ms);

/*
 * harness_server_start - start udsechod in a fresh temporary directory with -s DIR/sock (unless
 * @args gives -s), --ready-fd 3 and the NULL-terminated @args, as @as. Returns 0 once the server
 * is ready, or the exit status of the server if it exited instead (for start-up failure tests).
 */
int harness_server_start(struct server *s, const char *const *args, const struct run_as *as);

/* Same, in the directory s->dir that the caller already made (s->path set by the caller). */
int harness_server_start_in(struct server *s, const char *const *args, const struct run_as *as);

/* harness_server_stop - SIGTERM, wait (bounded); returns the wait status. */
int harness_server_stop(struct server *s);

/* harness_worker_pid - the worker, the only child of the server. */
pid_t harness_worker_pid(const struct server *s);

/*
 * harness_client - run udsecho with the NULL-terminated @args as @as, @input as its stdin.
 * Returns its exit status (or -1 on a harness failure); its stdout and stderr are put in @out and
 * @err (NUL-terminated, cut to the buffer).
 */
int harness_client(const char *const *args, const struct run_as *as, const char *input,
		   size_t inlen, char *out, size_t outlen, char *err, size_t errlen);

/* harness_read_file - read up to @len-1 bytes of @path into @buf; returns the length or -1. */
ssize_t harness_read_file(const char *path, char *buf, size_t len);

/* harness_wait_log - wait up to @ms for @needle to appear in the server's log. */
int harness_wait_log(const struct server *s, const char *needle, int ms);

/* harness_status_field - read "Field:" of /proc/PID/status as a string. */
int harness_status_field(pid_t pid, const char *field, char *out, size_t len);

/* harness_stopped_within - 1 once @pid's State is T (stopped) within @ms, else 0. */
int harness_stopped_within(pid_t pid, int ms);

/*
 * harness_ptrace_hold - attach to @pid with ptrace and hold it in a ptrace stop, which, unlike
 * SIGSTOP, its parent is never told of (needs root or the same uid). Returns 0 or -1. Release
 * it with ptrace(PTRACE_DETACH).
 */
int harness_ptrace_hold(pid_t pid);

/*
 * harness_seccomp_filter - the newest seccomp filter of @pid, read with ptrace (needs
 * CAP_SYS_ADMIN, and no filter on the caller): the process is stopped, read and let go on, each
 * wait bounded. Returns the number of instructions put in @prog, or -1 with errno set.
 */
ssize_t harness_seccomp_filter(pid_t pid, struct sock_filter *prog, size_t max);

/* harness_connect - a blocking connection to @path, or -1. */
int harness_connect(const char *path);

/*
 * harness_recv - read from @fd until @len bytes or EOF, waiting at most @ms for each read.
 * Returns how many bytes came, or -1 when a wait ran out or a read failed.
 */
ssize_t harness_recv(int fd, char *buf, size_t len, int ms);

/* harness_pidfd - a pidfd for any process; harness_pidfd_exited - wait up to @ms for its end. */
int harness_pidfd(pid_t pid);
int harness_pidfd_exited(int pidfd, int ms);

/*
 * harness_connect_as - a connection to @path made by a child running as @as, handed back over
 * SCM_RIGHTS: the server sees @as's credentials (taken at connect), the test holds the fd.
 * Returns the fd, or -1 if the child could not connect.
 */
int harness_connect_as(const char *path, const struct run_as *as);

/* harness_write_file - create @path with @text, mode @mode. */
void harness_write_file(const char *path, const char *text, mode_t mode);

/* harness_server_run - run udsechod with @args to its end (for --check and refusals to start);
 * returns its exit status, its stderr in s->log. s->dir must exist. */
int harness_server_run(struct server *s, const char *const *args, const struct run_as *as);

/*
 * harness_teardown - a cmocka teardown: kill (SIGKILL, by pid) and reap every server a failed
 * test left running, so that no process outlives its test.
 */
int harness_teardown(void **state);

/* harness_server_wait - wait up to @ms for the server to exit by itself; returns the wait status
 * or -1 on timeout. */
int harness_server_wait(struct server *s, int ms);
