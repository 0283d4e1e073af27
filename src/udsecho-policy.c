// SPDX-License-Identifier: MIT
/*
 * udsecho-policy: the admin's tool. `check` loads a policy exactly as udsechod does and prints
 * its diagnostics; `explain` says which rule decides for a given user and why; `test` checks a
 * policy against a file of cases; `diff` lists whom a change of policy lets in or shuts out;
 * `edit` edits the policy like visudo: locked, on a copy, checked, its changes listed, before
 * it is installed.
 *
 * A thin main: it parses argv, calls the policy, policy-who, policy-cases, policy-diff,
 * policy-edit and nss modules, prints, asks, and chooses the exit status (0; 1 a case failed, a
 * decision changed, the editor failed, or a previewed edit was not installed; 64 bad usage or an
 * incomplete WHO; 71 system failure; 75 locked; 78 invalid or refused policy or cases). Only `edit`
 * changes a file, through policy-edit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "udsecho/escape.h"
#include "udsecho/nss.h"
#include "udsecho/policy.h"
#include "udsecho/policy-cases.h"
#include "udsecho/policy-diff.h"
#include "udsecho/policy-edit.h"
#include "udsecho/policy-who.h"
#include "udsecho/utctime.h"

static const char *prog = "udsecho-policy";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s check [FILE]\n"
		"       %s explain [FILE] WHO [at=TIME]\n"
		"       %s test [FILE] CASES\n"
		"       %s diff OLD NEW [at=TIME]\n"
		"       %s edit [--pid PID [--preview]] [FILE]\n"
		"WHO is a user name, or uid=ID [gid=ID] [groups=ID,ID,...] (names or numbers)\n"
		"CASES holds one case a line: allow|deny WHO [rule=NAME|FILE:LINE|default]\n"
		"      [at=TIME]\n"
		"TIME is RFC 3339 in UTC, to the second: 2027-01-01T00:00:00Z\n"
		"FILE defaults to %s\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"  --pid PID      edit: send SIGHUP to the udsechod monitor PID once installed\n"
		"                 (checked before the editor runs; held by a pidfd)\n"
		"  --preview      edit, with --pid: before installing, have PID preview the\n"
		"                 checked copy (staged as DIR/.NAME.preview; SIGUSR2), then ask:\n"
		"                 (i)nstall and reload, (e)dit again, e(x)it without saving\n",
		prog, prog, prog, prog, prog, UDSECHO_POLICY_PATH);
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

/*
 * Load @path as udsechod would, trusting the caller's euid, and print the diagnostics unless
 * @quiet. Returns EX_OK or EX_CONFIG.
 */
static int load_policy(const char *path, int quiet, struct policy **p)
{
	struct diag_list diags;
	int r;

	diag_list_init(&diags);
	r = policy_load_file(path, geteuid(), &diags, p);
	if (!quiet)
		diag_print(&diags, stderr);
	diag_list_free(&diags);
	if (r < 0 && !quiet)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-r));
	return r == 0 ? EX_OK : EX_CONFIG;
}

static int load(const char *path, struct policy **p)
{
	return load_policy(path, 0, p);
}

static int check(const char *path)
{
	struct policy *p = NULL;
	int status = load(path, &p);

	policy_free(p);
	return status;
}

/*
 * "allow by FILE:LINE", then " name=NAME" for a named rule, and " (rule text)" when @text; or
 * "deny by default deny".
 */
static void print_by(FILE *out, const struct policy *p, struct policy_verdict v, int text)
{
	const struct policy_attrs *a = policy_rule_attrs(p, v.rule);
	const char *file;
	unsigned line;

	if (policy_rule_origin(p, v.rule, &file, &line) != 0) {
		fprintf(out, "deny by default deny");
		return;
	}
	fprintf(out, "%s by %s:%u", v.allow ? "allow" : "deny", file, line);
	if (a && a->name)
		fprintf(out, " name=%s", a->name);
	if (text)
		fprintf(out, " (%s)", policy_rule_text(p, v.rule));
}

/*
 * The instant a decision is made at: the value of at=TIME when @word is one (*@given set), else
 * now. Returns EX_OK, or EX_USAGE for a bad time (said on stderr).
 */
static int instant(const char *word, int64_t *t, int *given)
{
	char why[160];
	size_t at;

	*t = (int64_t)time(NULL);
	*given = word && strncmp(word, "at=", 3) == 0;
	if (*given && utctime_parse(word + 3, strlen(word + 3), t, why, sizeof(why), &at) < 0)
		return usage_error("%s: %s", word, why);
	return EX_OK;
}

/* WHO on the command line, or the reason it is not one (status 64, or 71). */
static int who_parse(char **words, int n, struct policy_who *who)
{
	struct policy_who_error err;
	int r = policy_who_parse(words, (size_t)n, &policy_who_nss, who, &err);

	if (r == POLICY_WHO_E_USAGE)
		return usage_error("%s", err.message);
	if (r != 0)
		fprintf(stderr, "%s: %s\n", prog, err.message);
	return r == 0 ? EX_OK : r < 0 ? EX_OSERR : EX_USAGE;
}

/*
 * The decision for WHO, the @nwords at @words, the last of which may be at=TIME: "allow
 * (FILE:LINE: rule text)" or "deny (no rule matched: default deny)", then, when a rule of the
 * policy has a time window or at= is given, the instant decided at.
 */
static int explain(const char *path, char **words, int nwords)
{
	char when[UTCTIME_LEN + 1];
	struct policy *p = NULL;
	struct policy_who who;
	struct policy_verdict v;
	const char *file;
	unsigned line;
	long needs;
	int64_t now;
	int given, status = instant(words[nwords - 1], &now, &given);

	if (status == EX_OK && given && nwords == 1)
		status = usage_error("explain needs WHO before at=: a user name or uid=ID");
	if (status == EX_OK)
		status = load(path, &p);
	if (status == EX_OK)
		status = who_parse(words, nwords - given, &who);
	if (status != EX_OK) {
		policy_free(p);
		return status;
	}
	v = policy_eval_partial(p, &who.cred, now, who.unknown, &needs);
	if (needs >= 0) {
		policy_rule_origin(p, needs, &file, &line);
		fprintf(stderr, "%s: %s:%u needs %s\n", prog, file, line,
			policy_who_missing(who.unknown));
		status = EX_USAGE;
	} else if (policy_rule_origin(p, v.rule, &file, &line) == 0) {
		printf("%s (%s:%u: %s)\n", v.allow ? "allow" : "deny", file, line,
		       policy_rule_text(p, v.rule));
	} else {
		printf("deny (no rule matched: default deny)\n");
	}
	if (needs < 0 && (given || policy_has_windows(p)))
		printf("at %s\n", utctime_format(now, when, sizeof(when)));
	policy_who_release(&who);
	policy_free(p);
	return status;
}

/* The whole of the file @path into *@text: 0, or -errno. */
static int read_text(const char *path, char **text, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0)
		return -errno;
	r = fstat(fd, &st) < 0 ? -errno : policy_read_fd(fd, &st, text, len);
	close(fd);
	return r;
}

/* "CASES:LINE: expected allow[ by RULE], got deny by FILE:LINE (rule text)" */
static void print_failed(const struct policy *p, const struct policy_cases *cs, size_t i,
			 struct policy_verdict v)
{
	const struct policy_case *c = &cs->v[i];
	char name[4 * PATH_MAX + 1], rule[4 * POLICY_LINE_MAX + 1] = "default deny";

	escape(cs->file, strlen(cs->file), name, sizeof(name), 0);
	if (c->rule == POLICY_CASE_ORIGIN || c->rule == POLICY_CASE_NAME)
		escape(c->rule_text, strlen(c->rule_text), rule, sizeof(rule), 0);
	printf("%s:%u: expected %s%s%s, got ", name, c->line, c->allow ? "allow" : "deny",
	       c->rule == POLICY_CASE_ANY ? "" : " by ", c->rule == POLICY_CASE_ANY ? "" : rule);
	print_by(stdout, p, v, 1);
	putchar('\n');
}

/*
 * Run every case of @cs against @p: first to find those that cannot be decided (their errors
 * printed, status 78), then, when all can, to print the failed ones and the count.
 */
static int run_cases(const struct policy *p, const struct policy_cases *cs)
{
	int64_t now = (int64_t)time(NULL);
	struct diag_list diags;
	struct policy_verdict v;
	size_t failed = 0;
	int r = 0, passed, invalid;

	diag_list_init(&diags);
	for (size_t i = 0; i < cs->n && r >= 0; i++)
		r = policy_case_run(p, cs, i, now, &diags, &v, &passed);
	diag_print(&diags, stderr);
	invalid = diag_has_errors(&diags);
	if (r < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, cs->file, strerror(-r));
	for (size_t i = 0; i < cs->n && !invalid && r >= 0; i++) {
		policy_case_run(p, cs, i, now, &diags, &v, &passed);
		if (!passed) {
			print_failed(p, cs, i, v);
			failed++;
		}
	}
	diag_list_free(&diags);
	if (r < 0)
		return EX_OSERR;
	if (invalid)
		return EX_CONFIG;
	printf("%zu cases: %zu passed, %zu failed\n", cs->n, cs->n - failed, failed);
	return failed ? 1 : EX_OK;
}

static int test(const char *path, const char *cases_path)
{
	struct policy_cases cs;
	struct diag_list diags;
	struct policy *p = NULL;
	char *text = NULL;
	size_t len = 0;
	int r, status = load(path, &p);

	if (status != EX_OK)
		return status;
	r = read_text(cases_path, &text, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, cases_path, strerror(-r));
		policy_free(p);
		return EX_CONFIG;
	}
	diag_list_init(&diags);
	r = policy_cases_parse(cases_path, text, len, &policy_who_nss, &diags, &cs);
	diag_print(&diags, stderr);
	diag_list_free(&diags);
	free(text);
	status = r == 0 ? run_cases(p, &cs) : r == POLICY_E_INVALID ? EX_CONFIG : EX_OSERR;
	if (r == 0)
		policy_cases_free(&cs);
	policy_free(p);
	return status;
}

/* The last id named, and how: the lines of a diff come sorted, so most repeat the one before. */
struct id_name {
	int (*lookup)(uint32_t, char *, size_t);
	uint32_t id;
	int known; /* id and shown are set */
	char shown[4 * 256 + 1];
};

/* "uid=1001(alice)": the number, and the name when there is one, escaped. */
static void print_id(const char *key, uint32_t id, struct id_name *n)
{
	char name[256];

	if (!n->known || n->id != id) {
		n->shown[0] = '\0';
		if (n->lookup(id, name, sizeof(name)))
			escape(name, strlen(name), n->shown, sizeof(n->shown), 0);
		n->id = id;
		n->known = 1;
	}
	printf("%s=%u", key, (unsigned)id);
	if (n->shown[0])
		printf("(%s)", n->shown);
}

/*
 * Every identity whose decision differs between @old and @new, one line each:
 * "uid=1001(alice) gid=100(users) groups=27,100: allow by OLD:3 -> deny by default deny".
 * Returns EX_OK when none does, 1 when one does, EX_OSERR when they cannot be listed.
 */
static int print_diff(const struct policy *old, const struct policy *new, int64_t now)
{
	struct id_name user = {.lookup = nss_user_name}, group = {.lookup = nss_group_name};
	struct peer_cred *users;
	struct policy_diff d;
	size_t nusers;
	int r = nss_logins(&users, &nusers);

	if (r == 0) {
		r = policy_diff(old, new, users, nusers, now, &d);
		nss_logins_free(users, nusers);
	}
	if (r < 0) {
		fprintf(stderr, "%s: cannot list whom the change affects: %s\n", prog,
			strerror(-r));
		return EX_OSERR;
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct peer_cred *c = &d.v[i].cred;

		print_id("uid", c->uid, &user);
		print_id(" gid", c->gid, &group);
		for (size_t g = 0; g < c->ngroups; g++)
			printf("%s%u", g ? "," : " groups=", (unsigned)c->groups[g]);
		printf(": ");
		print_by(stdout, old, d.v[i].old, 0);
		printf(" -> ");
		print_by(stdout, new, d.v[i].new, 0);
		putchar('\n');
	}
	r = d.n ? 1 : EX_OK;
	policy_diff_free(&d);
	return r;
}

static int diff(const char *old_path, const char *new_path, int64_t now)
{
	struct policy *old = NULL, *new = NULL;
	int status = load(old_path, &old);

	if (status == EX_OK)
		status = load(new_path, &new);
	if (status == EX_OK)
		status = print_diff(old, new, now);
	policy_free(old);
	policy_free(new);
	return status;
}

/*
 * What a signal must undo while editing: the copy and the staged copy to remove ("" when none)
 * and the editor to stop (0 when none). Set with the signals blocked, read by the handler only.
 */
enum { CLEANUP_COPY, CLEANUP_STAGED, CLEANUP_N };
static char cleanup_paths[CLEANUP_N][PATH_MAX];
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
	for (int i = 0; i < CLEANUP_N; i++)
		if (cleanup_paths[i][0])
			unlink(cleanup_paths[i]);
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

/* Before the install: whom the edited copy lets in or shuts out, as `diff` prints it. */
static void edit_diff(const struct policy_edit *e)
{
	struct policy *old = NULL, *new = NULL;

	if (!e->exists)
		return;
	if (load_policy(e->path, 1, &old) != EX_OK || load_policy(e->tmp, 1, &new) != EX_OK)
		fprintf(stderr, "%s: %s: the policy in place does not load: no list of changes\n",
			prog, e->path);
	else
		print_diff(old, new, (int64_t)time(NULL));
	policy_free(old);
	policy_free(new);
}

#define EDIT_UNCHANGED	     (-1) /* edit_session(): nothing to install */
#define EDIT_AGAIN	     (-2) /* edit_preview(): back to the editor */
#define EDIT_PREVIEW_WAIT_MS 5000

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

/* After a preview: (i)nstall, (e)dit again, or e(x)it, the default and the answer at end of input.
 */
static int ask_install(void)
{
	char answer[64];

	for (;;) {
		fputs("What now? (i)nstall and reload, (e)dit again, e(x)it without saving [x]: ",
		      stderr);
		fflush(stderr);
		if (!fgets(answer, sizeof(answer), stdin)) {
			fputc('\n', stderr);
			return 'x';
		}
		if (answer[0] == '\n')
			return 'x';
		if (strchr("iIeExX", answer[0]))
			return answer[0] | 0x20;
	}
}

/* What the server was told, and where its verdict is: edit cannot read the server's log. */
static void preview_report(const struct policy_edit *e, pid_t pid, int r)
{
	if (r == 0)
		printf("udsechod (pid %ld) read %s: its log has the preview, event=preview "
		       "policy=%s and one event=would-revoke per connection the edit would close "
		       "(under systemd: journalctl -u udsechod UDSECHO_EVENT=would-revoke)\n",
		       (long)pid, e->staged, e->staged);
	else if (r == POLICY_EDIT_E_UNREAD)
		fprintf(stderr,
			"%s: udsechod (pid %ld) did not read %s within %d s: its log says why "
			"(event=preview-failed; is %s the policy it serves?)\n",
			prog, (long)pid, e->staged, EDIT_PREVIEW_WAIT_MS / 1000, e->path);
	else if (r == POLICY_EDIT_E_GONE)
		fprintf(stderr, "%s: udsechod (pid %ld) is gone; nothing was previewed\n", prog,
			(long)pid);
	else
		fprintf(stderr, "%s: cannot send SIGUSR2 to pid %ld: %s\n", prog, (long)pid,
			strerror(-r));
}

/*
 * --preview: stage the checked copy, have the monitor preview it, ask. Returns EX_OK (install),
 * EDIT_AGAIN, 1 (not installed), or the error of staging. The staged copy is gone on return.
 */
static int edit_preview(struct policy_edit *e, pid_t pid, int pidfd)
{
	int r, answer;

	edit_signals_block(1);
	r = policy_edit_stage(e);
	if (r == 0)
		snprintf(cleanup_paths[CLEANUP_STAGED], PATH_MAX, "%s", e->staged);
	edit_signals_block(0);
	if (r != 0)
		return r > 0 ? edit_refused(e->tmp, r)
			     : edit_oserr("stage the edited copy of", e->path, e->path, r);
	preview_report(e, pid, policy_edit_preview(e, pidfd, EDIT_PREVIEW_WAIT_MS));
	fflush(stdout);
	answer = ask_install();
	edit_signals_block(1);
	policy_edit_unstage(e);
	cleanup_paths[CLEANUP_STAGED][0] = '\0';
	edit_signals_block(0);
	if (answer == 'i')
		return EX_OK;
	if (answer == 'e')
		return EDIT_AGAIN;
	fprintf(stderr, "%s: %s: not installed\n", prog, e->path);
	return 1;
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

static int edit(const char *path, pid_t reload_pid, int pidfd, int preview)
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
		snprintf(cleanup_paths[CLEANUP_COPY], PATH_MAX, "%s", e.tmp);
	edit_signals_block(0);
	if (r != 0) {
		status = r > 0 ? edit_refused(path, r) : edit_oserr("copy", path, path, r);
		goto out;
	}
	do {
		status = edit_session(&e);
		if (status == EX_OK)
			edit_diff(&e);
		if (status == EX_OK && preview)
			status = edit_preview(&e, reload_pid, pidfd);
	} while (status == EDIT_AGAIN);
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
	cleanup_paths[CLEANUP_COPY][0] = cleanup_paths[CLEANUP_STAGED][0] = '\0';
	edit_signals_block(0);
	return status;
}

/* The monitor --pid names is checked, and held by a pidfd, before the editor runs. */
static int edit_checked(const char *path, pid_t pid, int preview)
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
	status = edit(path, pid, pidfd, preview);
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* edit [--pid PID [--preview]] [FILE]: @argv[0] is "edit". */
static int edit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"preview", no_argument, NULL, 'P'},
		{0},
	};
	pid_t pid = 0;
	int c, preview = 0;

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
		case 'P':
			preview = 1;
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
	if (preview && !pid)
		return usage_error("--preview needs --pid, the udsechod monitor to ask");
	return edit_checked(optind < argc ? argv[optind] : UDSECHO_POLICY_PATH, pid, preview);
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
		return usage_error("missing command: check, explain, test, diff or edit");
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
	if (strcmp(cmd, "test") == 0) {
		if (argc == 0)
			return usage_error("test needs CASES, a file of cases");
		if (argc > 2)
			return usage_error("unexpected '%s': test takes [FILE] CASES", argv[2]);
		return test(argc == 2 ? argv[0] : UDSECHO_POLICY_PATH, argv[argc - 1]);
	}
	if (strcmp(cmd, "diff") == 0) {
		int64_t now;
		int given, status = instant(argc == 3 ? argv[2] : NULL, &now, &given);

		if (status != EX_OK)
			return status;
		if (argc != 2 + given)
			return usage_error(
				argc < 2 ? "diff needs two policies, OLD and NEW"
					 : "unexpected '%s': diff takes OLD NEW [at=TIME]",
				argv[argc - 1]);
		return diff(argv[0], argv[1], now);
	}
	if (strcmp(cmd, "edit") == 0)
		return edit_main(argc + 1, argv - 1);
	return usage_error("unknown command '%s': use check, explain, test, diff or edit", cmd);
}
