// SPDX-License-Identifier: MIT
/*
 * Unit tests for uidcount: counts against a plain model, under growth and heavy churn; the
 * caller's fields of an entry move with it; moves tells a kept entry from one that may have moved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "udsecho/uidcount.h"

static void empty_table(void **state)
{
	struct uidcount t = {0};

	assert_int_equal(uidcount_get(&t, 0), 0);
	uidcount_sub(&t, 5); /* nothing to take away: no effect */
	assert_int_equal(uidcount_get(&t, 5), 0);
	uidcount_release(&t);
}

static void counts_up_and_down(void **state)
{
	struct uidcount t = {0};

	assert_int_equal(uidcount_add(&t, 1000), 1);
	assert_int_equal(uidcount_add(&t, 1000), 2);
	assert_int_equal(uidcount_add(&t, 0), 1);
	assert_int_equal(uidcount_add(&t, 4294967294u), 1);
	assert_int_equal(uidcount_get(&t, 1000), 2);
	uidcount_sub(&t, 1000);
	assert_int_equal(uidcount_get(&t, 1000), 1);
	uidcount_sub(&t, 1000);
	assert_int_equal(uidcount_get(&t, 1000), 0);
	assert_int_equal(t.used, 2);
	assert_int_equal(uidcount_get(&t, 0), 1);
	assert_int_equal(uidcount_get(&t, 4294967294u), 1);
	uidcount_release(&t);
}

/* Random adds and subs over a small uid space (many collisions) checked against an array. */
static void churn_matches_a_model(void **state)
{
	enum { UIDS = 3000, OPS = 400000 };
	static uint32_t model[UIDS];
	struct uidcount t = {0};
	uint64_t x = 88172645463325252ULL;
	size_t used = 0;

	memset(model, 0, sizeof(model));
	for (int op = 0; op < OPS; op++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Spread over a sparse range so that probe runs wrap and cluster. */
		uid_t uid = (uid_t)(x % UIDS) * 65537u;
		size_t k = (size_t)(x % UIDS);
		if ((x >> 40) % 3 && model[k]) {
			uidcount_sub(&t, uid);
			if (--model[k] == 0)
				used--;
		} else {
			assert_int_equal(uidcount_add(&t, uid), (long)model[k] + 1);
			if (model[k]++ == 0)
				used++;
		}
		if (op % 9973 == 0)
			for (size_t i = 0; i < UIDS; i++)
				assert_int_equal(uidcount_get(&t, (uid_t)i * 65537u), model[i]);
	}
	assert_int_equal(t.used, used);
	assert_true(t.cap >= 2 * t.used);
	uidcount_release(&t);
}

/* What the caller keeps in an entry survives the table's growth and the deletion of others. */
static void entries_keep_the_callers_fields(void **state)
{
	enum { UIDS = 1000 };
	struct uidcount t = {0};

	assert_null(uidcount_find(&t, 7));
	for (uid_t uid = 0; uid < UIDS; uid++) {
		struct uidcount_slot *e;
		assert_int_equal(uidcount_add(&t, uid * 65537u), 1);
		e = uidcount_find(&t, uid * 65537u);
		assert_non_null(e);
		assert_int_equal(e->held, 0);
		assert_int_equal(e->paused, 0);
		e->held = (uint64_t)uid << 33;
		e->paused = uid;
	}
	for (uid_t uid = 0; uid < UIDS; uid += 2) {
		uidcount_find(&t, uid * 65537u)->held = 0;
		uidcount_sub(&t, uid * 65537u);
		assert_null(uidcount_find(&t, uid * 65537u));
	}
	for (uid_t uid = 1; uid < UIDS; uid += 2) {
		const struct uidcount_slot *e = uidcount_find(&t, uid * 65537u);
		assert_non_null(e);
		assert_int_equal(e->held, (uint64_t)uid << 33);
		assert_int_equal(e->paused, uid);
	}
	/* A uid that comes back starts from nothing. */
	assert_int_equal(uidcount_add(&t, 0), 1);
	assert_int_equal(uidcount_find(&t, 0)->held, 0);
	uidcount_release(&t);
}

/* Every add and sub changes moves, even one that moves nothing; a lookup never does. */
static void moves_tells_a_kept_entry_from_a_stale_one(void **state)
{
	struct uidcount t = {0};
	struct uidcount_slot *e;
	uint64_t m = t.moves;

	assert_int_equal(uidcount_add(&t, 1), 1);
	assert_true(t.moves != m);
	m = t.moves;
	e = uidcount_find(&t, 1);
	assert_null(uidcount_find(&t, 2));
	assert_int_equal(uidcount_get(&t, 1), 1);
	assert_true(t.moves == m);
	assert_ptr_equal(uidcount_find(&t, 1), e);
	assert_int_equal(uidcount_add(&t, 1), 2);
	assert_true(t.moves != m);
	m = t.moves;
	/* Growing the table moves every entry. */
	for (uint64_t key = 2; key < 200; key++) {
		assert_int_equal(uidcount_add(&t, key), 1);
		assert_true(t.moves != m);
		m = t.moves;
	}
	uidcount_sub(&t, 1);
	assert_true(t.moves != m);
	m = t.moves;
	/* The last sub of a key shifts others back into its place. */
	for (uint64_t key = 1; key < 200; key++) {
		uidcount_sub(&t, key);
		assert_true(t.moves != m);
		m = t.moves;
	}
	uidcount_release(&t);
	assert_true(t.moves != m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_table),
		cmocka_unit_test(counts_up_and_down),
		cmocka_unit_test(churn_matches_a_model),
		cmocka_unit_test(entries_keep_the_callers_fields),
		cmocka_unit_test(moves_tells_a_kept_entry_from_a_stale_one),
	};
	return cmocka_run_group_tests_name("uidcount", tests, NULL, NULL);
}
