# SPDX-License-Identifier: MIT
# Sourced by the shell tests: test_tmpdir TAG prints a fresh private directory, in the place
# tests/common/testdir.h describes ($UDSECHO_TEST_TMPDIR; /run for root; $XDG_RUNTIME_DIR;
# /tmp), since the policy checks refuse /tmp.
test_tmpdir() {
	if [ -n "${UDSECHO_TEST_TMPDIR:-}" ]; then
		set -- "$1" "$UDSECHO_TEST_TMPDIR"
	elif [ "$(id -u)" -eq 0 ]; then
		set -- "$1" /run
	else
		set -- "$1" "${XDG_RUNTIME_DIR:-/tmp}"
	fi
	mktemp -d "$2/udsecho-$1.XXXXXX"
}
