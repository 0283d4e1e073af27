#!/bin/sh
# SPDX-License-Identifier: MIT
# udsecho-policy as the admin runs it: check, explain (for a whole peer and for one known in
# part), test against a cases file, diff of two policies and the changes edit lists before it
# installs: their outputs and exit statuses, usage errors, refused and missing files, and the
# shipped default policy.
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
expect 64 '' "udsecho-policy: missing command: check, explain, test, diff or edit (see udsecho-policy --help)
"
expect 64 '' "udsecho-policy: unknown command 'frobnicate': use check, explain, test, diff or edit (see udsecho-policy --help)
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
expect 64 '' "udsecho-policy: uid 4242 has no passwd entry; give uid=4242 gid=ID
" explain "$p" 4242
expect 64 '' "udsecho-policy: unexpected 'pid=3': WHO is a user name or uid=ID [gid=ID] [groups=ID,...] (see udsecho-policy --help)
" explain "$p" uid=1 pid=3

# explain for a uid without a passwd entry and no gid=: decided when no rule that could decide
# needs the gid or groups; otherwise that rule is named, and the status is 64.
expect 64 '' "udsecho-policy: $p:3 needs the peer's gid and groups: add gid=ID groups=ID,...
" explain "$p" uid=4242
expect 64 '' "udsecho-policy: $p:3 needs the peer's gid: add gid=ID
" explain "$p" uid=4242 groups=5
expect 0 "allow ($p:3: allow group root)
" '' explain "$p" uid=4242 groups=5,0
expect 0 "deny ($work/default:$deny_line: deny all)
" '' explain "$work/default" uid=4242
users_first="$work/users-first"
printf 'allow user 4242\ndeny user 4243-4250\nallow group root\n' >"$users_first"
chmod 644 "$users_first"
expect 0 "allow ($users_first:1: allow user 4242)
" '' explain "$users_first" uid=4242
expect 0 "deny ($users_first:2: deny user 4243-4250)
" '' explain "$users_first" uid=4250
expect 64 '' "udsecho-policy: $users_first:3 needs the peer's gid and groups: add gid=ID groups=ID,...
" explain "$users_first" uid=4251

# test: one line per failed case on standard output, then the count; 0 all pass, 1 one fails,
# 78 a bad case line, a case that cannot be decided, or a bad or missing file.
cases="$work/cases"
cat >"$cases" <<CASES
# cases for the explain test policy
allow     root
allow     uid=4242 gid=4242 groups=0     rule=policy:3
deny      uid=4243 gid=4243              rule=policy:4
deny      uid=4242 gid=4242              rule=default
allow     uid=0                          rule=$p:2
CASES
expect 0 "5 cases: 5 passed, 0 failed
" '' test "$p" "$cases"
cat >"$work/failing" <<'CASES'
allow uid=4242 gid=4242
deny root
allow uid=4242 gid=0 rule=policy:2
deny uid=4243 gid=4243 rule=default
allow root rule=policy:2
CASES
expect 1 "$work/failing:1: expected allow, got deny by default deny
$work/failing:2: expected deny, got allow by $p:2 (allow user root)
$work/failing:3: expected allow by policy:2, got allow by $p:3 (allow group root)
$work/failing:4: expected deny by default deny, got deny by $p:4 (deny user 4243)
5 cases: 1 passed, 4 failed
" '' test "$p" "$work/failing"
cat >"$work/bad-cases" <<'CASES'
allow
permit root
deny no-such-user-udsecho
allow root rule=policy:9
deny uid=4242 at=2027-01-01T00:00:00
allow uid=1 gid=1 groups=0,no-such-group-udsecho
CASES
expect 78 '' "$work/bad-cases:1:7: error: expected WHO after 'allow': a user name or uid=ID
$work/bad-cases:2:1: error: expected 'allow' or 'deny', found 'permit'
$work/bad-cases:3:6: error: unknown user 'no-such-user-udsecho'
$work/bad-cases:5:37: error: at=2027-01-01T00:00:00: a time without 'Z' would be read in the reader's time zone: write it in UTC, ending in 'Z'
$work/bad-cases:6:28: error: unknown group 'no-such-group-udsecho'
" test "$p" "$work/bad-cases"
printf 'allow root rule=policy:9\ndeny uid=4242\ndeny uid=4243 gid=4243\n' >"$work/undecided"
expect 78 '' "$work/undecided:1:17: error: rule=policy:9 names no rule of the policy
$work/undecided:2:6: error: $p:3 needs the peer's gid and groups: add gid=ID groups=ID,...
" test "$p" "$work/undecided"
expect 78 '' "udsecho-policy: $work/no-cases: No such file or directory
" test "$p" "$work/no-cases"
expect 78 '' "$work/broken:2:7: error: expected 'user' or 'group', found 'usr'
" test "$work/broken" "$cases"
: >"$work/empty-cases"
expect 0 "0 cases: 0 passed, 0 failed
" "$work/empty-cases: warning: no cases: nothing is tested
" test "$p" "$work/empty-cases"
expect 64 '' "udsecho-policy: test needs CASES, a file of cases (see udsecho-policy --help)
" test
expect 64 '' "udsecho-policy: unexpected 'c': test takes [FILE] CASES (see udsecho-policy --help)
" test a b c
default_policy=$("$tool" --help | sed -n 's/^FILE defaults to //p')
if [ ! -e "$default_policy" ]; then
	expect 78 '' "udsecho-policy: $default_policy: No such file or directory
" test "$cases"
fi

# diff: every identity whose decision changes, sorted, with both deciding rules; 0 none, 1 some.
named() { # named uid|gid ID: "uid=ID(name)", or "uid=ID" without a name
	db=passwd
	[ "$1" = gid ] && db=group
	name=$(getent "$db" "$2" | cut -d: -f1)
	printf '%s=%s%s' "$1" "$2" "${name:+($name)}"
}
new="$work/new"
printf 'allow user root\nallow user 4243\n' >"$new"
chmod 644 "$new"
one="$(named uid 1) $(named gid 1)"
expect 1 "$one groups=0: allow by $p:3 -> deny by default deny
$one groups=0,1: allow by $p:3 -> deny by default deny
uid=4242 gid=4242 groups=0: allow by $p:3 -> deny by default deny
uid=4242 gid=4242 groups=0,1: allow by $p:3 -> deny by default deny
uid=4243 gid=4243: deny by $p:4 -> allow by $new:2
uid=4243 gid=4243 groups=1: deny by $p:4 -> allow by $new:2
uid=4244 gid=4244 groups=0: allow by $p:3 -> deny by default deny
uid=4244 gid=4244 groups=0,1: allow by $p:3 -> deny by default deny
" '' diff "$p" "$new"
expect 0 '' '' diff "$p" "$p"
expect 78 '' "$work/broken:2:7: error: expected 'user' or 'group', found 'usr'
" diff "$p" "$work/broken"
expect 78 '' "udsecho-policy: $work/missing: No such file or directory
" diff "$work/missing" "$p"
expect 64 '' "udsecho-policy: diff needs two policies, OLD and NEW (see udsecho-policy --help)
" diff "$p"
expect 64 '' "udsecho-policy: unexpected 'c': diff takes OLD NEW [at=TIME] (see udsecho-policy --help)
" diff a b c
expect 64 '' "udsecho-policy: at=2027-01-01T00:00:00+00:00: an offset from UTC is not accepted: write the time in UTC, ending in 'Z' (see udsecho-policy --help)
" diff "$p" "$new" at=2027-01-01T00:00:00+00:00

# Time windows and names: explain, test and diff decide at at=TIME and name the rule.
timed="$work/timed"
forever="$work/forever"
cat >"$timed" <<'POLICY'
allow user 4242 name=contractor until=2027-01-01T00:00:00Z
deny user 4243 name=no-4243 message="ask ops at x1234"
allow user 4244 from=2027-01-01T00:00:00Z
POLICY
sed 's/ until=[^ ]*//; s/ from=[^ ]*//' "$timed" >"$forever"
chmod 644 "$timed" "$forever"
expect 0 "allow ($timed:1: allow user 4242 name=contractor until=2027-01-01T00:00:00Z)
at 2026-12-31T23:59:59Z
" '' explain "$timed" uid=4242 gid=4242 at=2026-12-31T23:59:59Z
expect 0 "deny (no rule matched: default deny)
at 2027-01-01T00:00:00Z
" '' explain "$timed" uid=4242 gid=4242 at=2027-01-01T00:00:00Z
expect 0 "allow ($timed:3: allow user 4244 from=2027-01-01T00:00:00Z)
at 2027-01-01T00:00:00Z
" '' explain "$timed" uid=4244 gid=4244 at=2027-01-01T00:00:00Z
expect 64 '' "udsecho-policy: explain needs WHO before at=: a user name or uid=ID (see udsecho-policy --help)
" explain "$timed" at=2027-01-01T00:00:00Z
cat >"$work/timed-cases" <<'CASES'
allow uid=4242 gid=4242 rule=contractor at=2026-06-01T00:00:00Z
deny  uid=4242 gid=4242 rule=default    at=2027-01-01T00:00:00Z
deny  uid=4243 gid=4243 rule=no-4243
deny  uid=4244 gid=4244                 at=2026-12-31T23:59:59Z
allow uid=4242 gid=4242 rule=contractor at=2027-06-01T00:00:00Z
deny  uid=4243 gid=4243 rule=contractor
CASES
expect 1 "$work/timed-cases:5: expected allow by contractor, got deny by default deny
$work/timed-cases:6: expected deny by contractor, got deny by $timed:2 name=no-4243 (deny user 4243 name=no-4243 message=\"ask ops at x1234\")
6 cases: 4 passed, 2 failed
" '' test "$timed" "$work/timed-cases"
printf 'deny uid=4243 gid=4243 rule=no-such-name\n' >"$work/unnamed-cases"
expect 78 '' "$work/unnamed-cases:1:29: error: rule=no-such-name names no rule of the policy
" test "$timed" "$work/unnamed-cases"
expect 1 "uid=4244 gid=4244: deny by default deny -> allow by $forever:3
" '' diff "$timed" "$forever" at=2026-06-01T00:00:00Z
expect 1 "uid=4242 gid=4242: deny by default deny -> allow by $forever:1 name=contractor
" '' diff "$timed" "$forever" at=2027-06-01T00:00:00Z

# edit lists the changes, as diff does, before it installs: the new rules are named by the
# edited copy, .NAME.XXXXXX beside FILE, as the check's diagnostics name them.
edited="$work/edited"
cp "$p" "$edited"
chmod 644 "$edited"
edit_expect() { # edit_expect EDITOR WANT: the lines before "installed", and that line
	status=0
	EDITOR=$1 VISUAL='' "$tool" edit "$edited" </dev/null >"$work/out" 2>"$work/err" || status=$?
	sed 's/\.edited\.[A-Za-z0-9]\{6\}:/.edited.XXXXXX:/' "$work/out" | grep -v ' installed' \
		>"$work/got" || true
	printf '%s' "$2" >"$work/want"
	if [ "$status" -ne 0 ] || [ -s "$work/err" ] || ! cmp -s "$work/got" "$work/want" ||
		! tail -n 1 "$work/out" | grep -q "^$edited installed"; then
		echo "FAIL: EDITOR='$1' udsecho-policy edit: status $status" >&2
		diff -u "$work/want" "$work/got" >&2 || true
		cat "$work/out" "$work/err" >&2
		failures=$((failures + 1))
	fi
}
edit_expect 'sed -i 4s/deny/allow/' "uid=4243 gid=4243: deny by $edited:4 -> allow by $work/.edited.XXXXXX:4
uid=4243 gid=4243 groups=1: deny by $edited:4 -> allow by $work/.edited.XXXXXX:4
"
edit_expect 'sed -i 1s/explain/edited/' ''

if [ "$failures" -ne 0 ]; then
	echo "$failures case(s) failed" >&2
	exit 1
fi
