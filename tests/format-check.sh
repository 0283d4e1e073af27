#!/bin/sh
# SPDX-License-Identifier: MIT
# The C sources are clean under the project's .clang-format. Usage: format-check.sh SOURCE_ROOT
set -eu
cd "$1"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "skipped: clang-format is not installed" >&2
	exit 77
fi
find src include tests -name '*.[ch]' -print | sort | xargs clang-format --dry-run --Werror
