// SPDX-License-Identifier: MIT
/* utctime: RFC 3339 UTC instants to seconds and back, by calendar arithmetic (see utctime.h). */
#include <stdio.h>

#include "udsecho/utctime.h"

#define UTCTIME_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define UTCTIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* Days from 1970-01-01 to @y-@m-@d (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The date of day @z after 1970-01-01 (civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return n[m - 1] + (m == 2 && leap);
}

/*
 * The @n digits at @off of the @len bytes at @s as a number, or -1 at the first byte that is not
 * a digit, or at @len when they end first (*@at).
 */
static long digits(const char *s, size_t len, size_t n, size_t off, size_t *at)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (off + i >= len || s[off + i] < '0' || s[off + i] > '9') {
			*at = off + i;
			return -1;
		}
		v = v * 10 + (s[off + i] - '0');
	}
	return v;
}

int utctime_parse(const char *s, size_t len, int64_t *t, char *why, size_t size, size_t *at)
{
	static const struct {
		size_t off;
		char c;
	} seps[] = {{4, '-'}, {7, '-'}, {10, 'T'}, {13, ':'}, {16, ':'}};
	long y, mo, d, h, mi, sec;

	*at = 0;
	for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
		if (len <= seps[i].off || s[seps[i].off] != seps[i].c) {
			*at = len <= seps[i].off ? len : seps[i].off;
			snprintf(why, size,
				 "expected a time such as 2027-01-01T00:00:00Z (RFC 3339, "
				 "UTC)");
			return -1;
		}
	}
	if ((y = digits(s, len, 4, 0, at)) < 0 || (mo = digits(s, len, 2, 5, at)) < 0 ||
	    (d = digits(s, len, 2, 8, at)) < 0 || (h = digits(s, len, 2, 11, at)) < 0 ||
	    (mi = digits(s, len, 2, 14, at)) < 0 || (sec = digits(s, len, 2, 17, at)) < 0) {
		snprintf(why, size, "expected a digit in a time such as 2027-01-01T00:00:00Z");
		return -1;
	}
	if (len == 19 || (len > 19 && s[19] != 'Z')) {
		*at = 19;
		snprintf(why, size,
			 len == 19 ? "a time without 'Z' would be read in the reader's time zone: "
				     "write it in UTC, ending in 'Z'"
			 : s[19] == '.' ? "fractions of a second are not supported: write whole "
					  "seconds, ending in 'Z'"
			 : s[19] == '+' || s[19] == '-'
				 ? "an offset from UTC is not accepted: write the time in UTC, "
				   "ending in 'Z'"
				 : "expected 'Z' after the seconds: times are written in UTC");
		return -1;
	}
	if (len > UTCTIME_LEN) {
		*at = UTCTIME_LEN;
		snprintf(why, size, "unexpected text after the 'Z' of the time");
		return -1;
	}
	if (mo < 1 || mo > 12) {
		*at = 5;
		snprintf(why, size, "month %02ld is not 01 to 12", mo);
	} else if (d < 1 || (unsigned long)d > days_in_month(y, (unsigned)mo)) {
		*at = 8;
		snprintf(why, size, "day %02ld is not in %04ld-%02ld", d, y, mo);
	} else if (h > 23) {
		*at = 11;
		snprintf(why, size, "hour %02ld is not 00 to 23", h);
	} else if (mi > 59) {
		*at = 14;
		snprintf(why, size, "minute %02ld is not 00 to 59", mi);
	} else if (sec == 60) {
		*at = 17;
		snprintf(why, size,
			 "a leap second (60) is not accepted: write :59 or the next "
			 "minute's :00");
	} else if (sec > 59) {
		*at = 17;
		snprintf(why, size, "second %02ld is not 00 to 59", sec);
	} else {
		*t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
		     sec;
		return 0;
	}
	return -1;
}

char *utctime_format(int64_t t, char *buf, size_t size)
{
	int64_t days, secs, y;
	unsigned m, d;

	if (t < UTCTIME_MIN)
		t = UTCTIME_MIN;
	if (t > UTCTIME_MAX)
		t = UTCTIME_MAX;
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long)y, m, d,
		 (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60));
	return buf;
}
