// SPDX-License-Identifier: MIT
/*
 * ids: decimal ids (see ids.h). Pure: it reads the string it is given and never anything else,
 * and it never accepts 4294967295, which the system calls take to mean "no change".
 */
#include <errno.h>
#include <string.h>

#include "udsecho/ids.h"

int ids_parse(const char *s, uint32_t *id)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v >= 4294967295UL)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}
