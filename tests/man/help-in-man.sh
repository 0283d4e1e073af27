#!/bin/sh
# SPDX-License-Identifier: MIT
# Every long option a program's --help lists must be documented in its manual page
# (mdoc writes --name as "Fl Fl name" or "Fl -name").
# Usage: help-in-man.sh PROGRAM MANPAGE
set -eu
prog=$1
page=$2
missing=0
options=$("$prog" --help | grep -o -e '--[a-z][a-z-]*' | sort -u)
[ -n "$options" ] || { echo "$prog --help lists no option" >&2; exit 1; }
for opt in $options; do
	name=${opt#--}
	if ! grep -q -e "Fl Fl $name\\b" -e "Fl -$name\\b" "$page"; then
		echo "$page: $opt (from $prog --help) is not documented" >&2
		missing=1
	fi
done
exit $missing
