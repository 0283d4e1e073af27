/* SPDX-License-Identifier: MIT */
/*
 * utctime: instants as the policy writes them, RFC 3339 in UTC, "2027-01-01T00:00:00Z".
 *
 * One form only, to the second and ending in 'Z': no local time, no offset, no fraction, no
 * lower-case 't' or 'z', no leap second. A deadline read in the reader's time zone is a deadline
 * that moves with the machine it is read on; this one never does. The conversion is arithmetic
 * (the proleptic Gregorian calendar), never the C library's time zone code, and makes no system
 * call: it runs in the worker's sandbox too. An instant is a count of seconds since
 * 1970-01-01T00:00:00Z, as time(2) gives.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define UTCTIME_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ", without a NUL */

/*
 * utctime_parse - the instant that the @len bytes at @s write, in *@t. Returns 0, or -1 with a
 * reason in @why (@size bytes, e.g. "month 13 is not 01 to 12") and the 0-based offset of the
 * offending byte in *@at.
 */
int utctime_parse(const char *s, size_t len, int64_t *t, char *why, size_t size, size_t *at);

/*
 * utctime_format - @t as RFC 3339 UTC into @buf (UTCTIME_LEN + 1 bytes at least), for years 0000
 * to 9999; returns @buf. An instant outside them shows as "0000-..." or "9999-..." clamped.
 */
char *utctime_format(int64_t t, char *buf, size_t size);
