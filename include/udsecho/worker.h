/* SPDX-License-Identifier: MIT */
/*
 * worker: the process that faces clients.
 *
 * One epoll loop over the listening socket, the read end of the monitor's pair and every client.
 * For each accepted peer it reads the kernel's credentials, logs them, and echoes. It never opens
 * a file, resolves a name, execs or signals; it exits when the monitor's end of the pair closes.
 */
#pragma once

#include "udsecho/privdrop.h"
#include "udsecho/sandbox.h"

struct worker_config {
	int listen_fd;		 /* the listening socket, non-blocking */
	int pair_fd;		 /* the worker's end of the pair: read only */
	int ready_fd;		 /* write "\n" here once serving, then close it; -1 for none */
	struct privdrop_ids ids; /* who the worker becomes */
	const char *user;	 /* that user's name, for the log */
	enum sandbox_mode sandbox;
};

/*
 * worker_run - confine the process (privdrop_worker, then sandbox_worker), wait for the first
 * policy from the monitor, then serve until the monitor goes away. Returns the process's exit
 * status: 0 when the monitor closed the pair, 71 when a confinement or system step failed.
 */
int worker_run(const struct worker_config *cfg);
