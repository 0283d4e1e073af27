// SPDX-License-Identifier: MIT
/* wallclock: the timer at the policy's next from= or until= (see wallclock.h). */
#include <errno.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "udsecho/wallclock.h"

int64_t wallclock_arm(const struct wallclock_ops *ops, const struct policy *p)
{
	int64_t at = 0, next;
	int r;

	if (p && policy_has_windows(p)) {
		next = policy_next_change(p, ops->now(ops->ctx));
		at = next < WALLCLOCK_FAR ? next : WALLCLOCK_FAR;
	}
	r = ops->arm(ops->ctx, at);
	return r < 0 ? r : at;
}

enum wallclock_event wallclock_event(const struct wallclock_ops *ops, const struct policy *p,
				     int64_t *armed)
{
	int r = ops->read(ops->ctx);

	if (r < 0)
		return WALLCLOCK_NONE;
	*armed = wallclock_arm(ops, p);
	return r ? WALLCLOCK_BOUNDARY : WALLCLOCK_SET;
}

static int64_t timerfd_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static int timerfd_arm(void *ctx, int64_t at)
{
	struct itimerspec its = {.it_value.tv_sec = (time_t)at};

	return timerfd_settime(*(int *)ctx, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its,
			       NULL) < 0
		       ? -errno
		       : 0;
}

static int timerfd_read(void *ctx)
{
	uint64_t ticks;
	ssize_t n = read(*(int *)ctx, &ticks, sizeof(ticks));

	if (n == (ssize_t)sizeof(ticks))
		return 1;
	return n < 0 && errno == ECANCELED ? 0 : -1;
}

const struct wallclock_ops wallclock_timerfd = {timerfd_now, timerfd_arm, timerfd_read, NULL};

int wallclock_timerfd_open(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
