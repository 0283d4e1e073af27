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
	struct policy *policy;		/* the policy loaded at start; the monitor owns it now */
	int builtin;			/* it is the built-in one */
	struct privdrop_ids worker_ids; /* who the worker runs as */
	const char *worker_user;	/* that user's name, for the log */
	enum sandbox_mode sandbox;
	struct worker_limits limits;
};

/*
 * monitor_run - fork the worker and supervise it until a stop signal or the worker's death.
 * Returns the server's exit status: 0 after SIGTERM/SIGINT, the worker's own non-zero status if
 * it exited, 70 if it died of a signal, 71 if the split itself failed.
 */
int monitor_run(const struct monitor_config *cfg);
