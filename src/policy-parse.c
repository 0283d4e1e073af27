// SPDX-License-Identifier: MIT
/*
 * policy-parse: policy text to a list of rules that still hold names, with diagnostics.
 *
 * Pure: it never opens a file, never resolves a name, never logs and never exits. Include
 * files come through the caller's reader, which makes the file checks. Every error names the
 * offending token with FILE:LINE:COL; the parser goes on to the next line so that one run shows
 * every error, and gives up after POLICY_ERRORS_MAX. Lines, rules and include depth are bounded.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/utctime.h"
#include "policy-private.h"

/* LOGIN_NAME_MAX counts the terminating NUL; group names get the same limit (as nss.c). */
#define NAME_MAX_LEN (LOGIN_NAME_MAX - 1)

struct parser {
	const struct policy_reader *reader;
	struct diag_list *diags;
	struct policy_ast *ast;
	struct policy_token *tok;
	char *scratch; /* POLICY_LINE_MAX + 1 bytes: an attribute's value, unquoted */
	char *stack[POLICY_DEPTH_MAX + 1]; /* ids of the files being read, for loops */
	size_t depth;
	size_t files; /* files read, the top one included: at most POLICY_FILES_MAX */
	size_t errors;
	int fatal; /* -ENOMEM, or POLICY_E_INVALID once the parser gives up */
};

static const char *kind_name(enum policy_kind kind)
{
	return kind == POLICY_USER ? "user" : "group";
}

const char *policy_token_show(const struct policy_token *t, char *buf, size_t size)
{
	if (t->len > POLICY_SHOW_MAX)
		snprintf(buf, size, "'%.*s...'", POLICY_SHOW_MAX, t->s);
	else
		snprintf(buf, size, "'%.*s'", (int)t->len, t->s);
	return buf;
}

static void perror_at(struct parser *ps, const char *file, unsigned line, unsigned col,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void perror_at(struct parser *ps, const char *file, unsigned line, unsigned col,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->fatal)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag_add(ps->diags, DIAG_ERROR, file, line, col, "%s", msg) < 0) {
		ps->fatal = -ENOMEM;
		return;
	}
	if (++ps->errors == POLICY_ERRORS_MAX) {
		diag_add(ps->diags, DIAG_ERROR, file, line, 0, "too many errors, giving up");
		ps->fatal = POLICY_E_INVALID;
	}
}

static void pwarn_at(struct parser *ps, const char *file, unsigned line, unsigned col,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void pwarn_at(struct parser *ps, const char *file, unsigned line, unsigned col,
		     const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag_add(ps->diags, DIAG_WARNING, file, line, col, "%s", msg) < 0)
		ps->fatal = -ENOMEM;
}

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == '@';
}

/*
 * The rules' text, selectors, values and strings are carved from large blocks that the AST frees
 * together: a policy of 100,000 rules is half a million small allocations otherwise, and as many
 * frees.
 */
#define AST_BLOCK_SIZE (64 * 1024)

struct policy_ast_block {
	struct policy_ast_block *next;
	size_t used, size;
	max_align_t data[];
};

/*
 * @n bytes from the blocks of @ps's AST, not cleared (every caller writes what it asked for), or
 * NULL (ps->fatal is then set).
 */
static void *ast_alloc(struct parser *ps, size_t n)
{
	struct policy_ast_block *b = ps->ast->blocks;
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	void *v;

	if (!b || b->size - b->used < need) {
		size_t size = need > AST_BLOCK_SIZE ? need : AST_BLOCK_SIZE;

		b = malloc(sizeof(*b) + size);
		if (!b) {
			ps->fatal = -ENOMEM;
			return NULL;
		}
		*b = (struct policy_ast_block){.next = ps->ast->blocks, .size = size};
		ps->ast->blocks = b;
	}
	v = (char *)b->data + b->used;
	b->used += need;
	return v;
}

/* A copy of the @n bytes at @s, NUL-terminated, in the AST's blocks; NULL as ast_alloc(). */
static char *ast_strndup(struct parser *ps, const char *s, size_t n)
{
	char *d = ast_alloc(ps, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * The digits at @s, at most @len, as a number in *@v (which only ten digits or fewer fit). Tokens
 * point into the text, which has no terminating NUL: never use str*() on them.
 */
static size_t scan_digits(const char *s, size_t len, uint64_t *v)
{
	size_t i = 0;

	for (*v = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	return i;
}

/* Whether the @len digits read as @v are an id: ten digits at most, below 4294967295. */
static int id_fits(size_t len, uint64_t v)
{
	return len <= 10 && v < 4294967295u;
}

/* id_fits(), or the error that says why not. */
static int id_ok(struct parser *ps, const char *file, unsigned line, const char *s, size_t len,
		 unsigned col, enum policy_kind kind, uint64_t v)
{
	if (id_fits(len, v))
		return 1;
	perror_at(ps, file, line, col,
		  "%s %.*s is out of range: ids go from 0 to 4294967294 (4294967295 is never an "
		  "id)",
		  kind == POLICY_USER ? "uid" : "gid", (int)len, s);
	return 0;
}

static int parse_value(struct parser *ps, const char *file, unsigned line,
		       const struct policy_token *t, enum policy_kind kind,
		       struct policy_ast_value *v)
{
	char shown[POLICY_SHOW_MAX + 8];

	*v = (struct policy_ast_value){.col = t->col};
	if (t->s[0] >= '0' && t->s[0] <= '9') {
		/* A number, or two joined by a dash: read in one pass. */
		uint64_t lo, hi;
		size_t a = scan_digits(t->s, t->len, &lo), b = 0;
		int dash = a < t->len && t->s[a] == '-';

		if (dash)
			b = scan_digits(t->s + a + 1, t->len - a - 1, &hi);
		if (a + dash + b != t->len || (dash && b == 0)) {
			perror_at(ps, file, line, t->col,
				  "invalid %s %s: expected a number or a range such as 1000-1999",
				  kind == POLICY_USER ? "uid" : "gid",
				  policy_token_show(t, shown, sizeof(shown)));
			return -1;
		}
		if (!id_ok(ps, file, line, t->s, a, t->col, kind, lo) ||
		    (dash &&
		     !id_ok(ps, file, line, t->s + a + 1, b, t->col + (unsigned)a + 1, kind, hi)))
			return -1;
		v->lo = (uint32_t)lo;
		v->hi = dash ? (uint32_t)hi : v->lo;
		if (v->lo > v->hi) {
			perror_at(ps, file, line, t->col, "empty range %s: %u is larger than %u",
				  policy_token_show(t, shown, sizeof(shown)), v->lo, v->hi);
			return -1;
		}
		return 0;
	}
	if (t->len > NAME_MAX_LEN) {
		perror_at(ps, file, line, t->col, "%s name %s is longer than %d bytes",
			  kind_name(kind), policy_token_show(t, shown, sizeof(shown)),
			  NAME_MAX_LEN);
		return -1;
	}
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		int ok = name_char_ok(c) || (c == '$' && i == t->len - 1);
		if (!ok || (i == 0 && c == '-')) {
			perror_at(ps, file, line, t->col + (unsigned)i,
				  "invalid character '%c' in %s name %s", c, kind_name(kind),
				  policy_token_show(t, shown, sizeof(shown)));
			return -1;
		}
	}
	v->name = ast_strndup(ps, t->s, t->len);
	return v->name ? 0 : -1;
}

/* The @n words of @tok at @to, one blank between two; returns their end (no NUL is written). */
static char *copy_words(char *to, const struct policy_token *tok, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*to++ = ' ';
		memcpy(to, tok[i].s, tok[i].len);
		to += tok[i].len;
	}
	return to;
}

/*
 * The words of the line, one blank between two, in the AST's blocks, their length in *@len (the
 * NUL excluded); NULL as ast_alloc().
 */
static char *join_tokens(struct parser *ps, const struct policy_token *tok, size_t n, size_t *len)
{
	char *s;

	*len = 0;
	for (size_t i = 0; i < n; i++)
		*len += tok[i].len + 1;
	s = ast_alloc(ps, *len);
	--*len;
	if (!s)
		return NULL;
	/* Words one blank apart, as most lines have them, are copied at once. */
	if ((size_t)(tok[n - 1].s + tok[n - 1].len - tok[0].s) == *len) {
		size_t i = 1;

		while (i < n && tok[i].s[-1] == ' ')
			i++;
		if (i == n) {
			memcpy(s, tok[0].s, *len);
			s[*len] = '\0';
			return s;
		}
	}
	*copy_words(s, tok, n) = '\0';
	return s;
}

static int is_keyword(const struct policy_token *t)
{
	return policy_token_is(t, "allow") || policy_token_is(t, "deny") ||
	       policy_token_is(t, "include") || policy_token_is(t, "all");
}

/* A word of the form KEY=VALUE: an attribute (no selector value holds '='). */
static int is_attr(const struct policy_token *t)
{
	return t->eq;
}

static int is_selector(const struct policy_token *t)
{
	return policy_token_is(t, "user") || policy_token_is(t, "group");
}

/*
 * One "(user|group) VALUE..." of @r, from tok[*i] to the next selector or the end of the line,
 * into r->sels (which has room for it); *i moves past it. Returns 0, or -1 after reporting the
 * error (or setting ps->fatal).
 */
static int parse_selector(struct parser *ps, const char *fname, unsigned line, size_t n, size_t *i,
			  struct policy_ast_rule *r)
{
	const struct policy_token *tok = ps->tok;
	struct policy_ast_sel *sel;
	char shown[POLICY_SHOW_MAX + 8];
	size_t start, end = *i + 1;

	if (!is_selector(&tok[*i])) {
		perror_at(ps, fname, line, tok[*i].col, "expected 'user' or 'group', found %s",
			  policy_token_show(&tok[*i], shown, sizeof(shown)));
		return -1;
	}
	sel = &r->sels[r->nsels++];
	*sel = (struct policy_ast_sel){
		.kind = policy_token_is(&tok[*i], "user") ? POLICY_USER : POLICY_GROUP,
		.col = tok[*i].col,
	};
	for (start = end; end < n && !is_selector(&tok[end]) && !is_attr(&tok[end]); end++) {
		if (is_keyword(&tok[end])) {
			perror_at(ps, fname, line, tok[end].col,
				  "unexpected keyword %s in a list of %s names%s",
				  policy_token_show(&tok[end], shown, sizeof(shown)),
				  kind_name(sel->kind),
				  policy_token_is(&tok[end], "all") ? ": 'all' stands alone"
								    : ": one rule per line");
			return -1;
		}
	}
	*i = end;
	if (end == start) {
		const struct policy_token *prev = &tok[start - 1];
		perror_at(ps, fname, line,
			  end < n ? tok[end].col : prev->col + (unsigned)prev->len + 1,
			  "expected a %s name, %s or range after '%s'", kind_name(sel->kind),
			  sel->kind == POLICY_USER ? "uid" : "gid", kind_name(sel->kind));
		return -1;
	}
	sel->values = ast_alloc(ps, (end - start) * sizeof(*sel->values));
	if (!sel->values)
		return -1;
	for (size_t j = start; j < end; j++) {
		if (parse_value(ps, fname, line, &tok[j], sel->kind, &sel->values[sel->nvalues]) <
		    0)
			return -1;
		sel->nvalues++;
	}
	return 0;
}

/*
 * Room in the AST for @more rules after those it has (at most as many as a policy may hold), or
 * twice its room if that is more. Returns 0, or -1 with ps->fatal set.
 */
static int reserve_rules(struct parser *ps, size_t more)
{
	struct policy_ast *ast = ps->ast;
	size_t cap = ast->nrules + (more < POLICY_RULES_MAX ? more : POLICY_RULES_MAX) + 1;
	struct policy_ast_rule *rules;

	if (cap <= ast->cap)
		return 0;
	if (cap < 2 * ast->cap)
		cap = 2 * ast->cap;
	rules = realloc(ast->rules, cap * sizeof(*rules));
	if (!rules) {
		ps->fatal = -ENOMEM;
		return -1;
	}
	ast->rules = rules;
	ast->cap = cap;
	return 0;
}

/* Append @r, whose text is set, to @ast, which has room for it, and count what it holds. */
static void append_rule(struct policy_ast *ast, const struct policy_ast_rule *r)
{
	ast->rules[ast->nrules++] = *r;
	ast->nsels += r->nsels;
	for (size_t k = 0; k < r->nsels; k++)
		ast->nvalues += r->sels[k].nvalues;
	ast->nattrs += r->attrs != NULL;
	ast->ntext += r->textlen + 1;
}

/* Append @r, the rule of the @n tokens of the line, to the AST. Returns 0 or -1 as above. */
static int add_rule(struct parser *ps, const char *fname, unsigned line, size_t n,
		    struct policy_ast_rule *r)
{
	struct policy_ast *ast = ps->ast;

	if (ast->nrules == POLICY_RULES_MAX) {
		perror_at(ps, fname, line, ps->tok[0].col, "more than %d rules", POLICY_RULES_MAX);
		ps->fatal = ps->fatal ? ps->fatal : POLICY_E_INVALID;
		return -1;
	}
	size_t len;

	r->text = join_tokens(ps, ps->tok, n, &len);
	if (!r->text)
		return -1;
	r->textlen = (uint32_t)len;
	if (ast->nrules == ast->cap && reserve_rules(ps, 1) < 0)
		return -1;
	append_rule(ast, r);
	return 0;
}

enum attr_key {
	ATTR_NAME,
	ATTR_MESSAGE,
	ATTR_MAX_PER_UID,
	ATTR_IDLE_TIMEOUT,
	ATTR_FROM,
	ATTR_UNTIL
};

static const char *const attr_keys[] = {"name",		"message", "max-per-uid",
					"idle-timeout", "from",	   "until"};

#define ATTR_KEYS (sizeof(attr_keys) / sizeof(attr_keys[0]))

/* One attribute being read: where it is, and its value with the quotes taken off. */
struct attr {
	const char *file;
	unsigned line, col; /* of the word */
	unsigned vcol;	    /* of the value's first byte, after an opening quote */
	enum attr_key key;
	const char *raw; /* the value as written, quotes and escapes included */
	size_t rawlen;
	char *value; /* without them: the parser's scratch line, POLICY_LINE_MAX + 1 bytes */
	size_t len;
};

/* Take the quotes off @a's value: \" and \\ are the only escapes. Returns 0 or -1 (reported). */
static int unquote(struct parser *ps, struct attr *a)
{
	const char *v = a->raw;
	size_t n = a->rawlen, i;

	a->len = 0;
	if (n == 0 || v[0] != '"') {
		memcpy(a->value, v, n);
		a->len = n;
		a->value[n] = '\0';
		if (memchr(v, '"', n)) {
			perror_at(ps, a->file, a->line,
				  a->vcol + (unsigned)((const char *)memchr(v, '"', n) - v),
				  "a quote inside %s=: quote the whole value, as %s=\"...\"",
				  attr_keys[a->key], attr_keys[a->key]);
			return -1;
		}
		return 0;
	}
	a->vcol++;
	for (i = 1; i < n && v[i] != '"'; i++) {
		if (v[i] == '\\' && (v[i + 1] == '"' || v[i + 1] == '\\')) {
			i++;
		} else if (v[i] == '\\') {
			perror_at(ps, a->file, a->line, a->vcol + (unsigned)i - 1,
				  "unknown escape: in quotes, a backslash goes only before a quote "
				  "or a backslash");
			return -1;
		}
		a->value[a->len++] = v[i];
	}
	a->value[a->len] = '\0';
	if (i + 1 != n) {
		perror_at(ps, a->file, a->line, a->vcol + (unsigned)i,
			  "unexpected text after the closing quote of %s=", attr_keys[a->key]);
		return -1;
	}
	return 0;
}

/* A count of 1 to @max, digits only. Returns 0 or -1 (reported). */
static int attr_number(struct parser *ps, const struct attr *a, unsigned long max, uint32_t *out)
{
	unsigned long v = 0;

	for (size_t i = 0; i < a->len; i++) {
		if (a->value[i] < '0' || a->value[i] > '9' || v > max) {
			v = 0;
			break;
		}
		v = v * 10 + (unsigned long)(a->value[i] - '0');
	}
	if (v < 1 || v > max) {
		perror_at(ps, a->file, a->line, a->vcol, "%s=%s: expected a number from 1 to %lu%s",
			  attr_keys[a->key], a->value, max,
			  a->key == ATTR_IDLE_TIMEOUT ? " (seconds)" : "");
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int attr_name(struct parser *ps, const struct attr *a, struct policy_ast_rule *r)
{
	if (a->len > POLICY_NAME_MAX) {
		perror_at(ps, a->file, a->line, a->vcol, "rule name is longer than %d bytes",
			  POLICY_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < a->len; i++) {
		if (!policy_name_char(a->value[i])) {
			perror_at(ps, a->file, a->line, a->vcol + (unsigned)i,
				  "invalid character '%c' in rule name: letters, digits, '-', '_' "
				  "and '.' only",
				  a->value[i]);
			return -1;
		}
	}
	r->attrs->name_col = a->col;
	r->attrs->attrs.name = ast_strndup(ps, a->value, a->len);
	return r->attrs->attrs.name ? 0 : -1;
}

static int attr_message(struct parser *ps, const struct attr *a, struct policy_ast_rule *r)
{
	/* The value as written: a quote or a backslash is printable, so the columns are exact. */
	for (size_t i = 0; i < a->rawlen; i++) {
		unsigned char c = (unsigned char)a->raw[i];
		if (c < 0x20 || c > 0x7e) {
			perror_at(ps, a->file, a->line, a->vcol - (a->raw[0] == '"') + (unsigned)i,
				  "message byte 0x%02x is not printable ASCII (0x20 to 0x7e): the "
				  "client shows the message as it is",
				  c);
			return -1;
		}
	}
	if (a->len > POLICY_MESSAGE_MAX) {
		perror_at(ps, a->file, a->line, a->vcol, "message is longer than %d bytes (%zu)",
			  POLICY_MESSAGE_MAX, a->len);
		return -1;
	}
	r->attrs->attrs.message = ast_strndup(ps, a->value, a->len);
	return r->attrs->attrs.message ? 0 : -1;
}

static int attr_time(struct parser *ps, const struct attr *a, int64_t *t)
{
	char why[160];
	size_t at;

	if (utctime_parse(a->value, a->len, t, why, sizeof(why), &at) < 0) {
		perror_at(ps, a->file, a->line, a->vcol + (unsigned)at, "%s=%s: %s",
			  attr_keys[a->key], a->value, why);
		return -1;
	}
	return 0;
}

/* Which kind of rule may carry @key: 1 allow only, 0 deny only, -1 both. */
static int attr_kind(enum attr_key key)
{
	return key == ATTR_MESSAGE				     ? 0
	       : key == ATTR_MAX_PER_UID || key == ATTR_IDLE_TIMEOUT ? 1
								     : -1;
}

/* The attribute @t of rule @r. Returns 0 or -1 (reported). */
static int parse_attr(struct parser *ps, const char *fname, unsigned line,
		      const struct policy_token *t, struct policy_ast_rule *r, unsigned *given)
{
	const char *eq = memchr(t->s, '=', t->len);
	size_t klen = (size_t)(eq - t->s), k;
	char shown[POLICY_SHOW_MAX + 8];
	struct attr attr, *a = &attr;
	int ret = -1;

	for (k = 0; k < ATTR_KEYS; k++)
		if (klen == strlen(attr_keys[k]) && memcmp(t->s, attr_keys[k], klen) == 0)
			break;
	if (k == ATTR_KEYS) {
		perror_at(ps, fname, line, t->col,
			  "unknown attribute %s: expected name=, message=, max-per-uid=, "
			  "idle-timeout=, from= or until=",
			  policy_token_show(t, shown, sizeof(shown)));
		return -1;
	}
	if (attr_kind(k) >= 0 && attr_kind(k) != r->allow) {
		perror_at(ps, fname, line, t->col, "%s= is for %s rules only%s", attr_keys[k],
			  r->allow ? "deny" : "allow",
			  r->allow ? ": an allowed peer is sent no refusal" : "");
		return -1;
	}
	if (*given & (1u << k)) {
		perror_at(ps, fname, line, t->col, "%s= is given twice in this rule", attr_keys[k]);
		return -1;
	}
	*given |= 1u << k;
	*a = (struct attr){.file = fname,
			   .line = line,
			   .col = t->col,
			   .vcol = t->col + (unsigned)klen + 1,
			   .key = k,
			   .raw = eq + 1,
			   .rawlen = t->len - klen - 1,
			   .value = ps->scratch};
	if (unquote(ps, a) < 0)
		return -1;
	if (a->len == 0) {
		perror_at(ps, fname, line, a->vcol, "%s= needs a value", attr_keys[k]);
		return -1;
	}
	if (!r->attrs) {
		r->attrs = ast_alloc(ps, sizeof(*r->attrs));
		if (!r->attrs)
			return -1;
		*r->attrs = (struct policy_ast_attrs){
			.attrs = {.from = POLICY_TIME_MIN, .until = POLICY_TIME_MAX}};
	}
	switch (a->key) {
	case ATTR_NAME:
		ret = attr_name(ps, a, r);
		break;
	case ATTR_MESSAGE:
		ret = attr_message(ps, a, r);
		break;
	case ATTR_MAX_PER_UID:
		ret = attr_number(ps, a, POLICY_COUNT_MAX, &r->attrs->attrs.max_per_uid);
		break;
	case ATTR_IDLE_TIMEOUT:
		ret = attr_number(ps, a, POLICY_SECONDS_MAX, &r->attrs->attrs.idle_timeout);
		break;
	case ATTR_FROM:
		ret = attr_time(ps, a, &r->attrs->attrs.from);
		break;
	case ATTR_UNTIL:
		ret = attr_time(ps, a, &r->attrs->attrs.until);
		break;
	}
	if (ret == 0 && (*given & (1u << ATTR_FROM)) && (*given & (1u << ATTR_UNTIL)) &&
	    r->attrs->attrs.from >= r->attrs->attrs.until) {
		char from[UTCTIME_LEN + 1], until[UTCTIME_LEN + 1];
		perror_at(ps, fname, line, t->col,
			  "empty time window: from=%s is not before until=%s",
			  utctime_format(r->attrs->attrs.from, from, sizeof(from)),
			  utctime_format(r->attrs->attrs.until, until, sizeof(until)));
		ret = -1;
	}
	return ret;
}

/* The attributes of @r, tok[i] to the end of the line. Returns 0 or -1 (reported). */
static int parse_attrs(struct parser *ps, const char *fname, unsigned line, size_t i, size_t n,
		       struct policy_ast_rule *r)
{
	char shown[POLICY_SHOW_MAX + 8];
	unsigned given = 0;

	for (; i < n; i++) {
		if (!is_attr(&ps->tok[i])) {
			perror_at(ps, fname, line, ps->tok[i].col,
				  "unexpected %s after an attribute: selectors come first, then "
				  "KEY=VALUE attributes",
				  policy_token_show(&ps->tok[i], shown, sizeof(shown)));
			return -1;
		}
		if (parse_attr(ps, fname, line, &ps->tok[i], r, &given) < 0)
			return -1;
	}
	return 0;
}

/* "allow|deny (all | (user|group) VALUE...)... [KEY=VALUE...]": one rule, or an error and none. */
static void parse_rule(struct parser *ps, size_t file, unsigned line, size_t n)
{
	const char *fname = ps->ast->files[file];
	const struct policy_token *tok = ps->tok;
	struct policy_ast_rule r = {.allow = policy_token_is(&tok[0], "allow"),
				    .file = (uint32_t)file,
				    .line = line,
				    .col = tok[0].col};
	char shown[POLICY_SHOW_MAX + 8];
	size_t i = 1;

	if (n == 1 || is_attr(&tok[1])) {
		perror_at(ps, fname, line,
			  n == 1 ? tok[0].col + (unsigned)tok[0].len + 1 : tok[1].col,
			  "expected 'user', 'group' or 'all' after '%.*s'", (int)tok[0].len,
			  tok[0].s);
		return;
	}
	if (policy_token_is(&tok[1], "all")) {
		if (n > 2 && !is_attr(&tok[2])) {
			perror_at(ps, fname, line, tok[2].col,
				  "unexpected %s: 'all' takes no selectors",
				  policy_token_show(&tok[2], shown, sizeof(shown)));
			return;
		}
		i = 2;
	} else {
		size_t nsels = 0;

		/* Room for every selector, once: parse_selector() takes one each. */
		for (size_t k = 1; k < n && !is_attr(&tok[k]); k++)
			nsels += is_selector(&tok[k]);
		r.sels = ast_alloc(ps, (nsels ? nsels : 1) * sizeof(*r.sels));
		if (!r.sels)
			return;
		while (i < n && !is_attr(&tok[i])) {
			if (parse_selector(ps, fname, line, n, &i, &r) < 0)
				return;
		}
	}
	if (parse_attrs(ps, fname, line, i, n, &r) == 0)
		add_rule(ps, fname, line, n, &r);
}

static int parse_buffer(struct parser *ps, const char *file, const char *text, size_t len);

/* The pattern as the reader should see it: relative to the including file's directory. */
static char *include_pattern(const char *file, const struct policy_token *t)
{
	const char *slash = strrchr(file, '/');
	char *s;

	if (t->s[0] == '/' || !slash)
		return strndup(t->s, t->len);
	if (asprintf(&s, "%.*s/%.*s", (int)(slash - file), file, (int)t->len, t->s) < 0)
		return NULL;
	return s;
}

static void include_one(struct parser *ps, const char *fname, unsigned line, unsigned col,
			const char *path)
{
	char *text = NULL, *id = NULL, *why = NULL;
	size_t len = 0;

	/* Bounded, so that a tree of includes cannot keep the loader busy for an hour. */
	if (++ps->files > POLICY_FILES_MAX) {
		perror_at(ps, fname, line, col,
			  "cannot include %s: a policy reads at most %d files, includes counted",
			  path, POLICY_FILES_MAX);
		ps->fatal = POLICY_E_INVALID;
		return;
	}
	if (ps->reader->read(ps->reader->ctx, path, &text, &len, &id, &why) != 0) {
		perror_at(ps, fname, line, col, "cannot include %s: %s", path,
			  why ? why : "cannot read it");
		free(why);
		return;
	}
	for (size_t k = 0; k <= ps->depth; k++) {
		if (strcmp(ps->stack[k], id) == 0) {
			perror_at(ps, fname, line, col, "include loop: %s is already being read",
				  path);
			goto out;
		}
	}
	if (ps->depth == POLICY_DEPTH_MAX) {
		perror_at(ps, fname, line, col,
			  "cannot include %s: includes nested deeper than %d levels", path,
			  POLICY_DEPTH_MAX);
		goto out;
	}
	ps->stack[++ps->depth] = id;
	id = NULL;
	parse_buffer(ps, path, text, len);
	free(ps->stack[ps->depth--]);
out:
	free(id);
	free(text);
}

static void parse_include(struct parser *ps, const char *fname, unsigned line, size_t n)
{
	const struct policy_token *tok = ps->tok;
	char shown[POLICY_SHOW_MAX + 8];
	char **paths = NULL, *why = NULL, *pattern;
	size_t npaths = 0;
	unsigned col;

	if (n == 1) {
		perror_at(ps, fname, line, tok[0].col + (unsigned)tok[0].len + 1,
			  "expected a file name or pattern after 'include'");
		return;
	}
	if (n > 2) {
		perror_at(ps, fname, line, tok[2].col,
			  "unexpected %s: one file name or pattern per include",
			  policy_token_show(&tok[2], shown, sizeof(shown)));
		return;
	}
	col = tok[1].col;
	if (!ps->reader) {
		perror_at(ps, fname, line, tok[0].col, "include is not available here");
		return;
	}
	pattern = include_pattern(fname, &tok[1]);
	if (!pattern) {
		ps->fatal = -ENOMEM;
		return;
	}
	/* The reader's calls below reuse ps->tok: nothing from it is used after this point. */
	if (ps->reader->expand(ps->reader->ctx, pattern, &paths, &npaths, &why) != 0) {
		perror_at(ps, fname, line, col, "cannot include %s: %s", pattern,
			  why ? why : "cannot expand it");
		free(why);
	} else if (npaths == 0 && !strpbrk(pattern, "*?[")) {
		/* A name without wildcards is a file the admin expects to exist: likely a typo. */
		perror_at(ps, fname, line, col, "cannot include %s: no such file", pattern);
	} else if (npaths == 0) {
		pwarn_at(ps, fname, line, col, "include pattern %s matches no file", pattern);
	}
	for (size_t i = 0; i < npaths; i++) {
		if (!ps->fatal)
			include_one(ps, fname, line, col, paths[i]);
		free(paths[i]);
	}
	free(paths);
	free(pattern);
}

/*
 * The UTF-8 character at @s (@len bytes left, s[0] >= 0x80), shortest form only, into *@cp.
 * Returns its length, or 0 when the bytes are no such character (a lone or 8-bit control such
 * as 0x9b, an overlong form, a surrogate, beyond U+10FFFF, cut short).
 */
static size_t utf8_char(const unsigned char *s, size_t len, unsigned *cp)
{
	static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;

	if (n == 0 || n > len || s[0] > 0xf4)
		return 0;
	*cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min[n] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* A character that reorders or breaks what a terminal or an editor shows of a line. */
static int reorders(unsigned cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/*
 * Refuse a byte that could make a terminal (cat, less, an editor) show the line otherwise than
 * it is read, comments included: a control character but tab, a carriage return but the one
 * ending a CRLF line ("allow all\r# a note" shows as the note), anything above 0x7f that is not
 * UTF-8 (an 8-bit control such as 0x9b is a CSI to some terminals), a C1 control, and a Unicode
 * bidirectional control or line separator. Returns 0, or the byte's column with the reason in
 * @err.
 */
static unsigned check_line(const char *s, size_t len, struct policy_lex_error *err)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n) {
		unsigned cp = u[i];

		n = 1;
		if (cp >= 0x20 && cp < 0x7f) /* printable ASCII, most of every line */
			continue;
		if (cp >= 0x80 && (n = utf8_char(u + i, len - i, &cp)) == 0)
			snprintf(err->message, sizeof(err->message),
				 "unexpected byte 0x%02x: not UTF-8", (unsigned)u[i]);
		else if (cp == '\t' || (cp == '\r' && i + 1 == len))
			continue;
		else if (cp < 0x20 || cp == 0x7f)
			snprintf(err->message, sizeof(err->message),
				 "unexpected control character 0x%02x", cp);
		else if (cp >= 0x80 && cp <= 0x9f)
			snprintf(err->message, sizeof(err->message),
				 "unexpected control character U+%04X", cp);
		else if (reorders(cp))
			snprintf(err->message, sizeof(err->message),
				 "unexpected bidirectional control U+%04X: the line would not show "
				 "in the order it is read",
				 cp);
		else
			continue;
		return (unsigned)i + 1;
	}
	return 0;
}

/*
 * Split one line, checked by check_line(), into tokens; # starts a comment. A double quote opens
 * a quoted part of a token, where blanks and '#' are text, up to the next quote that \\ does not
 * escape: the token keeps its quotes and escapes, for the attribute's parser to read. Returns the
 * count, or 0 with err->col set at a quote left open.
 */
static size_t tokenize(const char *s, size_t len, struct policy_token *tok,
		       struct policy_lex_error *err)
{
	size_t n = 0, i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t start;

		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		start = i;
		while (i < len) {
			c = (unsigned char)s[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '#')
				break;
			if (c == '"') {
				size_t open = i++;

				while (i < len && s[i] != '"')
					i += s[i] == '\\' && i + 1 < len ? 2 : 1;
				if (i >= len) {
					err->col = (unsigned)open + 1;
					snprintf(err->message, sizeof(err->message),
						 "this quote is not closed on its line");
					return 0;
				}
			}
			i++;
		}
		tok[n++] = (struct policy_token){.s = s + start,
						 .len = i - start,
						 .col = (unsigned)start + 1,
						 .eq = memchr(s + start, '=', i - start) != NULL};
	}
	return n;
}

/*
 * The common line, read in one pass: printable ASCII, blanks, a comment maybe, no quote, then a
 * newline, where every loop stops. Splits it as tokenize() would and returns its length, or
 * (size_t)-1 at the first byte it leaves to the full check (any other byte, or a line longer than
 * POLICY_LINE_MAX).
 */
static size_t lex_plain(const char *s, struct policy_token *tok, size_t *n)
{
	size_t i = 0, k = 0;

	for (;;) {
		size_t start;

		while (s[i] == ' ')
			i++;
		if (s[i] == '\n' || s[i] == '#')
			break;
		/* Only a line longer than POLICY_LINE_MAX has more words than that holds. */
		if (k == POLICY_TOKENS_MAX)
			return (size_t)-1;
		start = i;
		/* A word's byte: '!', or '$' to '~' (no blank, quote, '#' or control). */
		while ((unsigned char)(s[i] - '$') <= '~' - '$' || s[i] == '!')
			i++;
		tok[k++] = (struct policy_token){
			.s = s + start, .len = i - start, .col = (unsigned)start + 1};
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '#')
			return (size_t)-1;
	}
	for (; s[i] != '\n'; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f)
			return (size_t)-1;
	if (i > POLICY_LINE_MAX)
		return (size_t)-1;
	/* An attribute's '=', looked for only on a line that has one. */
	if (memchr(s, '=', i))
		for (size_t t = 0; t < k; t++)
			tok[t].eq = memchr(tok[t].s, '=', tok[t].len) != NULL;
	*n = k;
	return i;
}

int policy_lex_line(struct policy_lexer *lx, struct policy_token *tok, size_t *n,
		    struct policy_lex_error *err)
{
	const char *s = lx->text + lx->pos, *nl;
	size_t left = lx->len - lx->pos, llen;

	if (lx->pos >= lx->len)
		return POLICY_LEX_END;
	/* Text that ends in a newline has one after every line. */
	if (lx->text[lx->len - 1] == '\n' && (llen = lex_plain(s, tok, n)) != (size_t)-1) {
		lx->pos += llen + 1;
		lx->line++;
		return 0;
	}
	nl = memchr(s, '\n', left);
	llen = nl ? (size_t)(nl - s) : left;
	lx->pos += llen + 1;
	lx->line++;
	*n = 0;
	if (llen > POLICY_LINE_MAX) {
		err->col = POLICY_LINE_MAX + 1;
		snprintf(err->message, sizeof(err->message), "line is longer than %d bytes",
			 POLICY_LINE_MAX);
		return POLICY_LEX_BAD;
	}
	err->col = check_line(s, llen, err);
	if (err->col)
		return POLICY_LEX_BAD;
	*n = tokenize(s, llen, tok, err);
	return err->col ? POLICY_LEX_BAD : 0;
}

/*
 * The lines of @text: its newlines, and one for a last line without. They are counted 255 bytes
 * at a time in a byte, which the compiler turns into vector adds (a third of the time of a count
 * in a size_t, byte by byte).
 */
static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		size_t end = len - i < 255 ? len : i + 255;
		unsigned char some = 0;

		for (; i < end; i++)
			some += text[i] == '\n';
		n += some;
	}
	return n + (len > 0 && text[len - 1] != '\n');
}

/* Whether the @n bytes of @word start @p, @end bounding what can be read. */
static int plain_starts(const char *p, const char *end, const char *word, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/*
 * The digits of an id at *@p: at most ten, below 4294967295, into *@id, *@p past them. Returns 0,
 * or -1 where parse_value() would report an error (or there is no digit): past eleven digits v
 * may have wrapped, and the length refuses it.
 */
static int plain_id(const char **p, uint32_t *id)
{
	const char *s = *p;
	uint64_t v = 0;

	/* The newline that ends the text stops the loop: no bound to test per digit. */
	while ((unsigned char)(*s - '0') < 10)
		v = v * 10 + (uint64_t)(*s++ - '0');
	if (s == *p || !id_fits((size_t)(s - *p), v))
		return -1;
	*id = (uint32_t)v;
	*p = s;
	return 0;
}

#define PLAIN_SELS_MAX	 8  /* selectors of a rule parse_plain_rule() takes */
#define PLAIN_VALUES_MAX 16 /* values of such a rule, all its selectors' */

/* The selectors of a common rule, pointing into its line. */
struct plain_sels {
	struct plain_sel {
		enum policy_kind kind;
		unsigned col;
		size_t first; /* its first value in val */
	} sel[PLAIN_SELS_MAX];
	struct plain_value {
		const char *name; /* NULL for an id or a range */
		size_t len;
		uint32_t lo, hi;
		unsigned col;
	} val[PLAIN_VALUES_MAX];
	size_t nsels, nvals;
	size_t names; /* bytes of the names, each with its NUL */
};

/*
 * The selectors at @p, in the line at @s: "(user|group) VALUE..." repeated, each word one space
 * after the last, into @pl. Returns where they end, at the newline or at the first attribute;
 * NULL at anything parse_selector() and parse_value() would not take, or the first word that
 * tells the line from a common one.
 */
static const char *plain_sels(const char *s, const char *p, const char *end, struct plain_sels *pl)
{
	for (;;) {
		const char *q = p;
		size_t first = pl->nvals;

		if (plain_starts(p, end, "user ", 5))
			p += 5;
		else if (plain_starts(p, end, "group ", 6))
			p += 6;
		else
			return NULL;
		if (pl->nsels == PLAIN_SELS_MAX)
			return NULL;
		pl->sel[pl->nsels].kind = q[0] == 'u' ? POLICY_USER : POLICY_GROUP;
		pl->sel[pl->nsels].col = (unsigned)(q - s) + 1;
		pl->sel[pl->nsels].first = first;
		pl->nsels++;
		for (;;) {
			struct plain_value *v = &pl->val[pl->nvals];
			size_t len;

			q = p;
			if (pl->nvals == PLAIN_VALUES_MAX)
				return NULL;
			*v = (struct plain_value){.col = (unsigned)(q - s) + 1};
			if (*p >= '0' && *p <= '9') {
				if (plain_id(&p, &v->lo) < 0)
					return NULL;
				v->hi = v->lo;
				if (*p == '-' && (++p, plain_id(&p, &v->hi) < 0 || v->hi < v->lo))
					return NULL;
			} else {
				while (name_char_ok(*p))
					p++;
				if (*p == '$')
					p++;
				/* KEY=VALUE after a value: the attributes start. */
				if (*p == '=')
					return pl->nvals > first ? q : NULL;
				len = (size_t)(p - q);
				if (len == 0 || len > NAME_MAX_LEN || *q == '-')
					return NULL;
				/* A keyword is an error here, and so is a selector: one after a
				   value starts after its blank, below. */
				if (is_selector(&(struct policy_token){.s = q, .len = len}) ||
				    is_keyword(&(struct policy_token){.s = q, .len = len}))
					return NULL;
				v->name = q;
				v->len = len;
				pl->names += len + 1;
			}
			pl->nvals++;
			if (*p == '\n')
				return p;
			if (*p++ != ' ')
				return NULL;
			if (*p == 'u' ? plain_starts(p, end, "user ", 5)
				      : *p == 'g' && plain_starts(p, end, "group ", 6))
				break;
		}
	}
}

/*
 * The common rule, read in one pass with neither tokens nor the checks of other lines: in text
 * that ends in a newline, "allow" or "deny" at the line's start, then "all" or selectors of ids,
 * ranges and names that parse_value() accepts (plain_sels()), then maybe attributes, which are
 * lexed and parsed as on any line. Such a line is added as parse_rule() would add it, or refused
 * with the error it would report for its attributes, and lx moves past it: returns 1. Returns 0
 * at any other line, having changed nothing but maybe ps->tok, for policy_lex_line() and
 * parse_rule() to read. The line's newline bounds every read that only looks for the end of a
 * word; a read of several bytes at once (plain_starts()) is bounded by the text's end.
 */
static int parse_plain_rule(struct parser *ps, size_t file, struct policy_lexer *lx)
{
	const char *s = lx->text + lx->pos, *end = lx->text + lx->len, *p = s, *nl;
	struct policy_ast *ast = ps->ast;
	struct policy_ast_rule r = {.file = (uint32_t)file, .line = lx->line + 1, .col = 1};
	struct plain_sels pl;
	size_t nattrs = 0, len;
	char *room;

	if (ast->nrules == ast->cap || ast->nrules == POLICY_RULES_MAX)
		return 0;
	if (plain_starts(p, end, "allow ", 6)) {
		r.allow = 1;
		p += 6;
	} else if (plain_starts(p, end, "deny ", 5)) {
		p += 5;
	} else {
		return 0;
	}
	pl.nsels = pl.nvals = pl.names = 0;
	if (plain_starts(p, end, "all\n", 4))
		p += 3;
	else if (!(p = plain_sels(s, p, end, &pl)))
		return 0;
	nl = p;
	len = (size_t)(p - s);
	if (*p != '\n') {
		/*
		 * Attributes: the rest of the line is checked and split as any line is, once it
		 * is known to be short enough for the tokens to fit (POLICY_TOKENS_MAX).
		 */
		struct policy_lex_error err = {0};

		nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(nl - s) > POLICY_LINE_MAX)
			return 0;
		if (lex_plain(p, ps->tok, &nattrs) == (size_t)-1) {
			if (check_line(p, (size_t)(nl - p), &err))
				return 0;
			nattrs = tokenize(p, (size_t)(nl - p), ps->tok, &err);
			if (err.col)
				return 0;
		}
		for (size_t i = 0; i < nattrs; i++) {
			ps->tok[i].col += (unsigned)(p - s);
			len += ps->tok[i].len + 1;
		}
		len--;
	}
	if (len > POLICY_LINE_MAX)
		return 0;
	lx->line++;
	lx->pos += (size_t)(nl - s) + 1;
	if (parse_attrs(ps, ast->files[file], r.line, 0, nattrs, &r) < 0)
		return 1;
	room = ast_alloc(ps, pl.nsels * sizeof(*r.sels) + pl.nvals * sizeof(*r.sels->values) + len +
				     1 + pl.names);
	if (!room)
		return 1;
	if (pl.nsels) {
		struct policy_ast_value *v =
			(struct policy_ast_value *)(room + pl.nsels * sizeof(*r.sels));

		r.sels = (struct policy_ast_sel *)room;
		for (size_t i = 0; i < pl.nsels; i++) {
			size_t last = i + 1 < pl.nsels ? pl.sel[i + 1].first : pl.nvals;

			r.sels[i] = (struct policy_ast_sel){.kind = pl.sel[i].kind,
							    .col = pl.sel[i].col,
							    .values = v + pl.sel[i].first,
							    .nvalues = last - pl.sel[i].first};
		}
		room = (char *)(v + pl.nvals);
	}
	/* The words one blank apart: the selectors as they are, the attributes joined. */
	r.text = room;
	memcpy(room, s, (size_t)(p - s));
	room = copy_words(room + (p - s), ps->tok, nattrs);
	*room++ = '\0';
	for (size_t i = 0; i < pl.nvals; i++) {
		struct policy_ast_value *v = &r.sels->values[i];

		*v = (struct policy_ast_value){
			.lo = pl.val[i].lo, .hi = pl.val[i].hi, .col = pl.val[i].col};
		if (pl.val[i].name) {
			v->name = memcpy(room, pl.val[i].name, pl.val[i].len);
			v->name[pl.val[i].len] = '\0';
			room += pl.val[i].len + 1;
		}
	}
	r.textlen = (uint32_t)len;
	r.nsels = (uint32_t)pl.nsels;
	append_rule(ast, &r);
	return 1;
}

static int parse_buffer(struct parser *ps, const char *file, const char *text, size_t len)
{
	char **files;
	size_t fidx = ps->ast->nfiles;
	struct policy_lexer lx = {.text = text, .len = len};
	const int plain = len > 0 && text[len - 1] == '\n'; /* see parse_plain_rule() */
	const char *fname;

	files = realloc(ps->ast->files, (fidx + 1) * sizeof(*files));
	if (!files)
		return ps->fatal = -ENOMEM;
	ps->ast->files = files;
	files[fidx] = strdup(file);
	if (!files[fidx])
		return ps->fatal = -ENOMEM;
	ps->ast->nfiles++;
	fname = files[fidx];
	/*
	 * Room for a rule per line at once: grown by doubling, a large policy's rules would be
	 * copied over and over, milliseconds at a time that no yield breaks.
	 */
	if (reserve_rules(ps, count_lines(text, len)) < 0)
		return ps->fatal;
	if (ps->reader)
		policy_yield(ps->reader->yield);
	for (;;) {
		struct policy_lex_error err;
		size_t n;
		int taken = plain && !ps->fatal && lx.pos < len && parse_plain_rule(ps, fidx, &lx);
		int r = taken	    ? 0
			: ps->fatal ? POLICY_LEX_END
				    : policy_lex_line(&lx, ps->tok, &n, &err);

		if (r == POLICY_LEX_END)
			break;
		if (ps->reader)
			policy_yield_at(ps->reader->yield, lx.line - 1);
		if (taken) {
			continue;
		} else if (r == POLICY_LEX_BAD) {
			perror_at(ps, fname, lx.line, err.col, "%s", err.message);
		} else if (n == 0) {
			continue;
		} else if (policy_token_is(&ps->tok[0], "allow") ||
			   policy_token_is(&ps->tok[0], "deny")) {
			parse_rule(ps, fidx, lx.line, n);
		} else if (policy_token_is(&ps->tok[0], "include")) {
			parse_include(ps, fname, lx.line, n);
		} else {
			char shown[POLICY_SHOW_MAX + 8];
			perror_at(ps, fname, lx.line, ps->tok[0].col,
				  "expected 'allow', 'deny' or 'include', found %s",
				  policy_token_show(&ps->tok[0], shown, sizeof(shown)));
		}
	}
	return ps->fatal;
}

/* The name= of @r, or NULL. */
static const char *rule_name(const struct policy_ast_rule *r)
{
	return r->attrs ? r->attrs->attrs.name : NULL;
}

/* Rules by name, then in rule order. */
static int cmp_named(const void *a, const void *b)
{
	const struct policy_ast_rule *x = *(const struct policy_ast_rule *const *)a,
				     *y = *(const struct policy_ast_rule *const *)b;
	int c = strcmp(rule_name(x), rule_name(y));

	return c ? c : (x > y) - (x < y);
}

/* A name given to two rules, across includes too: an error at the later, naming the earlier. */
static void check_names(struct parser *ps)
{
	const struct policy_ast *ast = ps->ast;
	const struct policy_ast_rule **v;
	size_t n = 0;

	for (size_t i = 0; i < ast->nrules; i++) {
		n += rule_name(&ast->rules[i]) != NULL;
		if (ps->reader)
			policy_yield_at(ps->reader->yield, i);
	}
	if (n < 2)
		return;
	v = malloc(n * sizeof(*v));
	if (!v) {
		ps->fatal = -ENOMEM;
		return;
	}
	n = 0;
	for (size_t i = 0; i < ast->nrules; i++)
		if (rule_name(&ast->rules[i]))
			v[n++] = &ast->rules[i];
	qsort(v, n, sizeof(*v), cmp_named);
	for (size_t i = 1; i < n; i++)
		if (strcmp(rule_name(v[i - 1]), rule_name(v[i])) == 0)
			perror_at(ps, ast->files[v[i]->file], v[i]->line, v[i]->attrs->name_col,
				  "duplicate rule name '%s': %s:%u has it already", rule_name(v[i]),
				  ast->files[v[i - 1]->file], v[i - 1]->line);
	free(v);
}

int policy_parse(const char *file, const char *text, size_t len, const struct policy_reader *reader,
		 struct diag_list *diags, struct policy_ast **out)
{
	struct parser ps = {.reader = reader, .diags = diags, .files = 1};
	size_t errors_before = diags->errors;
	int r;

	*out = NULL;
	ps.ast = calloc(1, sizeof(*ps.ast));
	ps.tok = calloc(POLICY_TOKENS_MAX, sizeof(*ps.tok));
	ps.scratch = malloc(POLICY_LINE_MAX + 1);
	ps.stack[0] = strdup(reader && reader->root_id ? reader->root_id : file);
	if (!ps.ast || !ps.tok || !ps.scratch || !ps.stack[0]) {
		r = -ENOMEM;
		goto out;
	}
	r = parse_buffer(&ps, file, text, len);
	if (r == 0)
		check_names(&ps);
	if (r == 0)
		r = ps.fatal;
	if (r == 0 && diags->errors > errors_before)
		r = POLICY_E_INVALID;
out:
	free(ps.stack[0]);
	free(ps.scratch);
	free(ps.tok);
	if (r == 0)
		*out = ps.ast;
	else
		policy_ast_free(ps.ast);
	return r;
}

void policy_ast_free(struct policy_ast *ast)
{
	if (!ast)
		return;
	while (ast->blocks) {
		struct policy_ast_block *b = ast->blocks;

		ast->blocks = b->next;
		free(b);
	}
	free(ast->rules);
	for (size_t i = 0; i < ast->nfiles; i++)
		free(ast->files[i]);
	free(ast->files);
	free(ast);
}
