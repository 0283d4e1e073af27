/* SPDX-License-Identifier: MIT */
/*
 * monoclock: the monotonic clock, for timeouts, deadlines and how long something took.
 *
 * CLOCK_MONOTONIC never jumps when the wall clock is set (by the admin, or NTP stepping it), so
 * every wait and every measure of elapsed time in udsecho reads it, never time(2) or
 * CLOCK_REALTIME. The vDSO serves it without a system call; where it cannot, clock_gettime(2)
 * is in the worker's allow-list. The one-second tick of idle timeouts reads the coarse clock
 * instead, in the worker alone.
 */
#pragma once

#include <stdint.h>

/* monoclock_ns - CLOCK_MONOTONIC in nanoseconds. */
uint64_t monoclock_ns(void);

/* monoclock_s - CLOCK_MONOTONIC in seconds. */
static inline double monoclock_s(void)
{
	return (double)monoclock_ns() / 1e9;
}
