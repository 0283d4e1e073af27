/* SPDX-License-Identifier: MIT */
/*
 * options: command lines of udsechod and udsecho into plain structs.
 *
 * Pure: it checks syntax and ranges only (octal modes, fd numbers, the sun_path limit, timeouts)
 * and never resolves a name, touches a file or exits. Errors come back as one line in @err, for
 * the main to print and turn into exit status 64.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "udsecho/log.h"
#include "udsecho/sandbox-mode.h"

enum {
	OPTIONS_E_USAGE = 1, /* bad usage; @err says what */
	OPTIONS_E_HELP,	     /* --help was asked for */
	OPTIONS_E_VERSION,   /* --version was asked for */
};

#define OPTIONS_CONNECTIONS_MAX 10000000UL
/* --max-bytes-per-uid: 16 MiB by default (256 full reads held), at most 4 GiB - 1. */
#define OPTIONS_BYTES_PER_UID_DEFAULT (16UL << 20)
#define OPTIONS_BYTES_PER_UID_MAX     4294967295UL

/* What the admin chose on the udsechod command line. */
struct server_options {
	const char *socket_path;
	const char *owner;	 /* --owner, or NULL: the server's own uid */
	const char *group;	 /* --group, or NULL: the server's own gid */
	mode_t mode;		 /* --mode; 0600, or 0660 when --group is given without --mode */
	int socket_explicit;	 /* --socket was given */
	int mode_explicit;	 /* --mode was given */
	int ready_fd;		 /* --ready-fd, or -1 */
	const char *policy_path; /* --policy, or the default path */
	int policy_explicit;	 /* --policy was given: a missing file is an error */
	int check;		 /* --check: validate the configuration and exit */
	int allow_userns;	 /* --allow-userns: start in a user namespace with a partial map */
	const char *user;	 /* --user: the worker's identity, or NULL for the default */
	enum sandbox_mode sandbox;     /* --sandbox */
	unsigned long max_connections; /* --max-connections, 0: from RLIMIT_NOFILE */
	unsigned long max_per_uid;     /* --max-per-uid, 0: 1024, at most 3/4 of max_connections */
	unsigned long max_bytes_per_uid; /* --max-bytes-per-uid, 0: no limit */
	unsigned int idle_timeout;	 /* --idle-timeout seconds, 0: never */
	unsigned int send_timeout;	 /* --send-timeout seconds, 0: never */
	enum log_level log_level;
};

/* What the user asked of the udsecho client. */
struct client_options {
	const char *socket_path;
	double timeout; /* -t SECONDS: how long the server may stay silent */
	int verbose;	/* -v: trace each step on stderr */
	char **message; /* MESSAGE words, or NULL: stream standard input */
	int nmessage;
};

/*
 * options_parse_server - parse udsechod's @argv into @opts.
 * Returns 0, OPTIONS_E_HELP, OPTIONS_E_VERSION, or OPTIONS_E_USAGE with one line in @err.
 */
int options_parse_server(int argc, char **argv, struct server_options *opts, char *err,
			 size_t errlen);

/* options_parse_client - parse udsecho's @argv into @opts; returns as options_parse_server(). */
int options_parse_client(int argc, char **argv, struct client_options *opts, char *err,
			 size_t errlen);

/*
 * options_parse_mode - parse an octal permission mode of at most 0777 ("660", "0660").
 * Returns 0 and sets *mode, or OPTIONS_E_USAGE.
 */
int options_parse_mode(const char *s, mode_t *mode);

/* options_check_socket_path - OPTIONS_E_USAGE with a message when @path cannot be a sun_path. */
int options_check_socket_path(const char *path, char *err, size_t errlen);

/* The usage texts, shared by --help and the usage error hint. */
extern const char options_server_usage[];
extern const char options_client_usage[];
