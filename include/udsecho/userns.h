/* SPDX-License-Identifier: MIT */
/*
 * userns: whether the server runs in a user namespace whose id maps leave ids out. Every peer
 * whose uid or gid has no mapping appears as the overflow id 65534, so a policy by uid would
 * mean nothing there. Reads /proc/self/uid_map and gid_map; before the fork.
 */
#pragma once
#include <stddef.h>

enum {
	USERNS_E_PARTIAL = 1, /* a map is not the identity map of all 2^32-1 ids */
};

/*
 * userns_check - 0 when both maps are the identity ("0 0 4294967295", as in the initial
 * namespace, or no map files at all: a kernel without user namespaces); USERNS_E_PARTIAL with
 * the map named in @err; or -errno when a map cannot be read.
 */
int userns_check(char *err, size_t errlen);
