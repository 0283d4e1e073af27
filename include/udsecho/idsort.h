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

/*
 * A sort done in steps, so that a loop can sort a large array between other work: start with
 * all zeros; each call does at most *@budget steps of O(log n) each (taking them from it), and
 * returns 1 while the @n ids at @v are not sorted yet, 0 once they are. Then idsort_dedup().
 */
struct idsort_state {
	size_t built;  /* inner nodes sifted down: the heap is built at n / 2 */
	size_t sorted; /* maxima moved to the end */
};

int idsort_step(uint32_t *v, size_t n, struct idsort_state *st, size_t *budget);

/* idsort_dedup - drop the duplicates of @n sorted ids at @v, in place; returns how many remain. */
size_t idsort_dedup(uint32_t *v, size_t n);
