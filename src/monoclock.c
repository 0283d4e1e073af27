// SPDX-License-Identifier: MIT
/* monoclock: the monotonic clock (see monoclock.h). */
#include <time.h>

#include "udsecho/monoclock.h"

uint64_t monoclock_ns(void)
{
	struct timespec ts = {0};

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
