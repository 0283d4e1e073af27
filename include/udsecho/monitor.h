/* SPDX-License-Identifier: MIT */
/*
 * monitor: privilege separation. Splits udsechod into a monitor (parent) and a worker (child)
 * joined by a socketpair that carries messages one way, monitor to worker.
 *
 * The monitor keeps the identity the server started with, so that it can remove the node it
 * created, and owns the signals: SIGTERM/SIGINT stop the worker and the server, SIGHUP reloads.
 * It notices the worker's death (SIGCHLD), the worker notices the monitor's (EOF on the pair).
 */
#pragma once

#include <sys/types.h>

#include "udsecho/diag.h"
#include "udsecho/policy.h"
#include "udsecho/privdrop.h"
#include "udsecho/sandbox.h"
#include "udsecho/sockpath.h"
#include "udsecho/worker.h"

/* Where the policy comes from, at start and at every SIGHUP. */
struct policy_source {
	const char *path;
	int explicit_path; /* given with --policy: a missing file is an error, not the built-in */
	uid_t trusted_uid; /* besides root, who may own the policy files */
};

struct monitor_config {
	struct sockpath *node; /* the node and listening socket sockpath_listen() made */
	int ready_fd;	       /* handed to the worker; -1 for none */
	const struct policy_source *source;
	struct policy *policy;		/* the policy loaded at start; the monitor owns it now */
	int builtin;			/* it is the built-in one */
	struct privdrop_ids worker_ids; /* who the worker runs as */
	const char *worker_user;	/* that user's name, for the log */
	enum sandbox_mode sandbox;
	struct worker_limits limits;
};

/*
 * monitor_load_policy - load the policy @src names. With no explicit path and no file at the
 * default one, the built-in policy allowing only @src->trusted_uid (*builtin set to 1).
 * Returns 0, POLICY_E_INVALID (errors in @diags) or -errno (the file cannot be read).
 */
int monitor_load_policy(const struct policy_source *src, struct diag_list *diags,
			struct policy **out, int *builtin);

/* monitor_log_diags - log each diagnostic as one line, errors at err level. */
void monitor_log_diags(const struct diag_list *diags);

/*
 * monitor_run - fork the worker and supervise it until a stop signal or the worker's death.
 * Returns the server's exit status: 0 after SIGTERM/SIGINT, the worker's own non-zero status if
 * it exited, 70 if it died of a signal, 71 if the split itself failed.
 */
int monitor_run(const struct monitor_config *cfg);
