#!/bin/bash
# Entrypoint of the development stack's streaming replica (same image as the primary).
# On the first start (empty $PGDATA) it clones the primary with
#   pg_basebackup -R -X stream -S $AEMS_REPLICA_SLOT
# as aems_replicator: -R writes standby.signal and primary_conninfo, so the server
# starts as a hot standby that streams from the primary through the slot the
# primary's first start created (docker/postgres/initdb/10-aems-roles.sh). Later starts
# find the data directory and simply resume streaming.
#
# Arguments are the server's, as for the primary (`postgres -c ...`): a hot standby
# needs max_connections (and a few other limits) at least as high as the primary's.
#
# Environment: AEMS_PRIMARY_HOST (postgres), AEMS_PRIMARY_PORT (5432),
# AEMS_REPLICATION_PASSWORD (required), AEMS_REPLICA_SLOT (aems_replica_1),
# AEMS_PRIMARY_WAIT_SECONDS (120).
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
[[ ${1:-} == postgres ]] && shift

if [[ $(id -u) == 0 ]]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /var/run/postgresql
    export HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
    host=${AEMS_PRIMARY_HOST:-postgres} port=${AEMS_PRIMARY_PORT:-5432}
    : "${AEMS_REPLICATION_PASSWORD:?is not set}"
    # Compose starts this container once the primary is healthy; after a restart of
    # both it may still be starting, so wait for it, bounded.
    deadline=$((SECONDS + ${AEMS_PRIMARY_WAIT_SECONDS:-120}))
    until pg_isready -q -h "$host" -p "$port"; do
        if ((SECONDS >= deadline)); then
            echo "replica: the primary $host:$port did not accept connections in time" >&2
            exit 1
        fi
        sleep 1
    done
    echo "replica: cloning $host:$port (pg_basebackup -R, slot ${AEMS_REPLICA_SLOT:-aems_replica_1})"
    # A partial clone must not look like a data directory on the next start.
    if ! PGPASSWORD=$AEMS_REPLICATION_PASSWORD pg_basebackup --no-password \
            -h "$host" -p "$port" -U aems_replicator -D "$PGDATA" \
            -R -X stream -S "${AEMS_REPLICA_SLOT:-aems_replica_1}" --checkpoint=fast; then
        find "$PGDATA" -mindepth 1 -delete
        exit 1
    fi
    echo "replica: cloned; starting as a hot standby"
fi

exec postgres "$@"
