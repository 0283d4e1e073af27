// SPDX-License-Identifier: MIT
/*
 * policy-compile: parsed rules to the numeric policy the worker evaluates.
 *
 * Names become ids through the caller's resolver (NSS in production, a table in tests and in
 * the fuzzer); this file makes no system call of its own. A name that does not resolve is an
 * error, never a rule that silently matches nobody or everybody. Ranges are sorted and merged.
 * Warnings: a rule that can never match because earlier rules match every peer it selects, and
 * an allow rule that admits the overflow id. Never logs, never exits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/nss.h"
#include "policy-private.h"
#include "udsecho/escape.h"
#include "udsecho/idsort.h"

static int cmp_range(const void *a, const void *b)
{
	const struct policy_range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

size_t policy_ranges_normalise(struct policy_range *v, size_t n)
{
	size_t out = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_range);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && (uint64_t)v[out - 1].hi + 1 >= v[i].lo) {
			if (v[i].hi > v[out - 1].hi)
				v[out - 1].hi = v[i].hi;
		} else {
			v[out++] = v[i];
		}
	}
	return out;
}

/*
 * What earlier single-selector rules of one kind cover. The id line is cut at the lo and hi + 1
 * of every range of that kind, so that every range is a run of whole pieces (range r runs from
 * piece rank[2r] to the one before rank[2r + 1]). Each piece points at the first piece from it
 * on that is not covered (a union-find with path halving), so that adding a range and asking
 * whether one is covered cost next to nothing, whatever order the rules come in.
 */
struct cover {
	uint32_t *next; /* one per piece, and one past the last, which is never covered */
};

/* The pieces of @kind, and the ranks of the bounds of its ranges into @rank. */
static int cover_init(struct cover *c, const struct policy *p, uint32_t kind, uint32_t *rank,
		      void (*yield)(void))
{
	struct idsort_state st = {0};
	size_t n = 0, budget = yield ? POLICY_YIELD_EVERY : SIZE_MAX;
	uint64_t *pairs = malloc((2 * p->nranges + 1) * sizeof(*pairs));
	uint64_t *tmp = malloc((2 * p->nranges + 1) * sizeof(*tmp));
	size_t ncuts = 0;

	c->next = malloc((2 * p->nranges + 1) * sizeof(*c->next));
	if (pairs && tmp && c->next) {
		for (size_t k = 0; k < p->nsels; k++) {
			for (uint32_t m = 0; p->sels[k].kind == kind && m < p->sels[k].count; m++)
				n += policy_range_bounds(p, p->sels[k].first + m, &pairs[n]);
			policy_yield_at(yield, k);
		}
		while (idsort_step(pairs, tmp, n, &st, &budget)) {
			yield();
			budget = POLICY_YIELD_EVERY;
		}
		/* The cuts themselves are not needed: next holds them until it is set. */
		ncuts = idsort_rank(pairs, n, c->next, rank);
		policy_yield(yield);
		for (size_t i = 0; i <= ncuts; i++) {
			c->next[i] = (uint32_t)i;
			policy_yield_at(yield, i);
		}
	}
	free(pairs);
	free(tmp);
	return pairs && tmp && c->next ? 0 : -ENOMEM;
}

/* The first piece from @i on that is not covered. */
static uint32_t cover_find(struct cover *c, uint32_t i)
{
	while (c->next[i] != i) {
		c->next[i] = c->next[c->next[i]];
		i = c->next[i];
	}
	return i;
}

/* Whether @rule matches only at some times: it then shadows no later rule. */
static int windowed(const struct policy *p, const struct policy_rule *rule)
{
	const struct policy_attrs *a =
		rule->attrs == POLICY_NO_ATTRS ? NULL : &p->attrs[rule->attrs];

	return a && policy_attrs_windowed(a);
}

/*
 * Rule @i can never match when every peer it selects is matched by an earlier rule: after an
 * `all` rule, or when one of its selectors lies wholly inside what earlier single-selector rules
 * of the same kind cover (a peer it selects has that uid, or that group, so one of those earlier
 * rules matches it first). Sound, not complete: some dead rules go unreported.
 */
static int warn_shadowed(const struct policy *p, struct diag_list *diags,
			 const struct policy_ast *ast, void (*yield)(void))
{
	struct cover seen[2] = {{0}};
	uint32_t *rank = malloc((2 * p->nranges + 1) * sizeof(*rank));
	long all = -1;
	int r = rank ? cover_init(&seen[POLICY_USER], p, POLICY_USER, rank, yield) : -ENOMEM;

	if (r == 0)
		r = cover_init(&seen[POLICY_GROUP], p, POLICY_GROUP, rank, yield);

	for (size_t i = 0; i < p->nrules && r == 0; i++) {
		const struct policy_rule *rule = &p->rules[i];
		const struct policy_ast_rule *ar = &ast->rules[i];
		int dead = 0;

		policy_yield_at(yield, i);
		if (all >= 0) {
			const struct policy_rule *a = &p->rules[all];
			r = diag_add(
				diags, DIAG_WARNING, ast->files[rule->file], rule->line, ar->col,
				"this rule never matches: '%s' at %s:%u matches every peer first",
				p->texts[all], ast->files[a->file], a->line);
			continue;
		}
		for (size_t k = 0; k < rule->count && !dead; k++) {
			const struct policy_sel *sel = &p->sels[rule->first + k];
			dead = 1;
			for (size_t m = 0, g = 2 * sel->first; m < sel->count && dead; m++, g += 2)
				dead = cover_find(&seen[sel->kind], rank[g]) >= rank[g + 1];
		}
		if (rule->count == 0 && !windowed(p, rule))
			all = (long)i;
		if (dead)
			r = diag_add(diags, DIAG_WARNING, ast->files[rule->file], rule->line,
				     ar->col,
				     "this rule never matches: earlier rules match every peer it "
				     "selects (first match wins)");
		else if (rule->count == 1 && !windowed(p, rule))
			for (size_t m = 0, g = 2 * p->sels[rule->first].first;
			     m < p->sels[rule->first].count; m++, g += 2) {
				struct cover *c = &seen[p->sels[rule->first].kind];

				for (uint32_t k = cover_find(c, rank[g]); k < rank[g + 1];
				     k = cover_find(c, k + 1))
					c->next[k] = k + 1;
			}
	}
	free(rank);
	free(seen[0].next);
	free(seen[1].next);
	return r;
}

static int resolve(const struct policy_resolver *res, const struct policy_ast_sel *sel,
		   const struct policy_ast_value *v, uint32_t *id)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	/* A lookup that fails may leave its result unset: the id is then 0, and never used. */
	if (sel->kind == POLICY_USER) {
		r = res->user(res->ctx, v->name, &uid);
		*id = uid;
	} else {
		r = res->group(res->ctx, v->name, &gid);
		*id = gid;
	}
	if (r == 0 && *id > POLICY_ID_MAX)
		r = NSS_E_INVALID;
	return r;
}

static int compile_values(const struct policy_ast_rule *ar, const struct policy_ast_sel *sel,
			  const char *file, const struct policy_resolver *res,
			  struct diag_list *diags, struct policy_range *out, int *warned)
{
	const char *kind = sel->kind == POLICY_USER ? "user" : "group";
	int sys = 0;

	for (size_t i = 0; i < sel->nvalues; i++) {
		const struct policy_ast_value *v = &sel->values[i];
		struct policy_range rg = {v->lo, v->hi};
		int r = 0;

		if (v->name) {
			r = resolve(res, sel, v, &rg.lo);
			rg.hi = rg.lo;
		}
		if (r == NSS_E_UNKNOWN)
			r = diag_add(diags, DIAG_ERROR, file, ar->line, v->col, "unknown %s '%s'",
				     kind, v->name);
		else if (r == NSS_E_INVALID)
			r = diag_add(diags, DIAG_ERROR, file, ar->line, v->col,
				     "invalid %s name '%s'", kind, v->name);
		else if (r < 0) {
			sys = r;
			r = diag_add(diags, DIAG_ERROR, file, ar->line, v->col,
				     "cannot look up %s '%s': %s", kind, v->name, strerror(-r));
		} else if (ar->allow && !*warned && rg.lo <= POLICY_OVERFLOW_ID &&
			   rg.hi >= POLICY_OVERFLOW_ID) {
			*warned = 1;
			r = diag_add(
				diags, DIAG_WARNING, file, ar->line, v->col,
				"this rule allows %s %u, the overflow id: every peer from a user "
				"namespace without a mapping for its %s shows as %u",
				sel->kind == POLICY_USER ? "uid" : "gid", POLICY_OVERFLOW_ID,
				sel->kind == POLICY_USER ? "uid" : "gid", POLICY_OVERFLOW_ID);
		}
		if (r < 0 && !sys)
			return r;
		out[i] = rg;
	}
	return sys;
}

/*
 * The file names, escaped once here (escape.h): the worker logs one with every decision, and a
 * name from an include's directory may hold a newline that would forge a log line. Diagnostics
 * take the raw names of the ast instead: diag_format() escapes what it prints.
 */
static int dup_files(struct policy *p, char *const *files, size_t n)
{
	p->files = calloc(n ? n : 1, sizeof(*p->files));
	if (!p->files)
		return -ENOMEM;
	for (; p->nfiles < n; p->nfiles++) {
		size_t len = strlen(files[p->nfiles]), cap = 4 * len + 1;
		char *name = malloc(cap);

		if (!name)
			return -ENOMEM;
		escape(files[p->nfiles], len, name, cap, 0);
		p->files[p->nfiles] = name;
	}
	return 0;
}

/*
 * An empty compiled policy with room for every rule, selector and value of @ast. The arrays are
 * not cleared: compile_rule() writes every entry it counts, and nothing reads past the counts.
 */
static int policy_alloc(const struct policy_ast *ast, struct policy **out)
{
	size_t nsels = ast->nsels, nvalues = ast->nvalues, nattrs = ast->nattrs, ntext = ast->ntext;
	struct policy *p;
	int r = -ENOMEM;

	*out = p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->rules = malloc((ast->nrules ? ast->nrules : 1) * sizeof(*p->rules));
	p->texts = malloc((ast->nrules ? ast->nrules : 1) * sizeof(*p->texts));
	p->text = malloc(ntext ? ntext : 1);
	p->sels = malloc((nsels ? nsels : 1) * sizeof(*p->sels));
	p->ranges = malloc((nvalues ? nvalues : 1) * sizeof(*p->ranges));
	p->attrs = malloc((nattrs ? nattrs : 1) * sizeof(*p->attrs));
	p->strs = malloc((nattrs ? 2 * nattrs : 1) * sizeof(*p->strs));
	if (p->rules && p->texts && p->text && p->sels && p->ranges && p->attrs && p->strs)
		r = dup_files(p, ast->files, ast->nfiles);
	return r;
}

int policy_attrs_add(struct policy *p, struct policy_rule *rule, const struct policy_attrs *a)
{
	struct policy_attrs *to = &p->attrs[p->nattrs];
	const char *from[2] = {a->name, a->message};
	const char **into[2] = {&to->name, &to->message};

	*to = *a;
	for (int i = 0; i < 2; i++) {
		if (!from[i])
			continue;
		p->strs[p->nstrs] = strdup(from[i]);
		if (!p->strs[p->nstrs])
			return -ENOMEM;
		*into[i] = p->strs[p->nstrs++];
	}
	if (policy_attrs_windowed(a))
		p->windows = 1;
	rule->attrs = (uint32_t)p->nattrs++;
	return 0;
}

/*
 * Append rule @ar to @p. Returns 0 or -ENOMEM; a name that does not resolve is a diagnostic, and
 * a resolver's own failure is kept in *@sys (the first one) while the other rules go on.
 */
static int compile_rule(struct policy *p, const struct policy_ast *ast,
			const struct policy_ast_rule *ar, const struct policy_resolver *resolver,
			struct diag_list *diags, int *sys)
{
	struct policy_rule *rule = &p->rules[p->nrules];
	size_t len = ar->textlen + 1;
	int warned = 0;

	*rule = (struct policy_rule){.allow = ar->allow ? 1 : 0,
				     .file = (uint32_t)ar->file,
				     .line = ar->line,
				     .first = (uint32_t)p->nsels,
				     .count = (uint32_t)ar->nsels,
				     .attrs = POLICY_NO_ATTRS};
	p->texts[p->nrules++] = memcpy(p->text + p->textlen, ar->text, len);
	p->textlen += len;
	if (ar->attrs && policy_attrs_add(p, rule, &ar->attrs->attrs) < 0)
		return -ENOMEM;
	for (size_t k = 0; k < ar->nsels; k++) {
		const struct policy_ast_sel *sel = &ar->sels[k];
		struct policy_range *rg = &p->ranges[p->nranges];
		int r = compile_values(ar, sel, ast->files[ar->file], resolver, diags, rg, &warned);

		if (r == -ENOMEM)
			return r;
		if (r < 0 && !*sys)
			*sys = r;
		p->sels[p->nsels++] = (struct policy_sel){
			.kind = sel->kind,
			.first = (uint32_t)p->nranges,
			.count = (uint32_t)policy_ranges_normalise(rg, sel->nvalues)};
		p->nranges += p->sels[p->nsels - 1].count;
	}
	return 0;
}

int policy_compile(const struct policy_ast *ast, const struct policy_resolver *resolver,
		   struct diag_list *diags, struct policy **out)
{
	size_t errors_before = diags->errors;
	struct policy *p;
	int r, sys = 0;

	*out = NULL;
	r = policy_alloc(ast, &p);
	for (size_t i = 0; r == 0 && i < ast->nrules; i++) {
		r = compile_rule(p, ast, &ast->rules[i], resolver, diags, &sys);
		policy_yield_at(resolver->yield, i);
	}
	if (r == 0 && sys)
		r = sys;
	if (r == 0 && diags->errors > errors_before)
		r = POLICY_E_INVALID;
	if (r == 0)
		r = warn_shadowed(p, diags, ast, resolver->yield);
	if (r == 0 && p->nrules == 0 && ast->nfiles > 0)
		r = diag_add(diags, DIAG_WARNING, ast->files[0], 0, 0,
			     "no rules: every peer is denied");
	if (r != 0) {
		policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int policy_builtin_allow_uid(uid_t uid, struct policy **out)
{
	char *files[] = {"built-in"};
	struct policy *p;

	*out = NULL;
	if (uid > POLICY_ID_MAX)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->rules = calloc(1, sizeof(*p->rules));
	p->sels = calloc(1, sizeof(*p->sels));
	p->ranges = calloc(1, sizeof(*p->ranges));
	p->texts = calloc(1, sizeof(*p->texts));
	if (!p->rules || !p->sels || !p->ranges || !p->texts || dup_files(p, files, 1) < 0 ||
	    asprintf(&p->text, "allow user %u", (unsigned)uid) < 0) {
		policy_free(p);
		return -ENOMEM;
	}
	p->ranges[0] = (struct policy_range){uid, uid};
	p->sels[0] = (struct policy_sel){.kind = POLICY_USER, .first = 0, .count = 1};
	p->texts[0] = p->text;
	p->rules[0] = (struct policy_rule){
		.allow = 1, .file = 0, .line = 0, .first = 0, .count = 1, .attrs = POLICY_NO_ATTRS};
	p->nranges = p->nsels = p->nrules = 1;
	if (policy_index_build(p) < 0) {
		policy_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->attrs);
	free(p->texts);
	free(p->text);
	free(p->files);
	free(p->rules);
	free(p->sels);
	free(p->ranges);
	policy_index_free(p);
	free(p);
}
