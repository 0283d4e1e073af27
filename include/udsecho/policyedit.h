/* SPDX-License-Identifier: MIT */
/*
 * policyedit: the file work behind `udsecho-policy edit`, as visudo(8) does it for sudoers.
 *
 * An edit locks FILE against other edits (flock on DIR/.NAME.lock, which holds the pid of the
 * editing process), copies FILE to DIR/.NAME.XXXXXX (mkstemp: O_EXCL, mode 0600) in the same
 * directory, runs the admin's editor on the copy without a shell, and installs the copy over
 * FILE with FILE's owner and mode by rename(2), with fsync of the file and of the directory.
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
	POLICYEDIT_E_LOCKED = 1,  /* another edit holds the lock */
	POLICYEDIT_E_SYMLINK,	  /* FILE is a symbolic link: edit its target */
	POLICYEDIT_E_NOT_REGULAR, /* FILE exists and is not a regular file */
	POLICYEDIT_E_EDITOR,	  /* the editor exited non-zero or was killed */
	POLICYEDIT_E_NOT_RUNNING, /* no systemd, or udsechod.service is not active */
	POLICYEDIT_E_RELOAD,	  /* `systemctl reload udsechod.service` failed */
};

struct policyedit {
	char *path;	 /* FILE as given */
	char *lock;	 /* DIR/.NAME.lock */
	char *tmp;	 /* the copy being edited; NULL once installed or removed */
	char *editor;	 /* the editor command last run or tried, for messages */
	int lockfd;	 /* holds the flock; -1 when not locked */
	int exists;	 /* FILE existed when the edit began */
	uid_t uid;	 /* owner, group and permission bits to install with: FILE's, or */
	gid_t gid;	 /* for a new FILE the caller's euid and egid and 0644 */
	mode_t mode;	 /* */
	char *orig;	 /* FILE's content when the edit began */
	size_t orig_len; /* */
	pid_t holder;	 /* after POLICYEDIT_E_LOCKED: the pid in the lock file, or 0 */
};

/*
 * policyedit_lock - start an edit of @path: refuse a symlink or a non-regular file at @path
 * (lstat, never followed), then take the lock DIR/.NAME.lock (created 0600 if missing) with
 * flock(LOCK_EX|LOCK_NB) and write our pid in it. Returns 0; POLICYEDIT_E_SYMLINK or
 * POLICYEDIT_E_NOT_REGULAR; POLICYEDIT_E_LOCKED with e->holder set; or -errno. @e must be
 * released with policyedit_close() whatever the result.
 */
int policyedit_lock(struct policyedit *e, const char *path);

/*
 * policyedit_copy - read FILE (O_NOFOLLOW; its owner, group and mode are kept for the install)
 * or, if it does not exist, start from an empty text, and write it to a new DIR/.NAME.XXXXXX,
 * mode 0600. Call with the lock held. Returns 0, POLICYEDIT_E_SYMLINK or
 * POLICYEDIT_E_NOT_REGULAR if FILE changed into one, or -errno (the copy is removed).
 */
int policyedit_copy(struct policyedit *e);

/*
 * policyedit_editor_start - run the editor on e->tmp: the words of $VISUAL, else of $EDITOR
 * (split on blanks, no shell, no quoting), else `editor`, else `vi`, found through PATH, with
 * the copy's path as the last argument. The child gets an empty signal mask. e->editor names
 * the command run or last tried. Returns 0 with *pid set, or -errno (the exec failed, e.g.
 * -ENOENT for a command not found; -E2BIG for an editor of more than 32 words).
 */
int policyedit_editor_start(struct policyedit *e, pid_t *pid);

/*
 * policyedit_editor_wait - reap the editor @pid, through EINTR. Returns 0 when it exited 0,
 * POLICYEDIT_E_EDITOR otherwise, or -errno.
 */
int policyedit_editor_wait(pid_t pid);

/* policyedit_changed - 1 if the copy differs from FILE's text as copied, 0 if not, or -errno. */
int policyedit_changed(const struct policyedit *e);

/*
 * policyedit_install - give the copy FILE's owner, group and mode (fchown, fchmod; 0644 and the
 * caller's ids for a new FILE), fsync it, rename(2) it over FILE and fsync the directory.
 * Returns 0 (e->tmp is then NULL), POLICYEDIT_E_SYMLINK or POLICYEDIT_E_NOT_REGULAR if the
 * editor replaced the copy with one, or -errno (FILE is untouched unless the error is from
 * the final directory fsync, which comes after the rename).
 */
int policyedit_install(struct policyedit *e);

/* policyedit_discard - remove the copy, if any. Returns 0 or -errno. */
int policyedit_discard(struct policyedit *e);

/* policyedit_close - remove the copy if any, release the lock and free @e's strings. */
void policyedit_close(struct policyedit *e);

/*
 * policyedit_reload - ask a running udsechod to read the policy again. @pid > 0: send it
 * SIGHUP. @pid == 0: if systemd runs (/run/systemd/system) and `systemctl is-active --quiet
 * udsechod.service` succeeds, run `systemctl reload udsechod.service`. Returns 0;
 * POLICYEDIT_E_NOT_RUNNING when there is nothing to ask; POLICYEDIT_E_RELOAD when systemctl
 * reload failed; or -errno (kill(2) or spawning systemctl failed).
 */
int policyedit_reload(pid_t pid);
