// SPDX-License-Identifier: MIT
/*
 * idsort: heapsort of 32-bit ids, in place (see idsort.h for why not qsort). It calls nothing:
 * no allocation, no system call, so that it may run anywhere, the worker's sandbox included.
 */
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

int idsort_step(uint32_t *v, size_t n, struct idsort_state *st, size_t *budget)
{
	/* Heapify: sift every inner node down, from the last; then move the maximum to the end. */
	while (st->built < n / 2 && *budget > 0) {
		sift_down(v, n / 2 - 1 - st->built++, n);
		--*budget;
	}
	if (st->built < n / 2)
		return 1;
	while (st->sorted + 1 < n && *budget > 0) {
		size_t end = n - 1 - st->sorted++;
		uint32_t t = v[0];

		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
		--*budget;
	}
	return st->sorted + 1 < n && n > 1;
}

size_t idsort_dedup(uint32_t *v, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++)
		if (out == 0 || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}

size_t idsort_unique(uint32_t *v, size_t n)
{
	struct idsort_state st = {0};
	size_t budget = SIZE_MAX;

	idsort_step(v, n, &st, &budget);
	return idsort_dedup(v, n);
}
