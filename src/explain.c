// SPDX-License-Identifier: MIT
/*
 * explain: the EACCES explanation (see explain.h). Pure string building over the classic Unix
 * permission classes; no system calls.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "udsecho/explain.h"

enum class_ { CLASS_OWNER, CLASS_GROUP, CLASS_OTHER };

static int in_groups(const struct explain_caller *c, gid_t gid)
{
	if (c->gid == gid)
		return 1;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return 1;
	return 0;
}

static enum class_ class_of(const struct explain_node *n, const struct explain_caller *c)
{
	if (c->uid == n->uid)
		return CLASS_OWNER;
	if (in_groups(c, n->gid))
		return CLASS_GROUP;
	return CLASS_OTHER;
}

static mode_t bit_for(enum class_ cls, enum explain_need need)
{
	static const mode_t w[] = {S_IWUSR, S_IWGRP, S_IWOTH}, x[] = {S_IXUSR, S_IXGRP, S_IXOTH};

	return need == EXPLAIN_NEED_WRITE ? w[cls] : x[cls];
}

int explain_allowed(const struct explain_node *node, enum explain_need need,
		    const struct explain_caller *caller)
{
	if (caller->uid == 0)
		return 1;
	return (node->mode & bit_for(class_of(node, caller), need)) != 0;
}

static void mode_string(mode_t m, char out[10])
{
	static const char rwx[] = "rwxrwxrwx";

	for (int i = 0; i < 9; i++)
		out[i] = (m & (0400 >> i)) ? rwx[i] : '-';
	out[9] = '\0';
}

void explain_eacces(const struct explain_node *node, enum explain_need need,
		    const struct explain_caller *caller, char *why, size_t whylen, char *hint,
		    size_t hintlen)
{
	const char *what = need == EXPLAIN_NEED_WRITE ? "write" : "search (x)";
	const char *kind = need == EXPLAIN_NEED_WRITE ? "the socket" : "directory";
	enum class_ cls = class_of(node, caller);
	char perms[10];
	const char *applies;

	mode_string(node->mode, perms);
	switch (cls) {
	case CLASS_OWNER:
		applies = "you own it, so the owner bits apply";
		break;
	case CLASS_GROUP:
		applies = "you are in its group, so the group bits apply";
		break;
	case CLASS_OTHER:
	default:
		applies =
			"you are neither its owner nor in its group, so the bits for others apply";
		break;
	}
	snprintf(why, whylen,
		 "%s needs %s permission on %s %s, which is owned by %s:%s with mode %04o (%s); "
		 "you are %s (uid %u, gid %u): %s, and they do not grant %s",
		 need == EXPLAIN_NEED_WRITE ? "connecting" : "reaching the socket", what, kind,
		 node->path, node->owner_name, node->group_name, (unsigned int)(node->mode & 07777),
		 perms, caller->user_name, (unsigned int)caller->uid, (unsigned int)caller->gid,
		 applies, what);

	hint[0] = '\0';
	/* Only worth getting into the group when its bits would grant what is needed. */
	if (cls == CLASS_OTHER && caller->listed_in_node_group &&
	    (node->mode & bit_for(CLASS_GROUP, need)))
		snprintf(
			hint, hintlen,
			"%s is listed in group %s, but this login session does not have that group "
			"yet: log in again, or run 'newgrp %s'",
			caller->user_name, node->group_name, node->group_name);
	else if (cls == CLASS_OTHER && (node->mode & bit_for(CLASS_GROUP, need)))
		snprintf(hint, hintlen,
			 "members of group %s may %s: ask the administrator to add %s to it, then "
			 "log in again",
			 node->group_name, need == EXPLAIN_NEED_WRITE ? "connect" : "pass",
			 caller->user_name);
	else if (need == EXPLAIN_NEED_SEARCH)
		snprintf(hint, hintlen, "ask the administrator to let you search %s", node->path);
	else
		snprintf(
			hint, hintlen,
			"ask the administrator to grant access (udsechod --owner, --group, --mode)");
}
