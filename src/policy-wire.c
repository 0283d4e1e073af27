// SPDX-License-Identifier: MIT
/*
 * policy-wire: a compiled policy as bytes, from the monitor to the worker.
 *
 * The decoder runs in the sandboxed worker on bytes it must not trust: it checks the header,
 * every count against the bytes actually present before allocating, every index against the
 * array it points into, that selectors and ranges partition their arrays in order, that ranges
 * are sorted, disjoint and never contain 4294967295, that file names are non-empty and free of
 * NUL, and that rule attributes are what the parser lets through: names of letters, digits, '-',
 * '_' and '.', messages of printable ASCII, each within its length, a message on a deny rule
 * only, limits on allow rules only and within their bounds, and time windows that are not empty;
 * each attribute record belongs to one rule, in rule order. Anything else is POLICY_E_WIRE. It
 * allocates with malloc and makes no other call.
 *
 * Layout, all integers 32-bit little-endian, an instant as its low then its high half:
 *   "UDSP" version total-length nfiles nrules nsels nranges nattrs
 *   nfiles x (length, bytes)       origin file names, no terminating NUL
 *   nattrs x (from, until, max-per-uid, idle-timeout, name-length, message-length, name bytes,
 *             message bytes)       a length 0 for none
 *   nrules x (allow, file, line, first-selector, selector-count, attrs: an index or 4294967295)
 *   nsels  x (kind, first-range, range-count)
 *   nranges x (lo, hi)
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-private.h"

#define WIRE_MAGIC	"UDSP"
#define WIRE_VERSION	2
#define WIRE_HEADER	32
#define WIRE_NAME_MAX	4096
#define WIRE_ATTR_SIZE	32 /* without its strings */
#define WIRE_RULE_SIZE	24
#define WIRE_SEL_SIZE	12
#define WIRE_RANGE_SIZE 8

struct writer {
	unsigned char *p;
};

static void put32(struct writer *w, uint32_t v)
{
	uint32_t le = htole32(v);

	memcpy(w->p, &le, 4);
	w->p += 4;
}

struct reader {
	const unsigned char *p;
	size_t left;
};

/*
 * The next 32 bits of @r, with no test: for get32(), once it has made its own, and for the
 * records, which DEC_SIZES found to fill exactly what is left (never after an error: the step
 * that refused them returns it again, policy_decoder_step()).
 */
static uint32_t take32(struct reader *r)
{
	uint32_t le;

	memcpy(&le, r->p, 4);
	r->p += 4;
	r->left -= 4;
	return le32toh(le);
}

/* The next 32 bits of @r, if it has them: 0, or -1 at the end. */
static int get32(struct reader *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = take32(r);
	return 0;
}

static void put_time(struct writer *w, int64_t t)
{
	put32(w, (uint32_t)(uint64_t)t);
	put32(w, (uint32_t)((uint64_t)t >> 32));
}

/* @n bytes at @s, which may be NULL when @n is 0 (a name or message that is not given). */
static void put_bytes(struct writer *w, const char *s, size_t n)
{
	if (n)
		memcpy(w->p, s, n);
	w->p += n;
}

static size_t opt_len(const char *s)
{
	return s ? strlen(s) : 0;
}

int policy_encode(const struct policy *p, void **buf, size_t *len)
{
	size_t size = WIRE_HEADER + p->nattrs * WIRE_ATTR_SIZE + p->nrules * WIRE_RULE_SIZE +
		      p->nsels * WIRE_SEL_SIZE + p->nranges * WIRE_RANGE_SIZE;
	struct writer w;

	for (size_t i = 0; i < p->nfiles; i++)
		size += 4 + strlen(p->files[i]);
	for (size_t i = 0; i < p->nattrs; i++)
		size += opt_len(p->attrs[i].name) + opt_len(p->attrs[i].message);
	w.p = *buf = malloc(size);
	if (!w.p)
		return -ENOMEM;
	memcpy(w.p, WIRE_MAGIC, 4);
	w.p += 4;
	put32(&w, WIRE_VERSION);
	put32(&w, (uint32_t)size);
	put32(&w, (uint32_t)p->nfiles);
	put32(&w, (uint32_t)p->nrules);
	put32(&w, (uint32_t)p->nsels);
	put32(&w, (uint32_t)p->nranges);
	put32(&w, (uint32_t)p->nattrs);
	for (size_t i = 0; i < p->nfiles; i++) {
		put32(&w, (uint32_t)strlen(p->files[i]));
		put_bytes(&w, p->files[i], strlen(p->files[i]));
	}
	for (size_t i = 0; i < p->nattrs; i++) {
		const struct policy_attrs *a = &p->attrs[i];

		put_time(&w, a->from);
		put_time(&w, a->until);
		put32(&w, a->max_per_uid);
		put32(&w, a->idle_timeout);
		put32(&w, (uint32_t)opt_len(a->name));
		put32(&w, (uint32_t)opt_len(a->message));
		put_bytes(&w, a->name, opt_len(a->name));
		put_bytes(&w, a->message, opt_len(a->message));
	}
	for (size_t i = 0; i < p->nrules; i++) {
		put32(&w, p->rules[i].allow);
		put32(&w, p->rules[i].file);
		put32(&w, p->rules[i].line);
		put32(&w, p->rules[i].first);
		put32(&w, p->rules[i].count);
		put32(&w, p->rules[i].attrs);
	}
	for (size_t i = 0; i < p->nsels; i++) {
		put32(&w, p->sels[i].kind);
		put32(&w, p->sels[i].first);
		put32(&w, p->sels[i].count);
	}
	for (size_t i = 0; i < p->nranges; i++) {
		put32(&w, p->ranges[i].lo);
		put32(&w, p->ranges[i].hi);
	}
	*len = size;
	return 0;
}

static int decode_files(struct reader *r, struct policy *p, uint32_t nfiles)
{
	p->files = calloc(nfiles ? nfiles : 1, sizeof(*p->files));
	if (!p->files)
		return -ENOMEM;
	for (; p->nfiles < nfiles; p->nfiles++) {
		uint32_t n;

		if (get32(r, &n) < 0 || n == 0 || n > WIRE_NAME_MAX || n > r->left ||
		    memchr(r->p, '\0', n))
			return POLICY_E_WIRE;
		p->files[p->nfiles] = malloc((size_t)n + 1);
		if (!p->files[p->nfiles])
			return -ENOMEM;
		memcpy(p->files[p->nfiles], r->p, n);
		p->files[p->nfiles][n] = '\0';
		r->p += n;
		r->left -= n;
	}
	return 0;
}

static int get_time(struct reader *r, int64_t *t)
{
	uint32_t lo, hi;

	if (get32(r, &lo) < 0 || get32(r, &hi) < 0)
		return -1;
	*t = (int64_t)((uint64_t)hi << 32 | lo);
	return 0;
}

static int name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!policy_name_char(s[i]))
			return 0;
	return n <= POLICY_NAME_MAX;
}

static int message_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return n <= POLICY_MESSAGE_MAX;
}

/* A string of @n bytes (0: none) into p->strs, checked by @ok. */
static int decode_str(struct reader *r, struct policy *p, uint32_t n,
		      int (*ok)(const char *, size_t), const char **out)
{
	char *s;

	*out = NULL;
	if (n == 0)
		return 0;
	if (n > r->left || !ok((const char *)r->p, n))
		return POLICY_E_WIRE;
	s = malloc((size_t)n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, r->p, n);
	s[n] = '\0';
	p->strs[p->nstrs++] = s;
	r->p += n;
	r->left -= n;
	*out = s;
	return 0;
}

/* Attribute records up to @to, checked as the parser would have them. */
static int decode_attrs(struct reader *r, struct policy *p, size_t to)
{
	for (; p->nattrs < to; p->nattrs++) {
		struct policy_attrs *a = &p->attrs[p->nattrs];
		uint32_t nname, nmsg;
		int ret;

		if (get_time(r, &a->from) < 0 || get_time(r, &a->until) < 0 ||
		    get32(r, &a->max_per_uid) < 0 || get32(r, &a->idle_timeout) < 0 ||
		    get32(r, &nname) < 0 || get32(r, &nmsg) < 0 || a->from >= a->until ||
		    a->max_per_uid > POLICY_COUNT_MAX || a->idle_timeout > POLICY_SECONDS_MAX)
			return POLICY_E_WIRE;
		ret = decode_str(r, p, nname, name_ok, &a->name);
		if (ret == 0)
			ret = decode_str(r, p, nmsg, message_ok, &a->message);
		if (ret != 0)
			return ret;
		if (policy_attrs_windowed(a))
			p->windows = 1;
	}
	return 0;
}

/* Attributes @a may belong to an allow rule, or a deny rule, as the parser allows them. */
static int attrs_fit(const struct policy_attrs *a, uint32_t allow)
{
	return allow ? !a->message : !a->max_per_uid && !a->idle_timeout;
}

/*
 * A decode in steps (policy_decoder_step()): the header is read at the start, then each phase
 * takes a slice of its records per step, and the index is built in steps too.
 */
enum { DEC_ATTRS, DEC_SIZES, DEC_RULES, DEC_SELS, DEC_RANGES, DEC_ORDER, DEC_INDEX, DEC_DONE };

struct policy_decoder {
	struct reader r;
	struct policy *p;
	uint32_t nattrs, nrules, nsels, nranges;
	int phase;
	int error;     /* the first step's error, given again by every later step */
	size_t cursor; /* the next selector a rule must start at, the next range a selector */
	size_t attrs;  /* the next attribute record a rule may claim */
	size_t order;  /* the selector the order check of ranges is at */
	struct policy_ix_builder ix;
};

/* The end of a slice of at most *@budget records from @i to @n; the budget pays for them. */
static size_t slice(size_t *budget, size_t i, size_t n)
{
	size_t k = n - i < *budget ? n - i : *budget;

	*budget -= k;
	return i + k;
}

static int decode_rules(struct policy_decoder *d, size_t to)
{
	struct policy *p = d->p;

	for (; p->nrules < to; p->nrules++) {
		struct policy_rule *rule = &p->rules[p->nrules];

		/* DEC_SIZES checked that the records fill what is left (see take32()). */
		rule->allow = take32(&d->r);
		rule->file = take32(&d->r);
		rule->line = take32(&d->r);
		rule->first = take32(&d->r);
		rule->count = take32(&d->r);
		rule->attrs = take32(&d->r);
		if (rule->allow > 1 || rule->file >= p->nfiles || rule->first != d->cursor ||
		    rule->count > d->nsels - d->cursor)
			return POLICY_E_WIRE;
		if (rule->attrs != POLICY_NO_ATTRS &&
		    (rule->attrs != d->attrs || d->attrs == p->nattrs ||
		     !attrs_fit(&p->attrs[d->attrs++], rule->allow)))
			return POLICY_E_WIRE;
		d->cursor += rule->count;
	}
	if (p->nrules < d->nrules)
		return 0;
	return d->cursor == d->nsels && d->attrs == p->nattrs ? 0 : POLICY_E_WIRE;
}

static int decode_sels(struct policy_decoder *d, size_t to)
{
	struct policy *p = d->p;

	for (; p->nsels < to; p->nsels++) {
		struct policy_sel *sel = &p->sels[p->nsels];

		sel->kind = take32(&d->r);
		sel->first = take32(&d->r);
		sel->count = take32(&d->r);
		if (sel->kind > POLICY_GROUP || sel->first != d->cursor || sel->count == 0 ||
		    sel->count > d->nranges - d->cursor)
			return POLICY_E_WIRE;
		d->cursor += sel->count;
	}
	if (p->nsels < d->nsels)
		return 0;
	return d->cursor == d->nranges ? 0 : POLICY_E_WIRE;
}

static int decode_ranges(struct policy_decoder *d, size_t to)
{
	struct policy *p = d->p;

	for (; p->nranges < to; p->nranges++) {
		struct policy_range *rg = &p->ranges[p->nranges];

		rg->lo = take32(&d->r);
		rg->hi = take32(&d->r);
		if (rg->lo > rg->hi || rg->hi > POLICY_ID_MAX)
			return POLICY_E_WIRE;
	}
	return 0;
}

/* Within a selector, up to @to: sorted, disjoint, not adjacent, as policy_eval() relies on. */
static int check_order(struct policy_decoder *d, size_t to)
{
	const struct policy *p = d->p;

	for (; d->order < to; d->order++)
		for (size_t k = 1; k < p->sels[d->order].count; k++) {
			const struct policy_range *rg = &p->ranges[p->sels[d->order].first + k];
			if ((uint64_t)rg[-1].hi + 1 >= rg->lo)
				return POLICY_E_WIRE;
		}
	return 0;
}

int policy_decoder_start(const void *buf, size_t len, struct policy_decoder **out)
{
	struct policy_decoder *d;
	uint32_t version, total, nfiles;
	int ret;

	*out = NULL;
	if (len < WIRE_HEADER || len > UINT32_MAX || memcmp(buf, WIRE_MAGIC, 4) != 0)
		return POLICY_E_WIRE;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->r = (struct reader){.p = (const unsigned char *)buf + 4, .left = len - 4};
	get32(&d->r, &version);
	get32(&d->r, &total);
	get32(&d->r, &nfiles);
	get32(&d->r, &d->nrules);
	get32(&d->r, &d->nsels);
	get32(&d->r, &d->nranges);
	get32(&d->r, &d->nattrs);
	ret = POLICY_E_WIRE;
	if (version != WIRE_VERSION || total != len || d->nrules > POLICY_RULES_MAX ||
	    nfiles > d->r.left / 5 || (d->nrules > 0 && nfiles == 0) || d->nattrs > d->nrules ||
	    d->nattrs > d->r.left / WIRE_ATTR_SIZE)
		goto fail;
	ret = -ENOMEM;
	d->p = calloc(1, sizeof(*d->p));
	if (!d->p)
		goto fail;
	/* At most POLICY_FILES_MAX names of at most WIRE_NAME_MAX bytes: read at once. */
	ret = decode_files(&d->r, d->p, nfiles);
	if (ret != 0)
		goto fail;
	ret = -ENOMEM;
	d->p->attrs = calloc(d->nattrs ? d->nattrs : 1, sizeof(*d->p->attrs));
	d->p->strs = calloc(d->nattrs ? 2 * (size_t)d->nattrs : 1, sizeof(*d->p->strs));
	if (!d->p->attrs || !d->p->strs)
		goto fail;
	*out = d;
	return 0;
fail:
	policy_decoder_free(d);
	return ret;
}

/* One phase's slice, within *@budget. Returns 0 or the error; the phase moves on when done. */
static int decode_slice(struct policy_decoder *d, size_t *budget)
{
	struct policy *p = d->p;
	int ret = 0;

	switch (d->phase) {
	case DEC_ATTRS:
		ret = decode_attrs(&d->r, p, slice(budget, p->nattrs, d->nattrs));
		d->phase += ret == 0 && p->nattrs == d->nattrs;
		break;
	case DEC_SIZES:
		/* Exactly the bytes the counts call for must remain, before anything is allocated.
		 */
		if ((uint64_t)d->nrules * WIRE_RULE_SIZE + (uint64_t)d->nsels * WIRE_SEL_SIZE +
			    (uint64_t)d->nranges * WIRE_RANGE_SIZE !=
		    d->r.left)
			return POLICY_E_WIRE;
		/* Not cleared: a record counts (p->nrules...) only once read and checked. The
		   sizes fit: the records they count fill the frame, which is at most 4 GiB. */
		p->rules = malloc((d->nrules ? d->nrules : 1) * sizeof(*p->rules));
		p->sels = malloc((d->nsels ? d->nsels : 1) * sizeof(*p->sels));
		p->ranges = malloc((d->nranges ? d->nranges : 1) * sizeof(*p->ranges));
		if (!p->rules || !p->sels || !p->ranges)
			return -ENOMEM;
		d->phase++;
		break;
	case DEC_RULES:
		ret = decode_rules(d, slice(budget, p->nrules, d->nrules));
		if (ret == 0 && p->nrules == d->nrules) {
			d->cursor = 0;
			d->phase++;
		}
		break;
	case DEC_SELS:
		ret = decode_sels(d, slice(budget, p->nsels, d->nsels));
		d->phase += ret == 0 && p->nsels == d->nsels;
		break;
	case DEC_RANGES:
		ret = decode_ranges(d, slice(budget, p->nranges, d->nranges));
		d->phase += ret == 0 && p->nranges == d->nranges;
		break;
	case DEC_ORDER:
		ret = check_order(d, slice(budget, d->order, p->nsels));
		if (ret == 0 && d->order == p->nsels) {
			policy_index_begin(p, &d->ix, POLICY_INDEX_BUDGET(p->nrules),
					   POLICY_INDEX_BUDGET(p->nrules));
			d->phase++;
		}
		break;
	case DEC_INDEX:
		ret = policy_index_step(p, &d->ix, budget);
		d->phase += ret == 0;
		ret = ret < 0 ? ret : 0;
		break;
	}
	return ret;
}

int policy_decoder_step(struct policy_decoder *d, size_t budget, struct policy **out)
{
	int ret = 0;

	*out = NULL;
	if (d->error)
		return d->error;
	/* Every phase runs at least once, so that an empty one moves on at no cost. */
	while (ret == 0 && d->phase != DEC_DONE) {
		ret = decode_slice(d, &budget);
		if (budget == 0 && d->phase != DEC_DONE && ret == 0)
			return POLICY_DECODE_MORE;
	}
	if (ret != 0)
		return d->error = ret;
	*out = d->p;
	d->p = NULL;
	return 0;
}

void policy_decoder_free(struct policy_decoder *d)
{
	if (!d)
		return;
	if (d->p && d->phase == DEC_INDEX)
		policy_index_abandon(d->p, &d->ix);
	policy_free(d->p);
	free(d);
}

int policy_decode(const void *buf, size_t len, struct policy **out)
{
	struct policy_decoder *d;
	int ret = policy_decoder_start(buf, len, &d);

	*out = NULL;
	if (ret == 0)
		ret = policy_decoder_step(d, SIZE_MAX, out);
	policy_decoder_free(d);
	return ret;
}
