// SPDX-License-Identifier: MIT
/*
 * Unit tests for journal: the records of journald's native protocol, to the byte, for the events
 * about a peer, for other lines, for a value with a newline (the binary form), and for a record
 * that does not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "udsecho/journal.h"

static void expect(int prio, const char *line, const char *want)
{
	char rec[2048];
	size_t n = journal_record(rec, sizeof(rec), prio, "udsechod", line, strlen(line));

	assert_int_equal(n, strlen(want));
	assert_memory_equal(rec, want, n);
}

static void decisions_carry_the_peer_and_the_rule(void **state)
{
	expect(6, "event=deny pid=42 uid=1000 gid=100 rule=/etc/udsecho/policy:3",
	       "MESSAGE=event=deny pid=42 uid=1000 gid=100 rule=/etc/udsecho/policy:3\n"
	       "PRIORITY=6\nSYSLOG_IDENTIFIER=udsechod\nUDSECHO_EVENT=deny\n"
	       "MESSAGE_ID=" JOURNAL_ID_DENY "\nUDSECHO_PEER_PID=42\nUDSECHO_PEER_UID=1000\n"
	       "UDSECHO_PEER_GID=100\nUDSECHO_RULE=/etc/udsecho/policy:3\n");
	/* A quoted value loses its quotes; a word inside a quoted value is not a key. */
	expect(6, "event=allow pid=7 uid=0 gid=0 rule=\"default deny\"",
	       "MESSAGE=event=allow pid=7 uid=0 gid=0 rule=\"default deny\"\nPRIORITY=6\n"
	       "SYSLOG_IDENTIFIER=udsechod\nUDSECHO_EVENT=allow\nMESSAGE_ID=" JOURNAL_ID_ALLOW
	       "\nUDSECHO_PEER_PID=7\nUDSECHO_PEER_UID=0\nUDSECHO_PEER_GID=0\n"
	       "UDSECHO_RULE=default deny\n");
	/* A named rule, as the worker logs it: the name is a field of its own. */
	expect(6, "event=revoke pid=8 uid=1 gid=1 rule=/etc/udsecho/policy:1 name=contractor-jdoe",
	       "MESSAGE=event=revoke pid=8 uid=1 gid=1 rule=/etc/udsecho/policy:1 "
	       "name=contractor-jdoe\nPRIORITY=6\nSYSLOG_IDENTIFIER=udsechod\nUDSECHO_EVENT=revoke\n"
	       "MESSAGE_ID=" JOURNAL_ID_REVOKE "\nUDSECHO_PEER_PID=8\nUDSECHO_PEER_UID=1\n"
	       "UDSECHO_PEER_GID=1\nUDSECHO_RULE=/etc/udsecho/policy:1\n"
	       "UDSECHO_RULE_NAME=contractor-jdoe\n");
	expect(5, "event=busy pid=9 uid=5 gid=5 reason=\"uid=6 too many\" open=3",
	       "MESSAGE=event=busy pid=9 uid=5 gid=5 reason=\"uid=6 too many\" open=3\n"
	       "PRIORITY=5\nSYSLOG_IDENTIFIER=udsechod\nUDSECHO_EVENT=busy\n"
	       "MESSAGE_ID=" JOURNAL_ID_BUSY "\nUDSECHO_PEER_PID=9\nUDSECHO_PEER_UID=5\n"
	       "UDSECHO_PEER_GID=5\n");
}

/* The server's own uid and gid in event=sandbox are not a peer's. */
static void other_lines_have_no_peer(void **state)
{
	expect(6, "event=sandbox role=worker uid=999 gid=995",
	       "MESSAGE=event=sandbox role=worker uid=999 gid=995\nPRIORITY=6\n"
	       "SYSLOG_IDENTIFIER=udsechod\nUDSECHO_EVENT=sandbox\n");
	expect(6, "event=reload policy=/etc/udsecho/policy rules=4",
	       "MESSAGE=event=reload policy=/etc/udsecho/policy rules=4\nPRIORITY=6\n"
	       "SYSLOG_IDENTIFIER=udsechod\nUDSECHO_EVENT=reload\nMESSAGE_ID=" JOURNAL_ID_RELOAD
	       "\n");
	expect(3, "/etc/udsecho/policy:1:7: error: unknown user 'x'",
	       "MESSAGE=/etc/udsecho/policy:1:7: error: unknown user 'x'\nPRIORITY=3\n"
	       "SYSLOG_IDENTIFIER=udsechod\n");
}

static void newline_takes_the_binary_form(void **state)
{
	static const char want[] = "MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\nPRIORITY=4\n"
				   "SYSLOG_IDENTIFIER=udsechod\n";
	char rec[256];
	size_t n = journal_record(rec, sizeof(rec), 4, "udsechod", "a\nb", 3);

	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(rec, want, n);
}

static void too_small_is_nothing(void **state)
{
	const char *line = "event=deny pid=42 uid=1000 gid=100 rule=/etc/udsecho/policy:3";
	char rec[2048];
	size_t whole = journal_record(rec, sizeof(rec), 6, "udsechod", line, strlen(line));

	assert_true(whole > 0);
	assert_int_equal(journal_record(rec, whole - 1, 6, "udsechod", line, strlen(line)), 0);
	assert_int_equal(journal_record(rec, whole, 6, "udsechod", line, strlen(line)), whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decisions_carry_the_peer_and_the_rule),
		cmocka_unit_test(other_lines_have_no_peer),
		cmocka_unit_test(newline_takes_the_binary_form),
		cmocka_unit_test(too_small_is_nothing),
	};
	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
