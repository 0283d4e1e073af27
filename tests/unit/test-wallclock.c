// SPDX-License-Identifier: MIT
/*
 * Unit tests for wallclock: where the timer is armed for a policy's windows, and what its events
 * mean, on a clock the test sets (a time namespace cannot move CLOCK_REALTIME, and the machine's
 * clock is not the test's to change): boundaries reached in order, the clock set forward past a
 * boundary and back before it, a policy without windows, and the real timerfd's first arming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "udsecho/wallclock.h"
#include "policy-helpers.h"

/* A clock and a timer the test drives: the kernel's behaviour, with the instant chosen. */
struct fake {
	int64_t now;
	int64_t armed; /* at, or 0 */
	int set;       /* the clock was set since the timer was armed: a read says cancelled */
	int arm_calls;
};

static int64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static int fake_arm(void *ctx, int64_t at)
{
	struct fake *f = ctx;

	f->armed = at;
	f->set = 0;
	f->arm_calls++;
	return 0;
}

static int fake_read(void *ctx)
{
	struct fake *f = ctx;

	if (f->set)
		return 0;
	return f->armed && f->now >= f->armed ? 1 : -1;
}

/* Set the clock to @t, as clock_settime(2) would: an armed timer is cancelled. */
static void set_clock(struct fake *f, int64_t t)
{
	f->now = t;
	f->set = f->armed != 0;
}

static const int64_t U = 1798761600; /* 2027-01-01T00:00:00Z */

static void boundaries_in_order(void **state)
{
	struct policy *p = test_compile_ok("allow user 1 from=2027-01-01T00:00:00Z "
					   "until=2027-01-01T00:00:10Z\n"
					   "allow user 2 until=2027-01-01T00:00:05Z\n");
	struct fake f = {.now = U - 100};
	struct wallclock_ops ops = {fake_now, fake_arm, fake_read, &f};
	int64_t armed;

	assert_int_equal(wallclock_arm(&ops, p), U);
	/* Spurious: not yet. */
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_NONE);
	f.now = U;
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_BOUNDARY);
	assert_int_equal(armed, U + 5);
	f.now = U + 5;
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_BOUNDARY);
	assert_int_equal(armed, U + 10);
	f.now = U + 12; /* late: still one event, and nothing left but the end of time */
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_BOUNDARY);
	assert_int_equal(armed, WALLCLOCK_FAR);
	policy_free(p);
}

/*
 * until= at U: the clock set forward past it is noticed at once; set back before it, the
 * boundary is armed again, so that what the rule admits after the step back ends at U too.
 */
static void clock_set_either_way(void **state)
{
	struct policy *p = test_compile_ok("allow user 1 until=2027-01-01T00:00:00Z\n");
	struct fake f = {.now = U - 3600};
	struct wallclock_ops ops = {fake_now, fake_arm, fake_read, &f};
	int64_t armed;

	assert_int_equal(wallclock_arm(&ops, p), U);
	set_clock(&f, U + 3600);
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_SET);
	assert_int_equal(armed, WALLCLOCK_FAR); /* still armed: a step back must be seen */
	set_clock(&f, U - 60);
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_SET);
	assert_int_equal(armed, U);
	f.now = U;
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_BOUNDARY);
	policy_free(p);
}

static void no_windows_no_timer(void **state)
{
	struct policy *p = test_compile_ok("allow user 1 name=one max-per-uid=2\n");
	struct fake f = {.now = U, .armed = U + 1};
	struct wallclock_ops ops = {fake_now, fake_arm, fake_read, &f};

	assert_int_equal(wallclock_arm(&ops, p), 0);
	assert_int_equal(f.armed, 0);
	f.armed = U + 1;
	assert_int_equal(wallclock_arm(&ops, NULL), 0);
	assert_int_equal(f.armed, 0);
	policy_free(p);
}

/* The kernel's timer: armed at a boundary to come, it is pending and not yet readable. */
static void real_timerfd(void **state)
{
	struct policy *p = test_compile_ok("allow user 1 until=9000-01-01T00:00:00Z\n");
	int fd = wallclock_timerfd_open();
	struct wallclock_ops ops = wallclock_timerfd;
	int64_t armed = 0;

	assert_true(fd >= 0);
	ops.ctx = &fd;
	assert_true(wallclock_arm(&ops, p) > 0);
	assert_int_equal(wallclock_event(&ops, p, &armed), WALLCLOCK_NONE);
	close(fd);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(boundaries_in_order),
		cmocka_unit_test(clock_set_either_way),
		cmocka_unit_test(no_windows_no_timer),
		cmocka_unit_test(real_timerfd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
