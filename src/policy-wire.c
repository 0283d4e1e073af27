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
	w->p[0] = (unsigned char)v;
	w->p[1] = (unsigned char)(v >> 8);
	w->p[2] = (unsigned char)(v >> 16);
	w->p[3] = (unsigned char)(v >> 24);
	w->p += 4;
}

struct reader {
	const unsigned char *p;
	size_t left;
};

static int get32(struct reader *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	     (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
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
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
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

static int decode_attrs(struct reader *r, struct policy *p, uint32_t nattrs)
{
	p->attrs = calloc(nattrs ? nattrs : 1, sizeof(*p->attrs));
	p->strs = calloc(nattrs ? 2 * (size_t)nattrs : 1, sizeof(*p->strs));
	if (!p->attrs || !p->strs)
		return -ENOMEM;
	for (; p->nattrs < nattrs; p->nattrs++) {
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
		if (a->from != POLICY_TIME_MIN || a->until != POLICY_TIME_MAX)
			p->windows = 1;
	}
	return 0;
}

/* Attributes @a may belong to an allow rule, or a deny rule, as the parser allows them. */
static int attrs_fit(const struct policy_attrs *a, uint32_t allow)
{
	return allow ? !a->message : !a->max_per_uid && !a->idle_timeout;
}

static int decode_rules(struct reader *r, struct policy *p, size_t nrules, size_t nsels)
{
	size_t cursor = 0, attrs = 0;

	for (; p->nrules < nrules; p->nrules++) {
		struct policy_rule *rule = &p->rules[p->nrules];

		/* The sizes were checked against the header: get32 cannot run short here. */
		get32(r, &rule->allow);
		get32(r, &rule->file);
		get32(r, &rule->line);
		get32(r, &rule->first);
		get32(r, &rule->count);
		get32(r, &rule->attrs);
		if (rule->allow > 1 || rule->file >= p->nfiles || rule->first != cursor ||
		    rule->count > nsels - cursor)
			return POLICY_E_WIRE;
		if (rule->attrs != POLICY_NO_ATTRS && (rule->attrs != attrs || attrs == p->nattrs ||
						       !attrs_fit(&p->attrs[attrs++], rule->allow)))
			return POLICY_E_WIRE;
		cursor += rule->count;
	}
	return cursor == nsels && attrs == p->nattrs ? 0 : POLICY_E_WIRE;
}

static int decode_sels(struct reader *r, struct policy *p, size_t nsels, size_t nranges)
{
	size_t cursor = 0;

	for (; p->nsels < nsels; p->nsels++) {
		struct policy_sel *sel = &p->sels[p->nsels];

		get32(r, &sel->kind);
		get32(r, &sel->first);
		get32(r, &sel->count);
		if (sel->kind > POLICY_GROUP || sel->first != cursor || sel->count == 0 ||
		    sel->count > nranges - cursor)
			return POLICY_E_WIRE;
		cursor += sel->count;
	}
	return cursor == nranges ? 0 : POLICY_E_WIRE;
}

static int decode_ranges(struct reader *r, struct policy *p, size_t nranges)
{
	for (; p->nranges < nranges; p->nranges++) {
		struct policy_range *rg = &p->ranges[p->nranges];

		get32(r, &rg->lo);
		get32(r, &rg->hi);
		if (rg->lo > rg->hi || rg->hi > POLICY_ID_MAX)
			return POLICY_E_WIRE;
	}
	/* Within a selector: sorted, disjoint, not adjacent, as policy_eval() relies on. */
	for (size_t i = 0; i < p->nsels; i++)
		for (size_t k = 1; k < p->sels[i].count; k++) {
			const struct policy_range *rg = &p->ranges[p->sels[i].first + k];
			if ((uint64_t)rg[-1].hi + 1 >= rg->lo)
				return POLICY_E_WIRE;
		}
	return 0;
}

int policy_decode(const void *buf, size_t len, struct policy **out)
{
	struct reader r = {.p = buf, .left = len};
	uint32_t version, total, nfiles, nrules, nsels, nranges, nattrs;
	struct policy *p;
	int ret;

	*out = NULL;
	if (len < WIRE_HEADER || len > UINT32_MAX || memcmp(r.p, WIRE_MAGIC, 4) != 0)
		return POLICY_E_WIRE;
	r.p += 4;
	r.left -= 4;
	get32(&r, &version);
	get32(&r, &total);
	get32(&r, &nfiles);
	get32(&r, &nrules);
	get32(&r, &nsels);
	get32(&r, &nranges);
	get32(&r, &nattrs);
	if (version != WIRE_VERSION || total != len || nrules > POLICY_RULES_MAX ||
	    nfiles > r.left / 5 || (nrules > 0 && nfiles == 0) || nattrs > nrules ||
	    nattrs > r.left / WIRE_ATTR_SIZE)
		return POLICY_E_WIRE;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = decode_files(&r, p, nfiles);
	if (ret == 0)
		ret = decode_attrs(&r, p, nattrs);
	if (ret != 0)
		goto fail;
	/* Exactly the bytes the counts call for must remain, before anything is allocated. */
	ret = POLICY_E_WIRE;
	if ((uint64_t)nrules * WIRE_RULE_SIZE + (uint64_t)nsels * WIRE_SEL_SIZE +
		    (uint64_t)nranges * WIRE_RANGE_SIZE !=
	    r.left)
		goto fail;
	ret = -ENOMEM;
	p->rules = calloc(nrules ? nrules : 1, sizeof(*p->rules));
	p->sels = calloc(nsels ? nsels : 1, sizeof(*p->sels));
	p->ranges = calloc(nranges ? nranges : 1, sizeof(*p->ranges));
	if (!p->rules || !p->sels || !p->ranges)
		goto fail;
	ret = decode_rules(&r, p, nrules, nsels);
	if (ret == 0)
		ret = decode_sels(&r, p, nsels, nranges);
	if (ret == 0)
		ret = decode_ranges(&r, p, nranges);
	if (ret == 0)
		ret = policy_index_build(p);
	if (ret != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	policy_free(p);
	return ret;
}
