// SPDX-License-Identifier: MIT
/*
 * Unit tests for utctime: RFC 3339 UTC to seconds and back, against the C library's timegm(3)
 * and gmtime_r(3) as the oracle, and every form that is not the one accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "udsecho/utctime.h"

static int parse(const char *s, int64_t *t, size_t *at, char *why)
{
	return utctime_parse(s, strlen(s), t, why, 160, at);
}

static void known_instants(void **state)
{
	char why[160];
	int64_t t;
	size_t at;

	assert_int_equal(parse("1970-01-01T00:00:00Z", &t, &at, why), 0);
	assert_int_equal(t, 0);
	assert_int_equal(parse("2027-01-01T00:00:00Z", &t, &at, why), 0);
	assert_int_equal(t, 1798761600);
	assert_int_equal(parse("2000-02-29T23:59:59Z", &t, &at, why), 0);
	assert_int_equal(t, 951868799);
	assert_int_equal(parse("1969-12-31T23:59:59Z", &t, &at, why), 0);
	assert_int_equal(t, -1);
	assert_int_equal(parse("9999-12-31T23:59:59Z", &t, &at, why), 0);
	assert_int_equal(t, 253402300799LL);
}

/* Every day from 1900 to 2400 at a moving time of day, both ways, against the C library. */
static void agrees_with_timegm(void **state)
{
	char s[64], why[160];
	struct tm tm;
	size_t at;

	for (time_t t = -2208988800LL; t < 13569465600LL; t += 86400 + 3607) {
		int64_t got;

		assert_non_null(gmtime_r(&t, &tm));
		snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		assert_int_equal(parse(s, &got, &at, why), 0);
		assert_int_equal(got, (int64_t)t);
		utctime_format(t, why, sizeof(why));
		assert_string_equal(why, s);
	}
}

/* Each refused form, with the byte it is refused at and words of the reason. */
static void refused_forms(void **state)
{
	static const struct {
		const char *s;
		size_t at;
		const char *words;
	} bad[] = {
		{"2027-01-01T00:00:00", 19, "time zone"},
		{"2027-01-01T00:00:00+01:00", 19, "offset"},
		{"2027-01-01T00:00:00-05:00", 19, "offset"},
		{"2027-01-01T00:00:00.5Z", 19, "fractions"},
		{"2027-01-01T00:00:00z", 19, "'Z'"},
		{"2027-01-01t00:00:00Z", 10, "RFC 3339"},
		{"2027-01-01 00:00:00Z", 10, "RFC 3339"},
		{"2027-01-01", 10, "RFC 3339"},
		{"", 0, "RFC 3339"},
		{"2027-1-01T00:00:00Z", 7, "RFC 3339"},
		{"2027-13-01T00:00:00Z", 5, "month 13"},
		{"2027-00-01T00:00:00Z", 5, "month 00"},
		{"2027-02-29T00:00:00Z", 8, "day 29"},
		{"1900-02-29T00:00:00Z", 8, "day 29"},
		{"2027-04-31T00:00:00Z", 8, "day 31"},
		{"2027-01-00T00:00:00Z", 8, "day 00"},
		{"2027-01-01T24:00:00Z", 11, "hour 24"},
		{"2027-01-01T00:60:00Z", 14, "minute 60"},
		{"2016-12-31T23:59:60Z", 17, "leap second"},
		{"2027-01-01T00:00:61Z", 17, "second 61"},
		{"2027-01-01T00:00:00ZZ", 20, "after the 'Z'"},
		{"2O27-01-01T00:00:00Z", 1, "digit"},
		{"+027-01-01T00:00:00Z", 0, "digit"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char why[160] = "";
		int64_t t = 42;
		size_t at = 99;

		assert_int_equal(parse(bad[i].s, &t, &at, why), -1);
		assert_int_equal(t, 42);
		if (at != bad[i].at || !strstr(why, bad[i].words))
			fail_msg("%s: at %zu (want %zu): %s", bad[i].s, at, bad[i].at, why);
	}
}

/*
 * Only the @len bytes given are read: a time cut short within its seconds is refused, whatever
 * follows it in memory (a cases file's text has no NUL after its last word).
 */
static void reads_only_len_bytes(void **state)
{
	static const char full[] = "2027-01-01T00:00:59Z";
	char why[160] = "";
	int64_t t = 42;
	size_t at = 99;

	for (size_t len = 17; len <= 19; len++) {
		assert_int_equal(utctime_parse(full, len, &t, why, sizeof(why), &at), -1);
		assert_int_equal(t, 42);
		assert_int_equal(at, len == 19 ? 19 : len);
	}
}

static void format_clamps(void **state)
{
	char buf[UTCTIME_LEN + 1];

	assert_string_equal(utctime_format(INT64_MAX, buf, sizeof(buf)), "9999-12-31T23:59:59Z");
	assert_string_equal(utctime_format(INT64_MIN, buf, sizeof(buf)), "0000-01-01T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_instants), cmocka_unit_test(agrees_with_timegm),
		cmocka_unit_test(refused_forms),  cmocka_unit_test(reads_only_len_bytes),
		cmocka_unit_test(format_clamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
