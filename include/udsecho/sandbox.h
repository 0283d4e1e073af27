/* SPDX-License-Identifier: MIT */
/*
 * sandbox: the seccomp filters of the worker and the monitor (libseccomp).
 *
 * The worker gets an allow-list of what its event loop calls, and any other system call kills
 * the whole process; the monitor, which resolves names and reads files, gets a deny-list of what
 * it never needs (exec, ptrace, mount, modules, kexec, namespaces, id changes, and signals to
 * any process but its worker). Both accept the
 * native architecture only. A filter is loaded last, after the privilege drop, in a
 * single-threaded process, and can never be removed. Nothing here logs or exits.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "udsecho/sandbox-mode.h"

/*
 * sandbox_worker - load the worker's allow-list. Call it last before the event loop, after
 * privdrop_worker(), with every fd the loop needs already open: afterwards the worker can no
 * longer open a file, create a socket, map executable memory, exec, signal, or change ids; bad
 * architectures (i386 int 0x80, x32) are killed in every mode. @splice_pipe, when not NULL, is
 * the worker's echo pipe {read end, write end} (see echo_io_pipe): splice(2) is allowed only out
 * of its read end or into its write end, and never at an offset. SANDBOX_OFF loads nothing. Returns
 * 0 or -errno (the kernel's own errno when the load fails; -EBADF for a negative pipe end).
 */
int sandbox_worker(enum sandbox_mode mode, const int *splice_pipe)
	__attribute__((warn_unused_result));

/*
 * sandbox_monitor - load the monitor's deny-list (everything else stays allowed: NSS and
 * reading the policy keep working). Signals are fenced: kill(2) is allowed only to @worker, the
 * worker's pid, and tgkill(2) only within the calling process (abort(), raise()); tkill,
 * rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal and making a descriptor signal its owner
 * (F_SETOWN, F_SETOWN_EX, FIOSETOWN, SIOCSPGRP) are refused, so that the monitor's CAP_KILL
 * reaches no other process. Call after privdrop_monitor() and after the last fork().
 * Returns 0 or -errno (-EINVAL for a @worker that is not a pid); SANDBOX_OFF loads nothing.
 */
int sandbox_monitor(enum sandbox_mode mode, pid_t worker) __attribute__((warn_unused_result));

/*
 * sandbox_status - write "seccomp=N no_new_privs=N cap_eff=HEX cap_prm=HEX cap_inh=HEX
 * cap_bnd=HEX cap_amb=HEX" into @buf, as /proc/self/status says now.
 *
 * @status_fd is /proc/self/status opened by the calling process itself (after fork(), since
 * /proc/self names the process that opens it) before its filter was loaded: the worker cannot
 * open files afterwards. The file is generated at read time, so each call shows the current
 * state. Reads with pread(2) only, so it may run inside the worker's sandbox.
 * Returns 0, -errno from pread(), -ENODATA if a field is missing, -ENOSPC if @len is too small.
 */
int sandbox_status(int status_fd, char *buf, size_t len);
