#!/usr/bin/env bash
# Regenerates aems-diesel/src/schema/*.rs from the migrations with
# `diesel print-schema` (configured in diesel.toml), or with --check fails when
# the committed files differ from what the migrations generate.
#
# The migrations run into a throwaway PostgreSQL cluster started from the local
# server binaries (or into $AEMS_SCHEMA_DATABASE_URL, an empty database, when set).
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-write}"
command -v diesel >/dev/null || { echo "diesel CLI missing: run scripts/install-diesel-cli.sh" >&2; exit 1; }

cleanup() { :; }
trap 'cleanup' EXIT

if [[ -n "${AEMS_SCHEMA_DATABASE_URL:-}" ]]; then
    url="$AEMS_SCHEMA_DATABASE_URL"
else
    bindir="$(pg_config --bindir 2>/dev/null || true)"
    [[ -x "$bindir/initdb" ]] || bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    base="$(mktemp -d /tmp/aems-schema-pg.XXXXXX)"
    run() { "$@"; }
    if [[ $(id -u) == 0 ]]; then
        chown postgres "$base"
        run() { runuser -u postgres -- "$@"; }
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    run "$bindir/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N >/dev/null
    cleanup() {
        run "$bindir/pg_ctl" -D "$base/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$base"
    }
    run "$bindir/pg_ctl" -D "$base/data" -l "$base/log" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$base -c fsync=off" start >/dev/null
    url="postgres://postgres@127.0.0.1:$port/aems_schema"
    psql -q -X -d "postgres://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE aems_schema" >/dev/null
fi

# `diesel migration run` regenerates every file named in diesel.toml;
# with --locked-schema it instead fails when one would change.
if [[ "$mode" == "--check" ]]; then
    if ! diesel migration run --locked-schema --database-url "$url"; then
        echo "aems-diesel/src/schema is out of date with the migrations: run scripts/schema-rs.sh" >&2
        exit 1
    fi
    echo "aems-diesel/src/schema matches the migrations"
else
    diesel migration run --database-url "$url" >/dev/null
    echo "regenerated aems-diesel/src/schema/*.rs"
fi
