/* SPDX-License-Identifier: MIT */
/*
 * wallclock: when the policy's decisions change with the wall clock, and noticing it.
 *
 * A rule with from= or until= matches only within its window, so decisions change at each of
 * those instants, and when the wall clock is set past one (by the admin, or NTP stepping it).
 * The monitor keeps one timer for both: armed, absolute, at the first boundary to come, and
 * cancelled by the kernel when the clock is set (a timerfd on CLOCK_REALTIME with
 * TFD_TIMER_CANCEL_ON_SET); kept armed, at the end of time if no boundary is left, while any rule
 * has a window, since a clock set back makes a past boundary come again. Either way the worker
 * is told to decide again. The clock and the timer come through struct wallclock_ops, so that
 * a test can set a clock that is not the machine's; wallclock_timerfd is the real one.
 */
#pragma once

#include <stdint.h>

#include "udsecho/policy.h"

#define WALLCLOCK_FAR 253402300799LL /* 9999-12-31T23:59:59Z: armed there, no boundary is left */

struct wallclock_ops {
	int64_t (*now)(void *ctx);	   /* the wall clock, in seconds */
	int (*arm)(void *ctx, int64_t at); /* fire at @at, cancelled by a clock set; 0: disarm */
	int (*read)(void *ctx);		   /* 1 fired, 0 cancelled by a clock set, -1 neither */
	void *ctx;
};

/* What a timer's event means for the worker. */
enum wallclock_event {
	WALLCLOCK_NONE,	    /* nothing happened after all */
	WALLCLOCK_BOUNDARY, /* a from= or until= is reached */
	WALLCLOCK_SET,	    /* the clock was set: any boundary may have been passed, either way */
};

/*
 * wallclock_arm - arm @ops's timer for @p (NULL: none in force): at its next boundary after now,
 * at WALLCLOCK_FAR when it has windows but no boundary to come, disarmed when it has none.
 * Returns the instant armed (0 when disarmed), or -errno from ops->arm.
 */
int64_t wallclock_arm(const struct wallclock_ops *ops, const struct policy *p);

/*
 * wallclock_event - the timer is readable: what happened, and the timer armed again for @p.
 * *@armed is what wallclock_arm() returned.
 */
enum wallclock_event wallclock_event(const struct wallclock_ops *ops, const struct policy *p,
				     int64_t *armed);

/* The real clock and timer: a timerfd on CLOCK_REALTIME whose fd is *(int *)ctx. */
extern const struct wallclock_ops wallclock_timerfd;

/* wallclock_timerfd_open - the timerfd for wallclock_timerfd: an fd, or -errno. */
int wallclock_timerfd_open(void);
