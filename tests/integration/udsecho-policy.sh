#!/bin/sh
# SPDX-License-Identifier: MIT
# udsecho-policy as the admin runs it: check and explain outputs and exit statuses, usage
# errors, refused and missing files, and the shipped default policy.
# Usage: udsecho-policy.sh UDSECHO_POLICY SOURCE_ROOT
set -eu
tool=$1
src=$2

. "$src"/tests/common/testdir.sh
work=$(test_tmpdir policy)
trap 'rm -rf "$work"' EXIT
failures=0

# expect STATUS STDOUT STDERR ARGS...: run the tool, compare all three exactly.
expect() {
	want_status=$1 want_out=$2 want_err=$3
	shift 3
	status=0
	"$tool" "$@" >"$work/out" 2>"$work/err" || status=$?
	printf '%s' "$want_out" >"$work/want-out"
	printf '%s' "$want_err" >"$work/want-err"
	if [ "$status" -ne "$want_status" ] || ! cmp -s "$work/out" "$work/want-out" ||
		! cmp -s "$work/err" "$work/want-err"; then
		echo "FAIL: udsecho-policy $*" >&2
		echo "  status $status, expected $want_status" >&2
		diff -u "$work/want-out" "$work/out" >&2 || true
		diff -u "$work/want-err" "$work/err" >&2 || true
		failures=$((failures + 1))
	fi
}

# expect_match STATUS PATTERN ARGS...: status, and PATTERN (grep -E) somewhere in the output.
expect_match() {
	want_status=$1 pattern=$2
	shift 2
	status=0
	"$tool" "$@" >"$work/out" 2>&1 || status=$?
	if [ "$status" -ne "$want_status" ] || ! grep -Eq -- "$pattern" "$work/out"; then
		echo "FAIL: udsecho-policy $*: status $status (expected $want_status), output:" >&2
		cat "$work/out" >&2
		failures=$((failures + 1))
	fi
}

p="$work/policy"
cat >"$p" <<'POLICY'
# explain test policy
allow user root
allow group root
deny user 4243
POLICY
chmod 644 "$p"

cp "$src/policy/udsecho.policy" "$work/default"
chmod 644 "$work/default"
root_line=$(grep -n '^allow user root' "$work/default" | cut -d: -f1)
deny_line=$(grep -n '^deny all' "$work/default" | cut -d: -f1)

# Usage.
expect_match 0 '^usage: udsecho-policy check' --help
expect_match 0 '^udsecho-policy [0-9]' --version
expect 64 '' "udsecho-policy: missing command: check, explain or edit (see udsecho-policy --help)
"
expect 64 '' "udsecho-policy: unknown command 'frobnicate': use check, explain or edit (see udsecho-policy --help)
" frobnicate
expect 64 '' "udsecho-policy: unknown option '--bogus' (see udsecho-policy --help)
" --bogus
expect 64 '' "udsecho-policy: unknown option '-x' (see udsecho-policy --help)
" -x
expect 64 '' "udsecho-policy: unexpected 'b': check takes at most one FILE (see udsecho-policy --help)
" check a b
expect 64 '' "udsecho-policy: explain needs WHO: a user name or uid=ID (see udsecho-policy --help)
" explain

# check.
expect 0 '' '' check "$work/default"
expect 0 '' '' check "$p"
expect 78 '' "udsecho-policy: $work/missing: No such file or directory
" check "$work/missing"
chmod 664 "$p"
expect 78 '' "$p: error: refusing: writable by group (mode 0664); run: chmod go-w $p
" check "$p"
expect 78 '' "$p: error: refusing: writable by group (mode 0664); run: chmod go-w $p
" explain "$p" root
chmod 644 "$p"
printf 'allow user root\nallow usr 1\n' >"$work/broken"
chmod 644 "$work/broken"
expect 78 '' "$work/broken:2:7: error: expected 'user' or 'group', found 'usr'
" check "$work/broken"

# explain: the decision on stdout, status 0 whatever it is.
expect 0 "allow ($p:2: allow user root)
" '' explain "$p" root
expect 0 "allow ($p:3: allow group root)
" '' explain "$p" uid=4242 gid=4242 groups=0
expect 0 "allow ($p:3: allow group root)
" '' explain "$p" uid=4242 gid=0
expect 0 "deny ($p:4: deny user 4243)
" '' explain "$p" uid=4243 gid=4243
expect 0 "deny (no rule matched: default deny)
" '' explain "$p" uid=4242 gid=4242
expect 0 "deny (no rule matched: default deny)
" '' explain "$p" uid=4242 gid=4242 groups=1,2,3
expect 0 "allow ($work/default:$root_line: allow user root)
" '' explain "$work/default" root
expect 0 "deny ($work/default:$deny_line: deny all)
" '' explain "$work/default" uid=4242 gid=4242 groups=0
expect 64 '' "udsecho-policy: unknown user 'no-such-user-udsecho'
" explain "$p" no-such-user-udsecho
expect 64 '' "udsecho-policy: unknown group 'no-such-group-udsecho'
" explain "$p" uid=1 gid=1 groups=0,no-such-group-udsecho
expect 64 '' "udsecho-policy: uid 4242 has no passwd entry; add gid=ID (see udsecho-policy --help)
" explain "$p" uid=4242
expect 64 '' "udsecho-policy: unexpected 'pid=3': WHO is a user name or uid=ID [gid=ID] [groups=ID,...] (see udsecho-policy --help)
" explain "$p" uid=1 pid=3

if [ "$failures" -ne 0 ]; then
	echo "$failures case(s) failed" >&2
	exit 1
fi
