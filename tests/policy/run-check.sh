#!/bin/sh
# SPDX-License-Identifier: MIT
# One corpus case: run `udsecho-policy check CASE` and compare its standard error with
# CASE.err (empty when there is no such file) and its exit status with STATUS.
# The corpus is copied to a private directory first: a checkout's file modes depend on the
# umask, and udsecho-policy rightly refuses a group-writable policy.
set -eu
tool=$1
corpus=$2
case=$3
status=$4

. "$(dirname "$0")"/../common/testdir.sh
work=$(test_tmpdir corpus)
trap 'rm -rf "$work"' EXIT
cp -R "$corpus/accept" "$corpus/reject" "$work/"
chmod -R go-w "$work"

expected="$corpus/${case%.policy}.err"
[ -f "$expected" ] || expected=/dev/null

got=0
(cd "$work" && "$tool" check "$case") 2>"$work/stderr" || got=$?
fail=0
if ! cmp -s "$expected" "$work/stderr"; then
	echo "standard error differs from $expected:" >&2
	diff -u "$expected" "$work/stderr" >&2 || true
	fail=1
fi
if [ "$got" -ne "$status" ]; then
	echo "exit status $got, expected $status" >&2
	fail=1
fi
exit "$fail"
