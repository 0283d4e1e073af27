#!/bin/sh
# SPDX-License-Identifier: MIT
# The generated systemd units, checked offline by systemd-analyze.
# Usage: analyze.sh verify|security UNITDIR SBINDIR BUILDDIR [THRESHOLD]
#   verify:   systemd-analyze verify on both units; any complaint about them fails.
#   security: print the service's exposure score; fail above THRESHOLD.
# The units name the installed programs (SBINDIR), which verify insists exist: the test runs
# on copies that name the built ones in BUILDDIR instead. Exit 77 (skip) without systemd-analyze.
set -eu
mode=$1 unitdir=$2 sbindir=$3 builddir=$4 threshold=${5:-}

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in udsechod.socket udsechod.service; do
	sed "s|$sbindir/|$builddir/|g" "$unitdir/$unit" >"$tmp/$unit"
done
grep -n '^Exec' "$tmp/udsechod.service"

case $mode in
verify)
	# --man=no: the pages in Documentation= are not installed while testing.
	status=0
	systemd-analyze verify --man=no "$tmp/udsechod.socket" "$tmp/udsechod.service" \
		>"$tmp/out" 2>&1 || status=$?
	cat "$tmp/out"
	if [ "$status" -ne 0 ]; then
		echo "FAIL: systemd-analyze verify exited $status"
		exit 1
	fi
	if grep -q udsechod "$tmp/out"; then
		echo "FAIL: systemd-analyze verify complains about the units"
		exit 1
	fi
	echo "OK: both units verify"
	;;
security)
	systemd-analyze security --offline=yes --no-pager "$tmp/udsechod.service" >"$tmp/out" 2>&1 || true
	grep -v '^✓' "$tmp/out" || true
	score=$(sed -n 's/.*Overall exposure level for udsechod.service: \([0-9.]*\).*/\1/p' "$tmp/out")
	if [ -z "$score" ]; then
		echo "FAIL: no exposure score in the output of systemd-analyze security"
		exit 1
	fi
	echo "exposure score $score (threshold $threshold)"
	if awk -v s="$score" -v t="$threshold" 'BEGIN { exit !(s > t) }'; then
		echo "FAIL: exposure $score is above $threshold: a hardening setting was lost"
		exit 1
	fi
	;;
*)
	echo "usage: analyze.sh verify|security UNITDIR SBINDIR BUILDDIR [THRESHOLD]" >&2
	exit 2
	;;
esac
