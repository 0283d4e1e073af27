// SPDX-License-Identifier: MIT
/*
 * idsort: heapsort of 32-bit ids, in place (see idsort.h for why not qsort), and a radix sort in
 * steps for the index's large sorts. It calls nothing but memset and memcpy: no allocation, no
 * system call, so that it may run anywhere, the worker's sandbox included.
 */
#include <string.h>

#include "udsecho/idsort.h"

/* Let v[i] sink until the heap v[0..n) holds again below it. */
static void sift_down(uint32_t *v, size_t i, size_t n)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;
		uint32_t t;

		if (l < n && v[l] > v[big])
			big = l;
		if (r < n && v[r] > v[big])
			big = r;
		if (big == i)
			return;
		t = v[i];
		v[i] = v[big];
		v[big] = t;
		i = big;
	}
}

/*
 * Count the ids of a slice by each of their four bytes at once (a permutation changes no count,
 * so one count serves every pass); once all are, turn the counts of each pass into places, and
 * mark the passes that would move nothing (every id has the same byte there) to be skipped.
 */
static void count_some(const uint64_t *v, size_t n, struct idsort_state *st, size_t to)
{
	for (size_t i = st->i; i < to; i++) {
		uint64_t id = v[i] >> 32;

		st->at[0][id & 0xff]++;
		st->at[1][(id >> 8) & 0xff]++;
		st->at[2][(id >> 16) & 0xff]++;
		st->at[3][id >> 24]++;
	}
	st->i = to;
	if (to < n)
		return;
	st->i = 0;
	st->counted = 1;
	for (unsigned b = 0; b < 4; b++) {
		size_t sum = 0;

		if (st->at[b][(v[0] >> (32 + 8 * b)) & 0xff] == n)
			st->skip |= 1u << b;
		for (size_t k = 0; k < 256; k++) {
			size_t c = st->at[b][k];

			st->at[b][k] = sum;
			sum += c;
		}
	}
	while (st->pass < 4 && st->skip & 1u << st->pass)
		st->pass++;
}

static void move_some(const uint64_t *from, uint64_t *into, size_t n, struct idsort_state *st,
		      size_t to)
{
	unsigned shift = 32 + 8 * st->pass;
	size_t at[256];

	/*
	 * The places are copied out and back: @into is of the type of st->at, so the compiler
	 * would otherwise load and store each place through memory at every pair.
	 */
	memcpy(at, st->at[st->pass], sizeof(at));
	for (size_t i = st->i; i < to; i++) {
		uint64_t x = from[i];

		into[at[(x >> shift) & 0xff]++] = x;
	}
	memcpy(st->at[st->pass], at, sizeof(at));
	st->i = to;
	if (to < n)
		return;
	st->i = 0;
	st->in_tmp = !st->in_tmp;
	do
		st->pass++;
	while (st->pass < 4 && st->skip & 1u << st->pass);
}

int idsort_step(uint64_t *v, uint64_t *tmp, size_t n, struct idsort_state *st, size_t *budget)
{
	while (st->pass < 4 && n > 1 && *budget > 0) {
		uint64_t *from = st->in_tmp ? tmp : v, *into = st->in_tmp ? v : tmp;
		size_t left = (n - st->i + IDSORT_STEP - 1) / IDSORT_STEP;
		size_t steps = left < *budget ? left : *budget;
		size_t to = steps == left ? n : st->i + steps * IDSORT_STEP;

		*budget -= steps;
		if (st->counted)
			move_some(from, into, n, st, to);
		else
			count_some(v, n, st, to);
	}
	if (st->pass < 4 && n > 1)
		return 1;
	if (st->in_tmp) {
		memcpy(v, tmp, n * sizeof(*v));
		st->in_tmp = 0;
	}
	return 0;
}

size_t idsort_rank(const uint64_t *v, size_t n, uint32_t *ids, uint32_t *rank)
{
	size_t out = 0;
	int pending = 0; /* ids[out - 1] + 1 is owed to @ids, for an IDSORT_AND_NEXT tag */

	for (size_t i = 0; i < n; i++) {
		uint32_t id = (uint32_t)(v[i] >> 32), tag = (uint32_t)v[i] & ~IDSORT_AND_NEXT;

		/* The next id comes before any larger one: nothing lies between an id and it. */
		if (pending && id != ids[out - 1]) {
			ids[out] = ids[out - 1] + 1;
			out++;
			pending = 0;
		}
		if (out == 0 || ids[out - 1] != id)
			ids[out++] = id;
		rank[tag] = (uint32_t)(out - 1);
		if ((uint32_t)v[i] & IDSORT_AND_NEXT) {
			rank[tag + 1] = (uint32_t)out;
			pending = 1;
		}
	}
	if (pending) {
		ids[out] = ids[out - 1] + 1;
		out++;
	}
	return out;
}

static size_t dedup(uint32_t *v, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++)
		if (out == 0 || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}

size_t idsort_unique(uint32_t *v, size_t n)
{
	uint32_t t;

	/* Heapify: sift every inner node down, from the last; then move the maximum to the end. */
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end-- > 1;) {
		t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
	return dedup(v, n);
}
