// SPDX-License-Identifier: MIT
/*
 * sandbox-mode: the seccomp modes by name (see sandbox-mode.h). Pure: string comparison only; it
 * must never call into libseccomp, so that what parses --sandbox links no filter code.
 */
#include <errno.h>
#include <string.h>

#include "udsecho/sandbox-mode.h"

int sandbox_mode_parse(const char *s, enum sandbox_mode *mode)
{
	static const enum sandbox_mode modes[] = {SANDBOX_STRICT, SANDBOX_LOG, SANDBOX_OFF};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, sandbox_mode_name(modes[i])) == 0) {
			*mode = modes[i];
			return 0;
		}
	}
	return -EINVAL;
}

const char *sandbox_mode_name(enum sandbox_mode mode)
{
	switch (mode) {
	case SANDBOX_STRICT:
		return "strict";
	case SANDBOX_LOG:
		return "log";
	case SANDBOX_OFF:
		return "off";
	}
	return "?";
}
