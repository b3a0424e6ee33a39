#!/usr/bin/env bash
# Every example, run twice against one database, the way a user who points
# them at their own database (AEMS_DATABASE_URL) runs them: the second round
# meets the first round's rows, and each example meets the others'. Fails if
# any run fails.
#
#   scripts/examples-twice.sh
#
# Builds the examples in the workspace's target directory (the artifacts the
# other CI steps built are reused), starts a throwaway cluster from the local
# PostgreSQL binaries (initdb, pg_ctl), sets AEMS_MIGRATION_DATABASE_URL (the
# schema owner: the examples migrate first), AEMS_DATABASE_URL (aems_app) and
# one key ring for both rounds, and runs every example in examples/*.rs, in
# order, twice. seed_demo runs at its smallest scale with cheap hashes: its
# second run finds the seed already there and writes nothing, by design.
# Each run's output is kept in target/examples-twice/NAME-ROUND.log.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"

mapfile -t examples < <(find examples -maxdepth 1 -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
((${#examples[@]})) || {
    echo "no examples in examples/" >&2
    exit 1
}
args_of() {
    case "$1" in
    seed_demo) echo "--scale tiny --fast-hashes" ;;
    *) echo "" ;;
    esac
}

echo "building ${#examples[@]} examples: ${examples[*]}"
cargo build --examples --quiet

# A throwaway cluster. initdb refuses to run as root: use the postgres user.
bin="$(dirname "$(realpath "$(command -v initdb || echo /usr/lib/postgresql/15/bin/initdb)")")"
cluster="$(mktemp -d /tmp/aems-examples-twice.XXXXXX)"
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

logs="$target/examples-twice"
rm -rf "$logs"
mkdir -p "$logs"
runs=0
for round in 1 2; do
    for example in "${examples[@]}"; do
        log="$logs/$example-$round.log"
        started=$SECONDS
        # shellcheck disable=SC2046 # the arguments are words
        if ! "$target/debug/examples/$example" $(args_of "$example") >"$log" 2>&1; then
            echo "round $round: $example FAILED on a database holding the earlier runs; its output:" >&2
            cat "$log" >&2
            exit 1
        fi
        runs=$((runs + 1))
        echo "round $round: $example ok ($((SECONDS - started)) s)"
    done
done
echo "every example ran twice against one database: $runs runs succeeded"
