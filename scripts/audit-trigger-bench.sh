#!/bin/bash
# The audit trigger's server time per changed row, measured with pgbench: the same
# statements with the audit triggers of sales.customers enabled and disabled.
#
#   scripts/audit-trigger-bench.sh [SECONDS] [ROUNDS]      (defaults 5 and 2)
#
# Starts a throwaway cluster from the local PostgreSQL binaries (the test harness's
# settings: fsync, synchronous_commit and full_page_writes off), applies every
# migration with psql as the superuser, seeds one tenant, one user and 20,000
# customers (benches/audit_trigger/seed.sql) and runs each script of
# benches/audit_trigger as the application's login role, prepared, one client:
# update1 / insert1 (one row per statement), update1000 / insert1000 (1,000 rows per
# statement), each a transaction of BEGIN, the context, the statement and COMMIT.
# Prints "round script ENABLE|DISABLE latency_ms"; the trigger's time per row is
# (ENABLE - DISABLE) / rows per statement. Then the same four shapes looped inside the
# server (server_loop.sql), "round loop:shape ENABLE|DISABLE µs_per_statement". Set AEMS_AUDIT_BENCH_SKIP to a migration
# directory name to leave it out (to measure the schema before it).
set -euo pipefail
secs=${1:-5}; rounds=${2:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
# the historical name of the skip variable
AEMS_BENCH_SKIP_MIGRATION=${AEMS_AUDIT_BENCH_SKIP:-}
# shellcheck source=lib/bench-cluster.sh
. "$here/scripts/lib/bench-cluster.sh"
toggle() {
    psql_ bench -c "DO \$\$ DECLARE t record; BEGIN FOR t IN SELECT tgname FROM pg_trigger
        WHERE tgrelid = 'sales.customers'::regclass AND tgname LIKE '%audit%' LOOP
        EXECUTE format('ALTER TABLE sales.customers %s TRIGGER %I', '$1', t.tgname); END LOOP; END \$\$"
}
for r in $(seq 1 "$rounds"); do
    for s in update1 update1000 insert1 insert1000; do
        for state in ENABLE DISABLE; do
            toggle $state
            lat=$(pgbench -h "$work" -p "$port" -U aems_app -n -M prepared -T "$secs" \
                -f "$here/benches/audit_trigger/$s.sql" bench 2>&1 | awk '/latency average/ {print $4}')
            echo "$r $s $state $lat"
        done
    done
    # The same shapes looped inside the server (benches/audit_trigger/server_loop.sql):
    # the server's µs per statement, trigger on and off, without the client's noise.
    for state in ENABLE DISABLE; do
        toggle $state
        psql_ -f "$here/benches/audit_trigger/server_loop.sql" bench 2>&1 \
            | sed -n "s/.*NOTICE:  \([a-z0-9]*\) \(.*\) us/$r loop:\1 $state \2/p"
    done
done
toggle ENABLE
