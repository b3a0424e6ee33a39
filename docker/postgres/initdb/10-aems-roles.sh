#!/usr/bin/env bash
# First start of the development stack's primary (run by the image's entrypoint from
# /docker-entrypoint-initdb.d/, as the superuser, on the temporary server): the login
# roles the library and the stack use, the replica's slot and its pg_hba line. The
# schema itself comes from the library's migrations, run by the first program that
# starts (the examples, or your application) as the superuser $POSTGRES_USER
# (aems_user, as in the spec; AEMS_MIGRATION_DATABASE_URL) -- see docs/deployment.md
# for why the migrations run as a superuser here.
#
#   aems_app         LOGIN NOINHERIT: the application's login role
#                    (AEMS_DATABASE_URL, through PgBouncer). The migrations make it a
#                    member of application_user and aems_platform; they accept it as
#                    created here because it is neither SUPERUSER nor BYPASSRLS.
#   aems_exporter    LOGIN, member of pg_monitor: the Prometheus exporter. The
#                    migrations (003950) give it the schema's metric functions.
#   aems_replicator  LOGIN REPLICATION: pg_basebackup and streaming for the replica.
#
# Passwords come from the container's environment (.env; see .env.example).
set -Eeuo pipefail

for v in AEMS_APP_PASSWORD AEMS_EXPORTER_PASSWORD AEMS_REPLICATION_PASSWORD; do
    [[ -n ${!v:-} ]] || { echo "10-aems-roles.sh: $v is not set" >&2; exit 1; }
done

psql -q -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "${POSTGRES_USER:-postgres}" \
    -p "${PGPORT:-5432}" --dbname postgres \
    --set db="${POSTGRES_DB:-postgres}" \
    --set app_password="$AEMS_APP_PASSWORD" \
    --set exporter_password="$AEMS_EXPORTER_PASSWORD" \
    --set replication_password="$AEMS_REPLICATION_PASSWORD" \
    --set slot="${AEMS_REPLICA_SLOT:-aems_replica_1}" <<'EOSQL'
CREATE ROLE aems_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    NOBYPASSRLS PASSWORD :'app_password';
CREATE ROLE aems_exporter LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    NOBYPASSRLS PASSWORD :'exporter_password' IN ROLE pg_monitor;
CREATE ROLE aems_replicator LOGIN REPLICATION NOSUPERUSER NOBYPASSRLS
    PASSWORD :'replication_password';
-- The replica streams from this slot, so the primary keeps the WAL it has not received
-- yet (a slot created now reserves nothing until the replica first connects).
SELECT FROM pg_create_physical_replication_slot(:'slot');
\connect :"db"
-- Only a superuser may create it; the migrations find it there (000100).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public;
EOSQL

# Streaming replication connects to the pseudo-database "replication", which the
# entrypoint's "host all all all" line does not cover.
printf 'host replication aems_replicator all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
