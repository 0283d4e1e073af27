// SPDX-License-Identifier: MIT
/*
 * notify: sd_notify(3) without libsystemd — one datagram to the socket NOTIFY_SOCKET names.
 *
 * The protocol is small and stable: a socket path or "@abstract" name, a datagram of newline
 * separated assignments, credentials checked by the receiver from the kernel. A fresh socket per
 * message keeps no state between calls; the monitor sends a handful per run.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "udsecho/notify.h"

int notify_send(const char *state)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	socklen_t alen;
	size_t len;
	ssize_t n;
	int fd, r = 1;

	if (!where || !*where)
		return 0;
	len = strlen(where);
	if ((where[0] != '/' && where[0] != '@') || len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, where, len);
	if (where[0] == '@')
		addr.sun_path[0] = '\0'; /* the abstract namespace */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (where[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}
