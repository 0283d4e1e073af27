/* SPDX-License-Identifier: MIT */
/*
 * refusal: the one line a refused peer is told before the server closes the connection.
 *
 * Pure. A policy refusal begins "udsechod: permission denied" and names the ids the server saw,
 * so that the user can see whose identity was refused; it never names the rule (the policy is
 * the admin's business) but may end with the text the rule's message= gives. A limit refusal begins
 * "udsechod: busy", which the client reports as a temporary failure. A server that could not load
 * its policy at start, and so serves no one, says "udsechod: unavailable". Lines end in "\n" and
 * fit in REFUSAL_MAX bytes. Safe inside the worker's sandbox.
 */
#pragma once

#include <stddef.h>

#include "udsecho/peercred.h"

#define REFUSAL_MAX 256

/*
 * refusal_denied - format the policy refusal for @cred into @buf, with the refusing rule's
 * @message (printable ASCII, at most 160 bytes; NULL for none) after ": "; returns its length.
 */
size_t refusal_denied(char *buf, size_t len, const struct peer_cred *cred, const char *message);

/* refusal_busy - format a limit refusal, "udsechod: busy: @reason"; returns its length. */
size_t refusal_busy(char *buf, size_t len, const char *reason);

#define REFUSAL_UNAVAILABLE                                                                        \
	"udsechod: unavailable: the server could not load its policy; its log says why"

/* refusal_unavailable - format REFUSAL_UNAVAILABLE and its newline; returns its length. */
size_t refusal_unavailable(char *buf, size_t len);
