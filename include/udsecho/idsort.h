/* SPDX-License-Identifier: MIT */
/*
 * idsort: the one sort of 32-bit ids (uids, gids, range bounds), for the worker and the tools.
 *
 * Not qsort(3): glibc's sizes a temporary buffer from the machine's memory the first time it
 * sorts 1024 bytes or more, with sysinfo(2), which the worker's seccomp allow-list does not have:
 * a peer with 256 groups, or a policy with 128 ranges, would kill the worker. This is a heapsort
 * in place: O(n log n) at worst, no allocation, no system call. Pure: safe in the sandbox.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

_Static_assert(sizeof(uid_t) == sizeof(uint32_t) && sizeof(gid_t) == sizeof(uint32_t),
	       "uids and gids are sorted as 32-bit ids");

/* idsort_unique - sort @n ids at @v ascending and drop duplicates, in place; returns how many. */
size_t idsort_unique(uint32_t *v, size_t n);
