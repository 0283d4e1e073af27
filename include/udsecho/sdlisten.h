/* SPDX-License-Identifier: MIT */
/*
 * sdlisten: the listening socket handed over by the service manager (sd_listen_fds(3)).
 *
 * With LISTEN_PID naming this process and LISTEN_FDS=1, descriptor 3 is the socket the unit made
 * (its owner, group and mode are the unit's business). It must be an AF_UNIX stream socket that
 * is listening; anything else is refused. The variables are removed once read, as sd_listen_fds()
 * does with unset_environment. Runs at start, before the fork.
 */
#pragma once

#include <stddef.h>

#define SDLISTEN_FD 3 /* SD_LISTEN_FDS_START */

enum {
	SDLISTEN_NONE = 1, /* not socket-activated */
	SDLISTEN_INVALID,  /* activated, but not with one listening AF_UNIX stream socket */
};

/*
 * sdlisten_take - 0 and *@fd when activated (made non-blocking and close-on-exec),
 * SDLISTEN_NONE when not, SDLISTEN_INVALID with a reason in @err.
 */
int sdlisten_take(int *fd, char *err, size_t errlen);
