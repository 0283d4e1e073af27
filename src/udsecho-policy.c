// SPDX-License-Identifier: MIT
/*
 * udsecho-policy: the admin's tool. `check` loads a policy exactly as udsechod does and prints
 * its diagnostics; `explain` says which rule decides for a given user and why; `edit` edits the
 * policy like visudo: locked, on a copy, checked before it is installed.
 *
 * A thin main: it parses argv, calls the policy, policy-edit and nss modules, prints, asks, and
 * chooses the exit status (0, 1 editor failed, 64 bad usage, 71 system failure, 75 locked,
 * 78 invalid or refused policy). Only `edit` changes a file, through policy-edit.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "udsecho/idsort.h"
#include "udsecho/nss.h"
#include "udsecho/policy.h"
#include "udsecho/policy-edit.h"

static const char *prog = "udsecho-policy";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s check [FILE]\n"
		"       %s explain [FILE] WHO\n"
		"       %s edit [--pid PID] [FILE]\n"
		"WHO is a user name, or uid=ID [gid=ID] [groups=ID,ID,...] (names or numbers)\n"
		"FILE defaults to %s\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"  --pid PID      edit: send SIGHUP to the udsechod monitor PID once installed\n"
		"                 (checked before the editor runs; held by a pidfd)\n",
		prog, prog, prog, UDSECHO_POLICY_PATH);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	return EX_USAGE;
}

/* Load @path as udsechod would, trusting the caller's euid; print the diagnostics. */
static int load(const char *path, struct policy **p)
{
	struct diag_list diags;
	int r;

	diag_list_init(&diags);
	r = policy_load_file(path, geteuid(), &diags, p);
	diag_print(&diags, stderr);
	diag_list_free(&diags);
	if (r < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	return r == 0 ? EX_OK : EX_CONFIG;
}

static int check(const char *path)
{
	struct policy *p = NULL;
	int status = load(path, &p);

	policy_free(p);
	return status;
}

static int lookup_failed(int r, const char *what, const char *name)
{
	if (r < 0)
		fprintf(stderr, "%s: cannot look up %s '%s': %s\n", prog, what, name,
			nss_strerror(r));
	else
		fprintf(stderr, "%s: %s %s '%s'\n", prog,
			r == NSS_E_UNKNOWN ? "unknown" : "invalid", what, name);
	return EX_USAGE;
}

/* A user name: uid and primary gid from passwd, supplementary groups from the group database. */
static int who_user(const char *name, struct peer_cred *cred)
{
	int r;

	r = nss_user(name, &cred->uid, &cred->gid);
	if (r != 0)
		return lookup_failed(r, "user", name);
	if (cred->gid == (gid_t)-1) {
		fprintf(stderr, "%s: uid %s has no passwd entry; give uid=%s gid=ID\n", prog, name,
			name);
		return EX_USAGE;
	}
	if (nss_user_groups(cred->uid, &cred->groups, &cred->ngroups) != 0) {
		fprintf(stderr, "%s: cannot list the groups of '%s'\n", prog, name);
		return EX_OSERR;
	}
	return EX_OK;
}

/* uid=ID [gid=ID] [groups=ID,...]: exactly the credentials given. */
static int who_ids(char **argv, int argc, struct peer_cred *cred)
{
	const char *uid = NULL, *gid = NULL, *groups = NULL;
	char *list, *save = NULL;
	int r;

	for (int i = 0; i < argc; i++) {
		const char **slot = strncmp(argv[i], "uid=", 4) == 0	  ? &uid
				    : strncmp(argv[i], "gid=", 4) == 0	  ? &gid
				    : strncmp(argv[i], "groups=", 7) == 0 ? &groups
									  : NULL;
		if (!slot || *slot)
			return usage_error("unexpected '%s': WHO is a user name or "
					   "uid=ID [gid=ID] [groups=ID,...]",
					   argv[i]);
		*slot = strchr(argv[i], '=') + 1;
	}
	if (!uid)
		return usage_error("'%s' has no uid=ID", argv[0]);
	r = nss_user(uid, &cred->uid, &cred->gid);
	if (r != 0)
		return lookup_failed(r, "user", uid);
	if (gid) {
		r = nss_group(gid, &cred->gid);
		if (r != 0)
			return lookup_failed(r, "group", gid);
	} else if (cred->gid == (gid_t)-1) {
		return usage_error("uid %s has no passwd entry; add gid=ID", uid);
	}
	cred->groups = calloc(strlen(groups ? groups : "") / 2 + 1, sizeof(gid_t));
	if (!cred->groups)
		return EX_OSERR;
	list = strdup(groups ? groups : "");
	if (!list)
		return EX_OSERR;
	for (char *g = strtok_r(list, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		r = nss_group(g, &cred->groups[cred->ngroups]);
		if (r != 0) {
			int status = lookup_failed(r, "group", g);
			free(list);
			return status;
		}
		cred->ngroups++;
	}
	free(list);
	return EX_OK;
}

static int explain(const char *path, char **who, int nwho)
{
	struct peer_cred cred = {0};
	struct policy *p = NULL;
	struct policy_verdict v;
	const char *file;
	unsigned line;
	int status;

	status = load(path, &p);
	if (status != EX_OK)
		return status;
	if (strchr(who[0], '='))
		status = who_ids(who, nwho, &cred);
	else if (nwho == 1)
		status = who_user(who[0], &cred);
	else
		status = usage_error("unexpected '%s' after the user name", who[1]);
	if (status == EX_OK) {
		cred.ngroups = idsort_unique(cred.groups, cred.ngroups);
		v = policy_eval(p, &cred);
		if (policy_rule_origin(p, v.rule, &file, &line) == 0)
			printf("%s (%s:%u: %s)\n", v.allow ? "allow" : "deny", file, line,
			       policy_rule_text(p, v.rule));
		else
			printf("deny (no rule matched: default deny)\n");
	}
	free(cred.groups);
	policy_free(p);
	return status;
}

/*
 * What a signal must undo while editing: the copy to remove ("" when none) and the editor to
 * stop (0 when none). Set with the signals blocked, read by the handler only.
 */
static char cleanup_path[PATH_MAX];
static volatile sig_atomic_t editor_pid;
static const int edit_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};

/* Async-signal-safe: unlink, kill, sigaction and raise only. */
static void on_edit_signal(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	/* Ctrl-C or Ctrl-\ at the terminal reaches the editor too, which owns it (as system(3)). */
	if (editor_pid > 0 && (sig == SIGINT || sig == SIGQUIT) && si->si_code == SI_KERNEL)
		return;
	if (editor_pid > 0)
		kill((pid_t)editor_pid, SIGTERM);
	if (cleanup_path[0])
		unlink(cleanup_path);
	/* Die of the same signal: the caller's shell sees 128+N, and FILE is untouched. */
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void edit_signals_block(int block)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(edit_signals) / sizeof(edit_signals[0]); i++)
		sigaddset(&set, edit_signals[i]);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void edit_signals_catch(void)
{
	struct sigaction sa = {.sa_sigaction = on_edit_signal, .sa_flags = SA_SIGINFO};

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(edit_signals) / sizeof(edit_signals[0]); i++)
		sigaction(edit_signals[i], &sa, NULL);
}

/* 1: edit again; 0: exit without saving. Never offers to install a policy with errors. */
static int ask_edit_again(void)
{
	char answer[64];

	for (;;) {
		fputs("What now? (e)dit again, e(x)it without saving [e]: ", stderr);
		fflush(stderr);
		if (!fgets(answer, sizeof(answer), stdin)) {
			fputc('\n', stderr);
			return 0;
		}
		if (answer[0] == '\n' || answer[0] == 'e' || answer[0] == 'E')
			return 1;
		if (answer[0] == 'x' || answer[0] == 'X')
			return 0;
	}
}

static int edit_refused(const char *path, int r)
{
	if (r == POLICY_EDIT_E_SYMLINK)
		fprintf(stderr, "%s: %s: refusing: a symbolic link; edit the file it points to\n",
			prog, path);
	else
		fprintf(stderr, "%s: %s: refusing: not a regular file\n", prog, path);
	return EX_CONFIG;
}

/* "cannot WHAT OBJ: ERROR; FILE is unchanged", status 71. */
static int edit_oserr(const char *what, const char *obj, const char *path, int r)
{
	fprintf(stderr, "%s: cannot %s %s: %s; %s is unchanged\n", prog, what, obj, strerror(-r),
		path);
	return EX_OSERR;
}

#define EDIT_UNCHANGED (-1) /* edit_session(): nothing to install */

/* The edit loop: editor, unchanged?, check, ask. EX_OK means install e->tmp. */
static int edit_session(struct policy_edit *e)
{
	pid_t pid;
	int r, status;

	for (;;) {
		edit_signals_block(1);
		r = policy_edit_editor_start(e, &pid);
		if (r == 0)
			editor_pid = pid;
		edit_signals_block(0);
		if (r < 0) {
			fprintf(stderr, "%s: cannot run the editor '%s': %s; %s is unchanged\n",
				prog, e->editor ? e->editor : "", strerror(-r), e->path);
			return 1;
		}
		r = policy_edit_editor_wait(pid);
		editor_pid = 0;
		if (r < 0)
			return edit_oserr("wait for the editor of", e->path, e->path, r);
		if (r == POLICY_EDIT_E_EDITOR) {
			fprintf(stderr, "%s: the editor '%s' failed; %s is unchanged\n", prog,
				e->editor, e->path);
			return 1;
		}
		r = policy_edit_changed(e);
		if (r < 0)
			return edit_oserr("read the edited copy", e->tmp, e->path, r);
		if (r == 0) {
			printf("%s: unchanged\n", e->path);
			return EDIT_UNCHANGED;
		}
		status = check(e->tmp);
		if (status == EX_OK)
			return EX_OK;
		if (!isatty(STDIN_FILENO) || !ask_edit_again()) {
			fprintf(stderr, "%s: %s: not installed: the edited policy has errors\n",
				prog, e->path);
			return EX_CONFIG;
		}
	}
}

/* After the install: ask the server to reload, or say how. The file is in place: status 0. */
static void edit_reload(const char *path, pid_t pid, int pidfd)
{
	int r = policy_edit_reload(pidfd);

	if (r == 0 && pid > 0)
		printf("%s installed; sent SIGHUP to udsechod (pid %ld)\n", path, (long)pid);
	else if (r == 0)
		printf("%s installed; reloaded udsechod.service\n", path);
	else if (r == POLICY_EDIT_E_NOT_RUNNING)
		printf("%s installed; send SIGHUP to the udsechod monitor to apply it "
		       "(kill -HUP PID)\n",
		       path);
	else if (r == POLICY_EDIT_E_GONE)
		fprintf(stderr,
			"%s: %s installed, but udsechod (pid %ld) is gone; nothing was "
			"signalled\n",
			prog, path, (long)pid);
	else if (r == POLICY_EDIT_E_RELOAD)
		fprintf(stderr,
			"%s: %s installed, but 'systemctl reload udsechod.service' failed\n", prog,
			path);
	else if (pid > 0)
		fprintf(stderr, "%s: %s installed, but cannot send SIGHUP to pid %ld: %s\n", prog,
			path, (long)pid, strerror(-r));
	else
		fprintf(stderr, "%s: %s installed, but cannot run systemctl: %s\n", prog, path,
			strerror(-r));
}

static int edit(const char *path, pid_t reload_pid, int pidfd)
{
	struct policy_edit e;
	struct diag_list diags;
	int r, status;

	edit_signals_catch();
	r = policy_edit_lock(&e, path);
	if (r == POLICY_EDIT_E_LOCKED) {
		if (e.holder > 0)
			fprintf(stderr,
				"%s: %s is being edited (locked by pid %ld); try again later\n",
				prog, path, (long)e.holder);
		else
			fprintf(stderr, "%s: %s is being edited (locked); try again later\n", prog,
				path);
		status = EX_TEMPFAIL;
		goto out;
	}
	if (r > 0) {
		status = edit_refused(path, r);
		goto out;
	}
	if (r < 0) {
		status = edit_oserr("lock", e.lock ? e.lock : path, path, r);
		goto out;
	}
	/* FILE as it is must pass the server's file checks: its owner and mode are kept. */
	if (e.exists) {
		diag_list_init(&diags);
		r = policy_check_file(path, geteuid(), &diags);
		diag_print(&diags, stderr);
		diag_list_free(&diags);
		if (r != 0) {
			if (r < 0)
				fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
			status = EX_CONFIG;
			goto out;
		}
	}
	edit_signals_block(1);
	r = policy_edit_copy(&e);
	if (r == 0)
		snprintf(cleanup_path, sizeof(cleanup_path), "%s", e.tmp);
	edit_signals_block(0);
	if (r != 0) {
		status = r > 0 ? edit_refused(path, r) : edit_oserr("copy", path, path, r);
		goto out;
	}
	status = edit_session(&e);
	if (status == EDIT_UNCHANGED) {
		status = EX_OK;
		goto out;
	}
	if (status != EX_OK)
		goto out;
	r = policy_edit_install(&e);
	if (r < 0 && !e.tmp) {
		/* Renamed into place; only the directory's fsync failed. */
		fprintf(stderr, "%s: %s installed, but cannot sync its directory: %s\n", prog, path,
			strerror(-r));
		status = EX_OSERR;
		goto out;
	}
	if (r != 0) {
		status = r > 0 ? edit_refused(e.tmp, r)
			       : edit_oserr("install the edited copy over", path, path, r);
		goto out;
	}
	edit_reload(path, reload_pid, pidfd);
out:
	edit_signals_block(1);
	policy_edit_close(&e);
	cleanup_path[0] = '\0';
	edit_signals_block(0);
	return status;
}

/* The monitor --pid names is checked, and held by a pidfd, before the editor runs. */
static int edit_checked(const char *path, pid_t pid)
{
	int pidfd = -1, r, status;

	if (pid > 0) {
		r = policy_edit_target(pid, &pidfd);
		if (r == POLICY_EDIT_E_NOT_MONITOR)
			return usage_error("--pid %ld: not a udsechod monitor", (long)pid);
		if (r == -ESRCH)
			return usage_error("--pid %ld: no such process", (long)pid);
		if (r < 0) {
			fprintf(stderr, "%s: --pid %ld: %s\n", prog, (long)pid, strerror(-r));
			return EX_OSERR;
		}
	}
	status = edit(path, pid, pidfd);
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* edit [--pid PID] [FILE]: @argv[0] is "edit". */
static int edit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'},
		{0},
	};
	pid_t pid = 0;
	int c;

	optind = 0; /* a fresh scan of the command's own arguments */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			/* Not 1: SIGHUP to init is never what the admin meant. */
			if (errno || end == optarg || *end || v <= 1 || v > INT_MAX)
				return usage_error("--pid needs the pid of the udsechod monitor, "
						   "not '%s'",
						   optarg);
			pid = (pid_t)v;
			break;
		case ':':
			return usage_error("option '%s' needs a PID", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage_error("unexpected '%s': edit takes at most one FILE",
				   argv[optind + 1]);
	return edit_checked(optind < argc ? argv[optind] : UDSECHO_POLICY_PATH, pid);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	const char *cmd;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("%s %s\n", prog, UDSECHO_VERSION);
			return EX_OK;
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("missing command: check, explain or edit");
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "check") == 0) {
		if (argc > 1)
			return usage_error("unexpected '%s': check takes at most one FILE",
					   argv[1]);
		return check(argc == 1 ? argv[0] : UDSECHO_POLICY_PATH);
	}
	if (strcmp(cmd, "explain") == 0) {
		if (argc == 0)
			return usage_error("explain needs WHO: a user name or uid=ID");
		if (argc >= 2 && !strchr(argv[0], '='))
			return explain(argv[0], argv + 1, argc - 1);
		return explain(UDSECHO_POLICY_PATH, argv, argc);
	}
	if (strcmp(cmd, "edit") == 0)
		return edit_main(argc + 1, argv - 1);
	return usage_error("unknown command '%s': use check, explain or edit", cmd);
}
