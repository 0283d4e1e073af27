#!/bin/sh
# SPDX-License-Identifier: MIT
# meson install into a scratch DESTDIR: every file lands where it should, the units name the
# installed server, systemd-sysusers accepts the sysusers.d entry, and a second install keeps
# a policy the admin has edited.
# Usage: install.sh BUILDDIR BINDIR SBINDIR SYSCONFDIR MANDIR UNITDIR SYSUSERSDIR CATALOGDIR
# (all absolute, as meson uses them). Uses --no-rebuild: the test depends on every target.
set -eu
builddir=$1 bindir=$2 sbindir=$3 sysconfdir=$4 mandir=$5 unitdir=$6 sysusersdir=$7 catalogdir=$8

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail=0
check() { # check TEST PATH: test -TEST DESTDIR/PATH
	if [ "-$1" "$dest$2" ]; then
		echo "ok: $2"
	else
		echo "FAIL: $2 is missing or not as expected (test -$1)"
		fail=1
	fi
}

meson install --no-rebuild --quiet -C "$builddir" --destdir "$dest"

check x "$bindir/udsecho"
check x "$sbindir/udsechod"
check x "$sbindir/udsecho-policy"
check f "$sysconfdir/udsecho/policy"
check f "$mandir/man1/udsecho.1"
check f "$mandir/man5/udsecho.policy.5"
check f "$mandir/man8/udsechod.8"
check f "$mandir/man8/udsecho-policy.8"
check f "$unitdir/udsechod.socket"
check f "$unitdir/udsechod.service"
check f "$sysusersdir/udsecho.conf"
check f "$catalogdir/udsecho.catalog"

# The catalog, compiled into the scratch tree: journalctl must read every entry.
if command -v journalctl >/dev/null 2>&1 && [ -f "$dest$catalogdir/udsecho.catalog" ]; then
	mkdir -p "$dest/usr/lib/systemd/catalog"
	cp "$dest$catalogdir/udsecho.catalog" "$dest/usr/lib/systemd/catalog/"
	journalctl --root="$dest" --update-catalog
	n=$(journalctl --root="$dest" --list-catalog | grep -c ' udsecho: ' || true)
	if [ "$n" -eq 3 ]; then
		echo "ok: journalctl reads the catalog's 3 entries"
	else
		echo "FAIL: journalctl reads $n of the catalog's 3 entries"
		fail=1
	fi
fi

if [ -f "$dest$unitdir/udsechod.service" ]; then
	if grep -q "^ExecStart=$sbindir/udsechod " "$dest$unitdir/udsechod.service"; then
		echo "ok: ExecStart= names $sbindir/udsechod"
	else
		echo "FAIL: ExecStart= does not name $sbindir/udsechod"
		fail=1
	fi
	if grep -q '@[a-z_]*@' "$dest$unitdir/udsechod.service" "$dest$unitdir/udsechod.socket"; then
		echo "FAIL: a unit still has an @variable@"
		fail=1
	fi
fi

# The sysusers.d entry, applied to the scratch tree (not to this machine).
if command -v systemd-sysusers >/dev/null 2>&1 && [ -f "$dest$sysusersdir/udsecho.conf" ]; then
	mkdir -p "$dest/etc"
	systemd-sysusers --root="$dest" "$dest$sysusersdir/udsecho.conf"
	if grep -q '^udsecho:x:[0-9]*:[0-9]*:.*:/nonexistent:/usr/sbin/nologin$' "$dest/etc/passwd" &&
		grep -q '^udsecho:x:' "$dest/etc/group"; then
		echo "ok: systemd-sysusers creates the user and group udsecho"
	else
		echo "FAIL: systemd-sysusers did not create the user and group udsecho"
		cat "$dest/etc/passwd" "$dest/etc/group" 2>/dev/null || true
		fail=1
	fi
else
	echo "note: systemd-sysusers is not installed, the sysusers.d entry is not applied"
fi

# An admin's edit survives a second install.
policy="$dest$sysconfdir/udsecho/policy"
if [ -f "$policy" ]; then
	printf '# edited by the admin\nallow user root\n' >"$policy"
	cp "$policy" "$dest/policy.edited"
	meson install --no-rebuild --quiet -C "$builddir" --destdir "$dest"
	if cmp "$dest/policy.edited" "$policy"; then
		echo "ok: a second install keeps the edited policy"
	else
		echo "FAIL: a second install overwrote the edited policy"
		fail=1
	fi
fi
exit "$fail"
