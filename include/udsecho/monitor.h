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

#include "udsecho/policy.h"
#include "udsecho/privdrop.h"
#include "udsecho/sandbox.h"
#include "udsecho/sockpath.h"
#include "udsecho/worker.h"

struct monitor_config {
	struct sockpath *node; /* the node and listening socket sockpath_listen() made */
	int ready_fd;	       /* handed to the worker; -1 for none */
	const struct policy_source *source;
	struct policy *policy;		/* the policy loaded at start; the monitor owns it now;
					 * NULL: none could be, every client is turned away until
					 * one loads (tried every second, and on SIGHUP) */
	int builtin;			/* it is the built-in one */
	struct privdrop_ids worker_ids; /* who the worker runs as */
	const char *worker_user;	/* that user's name, for the log */
	enum sandbox_mode sandbox;
	struct worker_limits limits;
};

/* How monitor_run() ends, besides -errno (a step of the monitor failed; it was logged). */
enum monitor_outcome {
	MONITOR_STOPPED = 0,	 /* by SIGTERM or SIGINT; the node is removed */
	MONITOR_WORKER_DIED = 1, /* the worker ended: its wait status is in *worker_status */
	MONITOR_IN_WORKER = 2,	 /* returned in the forked worker, which runs worker_run(@wc) */
	MONITOR_WORKER_HUNG = 3, /* the worker stayed stopped, or unread, too long: as dead */
};

/*
 * monitor_run - block the signals the monitor handles, make the pair, fork the worker and, in
 * the monitor, confine it, send the first policy and supervise until a stop signal or the
 * worker's death. Like fork(), it returns twice: in the worker with MONITOR_IN_WORKER and @wc
 * filled in (the monitor's descriptors closed, its policy freed, the signals as they were, the
 * pair's writing side shut); in the monitor with MONITOR_STOPPED, MONITOR_WORKER_DIED, or -errno
 * when a step failed (the split itself, confinement, or sending a policy to the worker).
 */
int monitor_run(const struct monitor_config *cfg, struct worker_config *wc, int *worker_status);
