// SPDX-License-Identifier: MIT
/*
 * confine: drop, check the parent, filter, report: the same four steps for the monitor and the
 * worker, with the role choosing the privdrop and sandbox functions. It never exits; a failure is
 * returned with its message, and only the success is logged, as the kernel reports it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/confine.h"
#include "udsecho/log.h"

static const struct {
	const char *name;	/* the role in log lines */
	const char *unconfined; /* the warning of --sandbox off */
	const char *logged;	/* the warning of --sandbox log */
} roles[] = {
	[CONFINE_MONITOR] = {"monitor", "the monitor has NO seccomp filter",
			     "the monitor's filter only logs the calls it should kill"},
	[CONFINE_WORKER] = {"worker", "the process that faces clients has NO seccomp filter",
			    "the process that faces clients may make any system call: its filter "
			    "only logs the calls it should kill"},
};

static int drop(const struct confine_spec *s, char *err, size_t errlen)
{
	int r;

	if (s->role == CONFINE_MONITOR) {
		r = privdrop_monitor(s->ids.uid);
		if (r < 0)
			snprintf(err, errlen,
				 "monitor: cannot give up its capabilities (CAP_KILL is kept for a "
				 "worker of another uid): %s",
				 strerror(-r));
		return r;
	}
	r = privdrop_worker(&s->ids);
	if (r < 0)
		snprintf(err, errlen, "worker: cannot drop privileges to %s (uid %u, gid %u): %s",
			 s->user, (unsigned int)s->ids.uid, (unsigned int)s->ids.gid, strerror(-r));
	else if (getppid() != s->peer) {
		/* The monitor died before the parent-death signal was armed: it will never come. */
		snprintf(err, errlen, "worker: the monitor (pid %d) is gone", (int)s->peer);
		r = -ESRCH;
	}
	return r;
}

/* After the filter: no call here may be one the worker's allow-list lacks (no geteuid()). */
static void report(const struct confine_spec *s, int status_fd, uid_t uid, gid_t gid)
{
	char status[256];
	const char *role = roles[s->role].name;

	if (status_fd < 0 || sandbox_status(status_fd, status, sizeof(status)) < 0)
		snprintf(status, sizeof(status), "status=unknown");
	log_info("event=sandbox role=%s%s%s uid=%u gid=%u sandbox=%s %s", role,
		 s->role == CONFINE_WORKER ? " user=" : "",
		 s->role == CONFINE_WORKER ? s->user : "", (unsigned int)uid, (unsigned int)gid,
		 sandbox_mode_name(s->sandbox), status);
	if (s->sandbox == SANDBOX_OFF)
		log_warn("%s: --sandbox off: %s", role, roles[s->role].unconfined);
	else if (s->sandbox == SANDBOX_LOG)
		log_warn("%s: --sandbox log: %s", role, roles[s->role].logged);
}

int confine(const struct confine_spec *spec, char *err, size_t errlen)
{
	int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	int r = drop(spec, err, errlen);
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (r == 0) {
		r = spec->role == CONFINE_MONITOR
			    ? sandbox_monitor(spec->sandbox, spec->peer)
			    : sandbox_worker(spec->sandbox, spec->splice_pipe);
		if (r < 0)
			snprintf(err, errlen, "%s: cannot load the seccomp filter: %s",
				 roles[spec->role].name, strerror(-r));
	}
	if (r == 0)
		report(spec, status_fd, uid, gid);
	if (status_fd >= 0)
		close(status_fd);
	return r;
}
