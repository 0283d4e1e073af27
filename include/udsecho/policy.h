/* SPDX-License-Identifier: MIT */
/*
 * policy: who may use the echo service, from the admin's text to a decision.
 *
 * The text is parsed (policy-parse.c, pure, includes through an injected reader), compiled to
 * numeric uid/gid ranges (policy-compile.c, names through an injected resolver), sent to the
 * worker as bytes (policy-wire.c) and evaluated there (policy-eval.c, no syscalls, no
 * allocation, narrowed by a uid and a gid index from policy-index.c built after compile and
 * decode). Only policy-load.c touches files, and only the monitor and udsecho-policy call it.
 * A compiled policy never holds a name: the worker cannot and must not resolve one. First
 * matching rule wins; a peer no rule matches is denied.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "udsecho/diag.h"
#include "udsecho/peercred.h"

#define POLICY_LINE_MAX	   4096	       /* bytes per line, without the newline */
#define POLICY_RULES_MAX   100000      /* rules in a policy, includes counted */
#define POLICY_DEPTH_MAX   8	       /* include nesting below the top file */
#define POLICY_FILES_MAX   256	       /* files one load reads, the top file and includes */
#define POLICY_FILE_MAX	   (16u << 20) /* bytes per file */
#define POLICY_ERRORS_MAX  50	       /* the parser gives up after this many errors */
#define POLICY_OVERFLOW_ID 65534       /* the kernel's overflow uid/gid */
#define POLICY_NAME_MAX	   64	       /* bytes of a rule's name= */
#define POLICY_MESSAGE_MAX 160	       /* bytes of a rule's message= */
#define POLICY_COUNT_MAX   10000000    /* max-per-uid= at most (as --max-per-uid) */
#define POLICY_SECONDS_MAX 86400       /* idle-timeout= at most (as --idle-timeout) */
#define POLICY_TIME_MIN	   INT64_MIN   /* from= when none is given */
#define POLICY_TIME_MAX	   INT64_MAX   /* until= when none is given */

/* Positive outcomes; negative values are -errno. */
enum {
	POLICY_E_INVALID = 1, /* the text has errors: they are in the diag list */
	POLICY_E_WIRE,	      /* bytes from the pipe are not a valid encoded policy */
	POLICY_E_RANGE,	      /* a rule index that is not in the policy */
};

struct policy;	   /* compiled, numeric, immutable once built */
struct policy_ast; /* parsed rules, still holding names */

enum policy_kind {
	POLICY_USER = 0,
	POLICY_GROUP = 1,
};

struct policy_verdict {
	int allow; /* 1 allow, 0 deny */
	long rule; /* index of the deciding rule, -1 when no rule matched (default deny) */
};

/*
 * What a rule says besides who it selects (udsecho.policy(5), "ATTRIBUTES"). The strings belong
 * to the policy; a name holds only letters, digits, '-', '_' and '.', a message only printable
 * ASCII, also after policy_decode().
 */
struct policy_attrs {
	const char *name;      /* name=, or NULL */
	const char *message;   /* message= (deny rules only), or NULL */
	uint32_t max_per_uid;  /* max-per-uid= (allow rules only), or 0 */
	uint32_t idle_timeout; /* idle-timeout= in seconds (allow rules only), or 0 */
	int64_t from, until;   /* the rule matches at t when from <= t < until */
};

/*
 * policy_eval - the decision for @cred at @now (seconds since the epoch, as time(2)): the first
 * rule whose selectors all match and whose time window holds @now. A user selector matches the
 * peer's uid; a group selector its primary or any supplementary group. Pure: no syscall, no
 * allocation; runs in the worker's sandbox.
 */
struct policy_verdict policy_eval(const struct policy *p, const struct peer_cred *cred,
				  int64_t now);

/* Parts of a peer's credentials that policy_eval_partial() may be told are unknown. */
enum {
	POLICY_UNKNOWN_GID = 1u << 0,	 /* the primary gid */
	POLICY_UNKNOWN_GROUPS = 1u << 1, /* the supplementary groups */
};

/*
 * policy_eval_partial - the decision for a peer of whom only part is known: its uid always, its
 * gid and its supplementary groups unless @unknown has POLICY_UNKNOWN_GID or _GROUPS (what @cred
 * holds for an unknown part is ignored). The verdict is the first rule that matches whatever the
 * unknown parts are, or default deny. *@needs is -1 when that verdict, rule included, is what
 * policy_eval() decides for every peer that has @cred's known parts; otherwise it is the first
 * rule before the verdict's that the unknown parts could make match: the rule a caller names
 * when it asks for them. Exact, neither more nor less cautious: a rule needs the gid only when
 * some gid lies in every group selector of it that the known groups do not meet. With @unknown 0
 * this is policy_eval(). Pure; it scans the rules, for the tools (not the worker's hot path).
 */
struct policy_verdict policy_eval_partial(const struct policy *p, const struct peer_cred *cred,
					  int64_t now, unsigned unknown, long *needs);

/*
 * policy_rule_attrs - the attributes of rule @rule, or NULL when it has none (or @rule is not a
 * rule of @p). Safe in the sandbox.
 */
const struct policy_attrs *policy_rule_attrs(const struct policy *p, long rule);

/*
 * policy_next_change - the first instant after @now at which a rule's time window opens or
 * closes (a from= or an until=), when decisions may change; POLICY_TIME_MAX when none is to
 * come. Pure.
 */
int64_t policy_next_change(const struct policy *p, int64_t now);

/* policy_has_windows - whether a rule has from= or until=: its decisions depend on the time. */
int policy_has_windows(const struct policy *p);

/* policy_has_idle_timeouts - whether a rule has idle-timeout=. */
int policy_has_idle_timeouts(const struct policy *p);

/*
 * policy_rule_named - the index of the rule named @name (its name=), or -1. For the tools: it
 * scans.
 */
long policy_rule_named(const struct policy *p, const char *name);

/* policy_rule_count - the number of rules. */
size_t policy_rule_count(const struct policy *p);

/*
 * policy_uses_groups - whether any rule has a group selector, i.e. whether policy_eval() needs
 * the peer's supplementary groups. A caller that skips reading them must ask this first.
 */
int policy_uses_groups(const struct policy *p);

/*
 * policy_rule_origin - where rule @rule was written: *file and *line (0 for the built-in
 * policy, whose file is "built-in"). Returns 0 or POLICY_E_RANGE. Safe in the sandbox.
 */
int policy_rule_origin(const struct policy *p, long rule, const char **file, unsigned *line);

/*
 * policy_rule_text - the rule as written (comments dropped, blanks collapsed), e.g.
 * "allow group wheel"; NULL for an index out of range, or after policy_decode(): the text is
 * not sent to the worker.
 */
const char *policy_rule_text(const struct policy *p, long rule);

/* policy_free - release @p; NULL is fine. */
void policy_free(struct policy *p);

/*
 * policy_builtin_allow_uid - the policy used when no file exists: one rule allowing @uid,
 * with origin "built-in". Returns 0, -EINVAL for a @uid over POLICY_ID_MAX (no rule holds
 * 4294967295, which the kernel never gives a process), or -ENOMEM.
 */
int policy_builtin_allow_uid(uid_t uid, struct policy **out);

/*
 * Reading include files is the caller's business; the parser only asks for them.
 * expand - the files @pattern names, sorted (glob(3)); an empty list is not an error.
 * read - the text of @path after whatever checks the reader makes; *id identifies the file
 *        itself (e.g. "dev:ino") so that a loop through another name is still a loop.
 * Both return 0, or non-zero with *why set to a malloc'd reason (the parser frees it).
 * root_id is the id read() gave the top file (NULL: its name), so that including it is a loop.
 * yield - if not NULL, called every POLICY_YIELD_EVERY lines (struct policy_source).
 */
struct policy_reader {
	int (*expand)(void *ctx, const char *pattern, char ***paths, size_t *npaths, char **why);
	int (*read)(void *ctx, const char *path, char **text, size_t *len, char **id, char **why);
	void *ctx;
	const char *root_id;
	void (*yield)(void);
};

/* How many lines, rules or ids a long load goes through between two calls of its yield. */
#define POLICY_YIELD_EVERY 64

/*
 * policy_parse - parse @len bytes of @text, named @file in diagnostics, into rules.
 * `include` lines go through @reader (NULL: includes are an error). Relative patterns are
 * relative to the directory of the file that includes them. Pure apart from @reader.
 * Returns 0 (warnings may be in @diags), POLICY_E_INVALID with errors in @diags, or -ENOMEM.
 * On success *out holds the rules; free with policy_ast_free().
 */
int policy_parse(const char *file, const char *text, size_t len, const struct policy_reader *reader,
		 struct diag_list *diags, struct policy_ast **out);

/* policy_ast_free - release @ast; NULL is fine. */
void policy_ast_free(struct policy_ast *ast);

/*
 * Names to ids. Each returns 0, NSS_E_UNKNOWN, NSS_E_INVALID (see nss.h) or -errno, like
 * nss_user() and nss_group(). policy_resolver_nss is the production one.
 */
struct policy_resolver {
	int (*user)(void *ctx, const char *name, uid_t *uid);
	int (*group)(void *ctx, const char *name, gid_t *gid);
	void *ctx;
	void (*yield)(void); /* if not NULL, called every POLICY_YIELD_EVERY rules */
};

extern const struct policy_resolver policy_resolver_nss;

/*
 * policy_compile - resolve every name of @ast through @resolver, normalise the ranges and
 * warn about rules that can never match and rules that allow the overflow id 65534. The policy
 * has no index, and policy_eval() scans it: policy_load_file() adds one (policy_index_build(),
 * inside the library), and the worker builds its own as it decodes. Returns 0 (warnings may be in
 * @diags), POLICY_E_INVALID with errors in @diags, or -errno (-ENOMEM, or a failed lookup, also
 * described in @diags).
 */
int policy_compile(const struct policy_ast *ast, const struct policy_resolver *resolver,
		   struct diag_list *diags, struct policy **out);

/*
 * policy_read_fd - the whole of @fd, a policy file that fstat(2) says is @st, into a malloc'd
 * *@text. Returns 0, -EFBIG past POLICY_FILE_MAX, or -errno. For the loader and the editor.
 */
int policy_read_fd(int fd, const struct stat *st, char **text, size_t *len);

/*
 * policy_load_file - read @path and its includes, check each file like sshd's StrictModes
 * (regular file, owned by root or @trusted_uid, writable by no one else, and so every directory
 * on its real path, a root-owned sticky directory excepted), parse, compile with NSS and index
 * for policy_eval(). Returns 0 (warnings may be in @diags); POLICY_E_INVALID with errors in @diags
 * (a refused file, or an include that is refused or cannot be read); or -errno when @path itself
 * cannot be read (-ENOENT: there is no policy file) or on another system failure. Before
 * confinement only.
 */
int policy_load_file(const char *path, uid_t trusted_uid, struct diag_list *diags,
		     struct policy **out);

/* Where the policy comes from, at start and at every SIGHUP. */
struct policy_source {
	const char *path;
	int explicit_path; /* given with --policy: a missing file is an error, not the built-in */
	uid_t trusted_uid; /* besides root, who may own the policy files */
	/*
	 * If not NULL, called every so often while a policy loads (every POLICY_YIELD_EVERY lines
	 * or rules, and between slices of its sorts), so that a caller sharing its CPU with others
	 * can let them run: the monitor yields the CPU there.
	 */
	void (*yield)(void);
};

/*
 * policy_load_source - load the policy @src names, as policy_load_file() does but for the index:
 * the monitor only sends the policy (policy_encode()), and the worker indexes it. With no explicit
 * path and no file at the default one, the built-in policy allowing only @src->trusted_uid
 * (*@builtin set to 1). Returns what policy_load_file() returns. Before confinement only.
 */
int policy_load_source(const struct policy_source *src, struct diag_list *diags,
		       struct policy **out, int *builtin);

/*
 * policy_check_file - the file checks of policy_load_file() on @path alone (type, owner, mode,
 * and every directory on its real path), without parsing it or following its includes.
 * Returns 0; POLICY_E_INVALID with the refusal in @diags; or -errno when @path cannot be read.
 * Before confinement only.
 */
int policy_check_file(const char *path, uid_t trusted_uid, struct diag_list *diags);

/*
 * policy_encode - the bytes that carry @p from the monitor to the worker: numbers and the
 * origin file names, not the rule text. Returns 0 with a malloc'd *buf, or -ENOMEM.
 */
int policy_encode(const struct policy *p, void **buf, size_t *len);

/*
 * policy_decode - rebuild a policy from @len untrusted bytes. Every count, size, index, range
 * and string is checked before use; the result evaluates exactly as the encoded policy did.
 * Returns 0, POLICY_E_WIRE, or -ENOMEM. Uses malloc only: safe in the sandbox.
 */
int policy_decode(const void *buf, size_t len, struct policy **out);

/*
 * The same decode in steps, for a loop that must go on serving while a large policy comes in:
 * policy_decoder_start() reads the header (the bytes at @buf must stay until the decoder is
 * freed); each policy_decoder_step() does about @budget units of work (a record, a step of the
 * index's sort) and returns POLICY_DECODE_MORE while some remain, 0 with the policy in *@out
 * once all are done (the caller's to free), or POLICY_E_WIRE or -ENOMEM as policy_decode() does,
 * after which the decoder must only be freed. The policy is the one policy_decode() gives,
 * whatever the budgets. Uses malloc only: safe in the sandbox.
 */
struct policy_decoder;

#define POLICY_DECODE_MORE 1000 /* not a POLICY_E_*: work remains */

int policy_decoder_start(const void *buf, size_t len, struct policy_decoder **out);
int policy_decoder_step(struct policy_decoder *d, size_t budget, struct policy **out);

/* policy_decoder_free - release @d and a policy it was building; NULL is fine. */
void policy_decoder_free(struct policy_decoder *d);
