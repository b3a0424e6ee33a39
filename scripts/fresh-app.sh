#!/usr/bin/env bash
# A new user's application, built from the packaged crates and run twice.
#
#   scripts/fresh-app.sh [PACKAGE_DIR]     (default: target/package)
#
# PACKAGE_DIR holds the .crate files `cargo package --workspace` wrote. They
# are unpacked, and an application is made exactly as the README says: its
# Cargo.toml lists only `aems = "0.1"` and tokio, its src/main.rs is the
# README's usage program. `[patch]` points the three package names at the
# unpacked archives, so what is built is what would be published (files left
# out of a package fail here) and nothing of the workspace is seen.
#
# Building it is the packages' build check (CI packs with --no-verify and
# builds here instead of twice). Then it runs twice against a throwaway
# cluster from the local PostgreSQL binaries (initdb, pg_ctl): the first run
# migrates an empty database, the second finds it migrated and must not
# collide with the first run's rows.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
packages="$(realpath "${1:-target/package}")"
work="$root/target/fresh-app"
app="$work/app"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"

for name in aems-core aems-diesel aems; do
    [[ -f "$packages/$name-$version.crate" ]] || {
        echo "no $packages/$name-$version.crate: run cargo package --workspace first" >&2
        exit 1
    }
done

rm -rf "$work/unpacked" "$app"
mkdir -p "$work/unpacked" "$app/src"
for name in aems-core aems-diesel aems; do
    tar -xzf "$packages/$name-$version.crate" -C "$work/unpacked"
done

# The README's dependency lines, verbatim, then the patch to the archives.
awk '/^```toml$/ {on=1; next} on && /^```$/ {exit} on' README.md >"$work/readme-deps.toml"
grep -q '^aems = ' "$work/readme-deps.toml" || {
    echo "README.md: no [dependencies] block naming aems" >&2
    exit 1
}
{
    printf '[package]\nname = "fresh-app"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n'
    printf '[workspace]\n\n'
    cat "$work/readme-deps.toml"
    printf '\n[patch.crates-io]\n'
    for name in aems-core aems-diesel aems; do
        printf '%s = { path = "%s" }\n' "$name" "$work/unpacked/$name-$version"
    done
} >"$app/Cargo.toml"
awk '/^```rust,no_run$/ {on=1; next} on && /^```$/ {exit} on' README.md >"$app/src/main.rs"
[[ -s "$app/src/main.rs" ]] || {
    echo "README.md: no rust,no_run usage program" >&2
    exit 1
}
# The workspace's lock file as the starting point: the same dependency
# versions as every other CI step (cargo drops what the app does not use).
cp Cargo.lock "$app/Cargo.lock"

echo "building the README's program against $packages"
cargo build --manifest-path "$app/Cargo.toml" --target-dir "$work/target"
binary="$work/target/debug/fresh-app"

# A throwaway cluster. initdb refuses to run as root: use the postgres user.
bin="$(dirname "$(realpath "$(command -v initdb || echo /usr/lib/postgresql/15/bin/initdb)")")"
cluster="$(mktemp -d /tmp/aems-fresh-app.XXXXXX)"
as_pg=()
if [[ "$(id -u)" == 0 ]]; then
    chown postgres "$cluster"
    as_pg=(runuser -u postgres --)
fi
stop() {
    "${as_pg[@]}" "$bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$cluster"
}
trap stop EXIT
port=$((20000 + RANDOM % 20000))
"${as_pg[@]}" "$bin/initdb" -D "$cluster/data" -U aems_owner --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$cluster/data" -w -l "$cluster/log" \
    -o "-p $port -k $cluster -c listen_addresses=127.0.0.1" start >/dev/null
"${as_pg[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U aems_owner aems

export AEMS_MIGRATION_DATABASE_URL="postgres://aems_owner@127.0.0.1:$port/aems"
# aems_app is created by the migrations; trust authentication lets it log in.
export AEMS_DATABASE_URL="postgres://aems_app@127.0.0.1:$port/aems"
export AEMS_KEYS="1:$(head -c 32 /dev/urandom | base64)"
export AEMS_CURRENT_KEY=1
for run in 1 2; do
    echo "run $run of the README's program"
    out="$("$binary")"
    echo "$out"
    grep -q '^tenant .* has customer .* (Globex)$' <<<"$out" || {
        echo "run $run did not print its tenant and customer" >&2
        exit 1
    }
done
