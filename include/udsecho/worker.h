/* SPDX-License-Identifier: MIT */
/*
 * worker: the process that faces clients.
 *
 * One epoll loop over the listening socket, the read end of the monitor's pair, a timer and
 * every client. For each accepted peer it reads the kernel's credentials (SO_PEERCRED, and
 * SO_PEERGROUPS when the policy has group rules), checks the limits (--max-connections,
 * --max-per-uid, --max-bytes-per-uid: a peer past them gets the busy line, as does a peer
 * the worker has no descriptor for), decides by the compiled policy (a refused peer gets the
 * refusal line; the decision is logged with its rule), and echoes with bounded buffering: while the
 * echo it holds for a uid is at --max-bytes-per-uid, it reads from none of that uid's peers. The
 * timer closes peers idle past --idle-timeout or not reading past --send-timeout. A new policy from
 * the monitor is applied at once: open connections it no longer allows are told and closed
 * (revoked). It never opens a file, resolves a name, execs or signals; it exits when the monitor's
 * end of the pair closes. What the monitor sends on the pair, and how the worker reads it, is in
 * channel.h.
 */
#pragma once

#include "udsecho/privdrop.h"
#include "udsecho/sandbox.h"

/*
 * Limits on clients; 0 in max_connections or max_per_uid asks for the default, 0 in
 * max_bytes_per_uid for no limit, 0 s is never.
 */
struct worker_limits {
	unsigned long max_connections;
	unsigned long max_per_uid;
	unsigned long max_bytes_per_uid; /* echo held for one uid's peers, at most one read more */
	unsigned int idle_timeout;	 /* seconds without a byte from a peer that is read */
	unsigned int send_timeout;	 /* seconds a peer that does not read may hold its echo */
};

struct worker_config {
	int listen_fd;		 /* the listening socket, non-blocking */
	int pair_fd;		 /* the worker's end of the pair: read only */
	int ready_fd;		 /* the pipe to the monitor: "\n" once serving, then closed */
	struct privdrop_ids ids; /* who the worker becomes */
	pid_t monitor;		 /* the monitor's pid, taken before fork() */
	const char *user;	 /* that user's name, for the log */
	enum sandbox_mode sandbox;
	struct worker_limits limits;
};

/*
 * worker_run - make the loop's descriptors, confine the process (confine(): privdrop_worker(),
 * the parent check, sandbox_worker()), wait for the first policy from the monitor, then serve
 * until the monitor goes away. Returns 0 when the monitor closed the pair; -errno (logged) when a
 * confinement or system step failed; -EPROTO (logged) when the monitor sent what is not a
 * message, or a first policy the worker rejected.
 */
int worker_run(const struct worker_config *cfg);
