/* SPDX-License-Identifier: MIT */
/*
 * policy-staged: what `udsecho-policy edit --preview` and the udsechod monitor agree on, so that
 * the server can preview an edited policy before it is installed.
 *
 * The edit writes the checked copy to DIR/.NAME.preview, beside the policy DIR/NAME (a dot file,
 * which no include pattern matches), and queues SIGUSR2 with POLICY_STAGED_SIGVAL as its value
 * (SI_QUEUE). The monitor, which knows only its own policy path, derives the same name and
 * previews that file instead of its policy, loaded and checked as the policy is. A plain SIGUSR2
 * (kill(1), systemctl kill) still previews the policy itself.
 */
#pragma once

#include <stddef.h>

#define POLICY_STAGED_SIGVAL 0x55505256 /* "UPRV": the sigval of a preview of the staged copy */

/*
 * policy_staged_path - the staged copy of the policy @policy into @buf: "DIR/.NAME.preview".
 * Returns 0, or -ENAMETOOLONG when it does not fit in @len bytes.
 */
int policy_staged_path(const char *policy, char *buf, size_t len);
