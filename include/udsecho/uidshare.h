/* SPDX-License-Identifier: MIT */
/*
 * uidshare: which running processes have a given uid. A uid that other processes share is no
 * boundary: any of them may signal, stop, trace or lower the limits of the worker. Reads /proc
 * before the fork; not for use inside the sandbox.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/*
 * uidshare_count - how many processes other than the caller have @uid as their real, effective,
 * saved or filesystem uid, in *@n, and the lowest such pid in *@first (0 when none). Processes
 * that end during the scan are skipped. Returns 0 or -errno (/proc cannot be read).
 */
int uidshare_count(uid_t uid, size_t *n, pid_t *first);
