#!/bin/bash
# Entrypoint of the development stack's PgBouncer: writes pgbouncer.ini and the auth
# file from the environment, then runs PgBouncer in the foreground as postgres (it
# refuses to run as root), logging to stderr.
#
# The settings are the spec's (pool_mode transaction, server_reset_query DISCARD ALL,
# max_client_conn 100, default_pool_size 20, server_lifetime 3600,
# server_idle_timeout 600) plus server_reset_query_always = 1, as the project's bouncer
# tests run it (aems-diesel/src/testing/bouncer.rs): in transaction mode PgBouncer
# otherwise never sends the reset query, so whatever a client left on a server
# connection (a session SET, a prepared statement, a temporary table) would reach the
# next client. docs/deployment.md explains each setting.
#
# Databases: $AEMS_DB_NAME on the primary, and ${AEMS_DB_NAME}_replica on the
# streaming replica (read-only work). One login role, aems_app, whose password is
# AEMS_APP_PASSWORD (the same as on the server: PgBouncer logs in to PostgreSQL with
# it, by SCRAM).
set -Eeuo pipefail

: "${AEMS_APP_PASSWORD:?is not set}"
db=${AEMS_DB_NAME:-aems_db}
primary=${AEMS_PRIMARY_HOST:-postgres}
replica=${AEMS_REPLICA_HOST:-postgres-replica}
conf=/etc/pgbouncer

# The auth file quotes with "..." and doubles a " inside.
quote() { local s=${1//\"/\"\"}; printf '"%s"' "$s"; }

umask 077
cat >"$conf/pgbouncer.ini" <<EOC
[databases]
$db = host=$primary port=5432 dbname=$db
${db}_replica = host=$replica port=5432 dbname=$db

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $conf/userlist.txt
pool_mode = transaction
server_reset_query = DISCARD ALL
server_reset_query_always = 1
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-100}
default_pool_size = ${PGBOUNCER_DEFAULT_POOL_SIZE:-20}
min_pool_size = 0
reserve_pool_size = 0
server_lifetime = 3600
server_idle_timeout = 600
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
EOC
printf '%s %s\n' "$(quote aems_app)" "$(quote "$AEMS_APP_PASSWORD")" >"$conf/userlist.txt"

if [[ $(id -u) == 0 ]]; then
    chown -R postgres:postgres "$conf"
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$conf/pgbouncer.ini"
fi
exec pgbouncer "$conf/pgbouncer.ini"
