#!/usr/bin/env bash
# Installs Squawk, the PostgreSQL migration linter, into target/tools/squawk
# (git-ignored, per checkout), unless the pinned version is already there.
#
#   scripts/install-squawk.sh      prints the path of the squawk binary
#
# npm's `squawk-cli` package pulls in a platform package that ships the
# binary itself, so nothing is downloaded at install or run time besides the
# two packages. `--ignore-scripts`: the binary needs no install step.
set -euo pipefail
cd "$(dirname "$0")/.."

version="2.66.0"
dir="$PWD/target/tools/squawk"
binary="$dir/node_modules/.bin/squawk"

if [[ -x "$binary" ]] && "$binary" --version 2>/dev/null | grep -qF "$version"; then
    echo "$binary"
    exit 0
fi
command -v npm >/dev/null 2>&1 || {
    echo "install-squawk: npm is not installed (apt-get install npm)" >&2
    exit 1
}
rm -rf "$dir"
mkdir -p "$dir"
# A package.json of its own, so npm installs here and not into a parent.
printf '{ "name": "aems-tools-squawk", "private": true }\n' >"$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
    --save-exact "squawk-cli@$version" >&2
"$binary" --version >&2
echo "$binary"
