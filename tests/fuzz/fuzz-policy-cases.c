// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a cases file of `udsecho-policy test` through its parser, with a fixed table
 * instead of NSS, and every case it accepts run against a small policy with user, group and
 * range rules. Diagnostics are formatted, as the tool prints them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/ids.h"
#include "udsecho/nss.h"
#include "udsecho/policy-cases.h"
#include "src/policy-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int table(const char *name, unsigned int *id)
{
	static const char *const names[] = {"root", "alice", "wheel", "nobody"};
	static const unsigned int ids[] = {0, 1000, 10, 65534};

	if (strlen(name) > 255)
		return NSS_E_INVALID;
	if (ids_parse(name, id) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0) {
			*id = ids[i];
			return 0;
		}
	return NSS_E_UNKNOWN;
}

/* Users of the table have their id as their gid, but 65534 has no passwd entry. */
static int user(void *ctx, const char *name, uid_t *uid, gid_t *gid)
{
	int r = table(name, uid);

	*gid = r == 0 && *uid != 65534 ? *uid : (gid_t)-1;
	return r;
}

static int group(void *ctx, const char *name, gid_t *gid)
{
	return table(name, gid);
}

static int groups(void *ctx, uid_t uid, gid_t **out, size_t *n)
{
	*out = malloc(2 * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)[0] = 10;
	(*out)[1] = uid;
	*n = uid == 10 ? 1 : 2;
	return 0;
}

static int uid_of(void *ctx, const char *name, uid_t *uid)
{
	return table(name, uid);
}

static struct policy *policy(void)
{
	const struct policy_resolver resolver = {.user = uid_of, .group = group};
	static const char text[] = "deny user 4242\nallow group 10\nallow user 1000-1999 group "
				   "27\nallow user 0\n";
	struct diag_list d;
	struct policy_ast *ast;
	struct policy *p = NULL;

	diag_list_init(&d);
	if (policy_parse("fuzz.policy", text, sizeof(text) - 1, NULL, &d, &ast) != 0 ||
	    policy_compile(ast, &resolver, &d, &p) != 0 || policy_index_build(p) != 0)
		abort();
	policy_ast_free(ast);
	diag_list_free(&d);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *p;
	const struct policy_who_lookup lookup = {.user = user, .group = group, .groups = groups};
	struct policy_cases cases;
	struct diag_list diags;

	if (!p)
		p = policy();
	diag_list_init(&diags);
	if (policy_cases_parse("fuzz.cases", (const char *)data, size, &lookup, &diags, &cases) ==
	    0) {
		for (size_t i = 0; i < cases.n; i++) {
			struct policy_verdict v;
			int passed;
			policy_case_run(p, &cases, i, 0, &diags, &v, &passed);
		}
		policy_cases_free(&cases);
	}
	for (size_t i = 0; i < diags.count; i++) {
		char line[512];
		diag_format(&diags.items[i], line, sizeof(line));
	}
	diag_list_free(&diags);
	return 0;
}
