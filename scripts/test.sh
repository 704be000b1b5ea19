#!/usr/bin/env bash
# npm test: compile, run the test files in parallel, then test/serial/ one file at a time (the
# tests that measure CPU or run the container stack must not share the machine). Arguments go
# to both AVA runs (.ci/run passes --tap). Exits non-zero if either run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
npx tsc || exit 1
npx ava "$@"
parallel=$?
npx ava --config test/serial/ava.config.mjs "$@"
serial=$?
[ "$parallel" -eq 0 ] && [ "$serial" -eq 0 ]
