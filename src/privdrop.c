// SPDX-License-Identifier: MIT
/*
 * privdrop: permanent identity change and capability drop with libcap, verified afterwards.
 *
 * Runs once in each process after fork() and before the sandbox: the worker becomes the run-as
 * user, the monitor keeps its ids; both end with empty inheritable, bounding and ambient sets
 * and no_new_privs, and with no capability at all, but for the monitor's CAP_KILL when its
 * worker runs as another uid. The order of the steps is the point of this file and each line
 * says why. It never logs, never exits, and never leaves a step unchecked: the caller gets 0
 * only if the kernel reports the state we asked for.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "udsecho/privdrop.h"

/* The kernel accepted every step but reports another state than the one asked for. */
#define E_VERIFY ENOTRECOVERABLE

static int cap_effective(cap_value_t cap, bool *set)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();
	int r = 0;

	if (!caps)
		return -errno;
	if (cap_get_flag(caps, cap, CAP_EFFECTIVE, &v) < 0)
		r = -errno;
	cap_free(caps);
	*set = v == CAP_SET;
	return r;
}

static bool bounding_set_empty(void)
{
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++)
		if (cap_get_bound(cap) != 0)
			return false;
	return true;
}

/*
 * Steps shared by both processes that must come before any id change: keep-caps off, ambient set
 * cleared, bounding set emptied. @required: the bounding set must go (uid 0, or ids will change).
 */
static int drop_inheritable_paths(bool required)
{
	bool setpcap = false;
	int r;

	/* Keep-caps off: setresuid() away from uid 0 must clear the permitted set, not keep it. */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -errno;
	/* Ambient caps survive execve() and uid changes of unprivileged programs: none at all. */
	if (cap_reset_ambient() < 0)
		return -errno;
	if (bounding_set_empty())
		return 0;
	r = cap_effective(CAP_SETPCAP, &setpcap);
	if (r < 0)
		return r;
	/* An ordinary user cannot shrink its bounding set; no_new_privs makes that harmless. */
	if (!setpcap)
		return required ? -EPERM : 0;
	/* Now, while CAP_SETPCAP is still effective: the cap_set_proc() below removes it. */
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++)
		if (cap_get_bound(cap) > 0 && cap_drop_bound(cap) < 0)
			return -errno;
	return bounding_set_empty() ? 0 : -E_VERIFY;
}

/*
 * Effective and permitted sets of exactly the @n capabilities in @keep (none: every set empty),
 * an empty inheritable set, and check that the kernel agrees. Keeping a capability needs it in
 * the permitted set already: -EPERM otherwise.
 */
static int set_capabilities(const cap_value_t *keep, int n)
{
	cap_t want = cap_init(), have = NULL;
	int r = 0;

	if (!want)
		return -errno;
	/* cap_init() is already empty; cap_clear() says so where it matters. */
	if (cap_clear(want) < 0 ||
	    (n > 0 && (cap_set_flag(want, CAP_EFFECTIVE, n, keep, CAP_SET) < 0 ||
		       cap_set_flag(want, CAP_PERMITTED, n, keep, CAP_SET) < 0)) ||
	    cap_set_proc(want) < 0) {
		r = -errno;
		goto out;
	}
	have = cap_get_proc();
	if (!have) {
		r = -errno;
		goto out;
	}
	if (cap_compare(want, have) != 0)
		r = -E_VERIFY;
out:
	cap_free(have);
	cap_free(want);
	return r;
}

/* Nothing that could give a capability back: the ambient set stays empty. */
static int verify_no_ambient(void)
{
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++) {
		int v = cap_get_ambient(cap);
		if (v < 0)
			return -errno;
		if (v != 0)
			return -E_VERIFY;
	}
	return 0;
}

static int set_no_new_privs(void)
{
	/* No execve() can gain privilege any more (setuid bits, file caps); seccomp needs it too.
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : -E_VERIFY;
}

static bool ids_are(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return false;
	return ru == uid && eu == uid && su == uid && rg == gid && eg == gid && sg == gid;
}

/*
 * OpenSSH's check: an id we gave up must not come back. Each attempt must fail; one that
 * succeeds means the drop was not permanent (and we now hold that id: the caller exits).
 */
static bool can_regain(uid_t uid, gid_t gid, const uid_t old_uid[4], const gid_t old_gid[4])
{
	for (int i = 0; i < 4; i++) {
		if (old_gid[i] != gid && (setgid(old_gid[i]) == 0 || setegid(old_gid[i]) == 0 ||
					  setgroups(1, &old_gid[i]) == 0))
			return true;
		if (old_uid[i] != uid && (setuid(old_uid[i]) == 0 || seteuid(old_uid[i]) == 0))
			return true;
	}
	return false;
}

int privdrop_worker(const struct privdrop_ids *ids)
{
	uid_t old_uid[4] = {0, 0, 0, 0}; /* real, effective, saved, and uid 0 */
	gid_t old_gid[4] = {0, 0, 0, 0};
	bool change, setgid_cap = false;
	int r, sig = 0;

	if (getresuid(&old_uid[0], &old_uid[1], &old_uid[2]) < 0 ||
	    getresgid(&old_gid[0], &old_gid[1], &old_gid[2]) < 0)
		return -errno;
	change = !ids_are(ids->uid, ids->gid);

	r = drop_inheritable_paths(change || old_uid[1] == 0);
	if (r < 0)
		return r;
	r = cap_effective(CAP_SETGID, &setgid_cap);
	if (r < 0)
		return r;
	/* Groups first: after setresgid/setresuid we would no longer be allowed to drop them. */
	if ((change || setgid_cap) && setgroups(0, NULL) < 0)
		return -errno;
	if (change) {
		/* The gid before the uid: changing it needs the CAP_SETGID that setresuid takes. */
		if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
			return -errno;
		/* All three uids, so no saved uid can bring the old one back. */
		if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
			return -errno;
	}
	/* Leaving uid 0 cleared permitted and effective; the inheritable set and a non-root
	 * start with file capabilities need this explicit clear. */
	r = set_capabilities(NULL, 0);
	if (r < 0)
		return r;

	/* Verify, as OpenSSH does, with what the kernel reports now. */
	if (!ids_are(ids->uid, ids->gid))
		return -E_VERIFY;
	if (change && can_regain(ids->uid, ids->gid, old_uid, old_gid))
		return -E_VERIFY;
	if ((change || setgid_cap) && getgroups(0, NULL) != 0)
		return -E_VERIFY;
	if ((change || old_uid[1] == 0) && !bounding_set_empty())
		return -E_VERIFY;
	r = verify_no_ambient();
	if (r < 0)
		return r;

	r = set_no_new_privs();
	if (r < 0)
		return r;
	/*
	 * Not dumpable: no core file of client bytes, and no ptrace or /proc access by other
	 * processes of its uid (its /proc files become root's). The id change already cleared it
	 * where suid_dumpable is 0; this does not depend on that setting.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -E_VERIFY;
	/* After the id change, which resets it: the worker must not outlive the monitor. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0)
		return -errno;
	return sig == SIGKILL ? 0 : -E_VERIFY;
}

int privdrop_monitor(uid_t worker_uid)
{
	static const cap_value_t kill_only[] = {CAP_KILL};
	/* The kernel lets a uid signal its own processes; only another uid needs CAP_KILL. */
	bool keep_kill = worker_uid != getuid() && worker_uid != geteuid();
	int r;

	/* Emptied whole: the bounding set only limits what execve() can gain, and we never exec. */
	r = drop_inheritable_paths(geteuid() == 0);
	if (r < 0)
		return r;
	/* No setgroups/setresgid/setresuid: the monitor keeps the identity it started with. */
	r = set_capabilities(kill_only, keep_kill ? 1 : 0);
	if (r < 0)
		return r;
	if (geteuid() == 0 && !bounding_set_empty())
		return -E_VERIFY;
	r = verify_no_ambient();
	if (r < 0)
		return r;
	return set_no_new_privs();
}
