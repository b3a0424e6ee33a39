#!/bin/bash
# What the tenant context costs the server, per one-shot read: the server's CPU time
# (all of the cluster's processes, from /proc, so a busy machine changes it little)
# per transaction of each script in benches/context_cost, one client, prepared.
#
#   scripts/context-cost-bench.sh [TRANSACTIONS] [ROUNDS]      (defaults 30000 and 2)
#
# raw                a literal tenant filter on a copy of sales.customers without RLS
# empty_pipeline_raw the same after a `SELECT 1` in one pipeline (one Sync): what a
#                    second statement costs by itself
# policy_only        the RLS read with the context set once for the session (the floor
#                    of any per-transaction scheme)
# context7           the library's one-shot: role + six settings, then the read, one Sync
# context3           role, tenant and actor only
# context6_no_role   the six settings without the role switch (role set for the session)
# context2_no_role   tenant and actor only, no role switch
# Prints "round script server_us_per_tx client_latency_ms".
set -euo pipefail
n=${1:-30000}; rounds=${2:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench-cluster.sh
. "$here/scripts/lib/bench-cluster.sh"
psql_ bench -c "CREATE SCHEMA bench_raw; CREATE TABLE bench_raw.customers AS SELECT * FROM sales.customers;
    ALTER TABLE bench_raw.customers ADD PRIMARY KEY (id); CREATE INDEX ON bench_raw.customers (tenant_id, id);
    GRANT USAGE ON SCHEMA bench_raw TO aems_app; GRANT SELECT ON bench_raw.customers TO aems_app; ANALYZE bench_raw.customers;"
pid=$(head -1 "$work/data/postmaster.pid")
# CPU time in clock ticks: the postmaster's own and that of its exited children
# (cutime + cstime: a backend's time is added there when it is reaped), plus the
# live children's utime + stime
ticks() { local t p
    t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")
    for p in $(pgrep -P "$pid"); do
        [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done; echo "$t"; }
hz=$(getconf CLK_TCK)
session="-c app.current_tenant_id=00000000-0000-0000-0000-00000000000a -c app.current_user_id=00000000-0000-0000-0000-0000000000a1"
for r in $(seq 1 "$rounds"); do
    for s in ${AEMS_CONTEXT_BENCH_SCRIPTS:-raw empty_pipeline_raw policy_only context7 context3 context6_no_role context2_no_role}; do
        # The session's role is application_user for every script but raw: pgbench
        # prepares all of a script's statements before running the first, so the
        # read must be preparable before the context statement runs (the library
        # sends Parse after the context, in the same pipeline). context7 and
        # context3 therefore switch to the role the session already has: the
        # switch's catalog lookup and assign hook, as in the library.
        opts="-c role=application_user ${AEMS_CONTEXT_BENCH_OPTS:-}"
        case $s in
            raw|empty_pipeline_raw) opts="${AEMS_CONTEXT_BENCH_OPTS:-}" ;;
            policy_only) opts="$opts $session" ;;
        esac
        children=$(pgrep -P "$pid" | wc -l)
        before=$(ticks)
        # one connection for the run, as a pool keeps it
        lat=$(PGOPTIONS="$opts" pgbench -h "$work" -p "$port" -U aems_app -n -M prepared -t "$n" \
            -f "$here/benches/context_cost/$s.sql" bench 2>"$work/err" | awk '/latency average/ {print $4}') \
            || { cat "$work/err" >&2; exit 1; }
        # the backend's time reaches the postmaster when it has been reaped:
        # wait until the children are back to what they were before the run
        for _ in $(seq 1 500); do
            [ "$(pgrep -P "$pid" | wc -l)" -le "$children" ] && break
            sleep 0.01
        done
        after=$(ticks)
        echo "$r $s $(awk -v a="$after" -v b="$before" -v n="$n" -v hz="$hz" 'BEGIN {printf "%.1f", (a - b) * 1e6 / hz / n}') $lat"
    done
done
