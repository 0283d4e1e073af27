// SPDX-License-Identifier: MIT
/*
 * escape: C-style escapes for bytes that must not reach a terminal or a log reader as they are.
 * Pure: it formats into the caller's buffer and nothing else.
 */
#include "udsecho/escape.h"

size_t escape(const char *p, size_t len, char *out, size_t outlen, unsigned int flags)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[4];
		size_t n = 0;

		if (c == '\n') {
			e[n++] = '\\';
			e[n++] = 'n';
		} else if (c == '\\' || (c == '"' && (flags & ESCAPE_QUOTE))) {
			e[n++] = '\\';
			e[n++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			e[n++] = '\\';
			e[n++] = 'x';
			e[n++] = hex[c >> 4];
			e[n++] = hex[c & 0xf];
		} else {
			e[n++] = (char)c;
		}
		if (o + n >= outlen)
			break;
		for (size_t k = 0; k < n; k++)
			out[o++] = e[k];
	}
	out[o] = '\0';
	return i;
}
