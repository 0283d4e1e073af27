/* SPDX-License-Identifier: MIT */
/*
 * idsort: the one sort of 32-bit ids (uids, gids, range bounds), for the worker and the tools.
 *
 * Not qsort(3): glibc's sizes a temporary buffer from the machine's memory the first time it
 * sorts 1024 bytes or more, with sysinfo(2), which the worker's seccomp allow-list does not have:
 * a peer with 256 groups, or a policy with 128 ranges, would kill the worker. This is a heapsort
 * in place: O(n log n) at worst, no allocation, no system call. Pure: safe in the sandbox. The
 * large sorts of the index, which a loop does in steps, are a radix sort instead (idsort_step()).
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
 * A sort done in steps, so that a loop can sort a large array between other work: a radix sort,
 * a byte of the ids a pass, with @tmp, room for @n ids, as scratch. Start with all zeros; each
 * call does at most *@budget steps (taking them from it), a step being IDSORT_STEP ids counted
 * or moved, and returns 1 while the @n ids at @v are not sorted yet, 0 once they are, in @v.
 * Then idsort_dedup(). O(n) in all, no allocation, no system call.
 */
#define IDSORT_STEP 64

struct idsort_state {
	unsigned pass;	/* the byte being sorted, from the lowest; 4 when done */
	int moving;	/* the pass has counted its byte and moves the ids */
	int in_tmp;	/* the ids are in @tmp, for the passes that moved an odd number of times */
	size_t i;	/* the id the phase is at */
	size_t at[256]; /* per value of the byte: ids counted, then where the next one goes */
};

int idsort_step(uint32_t *v, uint32_t *tmp, size_t n, struct idsort_state *st, size_t *budget);

/* idsort_dedup - drop the duplicates of @n sorted ids at @v, in place; returns how many remain. */
size_t idsort_dedup(uint32_t *v, size_t n);
