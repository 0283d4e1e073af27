/* SPDX-License-Identifier: MIT */
/*
 * escape: bytes from someone else (a server's reply, a policy file's names and lines) made safe
 * to print on a terminal or in a log line. Pure: no I/O.
 */
#pragma once
#include <stddef.h>

#define ESCAPE_QUOTE 1u /* also escape '"', for text printed between double quotes */

/*
 * escape - the @len bytes at @p into @out as printable ASCII: a newline becomes "\n", a backslash
 * "\\" (and with ESCAPE_QUOTE a double quote "\""), every other byte outside 0x20-0x7e "\xHH".
 * No byte a terminal acts on (ESC, BEL, CR, bytes >= 0x80) is ever copied. Escapes are never cut:
 * it stops at the last byte whose escape fits in @outlen with the terminating NUL, which is
 * always written (@outlen > 0). Returns how many bytes of @p it consumed.
 */
size_t escape(const char *p, size_t len, char *out, size_t outlen, unsigned int flags);
