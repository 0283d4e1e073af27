// SPDX-License-Identifier: MIT
/*
 * Unit tests for options: defaults, every option of udsechod and udsecho, and the one-line
 * message of every usage error. Pure: no file, socket or name lookup is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "config.h"
#include "udsecho/options.h"

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})

/* getopt_long may permute argv, so every call gets its own writable copy. */
static int server(char **argv, struct server_options *o, char *err, size_t errlen)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return options_parse_server(argc, argv, o, err, errlen);
}

static int client(char **argv, struct client_options *o, char *err, size_t errlen)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return options_parse_client(argc, argv, o, err, errlen);
}

static void server_defaults(void **state)
{
	struct server_options o;
	char err[256];

	assert_int_equal(server(ARGV("udsechod"), &o, err, sizeof(err)), 0);
	assert_string_equal(o.socket_path, "./uds_socket");
	assert_string_equal(o.socket_path, UDSECHO_DEFAULT_SOCKET);
	assert_null(o.owner);
	assert_null(o.group);
	assert_int_equal(o.mode, 0600);
	assert_int_equal(o.ready_fd, -1);
	assert_int_equal(o.log_level, LOG_LEVEL_INFO);
}

static void server_every_option(void **state)
{
	struct server_options o;
	char err[256];

	assert_int_equal(
		server(ARGV("udsechod", "--socket", "/run/e/sock", "--owner", "echo", "--group",
			    "users", "--mode", "0640", "--ready-fd", "3", "--log-level", "debug"),
		       &o, err, sizeof(err)),
		0);
	assert_string_equal(o.socket_path, "/run/e/sock");
	assert_string_equal(o.owner, "echo");
	assert_string_equal(o.group, "users");
	assert_int_equal(o.mode, 0640);
	assert_int_equal(o.ready_fd, 3);
	assert_int_equal(o.log_level, LOG_LEVEL_DEBUG);

	assert_int_equal(
		server(ARGV("udsechod", "-s", "x", "--socket=y", "--owner=0", "--log-level=err"),
		       &o, err, sizeof(err)),
		0);
	assert_string_equal(o.socket_path, "y");
	assert_string_equal(o.owner, "0");
	assert_int_equal(o.log_level, LOG_LEVEL_ERR);

	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
		{"err", LOG_LEVEL_ERR},	      {"warning", LOG_LEVEL_WARNING},
		{"notice", LOG_LEVEL_NOTICE}, {"info", LOG_LEVEL_INFO},
		{"debug", LOG_LEVEL_DEBUG},
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		assert_int_equal(server(ARGV("udsechod", "--log-level", (char *)levels[i].name), &o,
					err, sizeof(err)),
				 0);
		assert_int_equal(o.log_level, levels[i].level);
	}
}

static void server_group_mode_defaults(void **state)
{
	struct server_options o;
	char err[256];

	/* --group without --mode: 0660 so the group can connect. */
	assert_int_equal(server(ARGV("udsechod", "--group", "users"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, 0660);
	/* --mode wins over that default, before or after --group, even when it is 0600. */
	assert_int_equal(server(ARGV("udsechod", "--group", "users", "--mode", "0600"), &o, err,
				sizeof(err)),
			 0);
	assert_int_equal(o.mode, 0600);
	assert_int_equal(
		server(ARGV("udsechod", "--mode", "640", "--group", "users"), &o, err, sizeof(err)),
		0);
	assert_int_equal(o.mode, 0640);
	assert_int_equal(server(ARGV("udsechod", "--mode", "0"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, 0);
	/* --owner alone does not widen the mode. */
	assert_int_equal(server(ARGV("udsechod", "--owner", "echo"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, 0600);
}

static void parse_mode(void **state)
{
	static const struct {
		const char *s;
		int ok;
		mode_t mode;
	} cases[] = {
		{"0", 1, 0},	   {"600", 1, 0600}, {"0660", 1, 0660}, {"777", 1, 0777},
		{"0777", 1, 0777}, {"7", 1, 07},     {"", 0, 0},	{"8", 0, 0},
		{"0o7", 0, 0},	   {"1000", 0, 0},   {"01000", 0, 0},	{"4755", 0, 0},
		{"0x1", 0, 0},	   {"-1", 0, 0},     {"+7", 0, 0},	{" 7", 0, 0},
		{"7 ", 0, 0},	   {"00000", 0, 0},  {"06a0", 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mode_t m = 01234;
		int r = options_parse_mode(cases[i].s, &m);

		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_int_equal(m, cases[i].mode);
		} else {
			assert_int_equal(r, OPTIONS_E_USAGE);
			assert_int_equal(m, 01234); /* untouched on error */
		}
	}
}

static void server_bad_values(void **state)
{
	static const struct {
		const char *opt, *value, *msg;
	} cases[] = {
		{"--mode", "8", "--mode: '8' is not an octal mode from 0 to 0777"},
		{"--mode", "0o7", "--mode: '0o7' is not an octal mode from 0 to 0777"},
		{"--mode", "1000", "--mode: '1000' is not an octal mode from 0 to 0777"},
		{"--mode", "", "--mode: '' is not an octal mode from 0 to 0777"},
		{"--mode", "4777", "--mode: '4777' is not an octal mode from 0 to 0777"},
		{"--ready-fd", "0", "--ready-fd: '0' is not a file descriptor number"},
		{"--ready-fd", "-1", "--ready-fd: '-1' is not a file descriptor number"},
		{"--ready-fd", "3x", "--ready-fd: '3x' is not a file descriptor number"},
		{"--ready-fd", "", "--ready-fd: '' is not a file descriptor number"},
		{"--ready-fd", "99999999999999999999",
		 "--ready-fd: '99999999999999999999' is not a file descriptor number"},
		{"--log-level", "verbose",
		 "--log-level: 'verbose' is not one of err, warning, notice, info, debug"},
		{"--log-level", "INFO",
		 "--log-level: 'INFO' is not one of err, warning, notice, info, debug"},
		{"--owner", "", "--owner: empty user name"},
		{"--group", "", "--group: empty group name"},
		{"--socket", "", "socket path is empty"},
		{"--max-bytes-per-uid", "4294967296",
		 "--max-bytes-per-uid: '4294967296' is not a number of bytes from 0 to 4294967295"},
		{"--max-bytes-per-uid", "16M",
		 "--max-bytes-per-uid: '16M' is not a number of bytes from 0 to 4294967295"},
		{"--max-bytes-per-uid", "-1",
		 "--max-bytes-per-uid: '-1' is not a number of bytes from 0 to 4294967295"},
	};
	struct server_options o;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
			server(ARGV("udsechod", (char *)cases[i].opt, (char *)cases[i].value), &o,
			       err, sizeof(err)),
			OPTIONS_E_USAGE);
		assert_string_equal(err, cases[i].msg);
	}
}

/* The budget of held echo per uid: 16 MiB unless told; 0 turns it off. */
static void server_bytes_per_uid(void **state)
{
	struct server_options o;
	char err[256];

	assert_int_equal(server(ARGV("udsechod"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.max_bytes_per_uid, 16777216);
	assert_int_equal(server(ARGV("udsechod", "--max-bytes-per-uid", "0"), &o, err, sizeof(err)),
			 0);
	assert_int_equal(o.max_bytes_per_uid, 0);
	assert_int_equal(
		server(ARGV("udsechod", "--max-bytes-per-uid=4294967295"), &o, err, sizeof(err)),
		0);
	assert_int_equal(o.max_bytes_per_uid, 4294967295UL);
}

static void server_usage_errors(void **state)
{
	struct server_options o;
	char err[256];

	assert_int_equal(server(ARGV("udsechod", "--bogus"), &o, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(server(ARGV("udsechod", "--bogus=1"), &o, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, "unknown option '--bogus=1'");
	assert_int_equal(server(ARGV("udsechod", "-x"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "unknown option '-x'");
	/* -t and -v belong to the client only. */
	assert_int_equal(server(ARGV("udsechod", "-v"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "unknown option '-v'");
	/* --help takes no argument. */
	assert_int_equal(server(ARGV("udsechod", "--help=1"), &o, err, sizeof(err)),
			 OPTIONS_E_USAGE);

	assert_int_equal(server(ARGV("udsechod", "-s"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "option '-s' needs an argument");
	assert_int_equal(server(ARGV("udsechod", "--mode"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "option '--mode' needs an argument");
	assert_int_equal(server(ARGV("udsechod", "--socket"), &o, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, "option '--socket' needs an argument");
	assert_int_equal(
		server(ARGV("udsechod", "--group", "g", "--ready-fd"), &o, err, sizeof(err)),
		OPTIONS_E_USAGE);
	assert_string_equal(err, "option '--ready-fd' needs an argument");

	assert_int_equal(server(ARGV("udsechod", "extra"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "unexpected argument 'extra'");
	assert_int_equal(
		server(ARGV("udsechod", "-s", "p", "more", "--mode", "600"), &o, err, sizeof(err)),
		OPTIONS_E_USAGE);
	assert_string_equal(err, "unexpected argument 'more'");
}

static void help_and_version(void **state)
{
	struct server_options so;
	struct client_options co;
	char err[256];

	assert_int_equal(server(ARGV("udsechod", "--help"), &so, err, sizeof(err)), OPTIONS_E_HELP);
	assert_int_equal(server(ARGV("udsechod", "-h"), &so, err, sizeof(err)), OPTIONS_E_HELP);
	assert_int_equal(server(ARGV("udsechod", "--version"), &so, err, sizeof(err)),
			 OPTIONS_E_VERSION);
	assert_int_equal(server(ARGV("udsechod", "-V"), &so, err, sizeof(err)), OPTIONS_E_VERSION);
	assert_int_equal(client(ARGV("udsecho", "--help"), &co, err, sizeof(err)), OPTIONS_E_HELP);
	assert_int_equal(client(ARGV("udsecho", "-h"), &co, err, sizeof(err)), OPTIONS_E_HELP);
	assert_int_equal(client(ARGV("udsecho", "--version"), &co, err, sizeof(err)),
			 OPTIONS_E_VERSION);
	assert_int_equal(client(ARGV("udsecho", "-V"), &co, err, sizeof(err)), OPTIONS_E_VERSION);
	/* The usage texts name every option. */
	assert_non_null(strstr(options_server_usage, "--socket PATH"));
	assert_non_null(strstr(options_server_usage, "--ready-fd N"));
	assert_non_null(strstr(options_server_usage, UDSECHO_DEFAULT_SOCKET));
	assert_non_null(strstr(options_client_usage, "--timeout SECS"));
}

static void socket_path_length(void **state)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	char path[200], err[512], want[512];
	struct server_options so;
	struct client_options co;

	assert_int_equal(max, 107);
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	assert_int_equal(options_check_socket_path(path, err, sizeof(err)), 0);
	assert_int_equal(server(ARGV("udsechod", "-s", path), &so, err, sizeof(err)), 0);
	assert_ptr_equal(so.socket_path, path);
	assert_int_equal(client(ARGV("udsecho", "-s", path), &co, err, sizeof(err)), 0);

	path[107] = 'a';
	path[108] = '\0';
	snprintf(want, sizeof(want),
		 "socket path is 108 bytes long, more than the 107 a Unix-domain socket address "
		 "can hold: %s",
		 path);
	assert_int_equal(options_check_socket_path(path, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, want);
	assert_int_equal(server(ARGV("udsechod", "-s", path), &so, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, want);
	assert_int_equal(client(ARGV("udsecho", "--socket", path), &co, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, want);

	assert_int_equal(options_check_socket_path("", err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "socket path is empty");
	assert_int_equal(client(ARGV("udsecho", "-s", ""), &co, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "socket path is empty");

	/* A short buffer truncates the message but still terminates it. */
	assert_int_equal(options_check_socket_path("", err, 7), OPTIONS_E_USAGE);
	assert_string_equal(err, "socket");
}

static void client_defaults_and_options(void **state)
{
	struct client_options o;
	char err[256];

	assert_int_equal(client(ARGV("udsecho"), &o, err, sizeof(err)), 0);
	assert_string_equal(o.socket_path, UDSECHO_DEFAULT_SOCKET);
	assert_true(o.timeout == 10);
	assert_int_equal(o.verbose, 0);
	assert_null(o.message);
	assert_int_equal(o.nmessage, 0);

	assert_int_equal(
		client(ARGV("udsecho", "-s", "/tmp/s", "-t", "2.5", "-v"), &o, err, sizeof(err)),
		0);
	assert_string_equal(o.socket_path, "/tmp/s");
	assert_true(o.timeout == 2.5);
	assert_int_equal(o.verbose, 1);
	assert_null(o.message);

	assert_int_equal(client(ARGV("udsecho", "--socket=/a", "--timeout=0.5", "--verbose"), &o,
				err, sizeof(err)),
			 0);
	assert_string_equal(o.socket_path, "/a");
	assert_true(o.timeout == 0.5);
	assert_int_equal(o.verbose, 1);

	assert_int_equal(client(ARGV("udsecho", "-t", "86400"), &o, err, sizeof(err)), 0);
	assert_true(o.timeout == 86400);
}

static void client_timeout_bounds(void **state)
{
	static const char *const bad[] = {"0",	     "-1", "nan", "NAN", "inf",	  "86401",
					  "86400.5", "",   "1s",  "0x",	 "1e999", "-0"};
	struct client_options o;
	char err[256], want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			client(ARGV("udsecho", "-t", (char *)bad[i]), &o, err, sizeof(err)),
			OPTIONS_E_USAGE);
		snprintf(want, sizeof(want),
			 "-t: '%s' is not a number of seconds between 0 and 86400", bad[i]);
		assert_string_equal(err, want);
	}
	assert_int_equal(client(ARGV("udsecho", "-t", "0.5"), &o, err, sizeof(err)), 0);
	assert_true(o.timeout == 0.5);
	assert_int_equal(client(ARGV("udsecho", "-t", "1e-3"), &o, err, sizeof(err)), 0);
	assert_true(o.timeout == 1e-3);
}

static void client_usage_errors(void **state)
{
	struct client_options o;
	char err[256];

	assert_int_equal(client(ARGV("udsecho", "-t"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "option '-t' needs an argument");
	assert_int_equal(client(ARGV("udsecho", "--timeout"), &o, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, "option '--timeout' needs an argument");
	assert_int_equal(client(ARGV("udsecho", "-q"), &o, err, sizeof(err)), OPTIONS_E_USAGE);
	assert_string_equal(err, "unknown option '-q'");
	assert_int_equal(client(ARGV("udsecho", "--mode", "600"), &o, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_string_equal(err, "unknown option '--mode'");
}

static void client_message_words(void **state)
{
	struct client_options o;
	char err[256];
	char **argv = ARGV("udsecho", "-s", "/p", "hello", "big", "world");

	assert_int_equal(client(argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.nmessage, 3);
	assert_non_null(o.message);
	assert_string_equal(o.message[0], "hello");
	assert_string_equal(o.message[1], "big");
	assert_string_equal(o.message[2], "world");
	assert_string_equal(o.socket_path, "/p");

	/* Options after a word are still options; "--" ends them. */
	argv = ARGV("udsecho", "hi", "-v", "--", "-t", "x");
	assert_int_equal(client(argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.nmessage, 3);
	assert_string_equal(o.message[0], "hi");
	assert_string_equal(o.message[1], "-t");
	assert_string_equal(o.message[2], "x");
	assert_true(o.timeout == 10);
}

/* Each parse starts afresh: an earlier failure in the middle of argv leaves no state behind. */
static void parses_are_independent(void **state)
{
	struct server_options so;
	struct client_options co;
	char err[256];

	assert_int_equal(
		server(ARGV("udsechod", "-s", "a", "--bogus", "-s", "b"), &so, err, sizeof(err)),
		OPTIONS_E_USAGE);
	assert_int_equal(server(ARGV("udsechod", "-s", "c"), &so, err, sizeof(err)), 0);
	assert_string_equal(so.socket_path, "c");
	assert_int_equal(client(ARGV("udsecho", "-v", "-t", "x"), &co, err, sizeof(err)),
			 OPTIONS_E_USAGE);
	assert_int_equal(client(ARGV("udsecho", "w"), &co, err, sizeof(err)), 0);
	assert_int_equal(co.verbose, 0);
	assert_int_equal(co.nmessage, 1);
	assert_string_equal(co.message[0], "w");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(server_defaults),
		cmocka_unit_test(server_every_option),
		cmocka_unit_test(server_group_mode_defaults),
		cmocka_unit_test(parse_mode),
		cmocka_unit_test(server_bad_values),
		cmocka_unit_test(server_bytes_per_uid),
		cmocka_unit_test(server_usage_errors),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(socket_path_length),
		cmocka_unit_test(client_defaults_and_options),
		cmocka_unit_test(client_timeout_bounds),
		cmocka_unit_test(client_usage_errors),
		cmocka_unit_test(client_message_words),
		cmocka_unit_test(parses_are_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
