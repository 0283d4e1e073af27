// SPDX-License-Identifier: MIT
/*
 * Integration: `udsecho-policy edit` on real files with real editors — small scripts the test
 * writes — and a real udsechod for --pid: a valid edit is installed by rename with the old
 * owner and mode, an invalid one is refused and leaves FILE byte for byte, a failing editor,
 * an unchanged file, a held lock, a symlink, a group-writable file and a signal all leave FILE
 * as it was, and no temporary copy is ever left behind. Root only: it sets file owners.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "udsecho/policy-staged.h"

struct fixture {
	char dir[64]; /* FILE's directory: FILE, its lock, and nothing else after an edit */
	char aux[64]; /* the editors, their records, the tool's stdout and stderr */
	char file[128];
	char out[128];
	char err[128];
	char stdout_text[4096];
	char stderr_text[4096];
};

static const char original[] = "# the policy before the edit\nallow user root\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	harness_tmpdir(f->dir, sizeof(f->dir));
	harness_tmpdir(f->aux, sizeof(f->aux));
	snprintf(f->file, sizeof(f->file), "%s/policy", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->aux);
	snprintf(f->err, sizeof(f->err), "%s/err", f->aux);
	harness_write_file(f->file, original, 0640);
	if (chown(f->file, 0, 4242) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	harness_teardown(state);
	harness_rmtree(f->dir);
	harness_rmtree(f->aux);
	free(f);
	return 0;
}

/* An editor script in aux: "#!/bin/sh" and @body; returns its path in @path. */
static void editor(const struct fixture *f, const char *name, const char *body, char *path,
		   size_t len)
{
	char text[1024];

	snprintf(path, len, "%s/%s", f->aux, name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	harness_write_file(path, text, 0755);
}

/*
 * Start `udsecho-policy edit [ARGS...] FILE` with EDITOR=@ed (VISUAL unset), stdin from @in
 * (NULL: /dev/null). Returns its pid, with a pidfd in *@pidfd, for finish_edit().
 */
static pid_t start_edit(struct fixture *f, const char *ed, const char *const *args, const char *in,
			int *pidfd)
{
	char *argv[16];
	int n = 0;
	pid_t pid;

	argv[n++] = getenv("UDSECHO_POLICY");
	assert_non_null(argv[0]);
	argv[n++] = "edit";
	for (; args && *args; args++)
		argv[n++] = (char *)*args;
	argv[n++] = f->file;
	argv[n] = NULL;
	unsetenv("VISUAL");
	setenv("EDITOR", ed, 1);
	unlink(f->err);
	pid = harness_spawn(argv, NULL, in, f->out, f->err, -1, pidfd);
	assert_true(pid > 0);
	return pid;
}

/* Wait for the edit (bounded); its raw wait status, stdout and stderr in f->std*_text. */
static int finish_edit(struct fixture *f, pid_t pid, int pidfd)
{
	int status = harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS);

	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("udsecho-policy edit did not finish");
	}
	harness_read_file(f->out, f->stdout_text, sizeof(f->stdout_text));
	harness_read_file(f->err, f->stderr_text, sizeof(f->stderr_text));
	return status;
}

/* `udsecho-policy edit [ARGS...] FILE` with EDITOR=@ed and stdin /dev/null, to its end. */
static int run_edit(struct fixture *f, const char *ed, const char *const *args)
{
	int pidfd;
	pid_t pid = start_edit(f, ed, args, NULL, &pidfd);

	return finish_edit(f, pid, pidfd);
}

static int exit_status(int status)
{
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* FILE's directory holds FILE and its lock file only: no temporary copy lingers. */
static void assert_no_copy_left(const struct fixture *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "policy") == 0 || strcmp(de->d_name, ".policy.lock") == 0)
			continue;
		fail_msg("left in %s: %s", f->dir, de->d_name);
	}
	closedir(d);
}

static void assert_file_is(const char *path, const char *text)
{
	char buf[4096];

	assert_int_equal(harness_read_file(path, buf, sizeof(buf)), (ssize_t)strlen(text));
	assert_string_equal(buf, text);
}

static void valid_edit_is_installed_with_owner_and_mode(void **state)
{
	struct fixture *f = *state;
	struct stat before, after;
	char ed[128];

	editor(f, "append", "printf 'allow group 4242\\n' >>\"$1\"", ed, sizeof(ed));
	assert_int_equal(stat(f->file, &before), 0);
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 0);
	assert_file_is(f->file,
		       "# the policy before the edit\nallow user root\nallow group 4242\n");
	assert_int_equal(stat(f->file, &after), 0);
	assert_int_equal(after.st_uid, 0);
	assert_int_equal(after.st_gid, 4242);
	assert_int_equal(after.st_mode & 07777, 0640);
	assert_true(after.st_ino != before.st_ino); /* replaced by rename, not written in place */
	assert_non_null(strstr(f->stdout_text, "installed; send SIGHUP to the udsechod monitor"));
	assert_no_copy_left(f);
}

static void new_file_is_created_0644(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char ed[128];

	assert_int_equal(unlink(f->file), 0);
	editor(f, "append", "printf 'allow user root\\n' >>\"$1\"", ed, sizeof(ed));
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 0);
	assert_file_is(f->file, "allow user root\n");
	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_no_copy_left(f);
}

/* The editor is run without a shell, on a copy in FILE's directory; VISUAL before EDITOR. */
static void editor_gets_words_and_a_copy_beside_file(void **state)
{
	struct fixture *f = *state;
	char rec[128], spec[512], record[128], argv[1024], expect[256];
	struct stat before, after;
	char *copy;
	int pidfd, status;
	pid_t pid;
	char *args[] = {getenv("UDSECHO_POLICY"), "edit", f->file, NULL};

	snprintf(record, sizeof(record), "%s/argv", f->aux);
	snprintf(spec, sizeof(spec), "printf '%%s\\n' \"$#\" \"$@\" >%s; cat \"$3\" >%s.text",
		 record, record);
	editor(f, "record", spec, rec, sizeof(rec));
	/* With a shell, ";" would end the command and $HOME would be expanded. */
	snprintf(spec, sizeof(spec), "%s  one;true\t$HOME", rec);
	assert_int_equal(stat(f->file, &before), 0);
	setenv("VISUAL", spec, 1);
	setenv("EDITOR", "/bin/false", 1);
	pid = harness_spawn(args, NULL, NULL, f->out, f->err, -1, &pidfd);
	status = harness_wait(pid, pidfd, HARNESS_TIMEOUT_MS);
	unsetenv("VISUAL");
	assert_int_equal(exit_status(status), 0);

	assert_true(harness_read_file(record, argv, sizeof(argv)) > 0);
	assert_int_equal(strncmp(argv, "3\none;true\n$HOME\n", 17), 0);
	copy = argv + 17;
	copy[strcspn(copy, "\n")] = '\0';
	snprintf(expect, sizeof(expect), "%s/.policy.", f->dir);
	assert_int_equal(strncmp(copy, expect, strlen(expect)), 0);
	assert_int_equal(strlen(copy), strlen(expect) + 6);
	snprintf(spec, sizeof(spec), "%s.text", record);
	assert_file_is(spec, original); /* the editor saw FILE's text */

	/* It changed nothing: FILE is not replaced. */
	harness_read_file(f->out, f->stdout_text, sizeof(f->stdout_text));
	snprintf(expect, sizeof(expect), "%s: unchanged\n", f->file);
	assert_string_equal(f->stdout_text, expect);
	assert_int_equal(stat(f->file, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_no_copy_left(f);
}

static void invalid_edit_is_refused_without_a_tty(void **state)
{
	struct fixture *f = *state;
	char ed[128];

	editor(f, "break", "printf 'allow usr 1\\n' >>\"$1\"", ed, sizeof(ed));
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 78);
	/* FILE:LINE:COL of the edited copy: line 3, column 7. */
	assert_non_null(strstr(f->stderr_text, "/.policy."));
	assert_non_null(strstr(f->stderr_text, ":3:7: error: expected 'user' or 'group'"));
	assert_non_null(strstr(f->stderr_text, "not installed: the edited policy has errors"));
	assert_file_is(f->file, original);
	assert_no_copy_left(f);
}

static void failed_editor_changes_nothing(void **state)
{
	struct fixture *f = *state;
	char ed[128];

	editor(f, "fail", "printf 'allow all\\n' >>\"$1\"; exit 1", ed, sizeof(ed));
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 1);
	assert_non_null(strstr(f->stderr_text, "failed"));
	assert_file_is(f->file, original);
	assert_no_copy_left(f);

	assert_int_equal(exit_status(run_edit(f, "/nonexistent/editor", NULL)), 1);
	assert_non_null(strstr(f->stderr_text, "cannot run the editor"));
	assert_file_is(f->file, original);
	assert_no_copy_left(f);
}

static void held_lock_is_reported(void **state)
{
	struct fixture *f = *state;
	char lock[160], ed[128];
	int fd;

	snprintf(lock, sizeof(lock), "%s/.policy.lock", f->dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	editor(f, "append", "printf 'allow all\\n' >>\"$1\"", ed, sizeof(ed));
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 75);
	assert_non_null(strstr(f->stderr_text, "is being edited (locked"));
	assert_file_is(f->file, original);
	close(fd);
	/* Released: the next edit goes through. */
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 0);
	assert_no_copy_left(f);
}

static void symlink_and_writable_file_are_refused(void **state)
{
	struct fixture *f = *state;
	char target[160], ed[128];

	editor(f, "append", "printf 'allow all\\n' >>\"$1\"", ed, sizeof(ed));
	assert_int_equal(chmod(f->file, 0660), 0);
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 78);
	assert_non_null(strstr(f->stderr_text, "refusing: writable by group"));
	assert_file_is(f->file, original);
	assert_no_copy_left(f);

	assert_int_equal(chmod(f->file, 0640), 0);
	snprintf(target, sizeof(target), "%s/real", f->aux);
	assert_int_equal(rename(f->file, target), 0);
	assert_int_equal(symlink(target, f->file), 0);
	assert_int_equal(exit_status(run_edit(f, ed, NULL)), 78);
	assert_non_null(strstr(f->stderr_text, "symbolic link"));
	assert_file_is(target, original);
	assert_int_equal(unlink(f->file), 0);
	assert_int_equal(rename(target, f->file), 0);
	assert_no_copy_left(f);
}

/* A signal to udsecho-policy while the editor runs: the copy goes, FILE stays, status non-zero. */
static void signal_while_editing_removes_the_copy(void **state)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	struct fixture *f = *state;
	char ed[128], body[128];

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int status;

		snprintf(body, sizeof(body), "printf 'allow all\\n' >>\"$1\"; kill -%d $PPID",
			 sigs[i]);
		editor(f, "signal", body, ed, sizeof(ed));
		status = run_edit(f, ed, NULL);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), sigs[i]);
		assert_file_is(f->file, original);
		assert_no_copy_left(f);
	}
}

static void bad_pid_is_a_usage_error(void **state)
{
	struct fixture *f = *state;
	const char *one[] = {"--pid", "1", NULL}, *word[] = {"--pid", "x", NULL},
		   *alone[] = {"--preview", NULL};

	assert_int_equal(exit_status(run_edit(f, "/bin/true", one)), 64);
	assert_int_equal(exit_status(run_edit(f, "/bin/true", word)), 64);
	assert_int_equal(exit_status(run_edit(f, "/bin/true", alone)), 64);
	assert_non_null(strstr(f->stderr_text, "--preview needs --pid"));
	assert_file_is(f->file, original);
}

/* --pid: the real server's monitor gets SIGHUP and reloads the installed policy. */
static void pid_makes_the_server_reload(void **state)
{
	struct fixture *f = *state;
	struct server s = {0};
	const char *args[] = {"-p", f->file, NULL};
	char pid[16], ed[128], line[256];
	const char *opts[] = {"--pid", pid, NULL};
	int status;

	assert_int_equal(harness_server_start(&s, args, NULL), 0);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);

	editor(f, "append", "printf 'allow group 4242\\n' >>\"$1\"", ed, sizeof(ed));
	assert_int_equal(exit_status(run_edit(f, ed, opts)), 0);
	snprintf(line, sizeof(line), "installed; sent SIGHUP to udsechod (pid %s)", pid);
	assert_non_null(strstr(f->stdout_text, line));
	snprintf(line, sizeof(line), "event=reload policy=%s", f->file);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));

	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	harness_rmtree(s.dir);
	assert_no_copy_left(f);
}

/* A process that is not udsechod, alive until the test closes @hold's write end. */
static pid_t bystander(int hold[2])
{
	pid_t pid;
	char c;

	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(hold[1]);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(hold[0]);
	return pid;
}

/*
 * --pid must name udsechod's monitor, checked before the editor runs: another process, or the
 * worker, is refused with status 64, never signalled, and the file is not edited.
 */
static void pid_of_another_process_is_refused(void **state)
{
	struct fixture *f = *state;
	struct server s = {0};
	const char *args[] = {"-p", f->file, NULL};
	char pid[16], ed[128], want[128];
	const char *opts[] = {"--pid", pid, NULL}, *preview[] = {"--pid", pid, "--preview", NULL};
	int hold[2], status;
	pid_t other = bystander(hold), worker;

	editor(f, "append", "printf 'allow group 4242\\n' >>\"$1\"", ed, sizeof(ed));
	snprintf(pid, sizeof(pid), "%d", (int)other);
	assert_int_equal(exit_status(run_edit(f, ed, opts)), 64);
	snprintf(want, sizeof(want), "--pid %d: not a udsechod monitor", (int)other);
	assert_non_null(strstr(f->stderr_text, want));
	assert_file_is(f->file, original);
	assert_int_equal(exit_status(run_edit(f, ed, preview)), 64);
	assert_non_null(strstr(f->stderr_text, want));
	assert_int_equal(waitpid(other, &status, WNOHANG), 0); /* not signalled: still there */
	close(hold[1]);
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_true(WIFEXITED(status));

	assert_int_equal(harness_server_start(&s, args, NULL), 0);
	worker = harness_worker_pid(&s);
	snprintf(pid, sizeof(pid), "%d", (int)worker);
	assert_int_equal(exit_status(run_edit(f, ed, opts)), 64);
	snprintf(want, sizeof(want), "--pid %d: not a udsechod monitor", (int)worker);
	assert_non_null(strstr(f->stderr_text, want));
	assert_file_is(f->file, original);
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s.dir);
}

/* The monitor named by --pid goes away during the edit: nothing is signalled, and it says so. */
static void monitor_gone_after_the_edit_is_not_signalled(void **state)
{
	struct fixture *f = *state;
	struct server s = {0};
	const char *args[] = {"-p", f->file, NULL};
	char pid[16], ed[128], body[256], want[128];
	const char *opts[] = {"--pid", pid, NULL};
	int status;

	assert_int_equal(harness_server_start(&s, args, NULL), 0);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	snprintf(body, sizeof(body), "printf 'allow group 4242\\n' >>\"$1\"; kill -KILL %d",
		 (int)s.pid);
	editor(f, "kill", body, ed, sizeof(ed));
	assert_int_equal(exit_status(run_edit(f, ed, opts)), 0);
	snprintf(want, sizeof(want), "udsechod (pid %d) is gone; nothing was signalled",
		 (int)s.pid);
	assert_non_null(strstr(f->stderr_text, want));
	status = harness_wait(s.pid, s.pidfd, HARNESS_TIMEOUT_MS);
	assert_true(WIFSIGNALED(status));
	s.pid = -1;
	harness_rmtree(s.dir);
}

/* A server on FILE that peers of other uids can reach: mode 0666, its directory 0711. */
static void serve_file(const struct fixture *f, struct server *s)
{
	const char *args[] = {"--mode", "0666", "-p", f->file, NULL};

	harness_tmpdir(s->dir, sizeof(s->dir));
	assert_int_equal(chmod(s->dir, 0711), 0);
	snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
	assert_int_equal(harness_server_start_in(s, args, NULL), 0);
}

/* How many times @needle is in the server's log. */
static int log_count(const struct server *s, const char *needle)
{
	static char buf[1 << 16];
	int n = 0;

	harness_read_file(s->log, buf, sizeof(buf));
	for (const char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* @msg goes out on @fd and comes back, each wait bounded. */
static void assert_echoes(int fd, const char *msg)
{
	char buf[64];
	ssize_t len = (ssize_t)strlen(msg);

	assert_int_equal(write(fd, msg, (size_t)len), len);
	assert_int_equal(harness_recv(fd, buf, (size_t)len, HARNESS_TIMEOUT_MS), len);
	assert_memory_equal(buf, msg, (size_t)len);
}

/*
 * --preview: the server previews the edited text, staged beside FILE, before anything is
 * installed: event=would-revoke for the one connection the edit shuts out, event=preview naming
 * the staged copy, every connection still echoes and FILE is unchanged; the admin's answer then
 * installs it and the reload closes that connection.
 */
static void preview_before_install_names_the_staged_copy(void **state)
{
	static const char before[] = "allow user 4450-4452\n",
			  after[] = "allow user 4450\nallow user 4452\n";
	struct run_as a = {.uid = 4450, .gid = 4450}, b = {.uid = 4451, .gid = 4451},
		      c = {.uid = 4452, .gid = 4452};
	struct fixture *f = *state;
	struct server s = {0};
	char pid[16], ed[128], fifo[128], staged[160], line[256];
	const char *opts[] = {"--pid", pid, "--preview", NULL};
	struct stat st;
	int fa, fb, fc, answer, pidfd, status;
	pid_t edit;

	harness_write_file(f->file, before, 0640);
	serve_file(f, &s);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	fa = harness_connect_as(s.path, &a);
	fb = harness_connect_as(s.path, &b);
	fc = harness_connect_as(s.path, &c);
	assert_true(fa >= 0 && fb >= 0 && fc >= 0);
	assert_echoes(fa, "a");
	assert_echoes(fb, "b");
	assert_echoes(fc, "c");

	editor(f, "narrow", "printf 'allow user 4450\\nallow user 4452\\n' >\"$1\"", ed,
	       sizeof(ed));
	snprintf(fifo, sizeof(fifo), "%s/answer", f->aux);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	answer = open(fifo, O_RDWR | O_CLOEXEC); /* never blocks; the edit reads what we write */
	assert_true(answer >= 0);
	edit = start_edit(f, ed, opts, fifo, &pidfd);

	snprintf(staged, sizeof(staged), "%s/.policy.preview", f->dir);
	snprintf(line, sizeof(line), "event=preview policy=%s rules=2 open=3 would-revoke=1",
		 staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));
	assert_int_equal(log_count(&s, "event=would-revoke "), 1);
	assert_int_equal(log_count(&s, "uid=4451 gid=4451 rule=\"default deny\""), 1);
	/* Staged as it would be installed: FILE's owner and mode, FILE itself untouched. */
	assert_file_is(staged, after);
	assert_int_equal(stat(staged, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_file_is(f->file, before);
	assert_int_equal(log_count(&s, "event=reload"), 0);
	assert_echoes(fa, "still a");
	assert_echoes(fb, "still b");
	assert_echoes(fc, "still c");

	assert_int_equal(write(answer, "i\n", 2), 2);
	close(answer);
	assert_int_equal(exit_status(finish_edit(f, edit, pidfd)), 0);
	snprintf(line, sizeof(line), "udsechod (pid %s) read %s", pid, staged);
	assert_non_null(strstr(f->stdout_text, line));
	assert_non_null(strstr(f->stdout_text, "installed; sent SIGHUP to udsechod"));
	assert_file_is(f->file, after);
	assert_true(
		harness_wait_log(&s, "event=policy-applied rules=2 revoked=1", HARNESS_TIMEOUT_MS));
	assert_int_equal(log_count(&s, "event=revoke pid="), 1);
	assert_echoes(fa, "a after");
	assert_echoes(fc, "c after");
	close(fa);
	close(fb);
	close(fc);
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s.dir);
	unlink(fifo);
	assert_no_copy_left(f);
}

/*
 * Without an answer to install (end of input), ended by a signal at the question, or after
 * (e)dit again and e(x)it, the edit installs nothing, removes the copy and the staged copy, and
 * the server never reloads.
 */
static void preview_declined_installs_nothing(void **state)
{
	struct fixture *f = *state;
	struct server s = {0};
	const char *args[] = {"-p", f->file, NULL};
	char pid[16], ed[128], fifo[128], staged[160], line[256];
	const char *opts[] = {"--pid", pid, "--preview", NULL};
	int answer, pidfd, status;
	pid_t edit;

	assert_int_equal(harness_server_start(&s, args, NULL), 0);
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	snprintf(staged, sizeof(staged), "%s/.policy.preview", f->dir);
	editor(f, "append", "printf 'allow group 4242\\n' >>\"$1\"", ed, sizeof(ed));

	assert_int_equal(exit_status(run_edit(f, ed, opts)), 1);
	assert_non_null(strstr(f->stderr_text, "not installed"));
	snprintf(line, sizeof(line), "event=preview policy=%s rules=2 open=0", staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));
	assert_file_is(f->file, original);
	assert_no_copy_left(f);

	snprintf(fifo, sizeof(fifo), "%s/answer", f->aux);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	answer = open(fifo, O_RDWR | O_CLOEXEC);
	assert_true(answer >= 0);
	edit = start_edit(f, ed, opts, fifo, &pidfd);
	/* The question is asked once the server has read the staged copy. */
	f->stderr_text[0] = '\0';
	for (int waited = 0; !strstr(f->stderr_text, "(i)nstall") && waited < HARNESS_TIMEOUT_MS;
	     waited += 20) {
		poll(NULL, 0, 20);
		harness_read_file(f->err, f->stderr_text, sizeof(f->stderr_text));
	}
	assert_non_null(strstr(f->stderr_text, "(i)nstall"));
	assert_int_equal(kill(edit, SIGTERM), 0);
	status = finish_edit(f, edit, pidfd);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	close(answer);
	unlink(fifo);
	assert_file_is(f->file, original);
	assert_no_copy_left(f);

	/* (e)dit again: the editor runs on the same copy, which is staged and previewed anew. */
	snprintf(fifo, sizeof(fifo), "%s/answers", f->aux);
	harness_write_file(fifo, "e\nx\n", 0600);
	edit = start_edit(f, ed, opts, fifo, &pidfd);
	assert_int_equal(exit_status(finish_edit(f, edit, pidfd)), 1);
	snprintf(line, sizeof(line), "event=preview policy=%s rules=3 open=0", staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));
	assert_file_is(f->file, original);
	assert_no_copy_left(f);
	assert_int_equal(log_count(&s, "event=reload"), 0);
	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s.dir);
}

/*
 * The monitor previews the staged copy only on a SIGUSR2 queued with the agreed value, and only
 * a copy that passes the policy's file checks: a missing one, one another user owns, one others
 * may write are each event=preview-failed. A plain SIGUSR2, or another value, previews FILE.
 */
static void staged_copy_must_be_trusted(void **state)
{
	struct fixture *f = *state;
	struct server s = {0};
	const char *args[] = {"-p", f->file, NULL};
	const union sigval staged_v = {.sival_int = POLICY_STAGED_SIGVAL},
			   other_v = {.sival_int = 1};
	char staged[160], line[512];
	int status;

	assert_int_equal(harness_server_start(&s, args, NULL), 0);
	snprintf(staged, sizeof(staged), "%s/.policy.preview", f->dir);

	assert_int_equal(sigqueue(s.pid, SIGUSR2, staged_v), 0);
	snprintf(line, sizeof(line),
		 "event=preview-failed policy=%s reason=\"No such file or directory\"", staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));

	harness_write_file(staged, "allow user 4242\n", 0600);
	assert_int_equal(chown(staged, 4242, 4242), 0);
	assert_int_equal(sigqueue(s.pid, SIGUSR2, staged_v), 0);
	snprintf(line, sizeof(line), "%s: error: refusing: owned by uid 4242", staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));
	snprintf(line, sizeof(line), "event=preview-failed policy=%s reason=\"invalid policy\"",
		 staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));

	assert_int_equal(chown(staged, 0, 0), 0);
	assert_int_equal(chmod(staged, 0606), 0);
	assert_int_equal(sigqueue(s.pid, SIGUSR2, staged_v), 0);
	snprintf(line, sizeof(line), "%s: error: refusing: writable by others", staged);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));
	assert_int_equal(log_count(&s, "event=preview-failed"), 3);
	assert_int_equal(log_count(&s, "event=preview policy="), 0);

	/*
	 * Trusted now, but a plain SIGUSR2 and a queued one of another value preview FILE. One at
	 * a time: a SIGUSR2 sent while one is pending is merged into it, value and all.
	 */
	assert_int_equal(chmod(staged, 0600), 0);
	snprintf(line, sizeof(line), "event=preview policy=%s rules=1 ", f->file);
	assert_int_equal(kill(s.pid, SIGUSR2), 0);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));
	assert_int_equal(sigqueue(s.pid, SIGUSR2, other_v), 0);
	for (int waited = 0; log_count(&s, line) < 2 && waited < HARNESS_TIMEOUT_MS; waited += 20)
		poll(NULL, 0, 20);
	assert_int_equal(log_count(&s, line), 2);
	snprintf(line, sizeof(line), "event=preview policy=%s rules=1 ", staged);
	assert_int_equal(log_count(&s, line), 0);
	assert_int_equal(sigqueue(s.pid, SIGUSR2, staged_v), 0);
	assert_true(harness_wait_log(&s, line, HARNESS_TIMEOUT_MS));

	status = harness_server_stop(&s);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_rmtree(s.dir);
	assert_int_equal(unlink(staged), 0);
	assert_file_is(f->file, original);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(valid_edit_is_installed_with_owner_and_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(new_file_is_created_0644, setup, teardown),
		cmocka_unit_test_setup_teardown(editor_gets_words_and_a_copy_beside_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(invalid_edit_is_refused_without_a_tty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(failed_editor_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(held_lock_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_and_writable_file_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(signal_while_editing_removes_the_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_pid_is_a_usage_error, setup, teardown),
		cmocka_unit_test_setup_teardown(pid_makes_the_server_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(pid_of_another_process_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(monitor_gone_after_the_edit_is_not_signalled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(preview_before_install_names_the_staged_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(preview_declined_installs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(staged_copy_must_be_trusted, setup, teardown),
	};

	if (!harness_is_root("setting policy file owners"))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
