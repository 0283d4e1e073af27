// SPDX-License-Identifier: MIT
/* Helpers for the policy unit tests: table resolver, in-memory includes, diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/idsort.h"
#include "udsecho/ids.h"
#include "udsecho/nss.h"
#include "policy-helpers.h"
#include "src/policy-private.h"

struct entry {
	const char *name;
	unsigned int id;
};

static const struct entry users[] = {
	{"root", 0},	 {"daemon", 1},	    {"alice", 1000},   {"bob", 1001},
	{"carol", 1002}, {"mallory", 1666}, {"nobody", 65534}, {NULL, 0},
};

static const struct entry groups[] = {
	{"root", 0},	    {"wheel", 10},	   {"staff", 50}, {"users", 100},
	{"nogroup", 65534}, {"huge", 4294967295u}, {NULL, 0},
};

static int lookup(const struct entry *t, const char *name, unsigned int *id)
{
	if (strlen(name) > 255)
		return NSS_E_INVALID;
	if (ids_parse(name, id) == 0)
		return 0;
	for (; t->name; t++) {
		if (strcmp(t->name, name) == 0) {
			*id = t->id;
			return 0;
		}
	}
	return NSS_E_UNKNOWN;
}

static int table_user(void *ctx, const char *name, uid_t *uid)
{
	return lookup(users, name, uid);
}

static int table_group(void *ctx, const char *name, gid_t *gid)
{
	return lookup(groups, name, gid);
}

const struct policy_resolver test_resolver = {.user = table_user, .group = table_group};

/* Primary gids of the users above, in the same order: uid 4242 and others have no entry. */
static const unsigned int primary[] = {0, 1, 100, 100, 100, 1666, 65534};

static int who_user(void *ctx, const char *name, uid_t *uid, gid_t *gid)
{
	int r;

	if (strcmp(name, "broken") == 0)
		return -EIO;
	r = lookup(users, name, uid);
	*gid = (gid_t)-1;
	for (size_t i = 0; r == 0 && users[i].name; i++)
		if (users[i].id == *uid)
			*gid = primary[i];
	return r;
}

static int who_group(void *ctx, const char *name, gid_t *gid)
{
	return lookup(groups, name, gid);
}

/* alice is also in wheel; bob in staff; the others in their primary group alone. */
static int who_groups(void *ctx, uid_t uid, gid_t **list, size_t *n)
{
	gid_t extra = uid == 1000 ? 10 : uid == 1001 ? 50 : (gid_t)-1;
	gid_t gid;
	size_t i = 0;

	for (; users[i].name && users[i].id != uid; i++)
		;
	if (!users[i].name)
		return NSS_E_UNKNOWN;
	gid = primary[i];
	*list = calloc(2, sizeof(**list));
	if (!*list)
		return -ENOMEM;
	(*list)[0] = gid;
	*n = 1;
	if (extra != (gid_t)-1)
		(*list)[(*n)++] = extra;
	return 0;
}

const struct policy_who_lookup test_who_lookup = {
	.user = who_user, .group = who_group, .groups = who_groups};

static int mem_expand(void *ctx, const char *pattern, char ***paths, size_t *npaths, char **why)
{
	const struct memfile *f = ctx;
	size_t n = 0;

	*paths = calloc(64, sizeof(**paths));
	for (; f->path; f++)
		if (fnmatch(pattern, f->path, FNM_PATHNAME) == 0)
			(*paths)[n++] = strdup(f->path);
	/* The table is written in sorted order, as glob(3) would return it. */
	*npaths = n;
	return 0;
}

static int mem_read(void *ctx, const char *path, char **text, size_t *len, char **id, char **why)
{
	const struct memfile *f = ctx;

	for (; f->path; f++) {
		if (strcmp(f->path, path) == 0) {
			if (!f->text) {
				*why = strdup("refusing: test says no");
				return 1;
			}
			*text = strdup(f->text);
			*len = strlen(f->text);
			*id = strdup(path);
			return 0;
		}
	}
	*why = strdup("cannot read it: No such file or directory");
	return -ENOENT;
}

struct policy_reader test_reader(const struct memfile *files)
{
	return (struct policy_reader){
		.expand = mem_expand, .read = mem_read, .ctx = (void *)files, .root_id = NULL};
}

int test_compile(const char *text, const struct policy_reader *reader, struct diag_list *diags,
		 struct policy **out)
{
	struct policy_ast *ast;
	int r;

	*out = NULL;
	r = policy_parse("test.policy", text, strlen(text), reader, diags, &ast);
	if (r != 0)
		return r;
	r = policy_compile(ast, &test_resolver, diags, out);
	policy_ast_free(ast);
	if (r == 0)
		assert_int_equal(policy_index_build(*out), 0);
	return r;
}

struct policy *test_compile_ok(const char *text)
{
	struct diag_list d;
	struct policy *p;

	diag_list_init(&d);
	assert_int_equal(test_compile(text, NULL, &d, &p), 0);
	diag_list_free(&d);
	return p;
}

void assert_diags(const struct diag_list *diags, const char *const *expected)
{
	size_t n = 0;
	char line[8192];

	for (; expected[n]; n++) {
		if (n >= diags->count)
			fail_msg("missing diagnostic %zu: %s", n, expected[n]);
		diag_format(&diags->items[n], line, sizeof(line));
		assert_string_equal(line, expected[n]);
	}
	if (diags->count != n) {
		diag_format(&diags->items[n], line, sizeof(line));
		fail_msg("unexpected diagnostic: %s", line);
	}
}

struct peer_cred test_cred(uid_t uid, gid_t gid, const gid_t *g, size_t n)
{
	/*
	 * The groups cannot live in the returned struct's groups_inline: the copy made on return
	 * would point into the callee's dead frame. A ring of arrays outlives the few creds a test
	 * holds at once.
	 */
	static gid_t ring[16][PEERCRED_GROUPS_INLINE];
	static unsigned next;
	struct peer_cred c = {.pid = 1, .uid = uid, .gid = gid};

	assert_true(n <= PEERCRED_GROUPS_INLINE);
	c.groups = ring[next++ % 16];
	if (n)
		memcpy(c.groups, g, n * sizeof(*g));
	c.ngroups = idsort_unique(c.groups, n);
	return c;
}
