#!/usr/bin/env bash
# Lints migrations with Squawk (.squawk.toml says which rules are off, and why).
#
#   scripts/lint-migrations.sh                every migration newer than 2025-09-16-003500
#                                             (what CI checks)
#   scripts/lint-migrations.sh --all          every migration (the older ones have
#                                             accepted findings: docs/schema.md)
#   scripts/lint-migrations.sh DIR...         these migration directories
#   scripts/lint-migrations.sh --self-check   known-bad migrations must be refused and
#                                             known-good ones accepted, by the same code
#
# Each migration's up.sql is linted as diesel runs it: inside a transaction
# (--assume-in-transaction), unless its metadata.toml says
# run_in_transaction = false. down.sql is not linted: it runs only when a
# migration is reverted, never on the way up.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
baseline="2025-09-16-003500"
squawk="$(scripts/install-squawk.sh)"

# Lints the migration directories given; prints Squawk's findings, one a line
# (file:line:column: warning: rule message), and fails if there is any.
lint() {
    local in_tx=() no_tx=() dir status=0
    for dir in "$@"; do
        [[ -f "$dir/up.sql" ]] || {
            echo "lint-migrations: $dir has no up.sql" >&2
            return 2
        }
        if [[ -f "$dir/metadata.toml" ]] &&
            grep -Eq '^[[:space:]]*run_in_transaction[[:space:]]*=[[:space:]]*false' "$dir/metadata.toml"; then
            no_tx+=("$dir/up.sql")
        else
            in_tx+=("$dir/up.sql")
        fi
    done
    if ((${#in_tx[@]})); then
        "$squawk" --config "$root/.squawk.toml" --reporter gcc --assume-in-transaction "${in_tx[@]}" || status=1
    fi
    if ((${#no_tx[@]})); then
        "$squawk" --config "$root/.squawk.toml" --reporter gcc --no-assume-in-transaction "${no_tx[@]}" || status=1
    fi
    return "$status"
}

# Migration directories newer than the baseline (or all of them).
migrations() {
    local dir name
    for dir in migrations/*/; do
        dir="${dir%/}"
        name="$(basename "$dir")"
        if [[ "${1:-}" == all || "${name%%_*}" > "$baseline" ]]; then
            echo "$dir"
        fi
    done
}

# A throwaway migration directory: NAME, the up.sql text, and optionally the
# metadata.toml text.
fixture() {
    mkdir -p "$work/$1"
    printf '%s\n' "$2" >"$work/$1/up.sql"
    if [[ -n "${3:-}" ]]; then printf '%s\n' "$3" >"$work/$1/metadata.toml"; fi
}

self_check() {
    work="$(mktemp -d /tmp/aems-squawk-self-check.XXXXXX)"
    trap 'rm -rf "$work"' EXIT
    local failed=0 name rule out
    # Each must be refused, and for the reason named.
    fixture required-column "ALTER TABLE sales.customers ADD COLUMN loyalty_tier integer NOT NULL;"
    fixture blocking-index "CREATE INDEX idx_customers_loyalty ON sales.customers (loyalty_tier);"
    fixture validating-foreign-key "ALTER TABLE sales.customers ADD CONSTRAINT fk_customers_owner
    FOREIGN KEY (tenant_id, owner_id) REFERENCES auth.users (tenant_id, id);"
    fixture rewriting-type "ALTER TABLE sales.customers ALTER COLUMN company_name TYPE text;"
    fixture concurrently-in-transaction "ALTER TABLE sales.customers ADD COLUMN loyalty_tier varchar(20);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_customers_loyalty ON sales.customers (loyalty_tier);"
    for case in required-column:adding-required-field \
        blocking-index:require-concurrent-index-creation \
        validating-foreign-key:adding-foreign-key-constraint \
        rewriting-type:changing-column-type \
        concurrently-in-transaction:ban-concurrent-index-creation-in-transaction; do
        name="${case%%:*}" rule="${case#*:}"
        if out="$(lint "$work/$name" 2>&1)"; then
            echo "self-check FAILED: $name was accepted (expected $rule)"
            failed=1
        elif ! grep -q "warning: $rule " <<<"$out"; then
            echo "self-check FAILED: $name was refused, but not for $rule:"
            echo "$out"
            failed=1
        else
            echo "refused as expected: $name ($rule)"
        fi
    done
    # Each must be accepted: a nullable VARCHAR column (the style rules are
    # off), and an index built CONCURRENTLY outside a transaction.
    fixture nullable-column "ALTER TABLE sales.customers ADD COLUMN loyalty_tier varchar(20);"
    fixture concurrent-index \
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_customers_loyalty ON sales.customers (loyalty_tier);" \
        "run_in_transaction = false"
    for name in nullable-column concurrent-index; do
        if out="$(lint "$work/$name" 2>&1)"; then
            echo "accepted as expected: $name"
        else
            echo "self-check FAILED: $name was refused:"
            echo "$out"
            failed=1
        fi
    done
    return "$failed"
}

case "${1:-}" in
--self-check)
    self_check
    ;;
--all)
    mapfile -t dirs < <(migrations all)
    lint "${dirs[@]}"
    ;;
"")
    mapfile -t dirs < <(migrations)
    echo "linting ${#dirs[@]} migration(s) newer than $baseline"
    lint "${dirs[@]}"
    ;;
*)
    lint "$@"
    ;;
esac
