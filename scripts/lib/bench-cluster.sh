# Sourced by the server-side bench scripts (audit-trigger-bench.sh,
# context-cost-bench.sh): a throwaway cluster from the local PostgreSQL 15
# binaries with the test harness's settings (fsync, synchronous_commit and
# full_page_writes off), stopped and removed on exit, every migration applied
# with psql as the superuser to database `bench`, and the seed of
# benches/audit_trigger/seed.sql (one tenant, one user, 20,000 customers).
#
# Before sourcing: `here` (the repository root). Set AEMS_BENCH_SKIP_MIGRATION to
# a migration directory name to leave it out. Defines `work`, `port`, `as_pg`
# and `psql_`.
export PATH=/usr/lib/postgresql/15/bin:$PATH
work=$(mktemp -d); chmod 755 "$work"; port=$((50000 + RANDOM % 10000))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
cleanup() { as_pg pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
as_pg initdb -D "$work/data" -A trust -U postgres >/dev/null
as_pg pg_ctl -D "$work/data" -l "$work/log" -w -o "-p $port -k $work -c listen_addresses='' \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
psql_() { psql -h "$work" -p "$port" -U postgres -qX -v ON_ERROR_STOP=1 "$@"; }
psql_ -c "CREATE DATABASE bench" postgres
# diesel's own table, as `migrations::run` leaves it (003900 grants on it)
psql_ bench -c "CREATE TABLE public.__diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
for m in "$here"/migrations/*/; do
    [ -n "${AEMS_BENCH_SKIP_MIGRATION:-}" ] && [ "$(basename "$m")" = "$AEMS_BENCH_SKIP_MIGRATION" ] && continue
    if grep -qs "run_in_transaction = false" "$m/metadata.toml"; then
        psql_ -f "$m/up.sql" bench >/dev/null 2>&1
    else
        psql_ -1 -f "$m/up.sql" bench >/dev/null 2>&1
    fi
done
psql_ -f "$here/benches/audit_trigger/seed.sql" bench >/dev/null
