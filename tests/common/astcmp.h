/* SPDX-License-Identifier: MIT */
/*
 * astcmp: whether two parses of a policy gave the same thing, for the tests and the fuzz target
 * that read one text two ways (policy-parse.c's one pass for the common rule, and the full
 * lexer and parser).
 */
#pragma once

#include "udsecho/diag.h"

struct policy_ast;

/*
 * astcmp_same_ast - whether @a and @b hold the same files, rules (text, place, selectors,
 * values, attributes) and counts; two NULLs are the same.
 */
int astcmp_same_ast(const struct policy_ast *a, const struct policy_ast *b);

/* astcmp_same_diags - whether @a and @b hold the same diagnostics, as diag_format() shows them. */
int astcmp_same_diags(const struct diag_list *a, const struct diag_list *b);
