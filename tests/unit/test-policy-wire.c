// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-wire: a round trip keeps every decision and origin; the decoder refuses
 * every truncation, each hand-made violation of the format, and survives every single-bit flip
 * of a valid blob (what it accepts re-encodes to the same bytes: nothing is taken loosely).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/policy.h"
#include "policy-helpers.h"

static const char sample[] = "allow user root\n"
			     "deny user mallory 60000-60010\n"
			     "allow group wheel user 1000-1999\n"
			     "allow group users staff\n"
			     "deny all\n";

static void encode(const struct policy *p, unsigned char **buf, size_t *len)
{
	void *b;

	assert_int_equal(policy_encode(p, &b, len), 0);
	*buf = b;
}

/* Same decision, same deciding rule, for a grid of peers. */
static void assert_same_decisions(const struct policy *a, const struct policy *b)
{
	static const uid_t uids[] = {0,	   1,	 999,	1000,  1500,  1666,
				     1999, 2000, 60000, 60010, 60011, 4294967294u};
	static const gid_t gids[] = {0, 10, 50, 100, 101, 4294967294u};

	for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++)
		for (size_t j = 0; j < sizeof(gids) / sizeof(gids[0]); j++)
			for (size_t k = 0; k < sizeof(gids) / sizeof(gids[0]); k++) {
				struct peer_cred c = test_cred(uids[i], gids[j], &gids[k], 1);
				struct policy_verdict x = policy_eval(a, &c, 0),
						      y = policy_eval(b, &c, 0);
				assert_int_equal(x.allow, y.allow);
				assert_int_equal(x.rule, y.rule);
			}
}

static void round_trip(void **state)
{
	static const char *const texts[] = {
		sample,
		"",
		"allow all\n",
		"deny group 0-4294967294\n",
		"deny group staff user mallory\nallow group wheel 50-60\nallow user 1000-1999 group 101\n"
		"deny group 0 100\nallow group 10-100\n",
	};

	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		struct policy *p = test_compile_ok(texts[t]), *q;
		unsigned char *buf, *again;
		size_t len, len2;

		encode(p, &buf, &len);
		assert_int_equal(policy_decode(buf, len, &q), 0);
		assert_int_equal(policy_rule_count(q), policy_rule_count(p));
		for (long i = 0; i < (long)policy_rule_count(p); i++) {
			const char *f1, *f2;
			unsigned l1, l2;
			assert_int_equal(policy_rule_origin(p, i, &f1, &l1), 0);
			assert_int_equal(policy_rule_origin(q, i, &f2, &l2), 0);
			assert_string_equal(f1, f2);
			assert_int_equal(l1, l2);
			/* The rule text stays with the monitor. */
			assert_null(policy_rule_text(q, i));
		}
		assert_same_decisions(p, q);
		encode(q, &again, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(buf, again, len);
		free(again);
		free(buf);
		policy_free(q);
		policy_free(p);
	}
}

static void round_trip_builtin(void **state)
{
	struct policy *p, *q;
	unsigned char *buf;
	size_t len;
	const char *file;
	unsigned line;

	assert_int_equal(policy_builtin_allow_uid(1000, &p), 0);
	encode(p, &buf, &len);
	assert_int_equal(policy_decode(buf, len, &q), 0);
	assert_int_equal(policy_rule_origin(q, 0, &file, &line), 0);
	assert_string_equal(file, "built-in");
	assert_same_decisions(p, q);
	free(buf);
	policy_free(p);
	policy_free(q);
}

static void every_truncation(void **state)
{
	struct policy *p = test_compile_ok(sample), *q;
	unsigned char *buf;
	size_t len;

	encode(p, &buf, &len);
	for (size_t n = 0; n < len; n++) {
		/* A copy of exactly n bytes, so that the sanitizer sees any read past it. */
		unsigned char *cut = malloc(n ? n : 1);
		memcpy(cut, buf, n);
		q = (struct policy *)1;
		assert_int_equal(policy_decode(cut, n, &q), POLICY_E_WIRE);
		assert_null(q);
		free(cut);
	}
	free(buf);
	policy_free(p);
}

static void every_bit_flip(void **state)
{
	struct policy *p = test_compile_ok(sample), *q;
	unsigned char *buf, *again;
	size_t len, len2, accepted = 0;

	encode(p, &buf, &len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		int r;

		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		r = policy_decode(buf, len, &q);
		if (r == 0) {
			struct peer_cred c = test_cred(1000, 10, NULL, 0);
			accepted++;
			(void)policy_eval(q, &c, 0);
			encode(q, &again, &len2);
			assert_int_equal(len, len2);
			assert_memory_equal(buf, again, len);
			free(again);
			policy_free(q);
		} else {
			assert_int_equal(r, POLICY_E_WIRE);
		}
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	/* Flips inside a file name, a line number or an id stay valid policies. */
	assert_true(accepted > 0);
	assert_true(accepted < len * 8);
	free(buf);
	policy_free(p);
}

/*
 * Once a step refuses the bytes, every later step gives the same answer and reads nothing: the
 * records are read with no test per field, from a place a refused one has moved on.
 */
static void an_error_stays(void **state)
{
	struct policy *p = test_compile_ok(sample), *q;
	unsigned char *buf;
	size_t len, refused = 0;

	encode(p, &buf, &len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		struct policy_decoder *d;
		int r;

		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		r = policy_decoder_start(buf, len, &d);
		while (r == 0 && (r = policy_decoder_step(d, 1, &q)) == POLICY_DECODE_MORE)
			r = 0;
		if (r == 0)
			policy_free(q);
		if (d && r != 0) {
			refused++;
			for (int again = 0; again < 3; again++) {
				assert_int_equal(policy_decoder_step(d, 1, &q), r);
				assert_null(q);
			}
		}
		policy_decoder_free(d);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	assert_true(refused > 0);
	free(buf);
	policy_free(p);
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
	b[off] = (unsigned char)v;
	b[off + 1] = (unsigned char)(v >> 8);
	b[off + 2] = (unsigned char)(v >> 16);
	b[off + 3] = (unsigned char)(v >> 24);
}

/*
 * "allow user 1" from "test.policy": header 0..31, file name 32..46, rule 47..70 (allow, file,
 * line, first, count, attrs), selector 71..82 (kind, first, count), range 83..90 (lo, hi).
 */
enum {
	OFF_VERSION = 4,
	OFF_TOTAL = 8,
	OFF_NFILES = 12,
	OFF_NRULES = 16,
	OFF_NSELS = 20,
	OFF_NRANGES = 24,
	OFF_NATTRS = 28,
	OFF_NAMELEN = 32,
	OFF_NAME = 36,
	OFF_ALLOW = 47,
	OFF_FILE = 51,
	OFF_FIRST = 59,
	OFF_COUNT = 63,
	OFF_ATTRS = 67,
	OFF_KIND = 71,
	OFF_SFIRST = 75,
	OFF_SCOUNT = 79,
	OFF_LO = 83,
	OFF_HI = 87,
	BLOB_LEN = 91,
};

static void crafted(void **state)
{
	static const struct {
		size_t off;
		uint32_t value;
	} bad[] = {
		{OFF_VERSION, 1},
		{OFF_VERSION, 3},
		{OFF_TOTAL, BLOB_LEN + 1},
		{OFF_NATTRS, 1},
		{OFF_NATTRS, 0xffffffff},
		{OFF_ATTRS, 0},
		{OFF_ATTRS, 1},
		{OFF_NFILES, 0},
		{OFF_NFILES, 0xffffffff},
		{OFF_NRULES, 0xffffffff},
		{OFF_NRULES, 2},
		{OFF_NSELS, 0xffffffff},
		{OFF_NRANGES, 0x20000001},
		{OFF_NAMELEN, 0},
		{OFF_NAMELEN, 0xffffffff},
		{OFF_ALLOW, 2},
		{OFF_FILE, 1},
		{OFF_FIRST, 1},
		{OFF_COUNT, 2},
		{OFF_KIND, 2},
		{OFF_SFIRST, 1},
		{OFF_SCOUNT, 0},
		{OFF_SCOUNT, 2},
		{OFF_LO, 2},
		{OFF_HI, 0xffffffff},
		{OFF_LO, 0xffffffff},
	};
	struct policy *p = test_compile_ok("allow user 1\n"), *q;
	unsigned char *buf, *copy;
	size_t len;

	encode(p, &buf, &len);
	assert_int_equal(len, BLOB_LEN);
	assert_int_equal(policy_decode(buf, len, &q), 0);
	policy_free(q);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		copy = malloc(len);
		memcpy(copy, buf, len);
		put32(copy, bad[i].off, bad[i].value);
		assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
		free(copy);
	}
	/* Bad magic, a NUL inside the file name, and one trailing byte. */
	copy = malloc(len + 1);
	memcpy(copy, buf, len);
	copy[0] = 'X';
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	copy[0] = buf[0];
	copy[OFF_NAME + 3] = '\0';
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	copy[OFF_NAME + 3] = buf[OFF_NAME + 3];
	copy[len] = 0;
	put32(copy, OFF_TOTAL, BLOB_LEN + 1);
	assert_int_equal(policy_decode(copy, len + 1, &q), POLICY_E_WIRE);
	free(copy);
	free(buf);
	policy_free(p);
}

static void unsorted_ranges_refused(void **state)
{
	struct policy *p = test_compile_ok("allow user 1 5\n"), *q;
	unsigned char *buf;
	size_t len;

	/* Ranges {1,1} {5,5} at OFF_LO: make them overlap, then reverse them. */
	encode(p, &buf, &len);
	put32(buf, OFF_LO + 8, 1);
	put32(buf, OFF_LO + 12, 1);
	assert_int_equal(policy_decode(buf, len, &q), POLICY_E_WIRE);
	put32(buf, OFF_LO + 8, 2);
	put32(buf, OFF_LO + 12, 2);
	assert_int_equal(policy_decode(buf, len, &q), POLICY_E_WIRE); /* adjacent: not merged */
	put32(buf, OFF_LO, 9);
	put32(buf, OFF_LO + 4, 9);
	put32(buf, OFF_LO + 8, 5);
	put32(buf, OFF_LO + 12, 5);
	assert_int_equal(policy_decode(buf, len, &q), POLICY_E_WIRE);
	free(buf);
	policy_free(p);
}

/* Every attribute survives the trip, and decisions by time with it. */
static void attributes_round_trip(void **state)
{
	struct policy *
		p = test_compile_ok(
		       "deny user 7 name=no-seven message=\"ask \\\"ops\\\" at x1234\"\n"
		       "allow user 1 name=one max-per-uid=3 idle-timeout=5 from=2027-01-01T00:00:00Z "
		       "until=2027-02-01T00:00:00Z\n"
		       "allow user 2\n"
		       "allow all until=1970-01-01T00:00:10Z\n"),
	       *q;
	const struct policy_attrs *a;
	unsigned char *buf, *again;
	size_t len, len2;

	encode(p, &buf, &len);
	assert_int_equal(policy_decode(buf, len, &q), 0);
	a = policy_rule_attrs(q, 0);
	assert_non_null(a);
	assert_string_equal(a->name, "no-seven");
	assert_string_equal(a->message, "ask \"ops\" at x1234");
	a = policy_rule_attrs(q, 1);
	assert_string_equal(a->name, "one");
	assert_null(a->message);
	assert_int_equal(a->max_per_uid, 3);
	assert_int_equal(a->idle_timeout, 5);
	assert_int_equal(a->from, 1798761600);
	assert_int_equal(a->until, 1798761600 + 31 * 86400);
	assert_null(policy_rule_attrs(q, 2));
	assert_int_equal(policy_next_change(q, 0), 10);
	assert_int_equal(policy_next_change(q, 10), 1798761600);
	assert_int_equal(policy_next_change(q, 1798761600), 1798761600 + 31 * 86400);
	assert_int_equal(policy_next_change(q, 1798761600 + 31 * 86400), POLICY_TIME_MAX);
	for (int64_t t = 0; t < 1798761600 + 40 * 86400; t += 86400 * 7 + 1) {
		struct peer_cred c = test_cred(1, 1, NULL, 0);
		assert_int_equal(policy_eval(p, &c, t).rule, policy_eval(q, &c, t).rule);
	}
	encode(q, &again, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
	free(again);
	free(buf);
	policy_free(q);
	policy_free(p);
}

/*
 * What the parser never lets through is refused on the wire too: a name or message byte it
 * refuses, a message on an allow rule, a limit on a deny rule, an empty window, a limit beyond
 * its bound. "deny user 7 name=ab message=hi" and "allow user 1 name=cd max-per-uid=3": the
 * attribute records follow the file name, 32 bytes and the strings each.
 */
static void attributes_crafted(void **state)
{
	struct policy *p = test_compile_ok("deny user 7 name=ab message=hi\n"
					   "allow user 1 name=cd max-per-uid=3\n"),
		      *q;
	const size_t a0 = OFF_NAME + 11, a1 = a0 + 32 + 4; /* the two attribute records */
	const size_t rules = a1 + 32 + 2;		   /* the first rule */
	static const struct {
		size_t off; /* from a0 */
		unsigned char byte;
	} bytes[] = {
		{32, ' '}, {32, '/'}, {33, 0x80}, {34, 0x7f}, {35, '\n'}, /* name, message */
	};
	unsigned char *buf, *copy;
	size_t len;

	encode(p, &buf, &len);
	assert_int_equal(policy_decode(buf, len, &q), 0);
	policy_free(q);
	copy = malloc(len);
	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		memcpy(copy, buf, len);
		copy[a0 + bytes[i].off] = bytes[i].byte;
		assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	}
	memcpy(copy, buf, len);
	put32(copy, rules, 1); /* the deny rule with a message made an allow rule */
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	memcpy(copy, buf, len);
	put32(copy, rules + 24, 0); /* the allow rule with max-per-uid= made a deny rule */
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	memcpy(copy, buf, len);
	put32(copy, a1 + 16, POLICY_COUNT_MAX + 1);
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	memcpy(copy, buf, len);
	put32(copy, a1 + 20, POLICY_SECONDS_MAX + 1);
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	memcpy(copy, buf, len);
	put32(copy, a0 + 8, 0); /* until = from: an empty window */
	put32(copy, a0 + 12, 0x80000000u);
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	memcpy(copy, buf, len);
	put32(copy, rules + 20, 1); /* both rules claim the second record */
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	memcpy(copy, buf, len);
	put32(copy, a0 + 24, POLICY_NAME_MAX + 1);
	assert_int_equal(policy_decode(copy, len, &q), POLICY_E_WIRE);
	free(copy);
	free(buf);
	policy_free(p);
}

/* Decode @buf in steps of @budget units: the result, and the policy in *@out. */
static int decode_in_steps(const unsigned char *buf, size_t len, size_t budget, struct policy **out,
			   size_t *steps)
{
	struct policy_decoder *d;
	int r = policy_decoder_start(buf, len, &d);

	*out = NULL;
	*steps = 0;
	while (r == 0 && (r = policy_decoder_step(d, budget, out)) == POLICY_DECODE_MORE) {
		assert_null(*out);
		r = 0;
		++*steps;
	}
	policy_decoder_free(d);
	return r;
}

/*
 * A decode in steps gives the policy a decode at once gives, whatever the budget, and refuses
 * what it refuses: the same bytes back, the same decisions; a large policy takes many steps.
 */
static void steps_decode_the_same(void **state)
{
	static const size_t budgets[] = {1, 2, 3, 17, 64, 4096};
	char *text = malloc(64 * 3000 + 64);
	size_t len = 0;
	struct policy *big;

	for (int i = 0; i < 3000; i++)
		len += (size_t)sprintf(text + len,
				       i % 3 ? "deny user %d-%d group %d name=r%d\n"
					     : "deny group %d-%d user %d name=r%d\n",
				       10000 + 7 * i, 10003 + 7 * i, 50000 + i, i);
	strcpy(text + len, "allow user 1-5000 until=2027-01-01T00:00:00Z\nallow all\n");
	big = test_compile_ok(text);
	free(text);
	for (int k = 0; k < 3; k++) {
		struct policy *p = k == 0 ? big : test_compile_ok(k == 1 ? sample : ""), *q, *w;
		unsigned char *buf, *again;
		size_t blen, alen, steps;

		encode(p, &buf, &blen);
		assert_int_equal(policy_decode(buf, blen, &w), 0);
		for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
			assert_int_equal(decode_in_steps(buf, blen, budgets[b], &q, &steps), 0);
			if (k == 0 && budgets[b] <= 64)
				assert_true(steps > 3000 / budgets[b]);
			encode(q, &again, &alen);
			assert_int_equal(alen, blen);
			assert_memory_equal(again, buf, blen);
			assert_same_decisions(w, q);
			free(again);
			policy_free(q);
		}
		/* A corrupt last range, hi 4294967295, is found by steps too, after the others. */
		q = NULL;
		if (policy_rule_count(p) > 0) {
			put32(buf, blen - 4, 0xffffffff);
			assert_int_equal(policy_decode(buf, blen, &q), POLICY_E_WIRE);
			assert_int_equal(decode_in_steps(buf, blen, 5, &q, &steps), POLICY_E_WIRE);
		}
		assert_null(q);
		policy_free(q);
		policy_free(w);
		free(buf);
		policy_free(p);
	}
}

/* A decoder freed half-way leaks nothing (the sanitizer build checks) and touches nothing. */
static void steps_abandoned(void **state)
{
	struct policy *p = test_compile_ok(sample), *q;
	unsigned char *buf;
	size_t len;

	encode(p, &buf, &len);
	for (size_t n = 0; n < 40; n++) {
		struct policy_decoder *d;
		int r = policy_decoder_start(buf, len, &d);

		assert_int_equal(r, 0);
		for (size_t i = 0; i < n; i++) {
			r = policy_decoder_step(d, 1, &q);
			if (r == 0) {
				policy_free(q);
				break;
			}
			assert_int_equal(r, POLICY_DECODE_MORE);
		}
		policy_decoder_free(d);
	}
	free(buf);
	policy_free(p);
}

/*
 * A rule that claims the attribute record after the last one, once every record is taken, is
 * refused before that record is looked at: "allow user 1 name=a" has the only record (32 bytes
 * and its name, after the file name), and "allow user 2" claims a second.
 */
static void attributes_past_the_last(void **state)
{
	struct policy *p = test_compile_ok("allow user 1 name=a\n"
					   "allow user 2\n"),
		      *q;
	const size_t rules = OFF_NAME + 11 + 32 + 1; /* the first rule */
	unsigned char *buf;
	size_t len;

	encode(p, &buf, &len);
	assert_int_equal(policy_decode(buf, len, &q), 0);
	policy_free(q);
	put32(buf, rules + 24 + 20, 1);
	assert_int_equal(policy_decode(buf, len, &q), POLICY_E_WIRE);
	free(buf);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(round_trip_builtin),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(every_bit_flip),
		cmocka_unit_test(an_error_stays),
		cmocka_unit_test(crafted),
		cmocka_unit_test(unsorted_ranges_refused),
		cmocka_unit_test(attributes_round_trip),
		cmocka_unit_test(attributes_crafted),
		cmocka_unit_test(steps_decode_the_same),
		cmocka_unit_test(steps_abandoned),
		cmocka_unit_test(attributes_past_the_last),
	};
	return cmocka_run_group_tests_name("policy-wire", tests, NULL, NULL);
}
