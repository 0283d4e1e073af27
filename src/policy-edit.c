// SPDX-License-Identifier: MIT
/*
 * policy-edit: lock, copy, edit and atomically replace a policy file (see policy-edit.h).
 *
 * Runs in udsecho-policy only, never in the server. Every file it creates is created with
 * O_EXCL or O_NOFOLLOW in FILE's own directory, so that the final rename(2) is atomic and the
 * copy lives under the same directory checks as FILE; so does the staged copy a preview reads.
 * It never writes FILE in place, never follows a symlink at FILE, never runs a shell, and never
 * prints or exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/fdio.h"
#include "udsecho/monoclock.h"
#include "udsecho/policy.h"
#include "udsecho/policy-edit.h"
#include "udsecho/policy-staged.h"

#define EDITOR_WORDS_MAX 32

extern char **environ;

/* @path split into its directory and its last component. */
static int split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (!slash)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	return *dir ? 0 : -ENOMEM;
}

/* What sits at @path, without following a symlink: 0 (regular or absent) or a refusal. */
static int check_type(const char *path, struct stat *st, int *exists)
{
	if (lstat(path, st) < 0) {
		if (errno != ENOENT)
			return -errno;
		*exists = 0;
		return 0;
	}
	*exists = 1;
	if (S_ISLNK(st->st_mode))
		return POLICY_EDIT_E_SYMLINK;
	if (!S_ISREG(st->st_mode))
		return POLICY_EDIT_E_NOT_REGULAR;
	return 0;
}

static pid_t read_holder(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

int policy_edit_lock(struct policy_edit *e, const char *path)
{
	struct stat st;
	char *dir = NULL, pid[24];
	const char *base;
	int r, n;

	*e = (struct policy_edit){.lockfd = -1};
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	r = check_type(path, &st, &e->exists);
	if (r != 0)
		return r;
	r = split_path(path, &dir, &base);
	if (r < 0)
		return r;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		free(dir);
		return POLICY_EDIT_E_NOT_REGULAR;
	}
	/* A dot file: no `include` glob matches it (glob(3) skips names that begin with a dot). */
	r = asprintf(&e->lock, "%s/.%s.lock", dir, base);
	free(dir);
	if (r < 0) {
		e->lock = NULL;
		return -ENOMEM;
	}
	e->lockfd = open(e->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (e->lockfd < 0)
		return -errno;
	if (flock(e->lockfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? POLICY_EDIT_E_LOCKED : -errno;
		if (r == POLICY_EDIT_E_LOCKED)
			e->holder = read_holder(e->lockfd);
		close(e->lockfd);
		e->lockfd = -1;
		return r;
	}
	/* Who holds it, for the next admin's message; the lock itself is the flock. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(e->lockfd, 0) < 0 || pwrite(e->lockfd, pid, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

/* Open @path for reading, never through a symlink; a refusal for anything not regular. */
static int open_regular(const char *path, int *fd, struct stat *st)
{
	int r;

	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0)
		return errno == ELOOP ? POLICY_EDIT_E_SYMLINK : -errno;
	r = fstat(*fd, st) < 0 ? -errno : S_ISREG(st->st_mode) ? 0 : POLICY_EDIT_E_NOT_REGULAR;
	if (r != 0) {
		close(*fd);
		*fd = -1;
		return r;
	}
	return 0;
}

int policy_edit_copy(struct policy_edit *e)
{
	struct stat st;
	char *dir = NULL;
	const char *base;
	int fd = -1, r;

	if (e->exists) {
		r = open_regular(e->path, &fd, &st);
		if (r != 0)
			return r;
		r = policy_read_fd(fd, &st, &e->orig, &e->orig_len);
		close(fd);
		if (r < 0)
			return r;
		e->uid = st.st_uid;
		e->gid = st.st_gid;
		e->mode = st.st_mode & 07777;
	} else {
		e->orig = strdup("");
		if (!e->orig)
			return -ENOMEM;
		e->orig_len = 0;
		e->uid = geteuid();
		e->gid = getegid();
		e->mode = 0644; /* like sshd_config: readable, writable by its owner only */
	}
	r = split_path(e->path, &dir, &base);
	if (r < 0)
		return r;
	r = asprintf(&e->tmp, "%s/.%s.XXXXXX", dir, base);
	free(dir);
	if (r < 0) {
		e->tmp = NULL;
		return -ENOMEM;
	}
	/* mkstemp: O_CREAT|O_EXCL, mode 0600 whatever the umask. */
	fd = mkostemp(e->tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(e->tmp);
		e->tmp = NULL;
		return r;
	}
	r = fdio_write_all(fd, e->orig, e->orig_len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		policy_edit_discard(e);
	return r;
}

/* The editor's words: $VISUAL, else $EDITOR, else NULL (the defaults). */
static const char *editor_spec(void)
{
	const char *v = getenv("VISUAL");

	if (v && v[strspn(v, " \t\n")])
		return v;
	v = getenv("EDITOR");
	if (v && v[strspn(v, " \t\n")])
		return v;
	return NULL;
}

/*
 * fork and exec @argv; an exec failure comes back through a close-on-exec pipe as its errno,
 * so that "not found" is an error of this call, not an exit status of the child.
 */
static int spawn_editor(char *const argv[], pid_t *pid)
{
	int p[2], err = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (*pid == 0) {
		static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
		sigset_t none;

		/* The caller may catch or block signals around the edit; the editor gets defaults.
		 */
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction old;
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
				signal(sigs[i], SIG_DFL);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(p[0]);
		execvp(argv[0], argv);
		err = errno;
		if (write(p[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	do
		n = read(p[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(*pid, NULL, 0);
		*pid = -1;
		return -err;
	}
	return 0;
}

int policy_edit_editor_start(struct policy_edit *e, pid_t *pid)
{
	static const char *const defaults[] = {"editor", "vi"};
	const char *spec = editor_spec();
	char *argv[EDITOR_WORDS_MAX + 2], *words = NULL, *save = NULL;
	int n = 0, r;

	if (!spec) {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
			free(e->editor);
			e->editor = strdup(defaults[i]);
			if (!e->editor)
				return -ENOMEM;
			argv[0] = e->editor;
			argv[1] = e->tmp;
			argv[2] = NULL;
			r = spawn_editor(argv, pid);
			if (r != -ENOENT)
				return r;
		}
		return -ENOENT;
	}
	free(e->editor);
	e->editor = strdup(spec);
	words = strdup(spec);
	if (!e->editor || !words) {
		free(words);
		return -ENOMEM;
	}
	/* Words split on blanks, as visudo does: no shell, no quoting, no expansion. */
	for (char *w = strtok_r(words, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (n == EDITOR_WORDS_MAX) {
			free(words);
			return -E2BIG;
		}
		argv[n++] = w;
	}
	argv[n++] = e->tmp;
	argv[n] = NULL;
	r = spawn_editor(argv, pid);
	free(words);
	return r;
}

int policy_edit_editor_wait(pid_t pid)
{
	int status;

	for (;;) {
		pid_t got = waitpid(pid, &status, 0);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : POLICY_EDIT_E_EDITOR;
}

int policy_edit_changed(const struct policy_edit *e)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, r;

	r = open_regular(e->tmp, &fd, &st);
	if (r != 0)
		return r < 0 ? r : 1; /* a symlink or worse is a change, refused at install */
	r = policy_read_fd(fd, &st, &text, &len);
	close(fd);
	if (r < 0)
		return r;
	r = len != e->orig_len || memcmp(text, e->orig, len) != 0;
	free(text);
	return r;
}

/* fsync the directory holding @path, so that a rename in it survives a crash. */
static int sync_dir(const char *path)
{
	const char *base;
	char *dir = NULL;
	int fd, r = split_path(path, &dir, &base);

	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int policy_edit_install(struct policy_edit *e)
{
	struct stat st;
	int fd, r;

	/* The editor may have replaced the copy (write a new file, rename): open it afresh. */
	r = open_regular(e->tmp, &fd, &st);
	if (r != 0)
		return r;
	/* Owner before mode: fchown clears set-id bits, which fchmod then sets back as FILE had. */
	if ((st.st_uid != e->uid || st.st_gid != e->gid) && fchown(fd, e->uid, e->gid) < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, e->mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	/* rename(2) replaces the name FILE itself: a symlink put there meanwhile is not followed.
	 */
	if (rename(e->tmp, e->path) < 0)
		return -errno;
	free(e->tmp);
	e->tmp = NULL;
	return sync_dir(e->path);
}

int policy_edit_stage(struct policy_edit *e)
{
	char path[PATH_MAX], *text = NULL;
	struct stat st;
	size_t len = 0;
	int fd, r = policy_staged_path(e->path, path, sizeof(path));

	if (r < 0)
		return r;
	r = open_regular(e->tmp, &fd, &st);
	if (r != 0)
		return r;
	r = policy_read_fd(fd, &st, &text, &len);
	close(fd);
	if (r < 0)
		return r;
	e->staged = strdup(path);
	/* A copy left by an edit that died before it could remove it: the lock is ours now. */
	if (!e->staged)
		r = -ENOMEM;
	else if (unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	fd = r < 0 ? -1
		   : open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			  0600);
	if (r == 0 && fd < 0)
		r = -errno;
	if (r == 0)
		r = fdio_write_all(fd, text, len);
	/* As policy_edit_install() will leave FILE, but for the set-id bits, which mean nothing. */
	if (r == 0 && (geteuid() != e->uid || getegid() != e->gid) &&
	    fchown(fd, e->uid, e->gid) < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, e->mode & 0777) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	free(text);
	if (r < 0 && fd < 0) {
		free(e->staged);
		e->staged = NULL;
	} else if (r < 0) {
		policy_edit_unstage(e);
	}
	return r;
}

/* Remove the file *@path names, if any, and forget it. Returns 0 or -errno. */
static int remove_named(char **path)
{
	int r = 0;

	if (*path && unlink(*path) < 0 && errno != ENOENT)
		r = -errno;
	free(*path);
	*path = NULL;
	return r;
}

int policy_edit_unstage(struct policy_edit *e)
{
	return remove_named(&e->staged);
}

int policy_edit_discard(struct policy_edit *e)
{
	return remove_named(&e->tmp);
}

void policy_edit_close(struct policy_edit *e)
{
	policy_edit_discard(e);
	policy_edit_unstage(e);
	if (e->lockfd >= 0)
		close(e->lockfd); /* releases the flock; the lock file stays, as /etc/.pwd.lock */
	free(e->path);
	free(e->lock);
	free(e->editor);
	free(e->orig);
	*e = (struct policy_edit){.lockfd = -1};
}

/* Run `systemctl ARGS...` with stdin from /dev/null; its exit status, or -errno. */
static int systemctl(const char *const args[])
{
	posix_spawn_file_actions_t fa;
	char *argv[8];
	int n = 0, r, status;
	pid_t pid;

	argv[n++] = "systemctl";
	for (; *args && n < 7; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawnp(&pid, "systemctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Whether /proc/@pid/exe is a program named udsechod: 1, 0, or -errno. */
static int is_udsechod(pid_t pid)
{
	char link[64], exe[PATH_MAX];
	const char *name;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	exe[n] = '\0';
	name = strrchr(exe, '/');
	return strcmp(name ? name + 1 : exe, "udsechod") == 0;
}

/* The parent of @pid, from /proc/@pid/stat (the field after the command's closing paren). */
static int parent_of(pid_t pid, pid_t *ppid)
{
	char path[64], buf[1024], *paren;
	int fd, ppid_i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	if (!paren || sscanf(paren + 1, " %*c %d", &ppid_i) != 1)
		return -EIO;
	*ppid = (pid_t)ppid_i;
	return 0;
}

/* A pidfd is readable once its process has exited, reaped or not: a zombie reloads nothing. */
static int exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

int policy_edit_target(pid_t pid, int *pidfd)
{
	pid_t ppid;
	int r;

	*pidfd = pidfd_open(pid, 0);
	if (*pidfd < 0)
		return -errno;
	/* Checked after the pidfd: if the process is still alive below, /proc/PID is that one. */
	r = is_udsechod(pid);
	if (r == 0) {
		r = POLICY_EDIT_E_NOT_MONITOR;
	} else if (r == 1) {
		r = parent_of(pid, &ppid);
		if (r == 0 && is_udsechod(ppid) == 1)
			r = POLICY_EDIT_E_NOT_MONITOR; /* the worker */
	}
	if (r == 0 && exited(*pidfd))
		r = -ESRCH;
	if (r != 0) {
		close(*pidfd);
		*pidfd = -1;
	}
	return r;
}

int policy_edit_reload(int pidfd)
{
	static const char *const active[] = {"is-active", "--quiet", "udsechod.service", NULL};
	static const char *const reload[] = {"reload", "udsechod.service", NULL};
	int r;

	if (pidfd >= 0) {
		if (exited(pidfd))
			return POLICY_EDIT_E_GONE;
		if (pidfd_send_signal(pidfd, SIGHUP, NULL, 0) == 0)
			return 0;
		return errno == ESRCH ? POLICY_EDIT_E_GONE : -errno;
	}
	if (access("/run/systemd/system", F_OK) < 0)
		return POLICY_EDIT_E_NOT_RUNNING;
	r = systemctl(active);
	if (r != 0)
		return r < 0 && r != -ENOENT ? r : POLICY_EDIT_E_NOT_RUNNING;
	r = systemctl(reload);
	if (r < 0)
		return r;
	return r == 0 ? 0 : POLICY_EDIT_E_RELOAD;
}

/* Until the watched file is closed after a read (0), the monitor exits, or @ms pass. */
static int wait_read(int in, int pidfd, int ms)
{
	double end = monoclock_s() + ms / 1000.0;

	for (;;) {
		struct pollfd p[2] = {{.fd = in, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		double left = (end - monoclock_s()) * 1000;
		ssize_t n;
		int r;

		if (left <= 0)
			return POLICY_EDIT_E_UNREAD;
		r = poll(p, 2, (int)left + 1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && p[0].revents) {
			n = read(in, buf, sizeof(buf));
			for (ssize_t i = 0; i + (ssize_t)sizeof(struct inotify_event) <= n;) {
				const struct inotify_event *ev = (const void *)(buf + i);

				if (ev->mask & IN_CLOSE_NOWRITE)
					return 0;
				i += (ssize_t)(sizeof(*ev) + ev->len);
			}
		}
		if (r > 0 && p[1].revents)
			return POLICY_EDIT_E_GONE;
	}
}

int policy_edit_preview(struct policy_edit *e, int pidfd, int ms)
{
	siginfo_t si;
	int in, r;

	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in < 0)
		return -errno;
	/* Watched before the signal goes, so that the monitor's read cannot come first. */
	if (inotify_add_watch(in, e->staged, IN_CLOSE_NOWRITE) < 0) {
		r = -errno;
		close(in);
		return r;
	}
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR2;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = POLICY_STAGED_SIGVAL;
	if (exited(pidfd))
		r = POLICY_EDIT_E_GONE;
	else if (pidfd_send_signal(pidfd, SIGUSR2, &si, 0) < 0)
		r = errno == ESRCH ? POLICY_EDIT_E_GONE : -errno;
	else
		r = wait_read(in, pidfd, ms);
	close(in);
	return r;
}
