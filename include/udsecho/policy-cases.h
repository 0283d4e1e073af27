/* SPDX-License-Identifier: MIT */
/*
 * policy-cases: the expectations that `udsecho-policy test` checks a policy against.
 *
 * A cases file holds one case a line, "EXPECT WHO [rule=RULE] [at=TIME]": EXPECT is allow or
 * deny, WHO names a peer as `explain` does (policy-who.h), RULE is the rule expected to decide,
 * as its name= NAME, as FILE:LINE (FILE as the diagnostics write it, or its last component) or
 * `default` for default deny, and TIME the instant to decide at (RFC 3339 UTC, utctime.h). It is
 * read with the policy file's lexer: '#' starts a comment, blank lines are fine, and a line may
 * hold no byte that would make a terminal show it otherwise than it is read. Errors are
 * FILE:LINE:COL diagnostics. Parsing is pure but for WHO's lookups, which come through the caller;
 * running a case is pure.
 */
#pragma once

#include <stddef.h>

#include "udsecho/diag.h"
#include "udsecho/policy.h"
#include "udsecho/policy-who.h"

/* What rule= asks of the deciding rule. */
enum policy_case_rule {
	POLICY_CASE_ANY,     /* no rule=: any rule, the decision alone counts */
	POLICY_CASE_DEFAULT, /* rule=default: no rule matches */
	POLICY_CASE_ORIGIN,  /* rule=FILE:LINE */
	POLICY_CASE_NAME,    /* rule=NAME: the rule with that name= */
};

struct policy_case {
	unsigned line;
	int allow;	       /* the decision expected */
	struct policy_who who; /* the peer */
	unsigned who_col;      /* of WHO's first word */
	enum policy_case_rule rule;
	char *rule_text;    /* the value of rule= as written, for messages; NULL without it */
	char *rule_file;    /* POLICY_CASE_ORIGIN: FILE and LINE */
	unsigned rule_line; /* */
	unsigned rule_col;  /* of the value */
	int has_at;	    /* at= is given: decide at @at, not now */
	int64_t at;
};

struct policy_cases {
	char *file; /* the cases file, as named to policy_cases_parse() */
	struct policy_case *v;
	size_t n, cap;
};

/*
 * policy_cases_parse - parse @len bytes of @text, named @file in diagnostics, into @out,
 * resolving each WHO through @lookup. Every bad line is an error at its line and column, up to
 * POLICY_ERRORS_MAX; a file without a case gets a warning. Returns 0 (@out to be released with
 * policy_cases_free()), POLICY_E_INVALID with the errors in @diags, or -errno (a lookup that
 * failed, also described in @diags, or -ENOMEM); on an error @out holds nothing.
 */
int policy_cases_parse(const char *file, const char *text, size_t len,
		       const struct policy_who_lookup *lookup, struct diag_list *diags,
		       struct policy_cases *out);

/* policy_cases_free - release what policy_cases_parse() made. */
void policy_cases_free(struct policy_cases *cases);

/*
 * policy_case_run - decide case @i of @cases with @p as udsechod would at @now, or at the case's
 * at=: *@verdict and whether it is what the case expects (*@passed). Returns 0; POLICY_E_INVALID
 * with an error in @diags when the case cannot be decided: rule=FILE:LINE or rule=NAME names no
 * rule of @p, or WHO is known only in part and a rule that could decide needs the rest ("FILE:LINE
 * needs the peer's gid: add gid=ID", at WHO's column); or -ENOMEM. Pure.
 */
int policy_case_run(const struct policy *p, const struct policy_cases *cases, size_t i, int64_t now,
		    struct diag_list *diags, struct policy_verdict *verdict, int *passed);
