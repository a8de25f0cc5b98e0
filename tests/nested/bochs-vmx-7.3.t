#!/bin/sh
# TAP test for prove: boots the platform named by this file (minus .t) through run-platform.sh.
# Run one: prove -v tests/nested/THIS.t; all: tests/nested/run-all.sh (or prove -j2 tests/nested/*.t).
set -eu
exec "$(dirname "$0")/run-platform.sh" "$(basename "$0" .t)"
