// SPDX-License-Identifier: MIT
/*
 * policy-cases: the cases file of `udsecho-policy test` (see policy-cases.h).
 *
 * Lines are read with the policy file's own lexer (policy_lex_line()), WHO with policy-who.c,
 * and a case is decided with policy_eval() or, for a peer known in part, policy_eval_partial():
 * the decision udsechod makes, never a copy of it. One line is one case or one error; the
 * parser goes on so that a run shows every bad line, and gives up after POLICY_ERRORS_MAX.
 * rule= names the deciding rule by its name=, its FILE:LINE or `default`; at= is the instant the
 * case is decided at, written as the policy writes from= and until= (utctime.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/ids.h"
#include "udsecho/utctime.h"
#include "policy-private.h"
#include "udsecho/policy-cases.h"

struct reader {
	struct policy_cases *cases;
	const struct policy_who_lookup *lookup;
	struct diag_list *diags;
	struct policy_token *tok;
	unsigned line;
	size_t errors;
	int fatal; /* -errno, or POLICY_E_INVALID once the parser gives up */
};

static int bad(struct reader *rd, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error at @col of the current line. Returns -1, for the caller to return. */
static int bad(struct reader *rd, unsigned col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag_add(rd->diags, DIAG_ERROR, rd->cases->file, rd->line, col, "%s", msg) < 0)
		rd->fatal = -ENOMEM;
	else if (++rd->errors == POLICY_ERRORS_MAX &&
		 diag_add(rd->diags, DIAG_ERROR, rd->cases->file, rd->line, 0,
			  "too many errors, giving up") == 0)
		rd->fatal = POLICY_E_INVALID;
	return -1;
}

/* rule=FILE:LINE, rule=default or rule=NAME. */
static int parse_rule_ref(struct reader *rd, const struct policy_token *t, struct policy_case *c)
{
	const char *v = t->s + strlen("rule="), *colon;
	size_t len = t->len - strlen("rule=");
	char digits[16] = "";
	uint32_t line;

	c->rule_col = t->col + (unsigned)strlen("rule=");
	if (c->rule_text)
		return bad(rd, t->col, "rule= is given twice");
	c->rule_text = strndup(v, len);
	if (!c->rule_text)
		return rd->fatal = -ENOMEM;
	if (len == strlen("default") && memcmp(v, "default", len) == 0) {
		c->rule = POLICY_CASE_DEFAULT;
		return 0;
	}
	colon = memrchr(v, ':', len);
	if (!colon && len == 0)
		return bad(rd, c->rule_col, "rule= needs a rule: NAME, FILE:LINE or default");
	if (!colon) {
		c->rule = POLICY_CASE_NAME;
		return 0;
	}
	len -= (size_t)(colon + 1 - v);
	if (len < sizeof(digits))
		memcpy(digits, colon + 1, len);
	if (colon == v || len >= sizeof(digits) || ids_parse(digits, &line) != 0 || line == 0)
		return bad(rd, c->rule_col,
			   "rule=%s: expected FILE:LINE, a line number after a file", c->rule_text);
	c->rule = POLICY_CASE_ORIGIN;
	c->rule_line = line;
	c->rule_file = strndup(v, (size_t)(colon - v));
	return c->rule_file ? 0 : (rd->fatal = -ENOMEM);
}

/* at=TIME: the instant the case is decided at. */
static int parse_at(struct reader *rd, const struct policy_token *t, struct policy_case *c)
{
	char why[160];
	size_t at;

	if (c->has_at)
		return bad(rd, t->col, "at= is given twice");
	if (utctime_parse(t->s + 3, t->len - 3, &c->at, why, sizeof(why), &at) < 0)
		return bad(rd, t->col + 3 + (unsigned)at, "at=%.*s: %s", (int)(t->len - 3),
			   t->s + 3, why);
	c->has_at = 1;
	return 0;
}

/* WHO, the @n tokens from @tok, through the lookup; a bad word is located to its value. */
static int parse_who(struct reader *rd, const struct policy_token *tok, size_t n,
		     struct policy_case *c)
{
	struct policy_who_error err;
	char **words = calloc(n, sizeof(*words));
	size_t k = 0;
	int r = -ENOMEM;

	for (; words && k < n && (words[k] = strndup(tok[k].s, tok[k].len)); k++)
		;
	if (k == n)
		r = policy_who_parse(words, n, rd->lookup, &c->who, &err);
	while (words && k-- > 0)
		free(words[k]);
	free(words);
	if (r == -ENOMEM)
		return rd->fatal = r;
	if (r != 0) {
		bad(rd, tok[err.word].col + (unsigned)err.offset, "%s", err.message);
		if (r < 0 && !rd->fatal)
			rd->fatal = r;
		return -1;
	}
	c->who_col = tok[0].col;
	return 0;
}

/* Sort the words after EXPECT: rule= and at= by their keys, WHO the rest, in their order. */
static int parse_words(struct reader *rd, size_t n, struct policy_case *c)
{
	struct policy_token *tok = rd->tok;
	size_t nwho = 0;

	for (size_t i = 1; i < n; i++) {
		if (tok[i].len >= 5 && memcmp(tok[i].s, "rule=", 5) == 0) {
			if (parse_rule_ref(rd, &tok[i], c) < 0)
				return -1;
		} else if (tok[i].len >= 3 && memcmp(tok[i].s, "at=", 3) == 0) {
			if (parse_at(rd, &tok[i], c) < 0)
				return -1;
		} else {
			/* WHO's words, moved down over the keyed ones already taken out. */
			tok[1 + nwho++] = tok[i];
		}
	}
	if (nwho == 0)
		return bad(rd, tok[0].col + (unsigned)tok[0].len + 1,
			   "expected WHO after '%.*s': a user name or uid=ID", (int)tok[0].len,
			   tok[0].s);
	return parse_who(rd, &tok[1], nwho, c);
}

static void case_free(struct policy_case *c)
{
	policy_who_release(&c->who);
	free(c->rule_text);
	free(c->rule_file);
}

/* One line of @n tokens (n > 0): a case appended, or an error. */
static void parse_case(struct reader *rd, size_t n)
{
	struct policy_cases *cs = rd->cases;
	struct policy_case c = {.line = rd->line};
	char shown[POLICY_SHOW_MAX + 8];

	if (!policy_token_is(&rd->tok[0], "allow") && !policy_token_is(&rd->tok[0], "deny")) {
		bad(rd, rd->tok[0].col, "expected 'allow' or 'deny', found %s",
		    policy_token_show(&rd->tok[0], shown, sizeof(shown)));
		return;
	}
	c.allow = policy_token_is(&rd->tok[0], "allow");
	if (parse_words(rd, n, &c) < 0) {
		case_free(&c);
		return;
	}
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct policy_case *v = realloc(cs->v, cap * sizeof(*v));
		if (!v) {
			case_free(&c);
			rd->fatal = -ENOMEM;
			return;
		}
		cs->v = v;
		cs->cap = cap;
	}
	cs->v[cs->n++] = c;
}

int policy_cases_parse(const char *file, const char *text, size_t len,
		       const struct policy_who_lookup *lookup, struct diag_list *diags,
		       struct policy_cases *out)
{
	struct policy_lexer lx = {.text = text, .len = len};
	struct reader rd = {.cases = out, .lookup = lookup, .diags = diags};

	*out = (struct policy_cases){.file = strdup(file)};
	rd.tok = calloc(POLICY_TOKENS_MAX, sizeof(*rd.tok));
	if (!out->file || !rd.tok)
		rd.fatal = -ENOMEM;
	while (!rd.fatal) {
		struct policy_lex_error err;
		size_t n;
		int r = policy_lex_line(&lx, rd.tok, &n, &err);

		rd.line = lx.line;
		if (r == POLICY_LEX_END)
			break;
		if (r == POLICY_LEX_BAD)
			bad(&rd, err.col, "%s", err.message);
		else if (n > 0)
			parse_case(&rd, n);
	}
	free(rd.tok);
	if (!rd.fatal && rd.errors)
		rd.fatal = POLICY_E_INVALID;
	if (!rd.fatal && out->n == 0 &&
	    diag_add(diags, DIAG_WARNING, file, 0, 0, "no cases: nothing is tested") < 0)
		rd.fatal = -ENOMEM;
	if (rd.fatal)
		policy_cases_free(out);
	return rd.fatal;
}

void policy_cases_free(struct policy_cases *cases)
{
	for (size_t i = 0; i < cases->n; i++)
		case_free(&cases->v[i]);
	free(cases->v);
	free(cases->file);
	*cases = (struct policy_cases){0};
}

/* Whether rule @rule of @p was written at FILE:LINE, FILE whole or its last component. */
static int at_origin(const struct policy *p, long rule, const char *file, unsigned line)
{
	const char *f, *slash;
	unsigned l;

	if (policy_rule_origin(p, rule, &f, &l) != 0 || l != line)
		return 0;
	slash = strrchr(f, '/');
	return strcmp(f, file) == 0 || (slash && strcmp(slash + 1, file) == 0);
}

static int names_a_rule(const struct policy *p, const struct policy_case *c)
{
	for (size_t i = 0; i < policy_rule_count(p); i++)
		if (at_origin(p, (long)i, c->rule_file, c->rule_line))
			return 1;
	return 0;
}

int policy_case_run(const struct policy *p, const struct policy_cases *cases, size_t i, int64_t now,
		    struct diag_list *diags, struct policy_verdict *verdict, int *passed)
{
	const struct policy_case *c = &cases->v[i];
	long named = c->rule == POLICY_CASE_NAME ? policy_rule_named(p, c->rule_text) : -1, needs;
	const char *file;
	unsigned line;
	int r;

	if ((c->rule == POLICY_CASE_ORIGIN && !names_a_rule(p, c)) ||
	    (c->rule == POLICY_CASE_NAME && named < 0)) {
		r = diag_add(diags, DIAG_ERROR, cases->file, c->line, c->rule_col,
			     "rule=%s names no rule of the policy", c->rule_text);
		return r < 0 ? r : POLICY_E_INVALID;
	}
	*verdict = policy_eval_partial(p, &c->who.cred, c->has_at ? c->at : now, c->who.unknown,
				       &needs);
	if (needs >= 0) {
		policy_rule_origin(p, needs, &file, &line);
		r = diag_add(diags, DIAG_ERROR, cases->file, c->line, c->who_col, "%s:%u needs %s",
			     file, line, policy_who_missing(c->who.unknown));
		return r < 0 ? r : POLICY_E_INVALID;
	}
	*passed = verdict->allow == c->allow &&
		  (c->rule == POLICY_CASE_ANY ||
		   (c->rule == POLICY_CASE_DEFAULT && verdict->rule < 0) ||
		   (c->rule == POLICY_CASE_ORIGIN &&
		    at_origin(p, verdict->rule, c->rule_file, c->rule_line)) ||
		   (c->rule == POLICY_CASE_NAME && verdict->rule == named));
	return 0;
}
