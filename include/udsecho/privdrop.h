/* SPDX-License-Identifier: MIT */
/*
 * privdrop: give up identity and capabilities for good, then prove it.
 *
 * The worker becomes the run-as user with no supplementary groups and no capability in any set;
 * the monitor keeps its uid and gid and holds CAP_KILL alone, and only when the worker runs as
 * another uid. Both set no_new_privs, so
 * nothing they could ever execute gains privilege. Every step is checked against what the kernel
 * reports afterwards (OpenSSH's permanently_set_uid): a drop that did not happen is an error,
 * never a warning. These functions run before the sandbox is loaded, in a single-threaded
 * process (capabilities are per thread); they never log and never exit.
 */
#pragma once

#include <sys/types.h>

struct privdrop_ids {
	uid_t uid;
	gid_t gid;
};

/*
 * privdrop_worker - permanently become @ids, with no supplementary groups and no capability.
 *
 * In order: keep-caps off; ambient set cleared and bounding set emptied while CAP_SETPCAP is
 * still held; setgroups(0); setresgid; setresuid; effective, permitted and inheritable sets
 * cleared. Then verified: the real, effective and saved ids are exactly @ids, the old ids and
 * uid/gid 0 cannot be regained, there are no supplementary groups, and the capability, bounding
 * and ambient sets are empty. Last come PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE(0) (verified) and
 * PR_SET_PDEATHSIG(SIGKILL), the latter after the id change because the kernel clears it on
 * every credential change. The death
 * signal cannot cover a monitor that died before it was armed: confine() compares getppid()
 * with the monitor's pid taken before fork() once this returns.
 *
 * Started as an ordinary user with @ids equal to its current ids, nothing changes identity: the
 * supplementary groups stay (they are the user's own; dropping them needs CAP_SETGID), and the
 * bounding set stays too, because emptying it needs CAP_SETPCAP, which an unprivileged process
 * does not hold. That is harmless: with no_new_privs no execve() can raise a capability out of
 * the bounding set. The bounding set is emptied whenever CAP_SETPCAP is held, and its absence is
 * an error when the process runs as uid 0 or has to change ids.
 *
 * Returns 0 when every step is done and verified; -errno of the first step the kernel refused;
 * -ENOTRECOVERABLE when the kernel accepted the steps but the verification saw another state.
 * On failure the process is half-dropped and must exit. Not for use inside the sandbox.
 */
int privdrop_worker(const struct privdrop_ids *ids) __attribute__((warn_unused_result));

/*
 * privdrop_monitor - keep the uid and gid, give up every capability but one: the bounding,
 * ambient and inheritable sets are emptied, and the effective and permitted sets hold CAP_KILL
 * alone when @worker_uid (the worker's uid) is neither the real nor the effective uid, nothing
 * otherwise; then PR_SET_NO_NEW_PRIVS. A monitor started as root stays uid 0 (to re-read a
 * root-only policy and remove the socket node) but without CAP_DAC_OVERRIDE, CAP_CHOWN or any
 * other capability: it can touch what root owns and nothing else. CAP_KILL is what lets the
 * kernel deliver the worker's parent-death signal, which it sends with the dying monitor's
 * credentials, and the monitor kill a worker that does not stop; sandbox_monitor() fences it to
 * the worker's pid. It stays permitted with the bounding set empty: that set only limits what
 * execve() can gain, and the monitor never executes anything. A worker of the same uid needs no
 * capability to be signalled, so an ordinary user (or --user root) keeps none. The same
 * bounding-set rule as privdrop_worker() applies to an ordinary user.
 *
 * Returns 0; -EPERM when CAP_KILL is needed but not in the permitted set (a service manager's
 * bounding set without it) or root cannot empty its bounding set; -errno of another refused
 * step; -ENOTRECOVERABLE when the verification failed. On failure the process must exit. Not
 * for use inside the sandbox.
 */
int privdrop_monitor(uid_t worker_uid) __attribute__((warn_unused_result));
