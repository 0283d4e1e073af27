/* SPDX-License-Identifier: MIT */
/*
 * policy-edit: the file work behind `udsecho-policy edit`, as visudo(8) does it for sudoers.
 *
 * An edit locks FILE against other edits (flock on DIR/.NAME.lock, which holds the pid of the
 * editing process), copies FILE to DIR/.NAME.XXXXXX (mkstemp: O_EXCL, mode 0600) in the same
 * directory, runs the admin's editor on the copy without a shell, and installs the copy over
 * FILE with FILE's owner and mode by rename(2), with fsync of the file and of the directory.
 * Before that it can stage the checked text as DIR/.NAME.preview for the server to preview.
 * It never follows a symlink at FILE and never writes FILE in place: FILE is either the old file
 * or the new one. Checking the copy is the caller's business (policy_load_file()), and so are
 * signals, prompts and messages: this module never prints, never exits and never installs a
 * signal handler. Run before any confinement; it forks and execs.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Positive outcomes; negative values are -errno. */
enum {
	POLICY_EDIT_E_LOCKED = 1,  /* another edit holds the lock */
	POLICY_EDIT_E_SYMLINK,	   /* FILE is a symbolic link: edit its target */
	POLICY_EDIT_E_NOT_REGULAR, /* FILE exists and is not a regular file */
	POLICY_EDIT_E_EDITOR,	   /* the editor exited non-zero or was killed */
	POLICY_EDIT_E_NOT_RUNNING, /* no systemd, or udsechod.service is not active */
	POLICY_EDIT_E_RELOAD,	   /* `systemctl reload udsechod.service` failed */
	POLICY_EDIT_E_NOT_MONITOR, /* the pid given is not a udsechod monitor */
	POLICY_EDIT_E_GONE,	   /* the monitor exited before it could be signalled */
	POLICY_EDIT_E_UNREAD,	   /* the monitor did not read the staged copy in time */
};

struct policy_edit {
	char *path;	 /* FILE as given */
	char *lock;	 /* DIR/.NAME.lock */
	char *tmp;	 /* the copy being edited; NULL once installed or removed */
	char *staged;	 /* DIR/.NAME.preview while staged for a preview; else NULL */
	char *editor;	 /* the editor command last run or tried, for messages */
	int lockfd;	 /* holds the flock; -1 when not locked */
	int exists;	 /* FILE existed when the edit began */
	uid_t uid;	 /* owner, group and permission bits to install with: FILE's, or */
	gid_t gid;	 /* for a new FILE the caller's euid and egid and 0644 */
	mode_t mode;	 /* */
	char *orig;	 /* FILE's content when the edit began */
	size_t orig_len; /* */
	pid_t holder;	 /* after POLICY_EDIT_E_LOCKED: the pid in the lock file, or 0 */
};

/*
 * policy_edit_lock - start an edit of @path: refuse a symlink or a non-regular file at @path
 * (lstat, never followed), then take the lock DIR/.NAME.lock (created 0600 if missing) with
 * flock(LOCK_EX|LOCK_NB) and write our pid in it. Returns 0; POLICY_EDIT_E_SYMLINK or
 * POLICY_EDIT_E_NOT_REGULAR; POLICY_EDIT_E_LOCKED with e->holder set; or -errno. @e must be
 * released with policy_edit_close() whatever the result.
 */
int policy_edit_lock(struct policy_edit *e, const char *path);

/*
 * policy_edit_copy - read FILE (O_NOFOLLOW; its owner, group and mode are kept for the install)
 * or, if it does not exist, start from an empty text, and write it to a new DIR/.NAME.XXXXXX,
 * mode 0600. Call with the lock held. Returns 0, POLICY_EDIT_E_SYMLINK or
 * POLICY_EDIT_E_NOT_REGULAR if FILE changed into one, or -errno (the copy is removed).
 */
int policy_edit_copy(struct policy_edit *e);

/*
 * policy_edit_editor_start - run the editor on e->tmp: the words of $VISUAL, else of $EDITOR
 * (split on blanks, no shell, no quoting), else `editor`, else `vi`, found through PATH, with
 * the copy's path as the last argument. The child gets an empty signal mask. e->editor names
 * the command run or last tried. Returns 0 with *pid set, or -errno (the exec failed, e.g.
 * -ENOENT for a command not found; -E2BIG for an editor of more than 32 words).
 */
int policy_edit_editor_start(struct policy_edit *e, pid_t *pid);

/*
 * policy_edit_editor_wait - reap the editor @pid, through EINTR. Returns 0 when it exited 0,
 * POLICY_EDIT_E_EDITOR otherwise, or -errno.
 */
int policy_edit_editor_wait(pid_t pid);

/* policy_edit_changed - 1 if the copy differs from FILE's text as copied, 0 if not, or -errno. */
int policy_edit_changed(const struct policy_edit *e);

/*
 * policy_edit_install - give the copy FILE's owner, group and mode (fchown, fchmod; 0644 and the
 * caller's ids for a new FILE), fsync it, rename(2) it over FILE and fsync the directory.
 * Returns 0 (e->tmp is then NULL), POLICY_EDIT_E_SYMLINK or POLICY_EDIT_E_NOT_REGULAR if the
 * editor replaced the copy with one, or -errno (FILE is untouched unless the error is from
 * the final directory fsync, which comes after the rename).
 */
int policy_edit_install(struct policy_edit *e);

/* policy_edit_discard - remove the copy, if any. Returns 0 or -errno. */
int policy_edit_discard(struct policy_edit *e);

/*
 * policy_edit_stage - write the edited copy's text to DIR/.NAME.preview (policy-staged.h) with
 * the owner, group and permission bits FILE will have, so that the server reads it as it will
 * read FILE; a leftover of an edit that died is removed first (the lock is ours), then the
 * file is created with O_EXCL and O_NOFOLLOW. Call with the lock held. Returns 0 with e->staged
 * set, POLICY_EDIT_E_SYMLINK or POLICY_EDIT_E_NOT_REGULAR if the editor replaced the copy with
 * one, or -errno (nothing is left staged).
 */
int policy_edit_stage(struct policy_edit *e);

/*
 * policy_edit_preview - ask the monitor held by @pidfd to preview the staged copy: SIGUSR2
 * queued with POLICY_STAGED_SIGVAL, through the pidfd. Then wait up to @ms for the monitor to
 * read the copy to its end and close it (inotify IN_CLOSE_NOWRITE; the verdict itself is only
 * in the server's log). Returns 0; POLICY_EDIT_E_UNREAD when it did not in time (a SIGUSR2
 * already pending swallows ours; a server whose policy is not FILE looks for another name);
 * POLICY_EDIT_E_GONE when the monitor exited; or -errno.
 */
int policy_edit_preview(struct policy_edit *e, int pidfd, int ms);

/* policy_edit_unstage - remove the staged copy, if any. Returns 0 or -errno. */
int policy_edit_unstage(struct policy_edit *e);

/* policy_edit_close - remove the copy and the staged copy if any, release the lock and free @e's
 * strings. */
void policy_edit_close(struct policy_edit *e);

/*
 * policy_edit_target - before the editor runs: a pidfd for @pid in *@pidfd, once @pid is checked
 * to be a udsechod monitor (its executable is udsechod and its parent's is not: the worker is
 * refused too). The pidfd names that process for good: a pid reused while the editor runs is
 * never signalled. Returns 0; POLICY_EDIT_E_NOT_MONITOR; or -errno (-ESRCH: no such process).
 */
int policy_edit_target(pid_t pid, int *pidfd);

/*
 * policy_edit_reload - ask a running udsechod to read the policy again. @pidfd >= 0 (from
 * policy_edit_target()): send SIGHUP through it. @pidfd < 0: if systemd runs
 * (/run/systemd/system) and `systemctl is-active --quiet udsechod.service` succeeds, run
 * `systemctl reload udsechod.service`. Returns 0; POLICY_EDIT_E_GONE when the monitor exited;
 * POLICY_EDIT_E_NOT_RUNNING when there is nothing to ask; POLICY_EDIT_E_RELOAD when systemctl
 * reload failed; or -errno (the signal or spawning systemctl failed).
 */
int policy_edit_reload(int pidfd);
