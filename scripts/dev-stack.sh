#!/usr/bin/env bash
# dev-stack.sh build|up|env|check|smoke|status|logs|down [--volumes]
#
# The development stack of docker-compose.yml: PostgreSQL 15 primary, a streaming
# replica, PgBouncer (transaction pooling) and the Prometheus PostgreSQL exporter, from
# images built here out of Debian packages (no image registry needed).
#
#   build   Builds the images that are missing or whose inputs changed: aems-postgres:15
#           (scripts/build-pg-image.sh), then docker/postgres, docker/pgbouncer and
#           docker/postgres-exporter on top of it. Each image carries a label with the
#           hash of its inputs (its directory's files and its base image's id); an
#           image whose label matches is not rebuilt.
#   up      build, then `docker-compose up -d`, waits until every service is healthy
#           (bounded), and prints what `env` prints.
#   env     Prints the environment the examples and your application need, as shell
#           `export` lines: eval "$(scripts/dev-stack.sh env)".
#   check   Checks the running stack: the replica streams (pg_stat_replication on the
#           primary, pg_is_in_recovery() on the replica, and it has replayed the
#           primary's latest WAL), PgBouncer answers as aems_app, and the exporter
#           serves pg_up 1 and the schema's series (aems_*; they appear once the
#           migrations ran, e.g. after the first example).
#   smoke   What CI runs: up, `cargo run --example quickstart` with the environment of
#           `env` (the application through PgBouncer), check, and down --volumes, the
#           last also when a step fails; prints how long each part took.
#   status  docker-compose ps.
#   logs    docker-compose logs (arguments passed on, e.g. `logs -f pgbouncer`).
#   down    Stops and removes the containers; --volumes also deletes the data.
#
# Needs a Docker engine (scripts/docker-engine.sh start) and docker-compose
# (scripts/install-compose.sh); both are installed by those scripts when missing.
#
# Environment (optional):
#   AEMS_STACK_ENV_FILE   the settings (default .env; created from .env.example with
#                         fresh passwords when missing)
#   AEMS_STACK_PROJECT    the compose project name (default aems)
#   AEMS_STACK_TIMEOUT    seconds `up` and `check` wait (default 180)
#   any setting of .env   (e.g. AEMS_PGBOUNCER_PORT) overrides the file's value, as it
#                         does for docker-compose
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_FILE=${AEMS_STACK_ENV_FILE:-.env}
PROJECT=${AEMS_STACK_PROJECT:-aems}
TIMEOUT=${AEMS_STACK_TIMEOUT:-180}
BASE_IMAGE=aems-postgres:15
# image directory, in build order
IMAGES=(
    "aems-stack-postgres:15 docker/postgres"
    "aems-stack-pgbouncer:1.18 docker/pgbouncer"
    "aems-stack-postgres-exporter:0.11 docker/postgres-exporter"
)
SERVICES=(postgres postgres-replica pgbouncer postgres-exporter)

die() { echo "dev-stack.sh: $*" >&2; exit 1; }
say() { echo "dev-stack.sh: $*" >&2; }

compose() { docker-compose --project-name "$PROJECT" --env-file "$ENV_FILE" "$@"; }

ensure_env_file() {
    [[ -e $ENV_FILE ]] && return 0
    [[ -r .env.example ]] || die ".env.example is missing"
    local line out=()
    while IFS= read -r line; do
        if [[ $line =~ ^([A-Z_]+)=change-me$ ]]; then
            line="${BASH_REMATCH[1]}=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
        fi
        out+=("$line")
    done <.env.example
    (umask 077; printf '%s\n' "${out[@]}" >"$ENV_FILE")
    say "created $ENV_FILE from .env.example with fresh passwords"
}

# The settings as variables of this shell (the env file is KEY=VALUE lines). As for
# docker-compose, a variable already set in the environment wins over the file (CI
# uses that for its ports).
load_env() {
    ensure_env_file
    local key value
    while IFS='=' read -r key value; do
        [[ $key =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
        [[ -n ${!key+set} ]] && continue
        printf -v "$key" '%s' "$value"
    done <"$ENV_FILE"
    : "${AEMS_DB_NAME:=aems_db}" "${AEMS_PRIMARY_PORT:=5432}" "${AEMS_REPLICA_PORT:=5433}"
    : "${AEMS_PGBOUNCER_PORT:=6432}" "${AEMS_EXPORTER_PORT:=9187}"
    local v
    for v in AEMS_DB_PASSWORD AEMS_APP_PASSWORD AEMS_EXPORTER_PASSWORD AEMS_REPLICATION_PASSWORD; do
        [[ -n ${!v:-} ]] || die "$v is not set in $ENV_FILE"
        [[ ${!v} =~ ^[A-Za-z0-9_-]+$ ]] || die "$v in $ENV_FILE: use letters, digits, - and _ only (it goes into URLs unescaped)"
    done
}

need_tools() {
    command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ||
        die "no Docker engine answers; run scripts/docker-engine.sh start"
    command -v docker-compose >/dev/null 2>&1 || die "docker-compose is missing; run scripts/install-compose.sh"
}

# The hash of an image's inputs: every file under its directory (names and contents)
# and the id of the base image it is built on.
inputs_hash() {
    local dir=$1
    {
        docker image inspect --format '{{.Id}}' "$BASE_IMAGE"
        (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -d' ' -f1
}

build() {
    need_tools
    scripts/build-pg-image.sh "$BASE_IMAGE" >/dev/null
    local entry image dir hash have
    for entry in "${IMAGES[@]}"; do
        read -r image dir <<<"$entry"
        hash=$(inputs_hash "$dir")
        have=$(docker image inspect --format '{{index .Config.Labels "aems.inputs"}}' "$image" 2>/dev/null || true)
        if [[ $have == "$hash" ]]; then
            say "$image is up to date"
            continue
        fi
        say "building $image from $dir"
        local t0=$SECONDS log
        log=$(mktemp)
        # The classic builder: it uses the local base image and never asks a registry.
        if ! DOCKER_BUILDKIT=0 docker build --label "aems.inputs=$hash" -t "$image" "$dir" >"$log" 2>&1; then
            tail -n 30 "$log" >&2
            rm -f "$log"
            die "building $image failed"
        fi
        rm -f "$log"
        say "built $image in $((SECONDS - t0))s"
    done
}

print_env() {
    load_env
    cat <<EOT
# The development stack ($PROJECT): the application through PgBouncer, migrations direct.
export AEMS_DATABASE_URL=postgres://aems_app:$AEMS_APP_PASSWORD@127.0.0.1:$AEMS_PGBOUNCER_PORT/$AEMS_DB_NAME
export AEMS_DB_POOLER=transaction
export AEMS_MIGRATION_DATABASE_URL=postgres://aems_user:$AEMS_DB_PASSWORD@127.0.0.1:$AEMS_PRIMARY_PORT/$AEMS_DB_NAME
# Read-only work on the streaming replica, through PgBouncer (for replica support):
export AEMS_DATABASE_REPLICA_URLS=postgres://aems_app:$AEMS_APP_PASSWORD@127.0.0.1:$AEMS_PGBOUNCER_PORT/${AEMS_DB_NAME}_replica
# The exporter's metrics: http://127.0.0.1:$AEMS_EXPORTER_PORT/metrics
EOT
}

health_of() {
    docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo missing
}

wait_healthy() {
    local deadline=$((SECONDS + TIMEOUT)) service id state pending
    while :; do
        pending=()
        for service in "${SERVICES[@]}"; do
            id=$(compose ps -q "$service" 2>/dev/null || true)
            state=$( [[ -n $id ]] && health_of "$id" || echo missing)
            [[ $state == healthy ]] || pending+=("$service:$state")
        done
        ((${#pending[@]})) || return 0
        if ((SECONDS >= deadline)); then
            compose ps >&2 || true
            compose logs --tail=30 >&2 || true
            die "not healthy after ${TIMEOUT}s: ${pending[*]}"
        fi
        sleep 1
    done
}

up() {
    load_env
    build
    local t0=$SECONDS
    compose up -d --no-build >/dev/null
    wait_healthy
    say "stack $PROJECT is up and healthy ($((SECONDS - t0))s after docker-compose up)"
    print_env
}

# psql with a URL, one value out, errors shown.
sql() { psql "$1" -X -q -At -v ON_ERROR_STOP=1 -c "$2"; }

check() {
    load_env
    need_tools
    command -v psql >/dev/null 2>&1 || die "psql is missing (Debian: postgresql-client)"
    local primary="postgres://aems_user:$AEMS_DB_PASSWORD@127.0.0.1:$AEMS_PRIMARY_PORT/$AEMS_DB_NAME"
    local replica="postgres://aems_user:$AEMS_DB_PASSWORD@127.0.0.1:$AEMS_REPLICA_PORT/$AEMS_DB_NAME"
    local bouncer="postgres://aems_app:$AEMS_APP_PASSWORD@127.0.0.1:$AEMS_PGBOUNCER_PORT/$AEMS_DB_NAME"
    local streaming recovery lsn deadline metrics

    streaming=$(sql "$primary" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    [[ $streaming -ge 1 ]] || die "the primary has no streaming replica (pg_stat_replication: $(sql "$primary" "SELECT coalesce(string_agg(application_name || '=' || state, ', '), 'none') FROM pg_stat_replication"))"
    recovery=$(sql "$replica" "SELECT pg_is_in_recovery()")
    [[ $recovery == t ]] || die "the replica is not in recovery (pg_is_in_recovery() = $recovery)"
    # The replica has replayed what the primary has written by now (bounded wait).
    lsn=$(sql "$primary" "SELECT pg_current_wal_lsn()")
    deadline=$((SECONDS + TIMEOUT))
    until [[ $(sql "$replica" "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn") == t ]]; do
        ((SECONDS < deadline)) || die "the replica did not replay $lsn within ${TIMEOUT}s"
        sleep 0.2
    done
    local tenants_primary=-1 tenants_replica=-1
    if [[ $(sql "$primary" "SELECT to_regclass('auth.tenants') IS NOT NULL") == t ]]; then
        tenants_primary=$(sql "$primary" "SELECT count(*) FROM auth.tenants")
        tenants_replica=$(sql "$replica" "SELECT count(*) FROM auth.tenants")
    fi
    [[ $tenants_primary == "$tenants_replica" ]] ||
        die "replayed, but auth.tenants differs: $tenants_primary on the primary, $tenants_replica on the replica"
    say "replica: streaming, in recovery, replayed $lsn (auth.tenants: $tenants_replica rows on both; -1 = not migrated yet)"

    [[ $(sql "$bouncer" "SELECT current_user") == aems_app ]] || die "PgBouncer did not log in as aems_app"
    say "pgbouncer: answers as aems_app ($(sql "postgres://aems_app:$AEMS_APP_PASSWORD@127.0.0.1:$AEMS_PGBOUNCER_PORT/${AEMS_DB_NAME}_replica" "SELECT CASE WHEN pg_is_in_recovery() THEN 'and ${AEMS_DB_NAME}_replica reaches the replica' ELSE 'but ${AEMS_DB_NAME}_replica is not the replica' END"))"

    metrics=$(curl -fsS "http://127.0.0.1:$AEMS_EXPORTER_PORT/metrics") || die "the exporter does not answer"
    grep -qx 'pg_up 1' <<<"$metrics" || grep -q '^pg_up{[^}]*} 1$' <<<"$metrics" || die "the exporter says pg_up is not 1"
    local series missing=()
    for series in aems_audit_default_partition_rows aems_audit_partitions aems_audit_current_month_partitioned \
                  aems_audit_partition_months_ahead aems_tenant_rows; do
        grep -q "^$series[{ ]" <<<"$metrics" || missing+=("$series")
    done
    ((${#missing[@]} == 0)) || die "the exporter serves no ${missing[*]} (have the migrations run? 'pg_exporter_user_queries_load_error' and its log say more)"
    say "exporter: pg_up 1 and the schema's series:"
    grep -E '^aems_(audit|tenant)_' <<<"$metrics" | head -n 12 >&2
}

# What CI runs: a stack of its own from nothing, the quickstart through PgBouncer, the
# checks, and the stack removed with its volumes, also when a step fails.
smoke() {
    load_env
    need_tools
    local t0=$SECONDS t_up t_run t_check
    trap 'say "taking the stack down"; compose down --volumes --remove-orphans >/dev/null 2>&1 || true' EXIT
    up >/dev/null
    t_up=$((SECONDS - t0))
    say "running the quickstart through PgBouncer"
    (
        eval "$(print_env)"
        cargo run --quiet --example quickstart >/dev/null
    )
    t_run=$((SECONDS - t0 - t_up))
    check
    t_check=$((SECONDS - t0 - t_up - t_run))
    compose down --volumes --remove-orphans >/dev/null 2>&1
    trap - EXIT
    say "smoke test passed: up ${t_up}s (images built when missing), quickstart ${t_run}s, check ${t_check}s, down $((SECONDS - t0 - t_up - t_run - t_check))s"
}

case "${1:-}" in
    build) build ;;
    up) up ;;
    env) print_env ;;
    check) check ;;
    smoke) smoke ;;
    status) load_env; compose ps ;;
    logs) shift; load_env; compose logs "$@" ;;
    down)
        load_env
        if [[ ${2:-} == --volumes ]]; then compose down --volumes --remove-orphans; else compose down --remove-orphans; fi
        ;;
    *) echo "usage: $0 build|up|env|check|smoke|status|logs|down [--volumes]" >&2; exit 2 ;;
esac
