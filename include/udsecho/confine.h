/* SPDX-License-Identifier: MIT */
/*
 * confine: the one confinement path of both processes of udsechod, right after fork().
 *
 * In order: /proc/self/status is opened (the worker can open nothing once filtered); the identity
 * and capabilities are given up and verified (privdrop_worker() or privdrop_monitor()); the
 * worker checks that its parent is still the monitor that forked it, since a parent-death signal
 * armed after the parent died never comes; the seccomp filter is loaded last (sandbox_worker() or
 * sandbox_monitor()); then the state is read back from the kernel and logged as one
 * event=sandbox line, with a warning when the mode confines nothing.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "udsecho/privdrop.h"
#include "udsecho/sandbox.h"

enum confine_role {
	CONFINE_MONITOR, /* keeps its ids, CAP_KILL alone for a worker of another uid, the deny-list
			  */
	CONFINE_WORKER,	 /* becomes @ids, no capability, the allow-list */
};

struct confine_spec {
	enum confine_role role;
	enum sandbox_mode sandbox;
	struct privdrop_ids ids; /* the worker's ids: who it becomes, whom the monitor signals */
	const char *user;	 /* the worker: that user's name, for the log */
	/* The other process: for the worker, the monitor's pid, taken before fork(); for the
	   monitor, the worker's pid, the only one it may signal. */
	pid_t peer;
	const int *splice_pipe; /* the worker: its echo pipe (see sandbox_worker), or NULL */
};

/*
 * confine - confine the calling process as @spec says, in the order above. Call it once, in a
 * single-threaded process, with every descriptor the process will need already open. On success
 * logs the event=sandbox line and returns 0. On failure returns -errno of the step that failed
 * (-ENOTRECOVERABLE: the kernel reports another state than asked; -ESRCH: the monitor is no
 * longer the worker's parent) with a one-line message naming that step in @err; the process is
 * then half-confined and must exit. Not for use inside the sandbox.
 */
int confine(const struct confine_spec *spec, char *err, size_t errlen)
	__attribute__((warn_unused_result));
