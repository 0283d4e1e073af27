// SPDX-License-Identifier: MIT
/* astcmp: two parses of a policy compared, field by field (see astcmp.h). */
#include <string.h>

#include "astcmp.h"
#include "src/policy-private.h"

static int same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int astcmp_same_ast(const struct policy_ast *a, const struct policy_ast *b)
{
	if (!a || !b)
		return a == b;
	if (a->nfiles != b->nfiles || a->nrules != b->nrules || a->nsels != b->nsels ||
	    a->nvalues != b->nvalues || a->nattrs != b->nattrs || a->ntext != b->ntext)
		return 0;
	for (size_t i = 0; i < a->nfiles; i++)
		if (!same_string(a->files[i], b->files[i]))
			return 0;
	for (size_t i = 0; i < a->nrules; i++) {
		const struct policy_ast_rule *x = &a->rules[i], *y = &b->rules[i];

		if (!same_string(x->text, y->text) || x->textlen != y->textlen ||
		    x->file != y->file || x->line != y->line || x->col != y->col ||
		    x->nsels != y->nsels || x->allow != y->allow || !x->attrs != !y->attrs)
			return 0;
		if (x->attrs && (!same_string(x->attrs->attrs.name, y->attrs->attrs.name) ||
				 !same_string(x->attrs->attrs.message, y->attrs->attrs.message) ||
				 x->attrs->attrs.max_per_uid != y->attrs->attrs.max_per_uid ||
				 x->attrs->attrs.idle_timeout != y->attrs->attrs.idle_timeout ||
				 x->attrs->attrs.from != y->attrs->attrs.from ||
				 x->attrs->attrs.until != y->attrs->attrs.until ||
				 x->attrs->name_col != y->attrs->name_col))
			return 0;
		for (size_t k = 0; k < x->nsels; k++) {
			const struct policy_ast_sel *u = &x->sels[k], *v = &y->sels[k];

			if (u->kind != v->kind || u->col != v->col || u->nvalues != v->nvalues)
				return 0;
			for (size_t j = 0; j < u->nvalues; j++)
				if (!same_string(u->values[j].name, v->values[j].name) ||
				    u->values[j].lo != v->values[j].lo ||
				    u->values[j].hi != v->values[j].hi ||
				    u->values[j].col != v->values[j].col)
					return 0;
		}
	}
	return 1;
}

int astcmp_same_diags(const struct diag_list *a, const struct diag_list *b)
{
	char x[512], y[512];

	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		diag_format(&a->items[i], x, sizeof(x));
		diag_format(&b->items[i], y, sizeof(y));
		if (strcmp(x, y) != 0)
			return 0;
	}
	return 1;
}

/*
 * In text that ends in a newline, the common rule is read in one pass, without tokens; text that
 * does not end in one has every line read by the full lexer and parser. The same lines, with
 * and without the last newline, must give the same AST and the same diagnostics, over random
 * lines of the words and bytes that tell a common rule from the others: ids at their limits,
 * ranges, names, keywords among the values, attributes, comments, blanks and tabs, too many
 * selectors and values for the one pass.
 */
