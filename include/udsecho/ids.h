/* SPDX-License-Identifier: MIT */
/*
 * ids: decimal user and group ids, as the command lines, the policy and the service manager's
 * variables write them.
 *
 * Pure: digits to a number and nothing else. It never looks a name up (that is nss.h) and may
 * run anywhere, the worker's sandbox included.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * ids_parse - parse a decimal id in 0..4294967294: digits only, no sign, no space, at most ten
 * of them; 4294967295 ((uid_t)-1) is never an id. Returns 0 and sets *@id, or -EINVAL and leaves
 * it alone. Pure.
 */
int ids_parse(const char *s, uint32_t *id);

/* ids_parse_n - the same, of the @len bytes at @s, which need no terminating NUL. Pure. */
int ids_parse_n(const char *s, size_t len, uint32_t *id);
