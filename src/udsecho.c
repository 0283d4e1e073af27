// SPDX-License-Identifier: MIT
/*
 * udsecho: the client's main. Parse the options, run one session, print its outcome as one line
 * (and a hint when there is a fix to suggest), and exit with the status udsecho(1) documents.
 */
#include <stdio.h>
#include <sysexits.h>

#include "config.h"
#include "udsecho/client.h"
#include "udsecho/options.h"

static int exit_status(enum client_outcome outcome)
{
	switch (outcome) {
	case CLIENT_OK:
		return 0;
	case CLIENT_NO_SERVER:
	case CLIENT_UNAVAILABLE:
		return EX_UNAVAILABLE;
	case CLIENT_DENIED_FS:
	case CLIENT_DENIED_POLICY:
		return EX_NOPERM;
	case CLIENT_BUSY:
	case CLIENT_TIMEOUT:
		return EX_TEMPFAIL;
	case CLIENT_MISMATCH:
		return EX_PROTOCOL;
	case CLIENT_FAILED:
		break;
	}
	return EX_OSERR;
}

int main(int argc, char **argv)
{
	struct client_options o;
	struct client_result res;
	char err[512];
	int r;

	r = options_parse_client(argc, argv, &o, err, sizeof(err));
	if (r == OPTIONS_E_HELP) {
		fputs(options_client_usage, stdout);
		return 0;
	}
	if (r == OPTIONS_E_VERSION) {
		puts("udsecho " UDSECHO_VERSION);
		return 0;
	}
	if (r) {
		fprintf(stderr, "udsecho: %s\nTry 'udsecho --help' for more information.\n", err);
		return EX_USAGE;
	}
	client_run(&o, o.verbose ? stderr : NULL, &res);
	if (res.outcome != CLIENT_OK) {
		fprintf(stderr, "udsecho: %s\n", res.message);
		if (res.hint[0])
			fprintf(stderr, "udsecho: hint: %s\n", res.hint);
	}
	return exit_status(res.outcome);
}
