// SPDX-License-Identifier: MIT
/*
 * options: udsechod's and udsecho's command lines, parsed with getopt_long(3).
 *
 * Pure apart from getopt's own state: it validates syntax and ranges and reports the first
 * problem as one line naming the option and the value. It never resolves users or groups (that
 * is nss.c, before the server forks) and never exits.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config.h"
#include "udsecho/options.h"

const char options_server_usage[] =
	"Usage: udsechod [OPTION]...\n"
	"Serve a byte-for-byte echo on a Unix-domain socket.\n"
	"\n"
	"  -s, --socket PATH        socket to create (default " UDSECHO_DEFAULT_SOCKET ")\n"
	"      --owner USER         owner of the socket node (default: the server's user)\n"
	"      --group GROUP        group of the socket node (default: the server's group)\n"
	"      --mode OCTAL         mode of the socket node (default 0600; 0660 with --group)\n"
	"  -p, --policy FILE        the access policy (default " UDSECHO_POLICY_PATH ")\n"
	"  -t, --check              check the options and the policy, then exit\n"
	"  -u, --user USER          run the worker as USER (as root, default " UDSECHO_DEFAULT_USER
	",\n"
	"                           or nobody where that user does not exist)\n"
	"      --sandbox MODE       strict (default), log or off: the seccomp filters\n"
	"      --allow-userns       start inside a user namespace whose id maps are partial\n"
	"      --max-connections N  serve at most N clients at once (default: the fd limit less 64)\n"
	"      --max-per-uid N      serve at most N clients of one uid (default 1024, or 3/4 of the\n"
	"                           above if less)\n"
	"      --max-bytes-per-uid BYTES\n"
	"                           hold at most BYTES of unread echo for one uid (default\n"
	"                           16777216, 16 MiB; 0: no limit)\n"
	"      --idle-timeout SECS  close a client silent this long (default 0: never)\n"
	"      --send-timeout SECS  close a client that takes no echo this long (default 30)\n"
	"      --ready-fd N         write a newline to file descriptor N once clients are served\n"
	"      --log-level LEVEL    err, warning, notice, info (default) or debug\n"
	"  -h, --help               show this help and exit\n"
	"  -V, --version            show the version and exit\n";

const char options_client_usage[] =
	"Usage: udsecho [-s PATH] [-t SECONDS] [-v] [MESSAGE]...\n"
	"Send MESSAGE (or standard input) to a udsechod server and print the echo.\n"
	"\n"
	"  -s, --socket PATH    server socket (default " UDSECHO_DEFAULT_SOCKET ")\n"
	"  -t, --timeout SECS   give up when the server is silent this long (default 10)\n"
	"  -v, --verbose        trace each step on standard error\n"
	"  -h, --help           show this help and exit\n"
	"  -V, --version        show the version and exit\n";

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return OPTIONS_E_USAGE;
}

int options_parse_mode(const char *s, mode_t *mode)
{
	unsigned int v = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 4)
		return OPTIONS_E_USAGE;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return OPTIONS_E_USAGE;
		v = v * 8 + (unsigned int)(s[i] - '0');
	}
	if (v > 0777)
		return OPTIONS_E_USAGE;
	*mode = (mode_t)v;
	return 0;
}

int options_check_socket_path(const char *path, char *err, size_t errlen)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (path[0] == '\0')
		return usage_error(err, errlen, "socket path is empty");
	if (strlen(path) > max)
		return usage_error(err, errlen,
				   "socket path is %zu bytes long, more than the %zu a Unix-domain "
				   "socket address can hold: %s",
				   strlen(path), max, path);
	return 0;
}

static int parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1 << 20)
		return OPTIONS_E_USAGE;
	*fd = (int)v;
	return 0;
}

/* A decimal number from @min to @max, nothing else. */
static int parse_number(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return OPTIONS_E_USAGE;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return OPTIONS_E_USAGE;
	return 0;
}

static int parse_level(const char *s, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
		{"err", LOG_LEVEL_ERR},	      {"warning", LOG_LEVEL_WARNING},
		{"notice", LOG_LEVEL_NOTICE}, {"info", LOG_LEVEL_INFO},
		{"debug", LOG_LEVEL_DEBUG},
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i].name) == 0) {
			*level = levels[i].level;
			return 0;
		}
	}
	return OPTIONS_E_USAGE;
}

/* getopt's own complaint would go to stderr unformatted: ask for ':' and say it ourselves. */
static int getopt_error(int c, char **argv, const char *shortopts, char *err, size_t errlen)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error(err, errlen, "option '%s' needs an argument", arg);
	if (optopt && strchr(shortopts, optopt))
		return usage_error(err, errlen, "invalid option '-%c'", optopt);
	if (optopt)
		return usage_error(err, errlen, "unknown option '-%c'", optopt);
	return usage_error(err, errlen, "unknown option '%s'", arg);
}

/* What every parser does with the rest: --help, --version, and getopt's complaints. */
static int other_option(int c, char **argv, const char *shortopts, char *err, size_t errlen)
{
	switch (c) {
	case 'h':
		return OPTIONS_E_HELP;
	case 'V':
		return OPTIONS_E_VERSION;
	default:
		return getopt_error(c, argv, shortopts, err, errlen);
	}
}

/* A name or a file name that must not be empty: "--OPTION: empty KIND name" if it is. */
static int set_name(const char **out, const char *option, const char *kind, char *err,
		    size_t errlen)
{
	if (!*optarg)
		return usage_error(err, errlen, "%s: empty %s name", option, kind);
	*out = optarg;
	return 0;
}

enum {
	OPT_OWNER = 256,
	OPT_GROUP,
	OPT_MODE,
	OPT_READY_FD,
	OPT_LOG_LEVEL,
	OPT_SANDBOX,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_PER_UID,
	OPT_MAX_BYTES_PER_UID,
	OPT_IDLE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_ALLOW_USERNS,
};

static const char server_shortopts[] = ":s:p:tu:hV";

static const struct option server_longopts[] = {
	{"socket", required_argument, NULL, 's'},
	{"policy", required_argument, NULL, 'p'},
	{"check", no_argument, NULL, 't'},
	{"allow-userns", no_argument, NULL, OPT_ALLOW_USERNS},
	{"user", required_argument, NULL, 'u'},
	{"sandbox", required_argument, NULL, OPT_SANDBOX},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"max-per-uid", required_argument, NULL, OPT_MAX_PER_UID},
	{"max-bytes-per-uid", required_argument, NULL, OPT_MAX_BYTES_PER_UID},
	{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	{"send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT},
	{"owner", required_argument, NULL, OPT_OWNER},
	{"group", required_argument, NULL, OPT_GROUP},
	{"mode", required_argument, NULL, OPT_MODE},
	{"ready-fd", required_argument, NULL, OPT_READY_FD},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* --max-connections, --max-per-uid: a count of clients. */
static int server_count(int c, struct server_options *opts, char *err, size_t errlen)
{
	unsigned long *v = c == OPT_MAX_CONNECTIONS ? &opts->max_connections : &opts->max_per_uid;

	if (parse_number(optarg, 1, OPTIONS_CONNECTIONS_MAX, v))
		return usage_error(err, errlen, "--%s: '%s' is not a number from 1 to %lu",
				   c == OPT_MAX_CONNECTIONS ? "max-connections" : "max-per-uid",
				   optarg, OPTIONS_CONNECTIONS_MAX);
	return 0;
}

/* --idle-timeout, --send-timeout: seconds, 0 for never. */
static int server_seconds(int c, struct server_options *opts, char *err, size_t errlen)
{
	unsigned long v;

	if (parse_number(optarg, 0, 86400, &v))
		return usage_error(err, errlen,
				   "--%s: '%s' is not a number of seconds from 0 to 86400",
				   c == OPT_IDLE_TIMEOUT ? "idle-timeout" : "send-timeout", optarg);
	*(c == OPT_IDLE_TIMEOUT ? &opts->idle_timeout : &opts->send_timeout) = (unsigned int)v;
	return 0;
}

/* One option of udsechod's, @c as getopt_long() returned it, into @opts. */
static int server_option(int c, char **argv, struct server_options *opts, char *err, size_t errlen)
{
	switch (c) {
	case 's':
		opts->socket_path = optarg;
		opts->socket_explicit = 1;
		return 0;
	case 'p':
		opts->policy_explicit = 1;
		return set_name(&opts->policy_path, "--policy", "file", err, errlen);
	case 't':
		opts->check = 1;
		return 0;
	case OPT_ALLOW_USERNS:
		opts->allow_userns = 1;
		return 0;
	case 'u':
		return set_name(&opts->user, "--user", "user", err, errlen);
	case OPT_MAX_CONNECTIONS:
	case OPT_MAX_PER_UID:
		return server_count(c, opts, err, errlen);
	case OPT_MAX_BYTES_PER_UID:
		if (parse_number(optarg, 0, OPTIONS_BYTES_PER_UID_MAX, &opts->max_bytes_per_uid))
			return usage_error(
				err, errlen,
				"--max-bytes-per-uid: '%s' is not a number of bytes from 0 "
				"to %lu",
				optarg, OPTIONS_BYTES_PER_UID_MAX);
		return 0;
	case OPT_IDLE_TIMEOUT:
	case OPT_SEND_TIMEOUT:
		return server_seconds(c, opts, err, errlen);
	case OPT_SANDBOX:
		if (sandbox_mode_parse(optarg, &opts->sandbox))
			return usage_error(err, errlen,
					   "--sandbox: '%s' is not one of strict, log, off",
					   optarg);
		return 0;
	case OPT_OWNER:
		return set_name(&opts->owner, "--owner", "user", err, errlen);
	case OPT_GROUP:
		return set_name(&opts->group, "--group", "group", err, errlen);
	case OPT_MODE:
		if (options_parse_mode(optarg, &opts->mode))
			return usage_error(err, errlen,
					   "--mode: '%s' is not an octal mode from 0 to 0777",
					   optarg);
		opts->mode_explicit = 1;
		return 0;
	case OPT_READY_FD:
		if (parse_fd(optarg, &opts->ready_fd))
			return usage_error(err, errlen,
					   "--ready-fd: '%s' is not a file descriptor number",
					   optarg);
		return 0;
	case OPT_LOG_LEVEL:
		if (parse_level(optarg, &opts->log_level))
			return usage_error(
				err, errlen,
				"--log-level: '%s' is not one of err, warning, notice, info, debug",
				optarg);
		return 0;
	default:
		return other_option(c, argv, server_shortopts, err, errlen);
	}
}

int options_parse_server(int argc, char **argv, struct server_options *opts, char *err,
			 size_t errlen)
{
	int c, r;

	*opts = (struct server_options){
		.socket_path = UDSECHO_DEFAULT_SOCKET,
		.mode = 0600,
		.ready_fd = -1,
		.policy_path = UDSECHO_POLICY_PATH,
		.sandbox = SANDBOX_STRICT,
		.send_timeout = 30,
		.max_bytes_per_uid = OPTIONS_BYTES_PER_UID_DEFAULT,
		.log_level = LOG_LEVEL_INFO,
	};
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, server_shortopts, server_longopts, NULL)) != -1) {
		r = server_option(c, argv, opts, err, errlen);
		if (r)
			return r;
	}
	if (optind < argc)
		return usage_error(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (opts->group && !opts->mode_explicit)
		opts->mode = 0660;
	return options_check_socket_path(opts->socket_path, err, errlen);
}

int options_parse_client(int argc, char **argv, struct client_options *opts, char *err,
			 size_t errlen)
{
	static const char shortopts[] = ":s:t:vhV";
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},	  {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	  {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*opts = (struct client_options){
		.socket_path = UDSECHO_DEFAULT_SOCKET,
		.timeout = 10,
	};
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opts->socket_path = optarg;
			break;
		case 't':
			errno = 0;
			opts->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(opts->timeout) ||
			    opts->timeout <= 0 || opts->timeout > 86400)
				return usage_error(
					err, errlen,
					"-t: '%s' is not a number of seconds between 0 and 86400",
					optarg);
			break;
		case 'v':
			opts->verbose = 1;
			break;
		default:
			return other_option(c, argv, shortopts, err, errlen);
		}
	}
	if (optind < argc) {
		opts->message = argv + optind;
		opts->nmessage = argc - optind;
	}
	return options_check_socket_path(opts->socket_path, err, errlen);
}
