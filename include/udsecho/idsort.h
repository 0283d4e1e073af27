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
 * A sort done in steps, so that a loop can sort a large array between other work: ids each with
 * a tag (what the id is of, idsort_pair()), sorted by id, by a radix sort, a byte of the ids a
 * pass, with @tmp, room for @n pairs, as scratch. Start with all zeros; each call does at most
 * *@budget steps (taking them from it), a step being IDSORT_STEP pairs counted or moved, and
 * returns 1 while the @n pairs at @v are not sorted yet, 0 once they are, in @v. Then
 * idsort_rank(). O(n) in all, no allocation, no system call.
 */
#define IDSORT_STEP 64

/*
 * A tag with this bit set also stands for the next id: idsort_rank() gives the place of @id at
 * rank[tag] and the place of @id + 1, which it counts as an id too, at rank[tag + 1]. A range of
 * one id is then one pair to sort, not two. Tags are below this bit; @id + 1 must fit.
 */
#define IDSORT_AND_NEXT (UINT32_C(1) << 31)

static inline uint64_t idsort_pair(uint32_t id, uint32_t tag)
{
	return (uint64_t)id << 32 | tag;
}

struct idsort_state {
	int counted;   /* the bytes of every id are counted, and the passes can move them */
	unsigned skip; /* the passes that would move nothing, a bit each */
	unsigned pass; /* the byte of the id being sorted, from the lowest; 4 when done */
	int in_tmp;    /* the pairs are in @tmp, for the passes that moved an odd number of times */
	size_t i;      /* the pair the phase is at */
	size_t at[4][256]; /* per pass and value of its byte: pairs counted, then where the next
			      goes */
};

int idsort_step(uint64_t *v, uint64_t *tmp, size_t n, struct idsort_state *st, size_t *budget);

/*
 * idsort_rank - from @n pairs sorted by id, the distinct ids ascending into @ids, and for each
 * pair the place of its id there into @rank[tag] (@rank has room for every tag), with the ids
 * after those of IDSORT_AND_NEXT tags among them (@ids has room for two per pair). Returns how
 * many distinct ids there are.
 */
size_t idsort_rank(const uint64_t *v, size_t n, uint32_t *ids, uint32_t *rank);
