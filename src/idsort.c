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

/* Sort @n ids at @v ascending, in place. */
static void idsort(uint32_t *v, size_t n)
{
	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n - 1; end > 0; end--) {
		uint32_t t = v[0];

		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

size_t idsort_unique(uint32_t *v, size_t n)
{
	size_t out = 0;

	idsort(v, n);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}
