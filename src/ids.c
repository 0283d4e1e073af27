// SPDX-License-Identifier: MIT
/*
 * ids: decimal ids (see ids.h). Pure: it reads the string it is given and never anything else,
 * and it never accepts 4294967295, which the system calls take to mean "no change".
 */
#include <errno.h>
#include <string.h>

#include "udsecho/ids.h"

int ids_parse_n(const char *s, size_t len, uint32_t *id)
{
	uint64_t v = 0; /* ten digits overflow 32 bits */

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= 4294967295u)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

int ids_parse(const char *s, uint32_t *id)
{
	return ids_parse_n(s, strnlen(s, 11), id);
}
