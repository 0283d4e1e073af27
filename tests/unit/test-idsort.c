// SPDX-License-Identifier: MIT
/*
 * Unit tests for idsort: random and shaped arrays against a reference, and the reason it exists:
 * a sort of 65536 ids in a process whose seccomp filter kills on sysinfo(2), where qsort(3)
 * from a cold process dies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udsecho/idsort.h"

static const size_t sizes[] = {0, 1, 2, 3, 255, 256, 300, 1000, 65536};

static uint32_t rng = 2463534242u;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * @n ids of one shape: random, ascending, descending, few values, near the top, and sharing all
 * but their lowest byte (a radix sort then skips its higher passes).
 */
enum { SHAPES = 6 };

static void fill(uint32_t *v, size_t n, int shape)
{
	for (size_t i = 0; i < n; i++)
		v[i] = shape == 0   ? next_random()
		       : shape == 1 ? (uint32_t)i
		       : shape == 2 ? (uint32_t)(n - i)
		       : shape == 3 ? next_random() % 7
		       : shape == 4 ? UINT32_MAX - (uint32_t)(i % 3)
				    : 0x01020300u + (next_random() & 0xff);
}

/* What idsort_unique() must give for @orig: qsort(3), then duplicates dropped (no filter here). */
static size_t reference(uint32_t *v, const uint32_t *orig, size_t n)
{
	size_t out = 0;

	memcpy(v, orig, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}

static void sorts_every_shape(void **state)
{
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		uint32_t *v = malloc((n + 1) * sizeof(*v)), *orig = malloc((n + 1) * sizeof(*v));
		uint32_t *want = malloc((n + 1) * sizeof(*v));

		assert_non_null(v);
		assert_non_null(orig);
		assert_non_null(want);
		for (int shape = 0; shape < SHAPES; shape++) {
			fill(orig, n, shape);
			size_t k = reference(want, orig, n);

			memcpy(v, orig, n * sizeof(*v));
			assert_int_equal(idsort_unique(v, n), k);
			if (k)
				assert_memory_equal(v, want, k * sizeof(*v));
		}
		free(v);
		free(orig);
		free(want);
	}
}

/*
 * The sort in steps, with budgets from one step to all at once, on every shape, each id tagged
 * with its place: sorted by id, in place, and stable (equal ids keep their order, as the tags
 * show); then idsort_rank() gives what idsort_unique() gives, and each tag the place of its id.
 * The shapes that share high bytes skip passes, so that the result lies in the scratch after an
 * odd number of moves.
 */
static void sorts_in_steps(void **state)
{
	static const size_t budgets[] = {1, 2, 3, 7, 64, 1000, SIZE_MAX};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		uint64_t *v = malloc((n + 1) * sizeof(*v)), *tmp = malloc((n + 1) * sizeof(*v));
		uint32_t *orig = malloc((n + 1) * sizeof(*orig)), *want = malloc((n + 1) * 4);
		uint32_t *ids = malloc((n + 1) * 4), *rank = malloc((n + 1) * 4);

		assert_true(v && tmp && orig && want && ids && rank);
		for (int shape = 0; shape < SHAPES; shape++) {
			size_t k;

			fill(orig, n, shape);
			k = reference(want, orig, n);
			for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
				struct idsort_state st = {0};
				size_t calls = 0, budget;

				for (size_t i = 0; i < n; i++)
					v[i] = idsort_pair(orig[i], (uint32_t)i);
				do {
					budget = budgets[b];
					calls++;
				} while (idsort_step(v, tmp, n, &st, &budget));
				for (size_t i = 1; i < n; i++)
					assert_true(v[i - 1] < v[i]);
				/* A call spends its budget before it stops short. */
				if (budgets[b] == SIZE_MAX)
					assert_int_equal(calls, 1);
				else
					assert_true(calls >= n / IDSORT_STEP / budgets[b]);
				assert_int_equal(idsort_rank(v, n, ids, rank), k);
				if (k)
					assert_memory_equal(ids, want, k * sizeof(*ids));
				for (size_t i = 0; i < n; i++)
					assert_int_equal(ids[rank[i]], orig[i]);
			}
		}
		free(v);
		free(tmp);
		free(orig);
		free(want);
		free(ids);
		free(rank);
	}
}

/* Sort @n pairs at @v and rank them into @ids and @rank; returns how many distinct ids. */
static size_t sort_and_rank(uint64_t *v, uint64_t *tmp, size_t n, uint32_t *ids, uint32_t *rank)
{
	struct idsort_state st = {0};
	size_t budget = SIZE_MAX;

	assert_int_equal(idsort_step(v, tmp, n, &st, &budget), 0);
	return idsort_rank(v, n, ids, rank);
}

/*
 * A pair tagged IDSORT_AND_NEXT stands for two: on every shape, with every other id so tagged,
 * the ids and ranks are those of the same ids with each such pair written as its id (tag t) and
 * its id + 1 (tag t + 1). Shape 3 repeats ids, so a tagged id meets its equals and its next.
 */
static void rank_counts_the_next_id(void **state)
{
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s], k, want_k, m = 0;
		uint64_t *v = malloc((2 * n + 1) * sizeof(*v)),
			 *w = malloc((2 * n + 1) * sizeof(*w));
		uint64_t *tmp = malloc((2 * n + 1) * sizeof(*tmp));
		uint32_t *orig = malloc((n + 1) * sizeof(*orig));
		uint32_t *ids = malloc((2 * n + 1) * 4), *want = malloc((2 * n + 1) * 4);
		uint32_t *rank = malloc((2 * n + 1) * 4), *want_rank = malloc((2 * n + 1) * 4);

		assert_true(v && w && tmp && orig && ids && want && rank && want_rank);
		for (int shape = 0; shape < SHAPES; shape++) {
			fill(orig, n, shape);
			m = 0;
			for (size_t i = 0; i < n; i++) {
				int next = orig[i] != UINT32_MAX && next_random() % 2;

				v[i] = idsort_pair(orig[i],
						   2 * (uint32_t)i | (next ? IDSORT_AND_NEXT : 0));
				w[m++] = idsort_pair(orig[i], 2 * (uint32_t)i);
				if (next)
					w[m++] = idsort_pair(orig[i] + 1, 2 * (uint32_t)i + 1);
			}
			memset(rank, 0xff, (2 * n + 1) * 4);
			memset(want_rank, 0xff, (2 * n + 1) * 4);
			k = sort_and_rank(v, tmp, n, ids, rank);
			want_k = sort_and_rank(w, tmp, m, want, want_rank);
			assert_int_equal(k, want_k);
			if (k)
				assert_memory_equal(ids, want, k * sizeof(*ids));
			assert_memory_equal(rank, want_rank, 2 * n * sizeof(*rank));
		}
		free(v);
		free(w);
		free(tmp);
		free(orig);
		free(ids);
		free(want);
		free(rank);
		free(want_rank);
	}
}

static void unique_drops_duplicates(void **state)
{
	uint32_t v[] = {5, 3, 5, 0, 4294967295u, 3, 3, 0, 7};
	const uint32_t want[] = {0, 3, 5, 7, 4294967295u};

	assert_int_equal(idsort_unique(v, 9), 5);
	assert_memory_equal(v, want, sizeof(want));
	assert_int_equal(idsort_unique(v, 0), 0);
}

/* In a fresh child: a filter that kills on sysinfo(2), then a sort of 65536 ids. */
static int sort_under_filter(int use_qsort)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		static uint32_t v[65536];
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		for (size_t i = 0; i < 65536; i++)
			v[i] = (uint32_t)(65536 - i);
		if (!ctx ||
		    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(sysinfo), 0) < 0 ||
		    seccomp_load(ctx) < 0)
			_exit(90);
		if (use_qsort)
			qsort(v, 65536, sizeof(*v), cmp_u32);
		else
			(void)idsort_unique(v, 65536);
		_exit(v[0] == 1 && v[65535] == 65536 ? 0 : 91);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void needs_no_system_call(void **state)
{
	int status = sort_under_filter(0);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* What it replaces: glibc's qsort asks sysinfo(2) the first time it sorts this much. */
	status = sort_under_filter(1);
	if (!WIFSIGNALED(status))
		fprintf(stderr, "note: this C library's qsort() made no sysinfo(2) call\n");
	else
		assert_int_equal(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: once this process's qsort() sorted a large array, it asks sysinfo(2) no
		   more. */
		cmocka_unit_test(needs_no_system_call),
		cmocka_unit_test(sorts_every_shape),
		cmocka_unit_test(sorts_in_steps),
		cmocka_unit_test(rank_counts_the_next_id),
		cmocka_unit_test(unique_drops_duplicates),
	};
	return cmocka_run_group_tests_name("idsort", tests, NULL, NULL);
}
