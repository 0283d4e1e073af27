/* SPDX-License-Identifier: MIT */
/*
 * worker: the process that faces clients.
 *
 * One epoll loop over the listening socket, the read end of the monitor's pair and every client.
 * For each accepted peer it reads the kernel's credentials, logs them, and echoes. It never opens
 * a file, resolves a name, execs or signals; it exits when the monitor's end of the pair closes.
 */
#pragma once

struct worker_config {
	int listen_fd; /* the listening socket, non-blocking */
	int pair_fd;   /* the worker's end of the pair: read only */
	int ready_fd;  /* write "\n" here once serving, then close it; -1 for none */
};

/* worker_run - serve until the monitor goes away; returns the process's exit status. */
int worker_run(const struct worker_config *cfg);
