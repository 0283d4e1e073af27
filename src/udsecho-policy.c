// SPDX-License-Identifier: MIT
/*
 * udsecho-policy: the admin's tool. `check` loads a policy exactly as udsechod does and prints
 * its diagnostics; `explain` says which rule decides for a given user and why.
 *
 * A thin main: it parses argv, calls the policy and nss modules, prints, and chooses the exit
 * status (0, 64 bad usage, 78 invalid or unreadable policy). It never changes any file.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "udsecho/nss.h"
#include "udsecho/policy.h"

#define GROUPS_MAX 65536

static const char *prog = "udsecho-policy";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s check [FILE]\n"
		"       %s explain [FILE] WHO\n"
		"WHO is a user name, or uid=ID [gid=ID] [groups=ID,ID,...] (names or numbers)\n"
		"FILE defaults to %s\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n",
		prog, prog, UDSECHO_POLICY_PATH);
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

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return (x > y) - (x < y);
}

static void sort_groups(struct peer_cred *cred)
{
	size_t out = 0;

	qsort(cred->groups, cred->ngroups, sizeof(gid_t), cmp_gid);
	for (size_t i = 0; i < cred->ngroups; i++)
		if (out == 0 || cred->groups[out - 1] != cred->groups[i])
			cred->groups[out++] = cred->groups[i];
	cred->ngroups = out;
}

static int lookup_failed(int r, const char *what, const char *name)
{
	if (r < 0)
		fprintf(stderr, "%s: cannot look up %s '%s': %s\n", prog, what, name, strerror(-r));
	else
		fprintf(stderr, "%s: %s %s '%s'\n", prog,
			r == NSS_E_UNKNOWN ? "unknown" : "invalid", what, name);
	return EX_USAGE;
}

/* A user name: uid and primary gid from passwd, supplementary groups from getgrouplist(3). */
static int who_user(const char *name, struct peer_cred *cred)
{
	char canonical[256];
	int n = GROUPS_MAX, r;

	r = nss_user(name, &cred->uid, &cred->gid);
	if (r != 0)
		return lookup_failed(r, "user", name);
	if (cred->gid == (gid_t)-1) {
		fprintf(stderr, "%s: uid %s has no passwd entry; give uid=%s gid=ID\n", prog, name,
			name);
		return EX_USAGE;
	}
	nss_user_name(cred->uid, canonical, sizeof(canonical));
	cred->groups = calloc(GROUPS_MAX, sizeof(gid_t));
	if (!cred->groups || getgrouplist(canonical, cred->gid, cred->groups, &n) < 0) {
		fprintf(stderr, "%s: cannot list the groups of '%s'\n", prog, name);
		return EX_OSERR;
	}
	cred->ngroups = (size_t)n;
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
		sort_groups(&cred);
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
		return usage_error("missing command: check or explain");
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
	return usage_error("unknown command '%s': use check or explain", cmd);
}
