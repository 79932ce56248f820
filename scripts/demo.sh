#!/usr/bin/env bash
# `make demo`: what Slipway does, on the bundled examples, in a minute.
set -uo pipefail
BIN=${1:-.build/debug/slipway}
cd "$(dirname "$0")/.."

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    say() { printf '\n== %s\n' "$*"; }
fi

say "slipway check examples/{mobile-cnn,transformer-server,kws-mcu}: three realistic manifests"
"$BIN" check examples/mobile-cnn examples/transformer-server examples/kws-mcu

say "slipway check examples/with-problems: what it says about common mistakes (exit status 1)"
"$BIN" check examples/with-problems
echo "(exit status $?)"

say "the same, as JSON for tools (first diagnostic)"
"$BIN" check --format json examples/with-problems | head -16

say "the same, as GitHub annotations"
"$BIN" check --format github examples/with-problems | head -3

for step in scripts/demo.d/*.sh; do
    [ -e "$step" ] || continue
    say "$(sed -n 's/^# demo: //p' "$step")"
    bash "$step" "$BIN"
done
say "done: see README.md for the pre-commit hook, the JSON Schema and the other commands"
