// SPDX-License-Identifier: MIT
/*
 * uidshare: a scan of /proc/PID/status for the Uid: line of every process. It only reads; it
 * never signals or opens anything but /proc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/ids.h"
#include "udsecho/uidshare.h"

/* Whether the process @name (a /proc entry) has @uid among its four uids; -1 if it is gone. */
static int has_uid(int proc_fd, const char *name, uid_t uid)
{
	char path[64], buf[4096], *line;
	unsigned long ids[4];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/status", name);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	line = strstr(buf, "\nUid:");
	if (!line || sscanf(line + 5, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
		return -1;
	for (int i = 0; i < 4; i++)
		if (ids[i] == (unsigned long)uid)
			return 1;
	return 0;
}

int uidshare_count(uid_t uid, size_t *n, pid_t *first)
{
	int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pid_t self = getpid();
	struct dirent *e;
	DIR *d;

	*n = 0;
	*first = 0;
	if (proc_fd < 0)
		return -errno;
	d = fdopendir(proc_fd);
	if (!d) {
		int r = -errno;
		close(proc_fd);
		return r;
	}
	while ((e = readdir(d))) {
		uint32_t pid;
		if (ids_parse(e->d_name, &pid) < 0 || (pid_t)pid == self ||
		    has_uid(proc_fd, e->d_name, uid) != 1)
			continue;
		if (!*first || (pid_t)pid < *first)
			*first = (pid_t)pid;
		(*n)++;
	}
	closedir(d);
	return 0;
}
