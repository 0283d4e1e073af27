#!/bin/sh
# SPDX-License-Identifier: MIT
# Whether the dynamic section of PROGRAM names the libraries LIB (soname prefixes such as
# libseccomp) as NEEDED: every one of them with "present", none with "absent".
# Usage: needed.sh PROGRAM present|absent LIB...
set -eu
prog=$1
want=$2
shift 2
if ! command -v readelf >/dev/null 2>&1; then
	echo "skipped: readelf is not installed" >&2
	exit 77
fi
needed=$(readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
if [ -z "$needed" ]; then
	echo "$prog: readelf lists no NEEDED entry at all" >&2
	exit 1
fi
status=0
for lib in "$@"; do
	if printf '%s\n' "$needed" | grep -q "^$lib\.so"; then
		found=present
	else
		found=absent
	fi
	if [ "$found" != "$want" ]; then
		echo "$prog: $lib is $found in NEEDED, expected $want:" $needed >&2
		status=1
	fi
done
exit $status
