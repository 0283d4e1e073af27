// SPDX-License-Identifier: MIT
/*
 * Fuzz target: policy text through the parser and the compiler, as udsechod reads it, with a
 * fixed table instead of NSS and the input itself standing in for every include file. What
 * compiles must evaluate, survive the wire, and decide the same after it; what is parsed in one
 * pass must be parsed so by the full lexer and parser too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/ids.h"
#include "udsecho/nss.h"
#include "udsecho/policy.h"
#include "astcmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *input;
static size_t input_size;

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

static int user(void *ctx, const char *name, uid_t *uid)
{
	return table(name, uid);
}

static int group(void *ctx, const char *name, gid_t *gid)
{
	return table(name, gid);
}

/* Every pattern names one file, except those saying "none", which match nothing. */
static int expand(void *ctx, const char *pattern, char ***paths, size_t *npaths, char **why)
{
	*npaths = 0;
	*paths = NULL;
	if (strstr(pattern, "none"))
		return 0;
	*paths = malloc(sizeof(**paths));
	if (!*paths || !((*paths)[0] = strdup(pattern))) {
		free(*paths);
		*why = NULL;
		return -1;
	}
	*npaths = 1;
	return 0;
}

/* Every file is the input again, with one id: its own includes are then loops. */
static int read_input(void *ctx, const char *path, char **text, size_t *len, char **id, char **why)
{
	*text = malloc(input_size ? input_size : 1);
	*id = strdup("included");
	if (!*text || !*id) {
		free(*text);
		free(*id);
		*why = NULL;
		return -1;
	}
	if (input_size)
		memcpy(*text, input, input_size);
	*len = input_size;
	return 0;
}

static void check_wire(const struct policy *p)
{
	static const gid_t groups[] = {0, 10, 1000, 65534};
	struct policy *q;
	void *buf;
	size_t len;

	if (policy_encode(p, &buf, &len) != 0)
		return;
	if (policy_decode(buf, len, &q) != 0)
		abort();
	for (uid_t uid = 0; uid < 4; uid++) {
		struct peer_cred c = {
			.uid = uid * 1000, .gid = uid, .ngroups = 4, .groups = (gid_t *)groups};
		struct policy_verdict a = policy_eval(p, &c, 0), b = policy_eval(q, &c, 0);
		if (a.allow != b.allow || a.rule != b.rule)
			abort();
	}
	policy_free(q);
	free(buf);
}

/*
 * A text that ends in a newline has its common rules read in one pass; without that newline
 * every line takes the full lexer and parser (unless the text ends in two). Both must give the
 * same rules and diagnostics.
 */
static void check_one_pass(const struct policy_reader *reader, const uint8_t *data, size_t size,
			   const struct policy_ast *ast, int r, const struct diag_list *diags)
{
	struct diag_list full;
	struct policy_ast *other;

	if (size == 0 || data[size - 1] != '\n')
		return;
	diag_list_init(&full);
	if (policy_parse("fuzz.policy", (const char *)data, size - 1, reader, &full, &other) != r ||
	    !astcmp_same_ast(ast, other) || !astcmp_same_diags(diags, &full))
		abort();
	policy_ast_free(other);
	diag_list_free(&full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy_resolver resolver = {.user = user, .group = group};
	const struct policy_reader reader = {.expand = expand, .read = read_input};
	struct diag_list diags;
	struct policy_ast *ast;
	struct policy *p;

	int r;

	input = data;
	input_size = size;
	diag_list_init(&diags);
	r = policy_parse("fuzz.policy", (const char *)data, size, &reader, &diags, &ast);
	check_one_pass(&reader, data, size, ast, r, &diags);
	if (r == 0) {
		if (policy_compile(ast, &resolver, &diags, &p) == 0) {
			check_wire(p);
			policy_free(p);
		}
		policy_ast_free(ast);
	}
	/* Formatting every diagnostic is part of the surface too. */
	for (size_t i = 0; i < diags.count; i++) {
		char line[512];
		diag_format(&diags.items[i], line, sizeof(line));
	}
	diag_list_free(&diags);
	return 0;
}
