/* SPDX-License-Identifier: MIT */
/*
 * explain: why connect(2) said EACCES, in words a user can act on.
 *
 * Pure: it takes what the client has already gathered (the blocking node's owner, group and
 * mode, the caller's ids and groups, names for them, and whether the caller's user is listed in
 * the node's group in the group database) and applies the kernel's rule for permission classes:
 * the owner class if the caller owns the node, else the group class if the node's group is one
 * of the caller's groups, else the others class. Nothing here touches the system.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

enum explain_need {
	EXPLAIN_NEED_WRITE,  /* connecting needs write permission on the socket node */
	EXPLAIN_NEED_SEARCH, /* reaching it needs search (x) permission on each directory */
};

struct explain_node {
	const char *path;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	const char *owner_name;
	const char *group_name;
};

struct explain_caller {
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary groups of this process */
	size_t ngroups;
	const char *user_name;
	int listed_in_node_group; /* the group database lists the user in the node's group */
};

/* explain_allowed - whether the permission classes grant @need on @node to @caller. */
int explain_allowed(const struct explain_node *node, enum explain_need need,
		    const struct explain_caller *caller);

/*
 * explain_eacces - write the reason (one line, no trailing newline) into @why and a suggested
 * fix into @hint (one line; may be empty). Both are always NUL-terminated.
 */
void explain_eacces(const struct explain_node *node, enum explain_need need,
		    const struct explain_caller *caller, char *why, size_t whylen, char *hint,
		    size_t hintlen);
