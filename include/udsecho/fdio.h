/* SPDX-License-Identifier: MIT */
/*
 * fdio: the one write-until-done loop, for descriptors that block (standard output and error, a
 * file). It calls write(2) alone, so it may run inside the worker's sandbox.
 */
#pragma once
#include <stddef.h>

/*
 * fdio_write_all - write the @len bytes at @buf to @fd, again after a short write or EINTR.
 * Returns 0, or -errno of the write that failed (-EIO if one wrote nothing).
 */
int fdio_write_all(int fd, const void *buf, size_t len);
