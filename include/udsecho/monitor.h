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

#include "udsecho/sockpath.h"

struct monitor_config {
	struct sockpath *node; /* the node and listening socket sockpath_listen() made */
	int ready_fd;	       /* handed to the worker; -1 for none */
};

/*
 * monitor_run - fork the worker and supervise it until a stop signal or the worker's death.
 * Returns the server's exit status: 0 after SIGTERM/SIGINT, the worker's own non-zero status if
 * it exited, 70 if it died of a signal, 71 if the split itself failed.
 */
int monitor_run(const struct monitor_config *cfg);
