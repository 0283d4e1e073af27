// SPDX-License-Identifier: MIT
/*
 * sdlisten: take the socket the service manager passed (see sdlisten.h). The checks are the
 * kernel's word about fd 3 (SO_DOMAIN, SO_TYPE, SO_ACCEPTCONN), not the unit file's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udsecho/ids.h"
#include "udsecho/sdlisten.h"

static int sockopt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, name, &v, &len) < 0 ? -1 : v;
}

int sdlisten_take(int *fd, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint32_t p, n;
	int flags;

	if (!pid || !fds || ids_parse(pid, &p) || p != (uint32_t)getpid())
		return SDLISTEN_NONE;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (ids_parse(fds, &n) || n != 1) {
		snprintf(err, errlen, "LISTEN_FDS=%s: expected exactly one socket from the unit",
			 fds);
		return SDLISTEN_INVALID;
	}
	if (sockopt(SDLISTEN_FD, SO_DOMAIN) != AF_UNIX ||
	    sockopt(SDLISTEN_FD, SO_TYPE) != SOCK_STREAM ||
	    sockopt(SDLISTEN_FD, SO_ACCEPTCONN) != 1) {
		snprintf(
			err, errlen,
			"the socket passed by the service manager is not a listening AF_UNIX stream "
			"socket (ListenStream= with a path is expected)");
		return SDLISTEN_INVALID;
	}
	flags = fcntl(SDLISTEN_FD, F_GETFL);
	if (flags < 0 || fcntl(SDLISTEN_FD, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(SDLISTEN_FD, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot set up the passed socket: %s", strerror(errno));
		return SDLISTEN_INVALID;
	}
	*fd = SDLISTEN_FD;
	return 0;
}
