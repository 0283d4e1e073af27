// SPDX-License-Identifier: MIT
/*
 * policy-wire: a compiled policy as bytes, from the monitor to the worker.
 *
 * The decoder runs in the sandboxed worker on bytes it must not trust: it checks the header,
 * every count against the bytes actually present before allocating, every index against the
 * array it points into, that selectors and ranges partition their arrays in order, that ranges
 * are sorted, disjoint and never contain 4294967295, and that names are non-empty and free of
 * NUL. Anything else is POLICY_E_WIRE. It allocates with malloc and makes no other call.
 *
 * Layout, all integers 32-bit little-endian:
 *   "UDSP" version total-length nfiles nrules nsels nranges
 *   nfiles x (length, bytes)       origin file names, no terminating NUL
 *   nrules x (allow, file, line, first-selector, selector-count)
 *   nsels  x (kind, first-range, range-count)
 *   nranges x (lo, hi)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-private.h"

#define WIRE_MAGIC	"UDSP"
#define WIRE_VERSION	1
#define WIRE_HEADER	28
#define WIRE_NAME_MAX	4096
#define WIRE_RULE_SIZE	20
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

int policy_encode(const struct policy *p, void **buf, size_t *len)
{
	size_t size = WIRE_HEADER + p->nrules * WIRE_RULE_SIZE + p->nsels * WIRE_SEL_SIZE +
		      p->nranges * WIRE_RANGE_SIZE;
	struct writer w;

	for (size_t i = 0; i < p->nfiles; i++)
		size += 4 + strlen(p->files[i]);
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
	for (size_t i = 0; i < p->nfiles; i++) {
		size_t n = strlen(p->files[i]);
		put32(&w, (uint32_t)n);
		memcpy(w.p, p->files[i], n);
		w.p += n;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		put32(&w, p->rules[i].allow);
		put32(&w, p->rules[i].file);
		put32(&w, p->rules[i].line);
		put32(&w, p->rules[i].first);
		put32(&w, p->rules[i].count);
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

static int decode_rules(struct reader *r, struct policy *p, size_t nrules, size_t nsels)
{
	size_t cursor = 0;

	for (; p->nrules < nrules; p->nrules++) {
		struct policy_rule *rule = &p->rules[p->nrules];

		/* The sizes were checked against the header: get32 cannot run short here. */
		get32(r, &rule->allow);
		get32(r, &rule->file);
		get32(r, &rule->line);
		get32(r, &rule->first);
		get32(r, &rule->count);
		if (rule->allow > 1 || rule->file >= p->nfiles || rule->first != cursor ||
		    rule->count > nsels - cursor)
			return POLICY_E_WIRE;
		cursor += rule->count;
	}
	return cursor == nsels ? 0 : POLICY_E_WIRE;
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
	uint32_t version, total, nfiles, nrules, nsels, nranges;
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
	if (version != WIRE_VERSION || total != len || nrules > POLICY_RULES_MAX ||
	    nfiles > r.left / 5 || (nrules > 0 && nfiles == 0))
		return POLICY_E_WIRE;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = decode_files(&r, p, nfiles);
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
