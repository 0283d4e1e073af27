/* SPDX-License-Identifier: MIT */
/*
 * journal: a log line as a record of journald's native protocol, with fields a query can use.
 *
 * The record holds MESSAGE (the line as it is written to standard error, unchanged), PRIORITY,
 * SYSLOG_IDENTIFIER and, from the line's own "key=value" words: UDSECHO_EVENT (event=), and
 * for the events about one peer (allow, deny, revoke, busy, close, unavailable, would-revoke,
 * client) UDSECHO_PEER_PID, UDSECHO_PEER_UID, UDSECHO_PEER_GID (pid=, uid=, gid=),
 * UDSECHO_RULE (rule=, its quotes removed) and UDSECHO_RULE_NAME (name=); and a MESSAGE_ID for
 * the events a message catalog explains (allow, deny, revoke, busy, unavailable, reload,
 * preview). The fields come from the line, so they cannot say anything else than it does.
 * Pure: it formats into the caller's buffer, so it runs inside the worker's sandbox.
 */
#pragma once

#include <stddef.h>

/* The MESSAGE_IDs, as the catalog (udsecho.catalog) names them. */
#define JOURNAL_ID_ALLOW       "50c9fe34133a4b33ab8c10efa7956b68"
#define JOURNAL_ID_DENY	       "24d7dd0307b94968a87783bb9e5d644b"
#define JOURNAL_ID_REVOKE      "c49438180627420c8926c8ec44b6af74"
#define JOURNAL_ID_BUSY	       "efed7faac5fc4d439ad28b061e01a6f1"
#define JOURNAL_ID_UNAVAILABLE "30acb12ee3f84e5ea57592a378814b66"
#define JOURNAL_ID_RELOAD      "b311bfba7cf644678e400a071349b16f"
#define JOURNAL_ID_PREVIEW     "5b1930ca8d1d4f56bf8e0e3e6b6dfc20"

/*
 * journal_record - the record for the line @msg (@len bytes, no newline) at syslog @priority
 * from @ident, into @buf. Returns its length, or 0 when it does not fit in @cap bytes.
 */
size_t journal_record(char *buf, size_t cap, int priority, const char *ident, const char *msg,
		      size_t len);
