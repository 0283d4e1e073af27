/* SPDX-License-Identifier: MIT */
/*
 * client: one udsecho session — connect, send, check that every byte comes back, and when it
 * does not, say why in a way the user can act on.
 *
 * The outcome is a value for the main to turn into an exit status; the message is in the result.
 * Only the -v trace is written here, to the given stream.
 */
#pragma once

#include <stdio.h>

#include "udsecho/options.h"

enum client_outcome {
	CLIENT_OK = 0,
	CLIENT_NO_SERVER,     /* ENOENT or ECONNREFUSED: nobody listens at PATH */
	CLIENT_UNAVAILABLE,   /* the server is up but cannot serve (it has no policy) */
	CLIENT_DENIED_FS,     /* connect(2) said EACCES: the filesystem refused */
	CLIENT_DENIED_POLICY, /* the server's policy refused us */
	CLIENT_BUSY,	      /* the server is at a limit; try again later */
	CLIENT_TIMEOUT,	      /* the server was silent for longer than -t */
	CLIENT_MISMATCH,      /* what came back is not what was sent */
	CLIENT_FAILED,	      /* a local system call failed */
};

struct client_result {
	enum client_outcome outcome;
	char message[1024]; /* "PATH: ..." without the program name, for the main to print */
	char hint[512];	    /* a second line suggesting a fix, or "" */
};

/*
 * client_run - run the session @opts describes, reading standard input when no MESSAGE was
 * given and writing the verified echo to standard output. @trace is NULL or where -v goes.
 */
void client_run(const struct client_options *opts, FILE *trace, struct client_result *res);
