#!/bin/sh
# SPDX-License-Identifier: MIT
# meson install: put the default policy in place unless one is already there; an admin's
# policy is never overwritten. Usage: install-default.sh DEST SOURCE (DESTDIR is honoured).
set -eu
dest="${DESTDIR:-}$1"
if [ -e "$dest" ] || [ -L "$dest" ]; then
	echo "udsecho: keeping the existing policy $dest"
	exit 0
fi
install -D -m 0644 "$2" "$dest"
echo "udsecho: installed the default policy $dest"
