/* SPDX-License-Identifier: MIT */
/*
 * sandbox-mode: the names of the seccomp modes, for --sandbox and the status lines.
 *
 * Pure: no system call, no filter. The filters themselves are sandbox.h's, which includes this;
 * the command line and the client need only the names and must not link libseccomp for them.
 */
#pragma once

enum sandbox_mode {
	SANDBOX_STRICT, /* a call outside the filter kills the process */
	SANDBOX_LOG, /* it is allowed and logged by the kernel (audit): to find what is missing */
	SANDBOX_OFF, /* no filter at all, for kernels or containers without seccomp */
};

/* sandbox_mode_parse - "strict", "log" or "off" to *@mode. Returns 0 or -EINVAL. Pure. */
int sandbox_mode_parse(const char *s, enum sandbox_mode *mode);

/* sandbox_mode_name - the name sandbox_mode_parse() accepts for @mode, "?" if none. Pure. */
const char *sandbox_mode_name(enum sandbox_mode mode);
