// SPDX-License-Identifier: MIT
/*
 * udsechod: the server's main. Parse the options, resolve names, create the socket node with the
 * asked owner, group and mode, then hand over to the monitor, which forks the worker. This file
 * only orders the steps and chooses exit statuses (sysexits.h, as udsechod(8) lists them).
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "udsecho/log.h"
#include "udsecho/monitor.h"
#include "udsecho/nss.h"
#include "udsecho/options.h"
#include "udsecho/sdlisten.h"
#include "udsecho/sockpath.h"
#include "udsecho/uidshare.h"
#include "udsecho/userns.h"

static int in_own_groups(gid_t gid)
{
	gid_t groups[4096];
	int n = getgroups(4096, groups);

	if (gid == getegid())
		return 1;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* --owner and --group to ids; returns 0 or an exit status after saying what is wrong. */
static int resolve_node(const struct server_options *o, struct sockpath_spec *spec)
{
	int r;

	*spec = (struct sockpath_spec){o->socket_path, (uid_t)-1, (gid_t)-1, o->mode};
	if (o->owner && (r = nss_user(o->owner, &spec->uid, NULL))) {
		log_err("--owner %s: %s", o->owner, nss_strerror(r));
		return EX_CONFIG;
	}
	if (o->group && (r = nss_group(o->group, &spec->gid))) {
		log_err("--group %s: %s", o->group, nss_strerror(r));
		return EX_CONFIG;
	}
	if (geteuid() != 0 && spec->uid != (uid_t)-1 && spec->uid != geteuid()) {
		log_err("--owner %s: only root can give the socket to another user", o->owner);
		return EX_NOPERM;
	}
	if (geteuid() != 0 && spec->gid != (gid_t)-1 && !in_own_groups(spec->gid)) {
		log_err("--group %s: only root can give the socket to a group it is not in",
			o->group);
		return EX_NOPERM;
	}
	return 0;
}

/* The worker's user when the default one does not exist (a build tree run before any install). */
#define FALLBACK_USER "nobody"

/*
 * Say so when the worker's uid is no boundary: the overflow uid, or one that other running
 * processes have, any of which may signal, stop, trace or lower the limits of the worker.
 */
static void warn_shared_uid(uid_t uid, const char *user)
{
	size_t n;
	pid_t first;

	if (uid == 65534) {
		log_warn(
			"the worker runs as %s (uid 65534), the overflow uid that other daemons and "
			"unmapped user-namespace processes share: any of them can signal, stop or "
			"trace it; give it a user of its own (--user, or the %s user of the sysusers.d "
			"entry)",
			user, UDSECHO_DEFAULT_USER);
		return;
	}
	if (uidshare_count(uid, &n, &first) == 0 && n > 0)
		log_warn(
			"the worker's uid %u (%s) is also the uid of %zu running process%s (pid %d "
			"first): any of them can signal, stop or trace the worker; give it a user "
			"of its own",
			(unsigned int)uid, user, n, n == 1 ? "" : "es", (int)first);
}

/*
 * The worker's identity: as root, --user or the default user (FALLBACK_USER, with a warning,
 * when the default one does not exist); otherwise the server's own, and asking for another is
 * refused. Returns 0 or an exit status after saying what is wrong.
 */
static int resolve_worker(const struct server_options *o, struct privdrop_ids *ids,
			  const char **user)
{
	int r, fallback = 0;

	*user = o->user ? o->user : UDSECHO_DEFAULT_USER;
	if (geteuid() != 0) {
		ids->uid = geteuid();
		ids->gid = getegid();
		if (o->user && (nss_user(o->user, &ids->uid, NULL) || ids->uid != geteuid())) {
			log_err("--user %s: only root can run the worker as another user", o->user);
			return EX_NOPERM;
		}
		*user = "self";
		return 0;
	}
	r = nss_user(*user, &ids->uid, &ids->gid);
	if (r == NSS_E_UNKNOWN && !o->user && strcmp(*user, FALLBACK_USER) != 0) {
		log_warn("no user %s, the worker's own (systemd-sysusers or useradd --system %s "
			 "creates it): the worker runs as %s, whose uid other processes may share",
			 *user, *user, FALLBACK_USER);
		*user = FALLBACK_USER;
		r = nss_user(*user, &ids->uid, &ids->gid);
		fallback = 1;
	}
	if (r) {
		log_err("--user %s: %s", *user, nss_strerror(r));
		return EX_CONFIG;
	}
	if (ids->gid == (gid_t)-1) {
		log_err("--user %s: no passwd entry to take the group from", *user);
		return EX_CONFIG;
	}
	/* Not for --check: beside a running server (systemctl reload), its own worker counts. */
	if (!fallback && !o->check)
		warn_shared_uid(ids->uid, *user);
	return 0;
}

/*
 * Load the policy for start or --check; returns 0 or an exit status after saying why. Started
 * with a socket the service manager passed (@activated), a policy that cannot be loaded does not
 * stop the server: it starts with none, turns every client away with a line that says so and
 * tries the file again every second (the monitor), so that the socket stays and a fixed file is
 * enough; *@policy is then NULL and 0 returned.
 */
static int load_policy(const struct policy_source *src, int check, int activated,
		       struct policy **policy, int *builtin)
{
	const char *then = check       ? ""
			   : activated ? ": every client is turned away until it loads (it is "
					 "tried again every second)"
				       : ", not starting";
	struct diag_list diags;
	int r;

	diag_list_init(&diags);
	r = policy_load_source(src, &diags, policy, builtin);
	/* Without a policy the monitor's first try, right after the fork, logs them once. */
	if (!(r && !check && activated))
		log_diags(&diags);
	diag_list_free(&diags);
	if (r < 0)
		log_err("%s: cannot load the policy: %s%s", src->path, strerror(-r), then);
	else if (r > 0)
		log_err("%s: invalid policy%s", src->path, then);
	if (r && !check && activated)
		return 0;
	return r ? EX_CONFIG : 0;
}

/* --check: the directory that would hold the socket must be one sockpath_listen() accepts. */
static int check_socket_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], err[1024];

	snprintf(dir, sizeof(dir), "%s", path);
	if (sockpath_check_dirs(dirname(dir), geteuid(), err, sizeof(err)) == 0)
		return 0;
	log_err("%s", err);
	return EX_CONFIG;
}

static int sockpath_status(int r)
{
	if (r == SOCKPATH_E_PERM)
		return EX_NOPERM;
	return r < 0 ? EX_OSERR : EX_CANTCREAT;
}

/*
 * Activated: the unit decides the node. Say so when the options asked for something else, so
 * that an admin does not believe a --mode that is not in force.
 */
static void warn_ignored(const struct server_options *o, int fd)
{
	struct sockaddr_un addr;
	socklen_t len = sizeof(addr);

	if (o->owner || o->group || o->mode_explicit)
		log_warn(
			"--owner, --group and --mode are ignored: the socket's owner, group and mode "
			"are the socket unit's (SocketUser=, SocketGroup=, SocketMode=)");
	if (o->socket_explicit &&
	    (getsockname(fd, (struct sockaddr *)&addr, &len) < 0 || len <= sizeof(sa_family_t) ||
	     strncmp(addr.sun_path, o->socket_path, sizeof(addr.sun_path)) != 0))
		log_warn("--socket %s is ignored: the service manager passed another socket",
			 o->socket_path);
}

/*
 * Close every descriptor but standard input, output and error, @a and @b (-1: none): whatever
 * the starting process leaked, a root-only file say, would otherwise reach the worker, which may
 * read any descriptor it holds. Done first, before NSS or anything else opens one of its own.
 */
static void close_inherited(int a, int b)
{
	int keep[4] = {2, a < b ? a : b, a < b ? b : a, INT_MAX};
	int from = 3;

	for (int i = 1; i < 4; i++) {
		if (keep[i] < from)
			continue;
		if (keep[i] > from)
			close_range((unsigned int)from, (unsigned int)keep[i] - 1, 0);
		from = keep[i] == INT_MAX ? INT_MAX : keep[i] + 1;
	}
}

/*
 * The listening socket: the one the service manager passed (@activated is sdlisten_take()'s
 * result, @sderr its reason), whose node is the unit's business, or our own node made as the
 * options say. Returns 0 or an exit status after saying why.
 */
static int take_socket(const struct server_options *o, const struct sockpath_spec *spec,
		       struct sockpath *node, int activated, const char *sderr)
{
	char err[1024];
	int r = activated;

	if (r == 0) {
		node->dir_fd = -1; /* not ours to remove */
		if (o->ready_fd == node->fd) {
			log_err("--ready-fd %d: that is the socket passed by the service manager",
				o->ready_fd);
			return EX_USAGE;
		}
		warn_ignored(o, node->fd);
		log_info("event=listen activated=yes fd=%d", node->fd);
		return 0;
	}
	if (r == SDLISTEN_INVALID) {
		log_err("%s", sderr);
		return EX_OSERR;
	}
	r = sockpath_listen(spec, node, err, sizeof(err));
	if (r) {
		log_err("%s", err);
		return sockpath_status(r);
	}
	if (strcmp(node->resolved, o->socket_path) == 0)
		log_info("event=listen path=%s mode=%04o", o->socket_path, (unsigned int)o->mode);
	else
		log_info("event=listen path=%s resolved=%s mode=%04o", o->socket_path,
			 node->resolved, (unsigned int)o->mode);
	return 0;
}

/*
 * The server's exit status for how the monitor ended: the worker's own status when it exited
 * non-zero, EX_SOFTWARE when it died otherwise (a signal: SIGSYS is its filter) or stayed
 * stopped or stopped reading from the monitor too long, EX_OSERR when a step failed.
 */
static int monitor_status(int outcome, int worker_status)
{
	if (outcome == MONITOR_STOPPED)
		return 0;
	if (outcome == MONITOR_WORKER_HUNG)
		return EX_SOFTWARE;
	if (outcome != MONITOR_WORKER_DIED)
		return EX_OSERR;
	if (WIFEXITED(worker_status) && WEXITSTATUS(worker_status) != 0)
		return WEXITSTATUS(worker_status);
	return EX_SOFTWARE;
}

/*
 * The whole start, in order. Steps 1 to 4 run with the identity the server was started with and
 * fail before any client can connect; from step 5 on, two processes:
 *
 *  1. options_parse_server(): the command line (pure); sdlisten_take(): the socket the service
 *     manager passed, if any; close_inherited(): every other descriptor the starting process
 *     left open is closed.
 *  2. resolve_node(), resolve_worker(): --owner, --group and --user to numbers (nss.c).
 *  3. load_policy(): read, check and compile the policy file (policy_load_source()); with
 *     socket activation, a file that fails leaves the server up, turning clients away.
 *  4. take_socket(): the socket the service manager passed, or our node
 *     (sockpath_listen(): bound under a umask in a pinned, trusted directory; owner, group and
 *     mode set through an O_PATH descriptor; only then listen(2)).
 *  5. monitor_run(): signals to a signalfd, the pair and the readiness pipe, fork():
 *     monitor (parent)                         worker (child)
 *  6. confine(CONFINE_MONITOR):                confine(CONFINE_WORKER) in worker_run(), after
 *     privdrop_monitor(), sandbox_monitor()    its descriptors: privdrop_worker(), parent
 *                                              check, sandbox_worker()
 *  7. the policy, as numbers, over the pair    wait for the policy (channel_read())
 *  8. supervise(): stop, reload, status,       serve: accept, peercred_read_ids(),
 *     the worker's death                       policy_eval(), echo
 */
int main(int argc, char **argv)
{
	struct server_options o;
	struct sockpath_spec spec;
	struct sockpath node;
	struct policy_source source;
	struct policy *policy = NULL;
	struct privdrop_ids ids;
	struct worker_config wc;
	const char *user;
	char err[1024], sderr[256];
	int r, builtin, activated, worker_status = 0;

	log_init("udsechod");
	r = options_parse_server(argc, argv, &o, err, sizeof(err));
	if (r == OPTIONS_E_HELP) {
		fputs(options_server_usage, stdout);
		return 0;
	}
	if (r == OPTIONS_E_VERSION) {
		puts("udsechod " UDSECHO_VERSION);
		return 0;
	}
	if (r) {
		fprintf(stderr, "udsechod: %s\nTry 'udsechod --help' for more information.\n", err);
		return EX_USAGE;
	}
	log_set_level(o.log_level);
	if (o.ready_fd >= 0 && fcntl(o.ready_fd, F_GETFD) < 0) {
		log_err("--ready-fd %d: not an open file descriptor", o.ready_fd);
		return EX_USAGE;
	}
	activated = sdlisten_take(&node.fd, sderr, sizeof(sderr));
	close_inherited(o.ready_fd, activated == 0 ? node.fd : -1);
	if ((r = log_journal_connect()) < 0)
		log_warn("journald's native socket: %s; logging to standard error alone",
			 strerror(-r));
	if (!o.allow_userns && (r = userns_check(err, sizeof(err)))) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	r = resolve_node(&o, &spec);
	if (!r)
		r = resolve_worker(&o, &ids, &user);
	if (r)
		return r;
	source = (struct policy_source){.path = o.policy_path,
					.explicit_path = o.policy_explicit,
					.trusted_uid = geteuid()};
	r = load_policy(&source, o.check, activated == 0, &policy, &builtin);
	if (r || o.check) {
		policy_free(policy);
		if (!r)
			r = check_socket_dir(o.socket_path);
		if (!r)
			log_notice("configuration OK (policy %s)",
				   builtin ? "built-in" : o.policy_path);
		return r;
	}
	r = take_socket(&o, &spec, &node, activated, sderr);
	if (r) {
		policy_free(policy);
		return r;
	}
	r = monitor_run(
		&(struct monitor_config){
			.node = &node,
			.ready_fd = o.ready_fd,
			.source = &source,
			.policy = policy,
			.builtin = builtin,
			.worker_ids = ids,
			.worker_user = user,
			.sandbox = o.sandbox,
			.limits = {o.max_connections, o.max_per_uid, o.max_bytes_per_uid,
				   o.idle_timeout, o.send_timeout},
		},
		&wc, &worker_status);
	if (r == MONITOR_IN_WORKER)
		_exit(worker_run(&wc) == 0 ? 0 : EX_OSERR);
	return monitor_status(r, worker_status);
}
