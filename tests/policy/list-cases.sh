#!/bin/sh
# SPDX-License-Identifier: MIT
# The policy corpus's cases: every *.policy file directly in accept/ and reject/ of CORPUS, one
# "KIND/NAME.policy" a line, sorted. With a second argument, the cases the build was configured
# with (separated by spaces): exits 1 naming each case that is on disk but not in that list.
set -eu
corpus=$1

cases=$(cd "$corpus" && for f in accept/*.policy reject/*.policy; do
	[ -f "$f" ] && printf '%s\n' "$f"
done | LC_ALL=C sort)
if [ $# -lt 2 ]; then
	printf '%s\n' "$cases"
	exit 0
fi
missing=0
for c in $cases; do
	case " $2 " in
	*" $c "*) ;;
	*)
		echo "$corpus/$c: not run: the build was configured before it existed (meson setup --reconfigure)" >&2
		missing=1
		;;
	esac
done
exit "$missing"
