// SPDX-License-Identifier: MIT
/* fdio: write(2) until every byte is written or one fails. */
#include <errno.h>
#include <unistd.h>

#include "udsecho/fdio.h"

int fdio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
