/* SPDX-License-Identifier: MIT */
/*
 * notify: the service manager's readiness protocol (sd_notify(3)), spoken directly.
 *
 * When NOTIFY_SOCKET names an AF_UNIX datagram socket (a path, or "@name" for the abstract
 * namespace), notify_send() sends it one datagram of "KEY=VALUE\n" lines: READY=1, RELOADING=1,
 * STOPPING=1, STATUS=.... Without NOTIFY_SOCKET it does nothing. Runs in the monitor only (it
 * creates a socket, which the worker's filter forbids).
 */
#pragma once

/*
 * notify_send - send @state to the service manager, if there is one.
 * Returns 1 sent, 0 no NOTIFY_SOCKET, -errno on failure (bad address, send failed).
 */
int notify_send(const char *state);
