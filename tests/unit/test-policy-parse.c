// SPDX-License-Identifier: MIT
/*
 * Unit tests for policy-parse: every grammar element, every error with its line and column,
 * limits, and includes through an in-memory reader (sorted globs, relative paths, loops, depth,
 * patterns matching nothing, refused files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udsecho/policy.h"
#include "astcmp.h"
#include "policy-helpers.h"
#include "src/policy-private.h"

/* Parse only (no compile); returns the result and leaves the diagnostics in @d. */
static int parse(const char *text, const struct policy_reader *reader, struct diag_list *d,
		 size_t *nrules)
{
	struct policy_ast *ast = NULL;
	int r = policy_parse("test.policy", text, strlen(text), reader, d, &ast);

	*nrules = ast ? ast->nrules : 0;
	policy_ast_free(ast);
	return r;
}

static void expect_error(const char *text, const char *expected)
{
	struct diag_list d;
	const char *const want[] = {expected, NULL};
	size_t n;

	diag_list_init(&d);
	assert_int_equal(parse(text, NULL, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, want);
	diag_list_free(&d);
}

static void grammar_elements(void **state)
{
	static const char text[] = "# a comment line\n"
				   "\n"
				   "   \t  \n"
				   "allow user root\n"
				   "deny\tuser   mallory    # trailing comment\n"
				   "deny\tuser 7\n"
				   "allow user 1000-1999 0 alice\n"
				   "allow group wheel\n"
				   "allow group staff user 1000-1999\n"
				   "allow user alice group 10 group users\n"
				   "deny all#comment without a blank\n"
				   "allow user bob\r\n"
				   "allow all";
	static const char *const texts[] = {
		"allow user root",
		"deny user mallory",
		"deny user 7",
		"allow user 1000-1999 0 alice",
		"allow group wheel",
		"allow group staff user 1000-1999",
		"allow user alice group 10 group users",
		"deny all",
		"allow user bob",
		"allow all",
	};
	static const unsigned lines[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
	struct diag_list d;
	struct policy *p;
	const char *file;
	unsigned line;

	diag_list_init(&d);
	assert_int_equal(test_compile(text, NULL, &d, &p), 0);
	assert_int_equal(policy_rule_count(p), 10);
	for (long i = 0; i < 10; i++) {
		assert_string_equal(policy_rule_text(p, i), texts[i]);
		assert_int_equal(policy_rule_origin(p, i, &file, &line), 0);
		assert_string_equal(file, "test.policy");
		assert_int_equal(line, lines[i]);
	}
	assert_int_equal(policy_rule_origin(p, 10, &file, &line), POLICY_E_RANGE);
	assert_int_equal(policy_rule_origin(p, -1, &file, &line), POLICY_E_RANGE);
	assert_null(policy_rule_text(p, 10));
	policy_free(p);
	diag_list_free(&d);
}

static void errors_with_position(void **state)
{
	expect_error("bogus user root\n", "test.policy:1:1: error: expected 'allow', 'deny' or "
					  "'include', found 'bogus'");
	expect_error("\n  Allow user root\n", "test.policy:2:3: error: expected 'allow', 'deny' "
					      "or 'include', found 'Allow'");
	expect_error("allow\n", "test.policy:1:7: error: expected 'user', 'group' or 'all' after "
				"'allow'");
	expect_error("deny  # nothing\n", "test.policy:1:6: error: expected 'user', 'group' or "
					  "'all' after 'deny'");
	expect_error("allow user\n", "test.policy:1:12: error: expected a user name, uid or range "
				     "after 'user'");
	expect_error("allow group user root\n", "test.policy:1:13: error: expected a group name, "
						"gid or range after 'group'");
	expect_error("allow root\n", "test.policy:1:7: error: expected 'user' or 'group', found "
				     "'root'");
	expect_error("allow all user root\n", "test.policy:1:11: error: unexpected 'user': 'all' "
					      "takes no selectors");
	expect_error("allow user root all\n", "test.policy:1:17: error: unexpected keyword 'all' "
					      "in a list of user names: 'all' stands alone");
	expect_error("allow user root deny user bob\n",
		     "test.policy:1:17: error: unexpected keyword 'deny' in a list of user names: "
		     "one rule per line");
	expect_error("include\n", "test.policy:1:9: error: expected a file name or pattern after "
				  "'include'");
	expect_error("include a b\n", "test.policy:1:11: error: unexpected 'b': one file name or "
				      "pattern per include");
	expect_error("include x\n", "test.policy:1:1: error: include is not available here");
	expect_error("allow user a\001b\n",
		     "test.policy:1:13: error: unexpected control character 0x01");
}

/*
 * What a terminal shows must be what the parser reads, comments included. "allow all\r# a note"
 * shows as the note alone; an escape sequence in a comment can erase the rule before it; a
 * bidirectional control reorders the line. Each is refused where it is; a CRLF ending is not.
 */
static void lines_show_as_they_are_read(void **state)
{
	struct diag_list d;
	size_t n;
	char crlf[] = "allow user root\r\ndeny all\r\n";

	expect_error("allow all\r# a note, nothing more\n",
		     "test.policy:1:10: error: unexpected control character 0x0d");
	expect_error("allow all # \033[2K\033[1Gdeny all\n",
		     "test.policy:1:13: error: unexpected control character 0x1b");
	expect_error("deny all # \xc2\x9b"
		     "2K\n",
		     "test.policy:1:12: error: unexpected control character U+009B");
	expect_error("allow user root # \xe2\x80\xae } \xe2\x81\xa6\n",
		     "test.policy:1:19: error: unexpected bidirectional control U+202E: the line "
		     "would not show in the order it is read");
	expect_error("allow user root # \xe2\x81\xa6\n",
		     "test.policy:1:19: error: unexpected bidirectional control U+2066: the line "
		     "would not show in the order it is read");
	/* Not UTF-8: a raw 8-bit CSI, an overlong form of one, a lone continuation byte. */
	expect_error("allow all #\x9b"
		     "11D# disabled:\n",
		     "test.policy:1:12: error: unexpected byte 0x9b: not UTF-8");
	expect_error("allow all # \xc0\x9b\n",
		     "test.policy:1:13: error: unexpected byte 0xc0: not UTF-8");
	expect_error("allow user root\xa9\n",
		     "test.policy:1:16: error: unexpected byte 0xa9: not UTF-8");
	expect_error("deny all # \xe2\x80\xa8\n",
		     "test.policy:1:12: error: unexpected bidirectional control U+2028: the line "
		     "would not show in the order it is read");
	diag_list_init(&d);
	assert_int_equal(parse(crlf, NULL, &d, &n), 0);
	assert_int_equal(n, 2);
	diag_list_free(&d);
	/* Other UTF-8 in a comment is the admin's own business. */
	diag_list_init(&d);
	assert_int_equal(parse("allow all # r\xc3\xa9sum\xc3\xa9, \xe2\x80\x94 ok\n", NULL, &d, &n),
			 0);
	diag_list_free(&d);
}

static void values_and_ranges(void **state)
{
	struct diag_list d;
	size_t n;

	diag_list_init(&d);
	assert_int_equal(parse("allow user 0 4294967294 0-4294967294 5-5\n"
			       "allow group 0 4294967294 0-4294967294\n",
			       NULL, &d, &n),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(d.count, 0);
	diag_list_free(&d);

	expect_error("allow user 4294967295\n",
		     "test.policy:1:12: error: uid 4294967295 is out of range: ids go from 0 to "
		     "4294967294 (4294967295 is never an id)");
	expect_error("allow group 99999999999999999999\n",
		     "test.policy:1:13: error: gid 99999999999999999999 is out of range: ids go "
		     "from 0 to 4294967294 (4294967295 is never an id)");
	expect_error("allow user 1000-4294967295\n",
		     "test.policy:1:17: error: uid 4294967295 is out of range: ids go from 0 to "
		     "4294967294 (4294967295 is never an id)");
	expect_error("allow user 2000-1000\n",
		     "test.policy:1:12: error: empty range '2000-1000': 2000 is larger than 1000");
	expect_error("allow user 12a\n", "test.policy:1:12: error: invalid uid '12a': expected a "
					 "number or a range such as 1000-1999");
	expect_error("allow group 1000-\n", "test.policy:1:13: error: invalid gid '1000-': "
					    "expected a number or a range such as 1000-1999");
	expect_error("allow user 1-2-3\n", "test.policy:1:12: error: invalid uid '1-2-3': "
					   "expected a number or a range such as 1000-1999");
	expect_error("allow user -5\n",
		     "test.policy:1:12: error: invalid character '-' in user name '-5'");
	expect_error("allow user al:ce\n",
		     "test.policy:1:14: error: invalid character ':' in user name 'al:ce'");
	expect_error("allow group a$b\n",
		     "test.policy:1:14: error: invalid character '$' in group name 'a$b'");
}

static void names(void **state)
{
	char text[600];
	char name[300];
	char expected[300];
	struct diag_list d;
	size_t n;

	/* Machine accounts end in '$'; dots, '@' and '-' occur in directory-service names. */
	diag_list_init(&d);
	assert_int_equal(parse("allow user host$ a.b_c-d user@example.org\n", NULL, &d, &n), 0);
	assert_int_equal(n, 1);
	diag_list_free(&d);

	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(text, sizeof(text), "allow user %s\n", name);
	diag_list_init(&d);
	assert_int_equal(parse(text, NULL, &d, &n), 0);
	diag_list_free(&d);

	/* One byte longer than LOGIN_NAME_MAX allows: refused before any lookup. */
	memset(name, 'a', 256);
	name[256] = '\0';
	snprintf(text, sizeof(text), "allow group %s\n", name);
	snprintf(expected, sizeof(expected),
		 "test.policy:1:13: error: group name '%.40s...' is longer than 255 bytes", name);
	expect_error(text, expected);
}

static void limits(void **state)
{
	size_t len = POLICY_LINE_MAX + 64, n;
	char *text = malloc(len + 32);
	struct diag_list d;
	char expected[128];

	/* A line of exactly POLICY_LINE_MAX bytes is fine; one more byte is not. */
	memset(text, ' ', POLICY_LINE_MAX);
	memcpy(text, "allow all", 9);
	text[POLICY_LINE_MAX] = '\0';
	diag_list_init(&d);
	assert_int_equal(parse(text, NULL, &d, &n), 0);
	assert_int_equal(n, 1);
	diag_list_free(&d);
	strcpy(text + POLICY_LINE_MAX, " \nallow all\n");
	snprintf(expected, sizeof(expected),
		 "test.policy:1:%d: error: line is longer than %d bytes", POLICY_LINE_MAX + 1,
		 POLICY_LINE_MAX);
	expect_error(text, expected);
	free(text);

	/* A NUL byte is a control character, reported at its column. */
	diag_list_init(&d);
	{
		static const char nul[] = "allow all\nallow user a\0b\n";
		struct policy_ast *ast;
		const char *const want[] = {
			"test.policy:2:13: error: unexpected control character 0x00", NULL};
		assert_int_equal(policy_parse("test.policy", nul, sizeof(nul) - 1, NULL, &d, &ast),
				 POLICY_E_INVALID);
		assert_null(ast);
		assert_diags(&d, want);
	}
	diag_list_free(&d);
}

static void too_many_rules(void **state)
{
	size_t per = strlen("allow user 1\n"), n;
	char *text = malloc(per * (POLICY_RULES_MAX + 1) + 1);
	struct diag_list d;
	char expected[128];

	for (size_t i = 0; i <= POLICY_RULES_MAX; i++)
		memcpy(text + i * per, "allow user 1\n", per);
	text[per * POLICY_RULES_MAX] = '\0';
	diag_list_init(&d);
	assert_int_equal(parse(text, NULL, &d, &n), 0);
	assert_int_equal(n, POLICY_RULES_MAX);
	diag_list_free(&d);

	text[per * POLICY_RULES_MAX] = 'a';
	text[per * (POLICY_RULES_MAX + 1)] = '\0';
	snprintf(expected, sizeof(expected), "test.policy:%d:1: error: more than %d rules",
		 POLICY_RULES_MAX + 1, POLICY_RULES_MAX);
	expect_error(text, expected);
	free(text);
}

static void too_many_errors(void **state)
{
	struct diag_list d;
	char *text = malloc(10 * 100 + 1);
	size_t n;

	text[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(text, "nonsense\n");
	diag_list_init(&d);
	assert_int_equal(parse(text, NULL, &d, &n), POLICY_E_INVALID);
	assert_int_equal(d.count, POLICY_ERRORS_MAX + 1);
	assert_string_equal(d.items[POLICY_ERRORS_MAX].message, "too many errors, giving up");
	assert_int_equal(d.items[POLICY_ERRORS_MAX].line, POLICY_ERRORS_MAX);
	diag_list_free(&d);
	free(text);
}

static void errors_do_not_stop_at_first_line(void **state)
{
	static const char *const want[] = {
		"test.policy:1:1: error: expected 'allow', 'deny' or 'include', found 'x'",
		"test.policy:3:7: error: expected 'user' or 'group', found 'y'",
		NULL,
	};
	struct diag_list d;
	size_t n;

	diag_list_init(&d);
	assert_int_equal(parse("x\nallow all\nallow y\n", NULL, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, want);
	assert_int_equal(n, 0);
	diag_list_free(&d);
}

static const struct memfile tree[] = {
	{"/etc/p.d/10-a.policy", "allow user alice\n"},
	{"/etc/p.d/20-b.policy", "allow user bob\ninclude sub/*.policy\n"},
	{"/etc/p.d/sub/x.policy", "deny user carol\n"},
	{"/etc/p.d/zz.conf", "this is not read\n"},
	{"/etc/loop/a.policy", "allow user 1\ninclude b.policy\n"},
	{"/etc/loop/b.policy", "include a.policy\n"},
	{"/etc/self.policy", "include /etc/self.policy\n"},
	{"/etc/refused.policy", NULL},
	{"/etc/bad.policy", "allow user root\nallow bogus\n"},
	{"/d/0.policy", "include 1.policy\n"},
	{"/d/1.policy", "include 2.policy\n"},
	{"/d/2.policy", "include 3.policy\n"},
	{"/d/3.policy", "include 4.policy\n"},
	{"/d/4.policy", "include 5.policy\n"},
	{"/d/5.policy", "include 6.policy\n"},
	{"/d/6.policy", "include 7.policy\n"},
	{"/d/7.policy", "include 8.policy\n"},
	{"/d/8.policy", "allow user 8\ninclude 9.policy\n"},
	{"/d/9.policy", "allow user 9\n"},
	{NULL, NULL},
};

static void includes_sorted_and_relative(void **state)
{
	static const char *const texts[] = {"allow user root", "allow user alice", "allow user bob",
					    "deny user carol", "deny all"};
	static const char *const files[] = {"test.policy", "/etc/p.d/10-a.policy",
					    "/etc/p.d/20-b.policy", "/etc/p.d/sub/x.policy",
					    "test.policy"};
	struct policy_reader reader = test_reader(tree);
	struct diag_list d;
	struct policy *p;
	const char *file;
	unsigned line;

	diag_list_init(&d);
	assert_int_equal(test_compile("allow user root\ninclude /etc/p.d/*.policy\ndeny all\n",
				      &reader, &d, &p),
			 0);
	assert_int_equal(d.count, 0);
	assert_int_equal(policy_rule_count(p), 5);
	for (long i = 0; i < 5; i++) {
		assert_string_equal(policy_rule_text(p, i), texts[i]);
		assert_int_equal(policy_rule_origin(p, i, &file, &line), 0);
		assert_string_equal(file, files[i]);
	}
	assert_int_equal(policy_rule_origin(p, 4, &file, &line), 0);
	assert_int_equal(line, 3);
	policy_free(p);
	diag_list_free(&d);
}

static void include_errors(void **state)
{
	struct policy_reader reader = test_reader(tree);
	struct diag_list d;
	size_t n;

	static const char *const loop[] = {
		"/etc/loop/b.policy:1:9: error: include loop: /etc/loop/a.policy is already being "
		"read",
		NULL,
	};
	static const char *const self[] = {
		"/etc/self.policy:1:9: error: include loop: /etc/self.policy is already being read",
		NULL,
	};
	static const char *const none[] = {
		"test.policy:2:9: warning: include pattern /nowhere/*.policy matches no file",
		NULL,
	};
	static const char *const missing[] = {
		"test.policy:1:9: error: cannot include /etc/missing.policy: no such file",
		NULL,
	};
	static const char *const refused[] = {
		"test.policy:1:9: error: cannot include /etc/refused.policy: refusing: test says no",
		NULL,
	};
	static const char *const bad[] = {
		"/etc/bad.policy:2:7: error: expected 'user' or 'group', found 'bogus'",
		NULL,
	};
	static const char *const deep[] = {
		"/d/7.policy:1:9: error: cannot include /d/8.policy: includes nested deeper than 8 "
		"levels",
		NULL,
	};

	diag_list_init(&d);
	assert_int_equal(parse("include /etc/loop/a.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, loop);
	diag_list_free(&d);

	diag_list_init(&d);
	assert_int_equal(parse("include /etc/self.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, self);
	diag_list_free(&d);

	/* The top file is a loop too when an include names it again (by its reader id). */
	reader.root_id = "/etc/self.policy";
	diag_list_init(&d);
	{
		struct policy_ast *ast;
		const char *text = "include /etc/self.policy\n";
		const char *const top[] = {"/etc/self.policy:1:9: error: include loop: "
					   "/etc/self.policy is already being read",
					   NULL};
		assert_int_equal(
			policy_parse("/etc/self.policy", text, strlen(text), &reader, &d, &ast),
			POLICY_E_INVALID);
		assert_diags(&d, top);
	}
	diag_list_free(&d);
	reader.root_id = NULL;

	diag_list_init(&d);
	assert_int_equal(parse("allow all\ninclude /nowhere/*.policy\n", &reader, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_diags(&d, none);
	diag_list_free(&d);

	diag_list_init(&d);
	assert_int_equal(parse("include /etc/missing.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, missing);
	diag_list_free(&d);

	diag_list_init(&d);
	assert_int_equal(parse("include /etc/refused.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, refused);
	diag_list_free(&d);

	diag_list_init(&d);
	assert_int_equal(parse("include /etc/bad.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, bad);
	diag_list_free(&d);

	/* test.policy -> 0 -> ... -> 7 is eight levels below the top: 8 is one too many. */
	diag_list_init(&d);
	assert_int_equal(parse("include /d/0.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_diags(&d, deep);
	diag_list_free(&d);

	diag_list_init(&d);
	assert_int_equal(parse("include /d/2.policy\n", &reader, &d, &n), 0);
	assert_int_equal(n, 2);
	diag_list_free(&d);
}

/*
 * A tree of includes is bounded in files, not only in depth: 16 files each including the same
 * 16 is 1 + 16 + 256 reads, past POLICY_FILES_MAX, and stops with one error.
 */
static void include_tree_is_bounded(void **state)
{
	static char paths[32][32];
	struct memfile files[33];
	struct policy_reader reader;
	struct diag_list d;
	size_t n;

	for (int i = 0; i < 32; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/%c/%02d.policy", i < 16 ? 'a' : 'b', i % 16);
		files[i] = (struct memfile){paths[i],
					    i < 16 ? "include /b/*.policy\n" : "allow user root\n"};
	}
	files[32] = (struct memfile){NULL, NULL};
	reader = test_reader(files);
	diag_list_init(&d);
	assert_int_equal(parse("include /a/*.policy\n", &reader, &d, &n), POLICY_E_INVALID);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.items[0].message, "a policy reads at most 256 files"));
	diag_list_free(&d);
}

/* Each attribute's value as the rule keeps it: unquoted, unescaped, converted; the defaults. */
static void attribute_values(void **state)
{
	static const char text[] =
		"deny user 1 name=a.B-c_9 message=\"say \\\"hi\\\" \\\\ # not a comment\"\n"
		"allow user 2 max-per-uid=10000000 idle-timeout=86400 from=\"1970-01-01T00:00:01Z\"\n"
		"allow all until=2038-01-19T03:14:08Z\n"
		"allow user 3\n";
	struct diag_list d;
	struct policy_ast *ast = NULL;
	const struct policy_attrs *a;

	diag_list_init(&d);
	assert_int_equal(policy_parse("t", text, strlen(text), NULL, &d, &ast), 0);
	assert_int_equal(ast->nrules, 4);
	assert_non_null(ast->rules[0].attrs);
	a = &ast->rules[0].attrs->attrs;
	assert_string_equal(a->name, "a.B-c_9");
	assert_string_equal(a->message, "say \"hi\" \\ # not a comment");
	assert_int_equal(ast->rules[0].attrs->name_col, 13);
	assert_int_equal(a->from, POLICY_TIME_MIN);
	assert_int_equal(a->until, POLICY_TIME_MAX);
	a = &ast->rules[1].attrs->attrs;
	assert_null(a->name);
	assert_int_equal(a->max_per_uid, 10000000);
	assert_int_equal(a->idle_timeout, 86400);
	assert_int_equal(a->from, 1);
	assert_int_equal(ast->rules[2].nsels, 0);
	assert_int_equal(ast->rules[2].attrs->attrs.until, 2147483648LL);
	assert_null(ast->rules[3].attrs);
	/* The rule's text keeps its attributes as written. */
	assert_string_equal(ast->rules[2].text, "allow all until=2038-01-19T03:14:08Z");
	policy_ast_free(ast);
	assert_int_equal(d.count, 0);
	diag_list_free(&d);
}

/* A rule with a time window does not match outside it, and shadows no later rule. */
static void windows_decide_and_shadow_nothing(void **state)
{
	struct diag_list d;
	struct policy *p;
	struct peer_cred c = test_cred(5, 5, NULL, 0);

	diag_list_init(&d);
	assert_int_equal(test_compile("allow all from=2027-01-01T00:00:00Z "
				      "until=2027-01-02T00:00:00Z\n"
				      "deny user 5\n"
				      "allow user 5 until=2027-01-01T00:00:00Z\n",
				      NULL, &d, &p),
			 0);
	assert_int_equal(d.count, 1); /* only the third rule, behind the second, never matches */
	assert_int_equal(policy_eval(p, &c, 1798761599).rule, 1);
	assert_int_equal(policy_eval(p, &c, 1798761600).rule, 0);
	assert_int_equal(policy_eval(p, &c, 1798761600 + 86399).rule, 0);
	assert_int_equal(policy_eval(p, &c, 1798761600 + 86400).rule, 1);
	policy_free(p);
	diag_list_free(&d);
}

/*
 * The AST holds a rule's selectors in one list sized once: a line of many selectors ("allow user
 * 1 user 1 ..."), which the grammar allows, costs memory in proportion to it, never to its
 * square. 100 such lines of 584 selectors each stay within a few MiB (a list copied one
 * longer for each selector took 425 MiB).
 */
static void many_selectors_stay_linear(void **state)
{
	enum { LINES = 100 };
	size_t per = (POLICY_LINE_MAX - 8) / 7, len = 0;
	char *text = malloc(LINES * (POLICY_LINE_MAX + 1));
	struct mallinfo2 before, after;
	struct policy_ast *ast;
	struct diag_list d;

	assert_non_null(text);
	for (int l = 0; l < LINES; l++) {
		len += (size_t)sprintf(text + len, "allow");
		for (size_t k = 0; k < per; k++)
			len += (size_t)sprintf(text + len, " user 1");
		text[len++] = '\n';
	}
	diag_list_init(&d);
	before = mallinfo2();
	assert_int_equal(policy_parse("test.policy", text, len, NULL, &d, &ast), 0);
	after = mallinfo2();
	assert_int_equal(ast->nrules, LINES);
	assert_int_equal(ast->rules[0].nsels, per);
	assert_true(after.uordblks - before.uordblks + (after.hblkhd - before.hblkhd) < 8u << 20);
	policy_ast_free(ast);
	diag_list_free(&d);
	free(text);
}

/*
 * The AST has room for a rule per line before the first is read (one more, for a last line with
 * no newline), so that it never grows while a large policy is read: the count of lines is right
 * at every length around the 255 bytes it counts at a time, whether the text ends in a newline or
 * not, with lines of rules, comments and nothing.
 */
static void rules_have_room_at_once(void **state)
{
	static const char *const lines[] = {"allow user 1\n", "# a comment\n", "\n",
					    "deny group 2-3\n"};
	char *text = malloc(4096);

	assert_non_null(text);
	for (size_t n = 0; n < 600; n++) {
		for (int last = 0; last < 2; last++) {
			size_t len = 0, want = 0;
			struct policy_ast *ast = NULL;
			struct diag_list d;

			while (len < n) {
				const char *line = lines[(len + n) % 4];

				len += (size_t)sprintf(text + len, "%s", line);
				want++;
			}
			if (last) {
				len += (size_t)sprintf(text + len, "allow all");
				want++;
			}
			diag_list_init(&d);
			assert_int_equal(policy_parse("test.policy", text, len, NULL, &d, &ast), 0);
			assert_int_equal(ast->cap, want + 1);
			policy_ast_free(ast);
			diag_list_free(&d);
		}
	}
	free(text);
}

/* What policy_lex_line() makes of @text: its outcome, tokens (offsets from @text) and error. */
struct lexed {
	int r;
	size_t n, pos;
	unsigned line, col;
	char message[160];
	struct {
		size_t at, len;
		unsigned col, eq;
	} tok[POLICY_TOKENS_MAX];
};

static void lex_one(const char *text, size_t len, struct policy_token *tok, struct lexed *out)
{
	struct policy_lexer lx = {.text = text, .len = len};
	struct policy_lex_error err = {0};

	memset(out, 0, sizeof(*out));
	out->r = policy_lex_line(&lx, tok, &out->n, &err);
	out->pos = lx.pos;
	out->line = lx.line;
	if (out->r == POLICY_LEX_BAD) {
		out->col = err.col;
		memcpy(out->message, err.message, sizeof(out->message));
		return;
	}
	for (size_t i = 0; i < out->n; i++) {
		out->tok[i].at = (size_t)(tok[i].s - text);
		out->tok[i].len = tok[i].len;
		out->tok[i].col = tok[i].col;
		out->tok[i].eq = tok[i].eq;
	}
}

/*
 * A line of printable ASCII is read in one pass, any other by the full check: the two must agree.
 * " LINE" takes the first way when it can, "\tLINE" always the second (a tab is a blank like a
 * space, so both lines mean the same), over random lines of the bytes that tell them apart and
 * lines at the length limit.
 */
static void plain_lines_read_as_any_line(void **state)
{
	static const char *const parts[] = {
		"allow", "user",     "1000-1999",    "a",    "=",  "name=x", " ",
		"  ",	 "#",	     "\"",	     "\\",   "\t", "\r",     "\x7f",
		"\x01",	 "\xc3\xa9", "\xe2\x80\xae", "\x9b", "-",  "@",	     "$",
		"\n"};
	struct policy_token *tok = calloc(POLICY_TOKENS_MAX, sizeof(*tok));
	struct lexed *plain = malloc(sizeof(*plain)), *full = malloc(sizeof(*full));
	char *a = malloc(POLICY_LINE_MAX + 8), *b = malloc(POLICY_LINE_MAX + 8);
	unsigned seed = 1;

	assert_non_null(tok);
	assert_non_null(plain);
	assert_non_null(full);
	assert_non_null(a);
	assert_non_null(b);
	for (int round = 0; round < 20000; round++) {
		size_t len = 1;

		a[0] = ' ';
		if (round < 8) {
			/* The limit: a line of POLICY_LINE_MAX bytes is read, one byte more is not.
			 */
			size_t want = POLICY_LINE_MAX - 1 + (size_t)(round & 1);

			for (; len < want + 1; len++)
				a[len] = round & 2 ? 'x' : (len & 1 ? 'y' : ' ');
			if (round & 4)
				a[len - 1] = '#';
		} else {
			for (int k = (int)(rand_r(&seed) % 12); k > 0; k--) {
				const char *p =
					parts[rand_r(&seed) % (sizeof(parts) / sizeof(parts[0]))];

				memcpy(a + len, p, strlen(p));
				len += strlen(p);
			}
		}
		if (rand_r(&seed) % 4)
			a[len++] = '\n';
		memcpy(b, a, len);
		b[0] = '\t';
		lex_one(a, len, tok, plain);
		lex_one(b, len, tok, full);
		if (memcmp(plain, full, sizeof(*plain)) != 0)
			fail_msg("round %d: the line \"%.*s\" (%zu bytes) is read two ways", round,
				 (int)(len < 60 ? len : 60), a, len);
	}
	free(b);
	free(a);
	free(full);
	free(plain);
	free(tok);
}

static const char *pick(const char *const *from, size_t n, unsigned *seed)
{
	return from[(size_t)rand_r(seed) % n];
}

#define PICK(from, seed) pick(from, sizeof(from) / sizeof(from[0]), seed)

/*
 * An id or a range of ids at @out, of 1 to 12 digits each, most of them short, some with leading
 * zeros, some at the edge of 4294967295, and maybe a byte after the digits; returns its length.
 */
static size_t random_id(char *out, unsigned *seed)
{
	static const char *const edges[] = {"4294967294", "4294967295", "4294967296",
					    "0004294967", "9999999999", "10000000000"};
	static const char tails[] = "-a=$#\t/:@";
	size_t len = 0;

	for (int k = rand_r(seed) % 4 ? 1 : 2; k > 0; k--) {
		if (len)
			out[len++] = '-';
		if (rand_r(seed) % 8 == 0) {
			len += (size_t)sprintf(out + len, "%s", PICK(edges, seed));
		} else {
			int digits = rand_r(seed) % 4 ? (int)(rand_r(seed) % 9) + 1
						      : (int)(rand_r(seed) % 12) + 1;

			for (int i = 0; i < digits; i++)
				out[len++] = (char)('0' + (i == 0 && rand_r(seed) % 4
								   ? 1 + rand_r(seed) % 9
								   : rand_r(seed) % 10));
		}
	}
	if (rand_r(seed) % 16 == 0)
		out[len++] = tails[(size_t)rand_r(seed) % (sizeof(tails) - 1)];
	out[len] = '\0';
	return len;
}

/*
 * In text that ends in a newline, the common rule is read in one pass, without tokens; text that
 * does not end in one has every line read by the full lexer and parser. The same lines, with
 * and without the last newline, must give the same AST and the same diagnostics. The lines are
 * rules, most of them common, some with what tells them apart: ids at their limits, bad ranges
 * and names, keywords among the values, comments, other blanks, a selector with no value, more
 * selectors and values than the one pass takes; a third have attributes, good and bad.
 */
static void plain_rules_parse_as_any_rule(void **state)
{
	static const char *const heads[] = {"allow",  "deny",  "allow",	    "deny",    "allow",
					    "deny",   "allow", "deny",	    "Allow",   "include",
					    " allow", "",      "allow all", "deny all"};
	static const char *const kinds[] = {"user", "group"};
	static const char *const values[] = {"0",	  "1000",  "99",    "4294967294",
					     "1000-1999", "5-5",   "alice", "bob$",
					     "@x.y",	  "_ok-1", "A",	    "Z9"};
	static const char *const odd[] = {
		"4294967295", "99999999999", "12345678901-1", "2-1",	    "1-",
		"1-2-3",      "-1",	     "a$b",	      "$",	    "-x",
		"1a",	      "all",	     "allow",	      "deny",	    "include",
		"user",	      "group",	     "name=x",	      "#",	    "#c",
		"\"q\"",      "\xc3\xa9",    "\xc3\xa9$",     "00000000001"};
	static const char *const attrs[] = {"name=r1",
					    "name=r2",
					    "message=\"no entry\"",
					    "message=x",
					    "max-per-uid=3",
					    "idle-timeout=60",
					    "from=2000-01-01T00:00:00Z",
					    "until=9999-12-31T23:59:59Z",
					    "until=1999-01-01T00:00:00Z",
					    "name=",
					    "foo=1",
					    "name=\"open",
					    "x",
					    "#c",
					    "=",
					    "a$=1",
					    "message=\"\xe2\x80\xae\"",
					    "name=\xc3\xa9"};
	static const char *const blanks[] = {"  ", "\t", "\r", " \t", ""};
	static char text[256 * 1024];
	unsigned seed = 7;

	for (int round = 0; round < 4000; round++) {
		size_t len = 0;

		if (round < 8) {
			/*
			 * At the limit, POLICY_LINE_MAX bytes or one more: sixteen names of up to
			 * 255 bytes, or blanks before an attribute.
			 */
			size_t want = POLICY_LINE_MAX + (size_t)(round & 1);

			len = (size_t)sprintf(text, "%s",
					      round & 4 ? "deny user 1 name=x" : "deny user");
			while (!(round & 4) && len < want) {
				size_t n = want - len - 1 < 255 ? want - len - 1 : 255;

				text[len++] = ' ';
				memset(text + len, round & 2 ? 'a' : 'b', n);
				len += n;
			}
			while (round & 4 && len < want - 6)
				text[len++] = ' ';
			if (round & 4)
				len += (size_t)sprintf(text + len, "%s",
						       round & 2 ? "name=y" : "until=");
			text[len++] = '\n';
		}
		if (round == 8 || round == 9) {
			/* Past the limit by words after an attribute: more than the tokens hold. */
			len = (size_t)sprintf(text, "allow user a n=1");
			for (int k = 0; k < POLICY_TOKENS_MAX - (round & 1); k++)
				len += (size_t)sprintf(text + len, " x");
			text[len++] = '\n';
		}
		for (int line = round < 10 ? 0 : (int)(rand_r(&seed) % 8) + 1; line > 0; line--) {
			int nsels = rand_r(&seed) % 8 ? (int)(rand_r(&seed) % 3) + 1
						      : (int)(rand_r(&seed) % 12);

			len += (size_t)sprintf(text + len, "%s", PICK(heads, &seed));
			for (int k = 0; k < nsels; k++) {
				int nvals = rand_r(&seed) % 8 ? (int)(rand_r(&seed) % 3) + 1
							      : (int)(rand_r(&seed) % 20);

				len += (size_t)sprintf(text + len, " %s", PICK(kinds, &seed));
				for (int j = 0; j < nvals; j++) {
					const char *b =
						rand_r(&seed) % 24 ? " " : PICK(blanks, &seed);
					const char *v = rand_r(&seed) % 16 ? PICK(values, &seed)
									   : PICK(odd, &seed);

					len += (size_t)sprintf(text + len, "%s", b);
					if (rand_r(&seed) % 3 == 0)
						len += random_id(text + len, &seed);
					else
						len += (size_t)sprintf(text + len, "%s", v);
				}
			}
			for (int k = rand_r(&seed) % 3 ? 0 : (int)(rand_r(&seed) % 3) + 1; k > 0;
			     k--) {
				const char *b = rand_r(&seed) % 8 ? " " : PICK(blanks, &seed);

				len += (size_t)sprintf(text + len, "%s%s", b,
						       rand_r(&seed) % 4
							       ? PICK(attrs, &seed)
							       : attrs[rand_r(&seed) % 9]);
			}
			if (rand_r(&seed) % 16 == 0)
				len += (size_t)sprintf(text + len, "%s", PICK(blanks, &seed));
			text[len++] = '\n';
		}
		struct policy_ast *plain = NULL, *full = NULL;
		struct diag_list dp, df;
		int rp, rf;

		/* Exactly as long as the text, so that a read past its end is caught. */
		char *exact = malloc(len);

		assert_non_null(exact);
		memcpy(exact, text, len);
		diag_list_init(&dp);
		diag_list_init(&df);
		rp = policy_parse("test.policy", exact, len, NULL, &dp, &plain);
		rf = policy_parse("test.policy", exact, len - 1, NULL, &df, &full);
		if (rp != rf || !astcmp_same_ast(plain, full) || !astcmp_same_diags(&dp, &df))
			fail_msg("round %d: \"%.*s\" is parsed two ways", round,
				 (int)(len < 300 ? len : 300), text);
		policy_ast_free(plain);
		policy_ast_free(full);
		diag_list_free(&dp);
		diag_list_free(&df);
		free(exact);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(include_tree_is_bounded),
		cmocka_unit_test(grammar_elements),
		cmocka_unit_test(errors_with_position),
		cmocka_unit_test(lines_show_as_they_are_read),
		cmocka_unit_test(values_and_ranges),
		cmocka_unit_test(names),
		cmocka_unit_test(limits),
		cmocka_unit_test(too_many_rules),
		cmocka_unit_test(too_many_errors),
		cmocka_unit_test(errors_do_not_stop_at_first_line),
		cmocka_unit_test(includes_sorted_and_relative),
		cmocka_unit_test(include_errors),
		cmocka_unit_test(attribute_values),
		cmocka_unit_test(windows_decide_and_shadow_nothing),
		cmocka_unit_test(many_selectors_stay_linear),
		cmocka_unit_test(rules_have_room_at_once),
		cmocka_unit_test(plain_lines_read_as_any_line),
		cmocka_unit_test(plain_rules_parse_as_any_rule),
	};
	return cmocka_run_group_tests_name("policy-parse", tests, NULL, NULL);
}
