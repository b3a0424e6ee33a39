#!/usr/bin/env bash
# build-pg-image.sh [NAME:TAG]      (default aems-postgres:15)
#
# Builds, without any image registry, a local PostgreSQL 15 image that behaves like the
# official `postgres` image for the integration tests (testcontainers-modules'
# Postgres with `.with_name(NAME).with_tag(TAG)`, or AEMS_TEST_PG_IMAGE=NAME:TAG).
# See /work/shared/notes/postgres-for-tests.md.
#
# How: debootstrap a minimal Debian bookworm root file system with postgresql-15 from
# the Debian mirror this machine's apt already uses, add an entrypoint modelled on the
# official image's, and `docker import` it. Needs root, debootstrap and a running engine
# (scripts/docker-engine.sh start provides both). If the image already exists, nothing
# is done. Quiet on success apart from one line; errors and their logs go to stderr.
#
# The image: ENTRYPOINT /usr/local/bin/docker-entrypoint.sh, CMD ["postgres"], port
# 5432, PGDATA=/var/lib/postgresql/data, LANG=C.UTF-8 (en_US.UTF-8 also generated).
# The entrypoint honours POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
# POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD and /docker-entrypoint-initdb.d/, and
# passes arguments after `postgres` to the server (e.g. `postgres -c max_connections=200`).
# One deliberate difference: initdb runs with --no-sync (set AEMS_INITDB_SYNC=1 in the
# container's environment for the official behaviour).
#
# Environment (optional): AEMS_DEBIAN_MIRROR overrides the mirror read from apt sources;
# AEMS_BUILD_TIMINGS=1 prints each step's duration.
set -euo pipefail

IMAGE=${1:-aems-postgres:15}
SUITE=bookworm
PG_MAJOR=15

die() { echo "build-pg-image.sh: $*" >&2; exit 1; }

# The Debian mirror from this machine's apt sources: the URI of an enabled `deb` entry
# for $SUITE (deb822 *.sources first, then one-line *.list / sources.list); failing that
# the first `deb` URI whose suites are not all *-security / *-updates / *-backports.
apt_mirror() {
    local f
    shopt -s nullglob
    for f in /etc/apt/sources.list.d/*.sources; do
        awk -v suite="$SUITE" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && uri != "") {
                    n = split(suites, s, " ")
                    for (i = 1; i <= n; i++) {
                        if (s[i] == suite) { print "1 " uri; break }
                        if (s[i] !~ /-(security|updates|backports)$/) { print "2 " uri; break }
                    }
                }
                types = suites = uri = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "suites") suites = val
                else if (key == "enabled") enabled = tolower(val)
                else if (key == "uris") { split(val, u, " "); uri = u[1] }
            }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        awk -v suite="$SUITE" '
            $1 != "deb" { next }
            {
                i = 2
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                uri = $i; s = $(i + 1)
                if (s == suite) print "1 " uri
                else if (s !~ /-(security|updates|backports)$/) print "2 " uri
            }' "$f"
    done
}

find_mirror() {
    if [[ -n ${AEMS_DEBIAN_MIRROR:-} ]]; then
        echo "$AEMS_DEBIAN_MIRROR"
        return
    fi
    local m
    m=$(apt_mirror | grep -E '^[12] (https?|file)://' | sort -s -k1,1n | head -n1 | cut -d' ' -f2-)
    [[ -n $m ]] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set AEMS_DEBIAN_MIRROR)"
    echo "$m"
}

# ---------------------------------------------------------------------------------------
command -v docker >/dev/null 2>&1 || die "no docker client; run scripts/docker-engine.sh start"
docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/docker-engine.sh start"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "image $IMAGE already exists"
    exit 0
fi

[[ $(id -u) == 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap missing; run scripts/docker-engine.sh start (installs it) or apt-get install debootstrap"
MIRROR=$(find_mirror)

WORK=$(mktemp -d /var/tmp/aems-pg-image.XXXXXX)
cleanup() {
    # debootstrap unmounts what it mounted on success; be safe after a failure.
    local m
    for m in proc sys dev/pts dev; do
        if mountpoint -q "$WORK/rootfs/$m" 2>/dev/null; then umount -l "$WORK/rootfs/$m" || true; fi
    done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
ROOTFS=$WORK/rootfs

# Runs a step with its output in a log; shows the log's tail only when it fails.
# With AEMS_BUILD_TIMINGS=1 it prints how long the step took (to stderr).
step() {
    local name=$1 t0=$SECONDS; shift
    if ! "$@" >"$WORK/$name.log" 2>&1; then
        echo "--- last lines of the $name log:" >&2
        tail -n 30 "$WORK/$name.log" >&2
        die "$name failed: $*"
    fi
    [[ -z ${AEMS_BUILD_TIMINGS:-} ]] || echo "build-pg-image.sh: $name took $((SECONDS - t0))s" >&2
}

step debootstrap debootstrap --variant=minbase --include=postgresql-$PG_MAJOR,locales \
    "$SUITE" "$ROOTFS" "$MIRROR"

# --- shape the root file system like the official image ---------------------------------
# Debian's postinst created a "15/main" cluster; the image makes its own in PGDATA.
rm -rf "$ROOTFS/etc/postgresql/$PG_MAJOR" "$ROOTFS/var/lib/postgresql/$PG_MAJOR"
sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
    "$ROOTFS/etc/postgresql-common/createcluster.conf"
# initdb copies this sample into PGDATA: listen on all addresses, as the official image.
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" \
    "$ROOTFS/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
grep -q "^listen_addresses = '\*'" "$ROOTFS/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample" ||
    die "could not set listen_addresses in postgresql.conf.sample"
# en_US.UTF-8 for POSTGRES_INITDB_ARGS such as --locale=en_US.UTF-8 (C.UTF-8 is built in).
step localedef chroot "$ROOTFS" localedef -i en_US -c -f UTF-8 -A /usr/share/locale/locale.alias en_US.UTF-8
# Socket directory owned by postgres, and the data directory's parent. Careful: the
# rootfs's /var/run is an absolute symlink to /run, so "$ROOTFS/var/run/..." would be
# the HOST's /run; only paths without symlinks (or chroot) may be used from outside.
install -d -m 3777 "$ROOTFS/run/postgresql"
chroot "$ROOTFS" chown postgres:postgres /run/postgresql /var/lib/postgresql
mkdir -p "$ROOTFS/docker-entrypoint-initdb.d"
# Nothing the image needs at run time.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/debootstrap

install -m 0755 /dev/stdin "$ROOTFS/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/bash
# Entrypoint of the locally built aems-postgres image, modelled on the official postgres
# image's docker-entrypoint.sh. On the first start it creates the cluster in $PGDATA,
# runs a temporary server (pg_ctl -w start, log on stdout) for the setup SQL, stops it,
# then execs the real server (log on stderr): "database system is ready to accept
# connections" thus appears on stdout AND stderr, which testcontainers-modules waits for.
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# `docker run IMAGE -c x=y` means `postgres -c x=y`.
if [[ $# -eq 0 || ${1:0:1} == - ]]; then
    set -- postgres "$@"
fi
if [[ $1 != postgres ]]; then
    exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /var/run/postgresql
    # Drop to postgres without a parent process: the server becomes PID 1's exec.
    export HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_PASSWORD:=}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_INITDB_ARGS:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

if [[ ! -s $PGDATA/PG_VERSION ]]; then
    if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
        cat >&2 <<'EOM'
Error: the database is uninitialised and no superuser password is set.
       Pass -e POSTGRES_PASSWORD=... (or -e POSTGRES_HOST_AUTH_METHOD=trust to allow
       every connection without a password; not for anything but throwaway tests).
EOM
        exit 1
    fi

    # --pwfile refuses an empty file, hence the newline. POSTGRES_INITDB_ARGS is split
    # like a shell would split it (as the official image does). Unlike the official
    # image, initdb skips its final fsync (a throwaway test cluster; it makes the first
    # start about 3 s faster here) unless AEMS_INITDB_SYNC=1.
    nosync=--no-sync
    [[ ${AEMS_INITDB_SYNC:-} != 1 ]] || nosync=
    eval 'initdb '"$nosync"' --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"

    # initdb's own lines let local (socket/loopback) connections in; any other address
    # must authenticate (or not, with trust).
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

    # Temporary server: socket only, same server options as the real one; no -l, so
    # pg_ctl sends its log to stdout.
    shift_args=("${@:2}")
    PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" \
        -o "$(printf '%q ' -c listen_addresses='' -p "${PGPORT:-5432}" "${shift_args[@]}")" \
        -w start

    export PGPASSWORD=$POSTGRES_PASSWORD
    psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER"
          -p "${PGPORT:-5432}")
    if [[ $POSTGRES_DB != postgres ]]; then
        "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<'EOSQL'
SELECT format('CREATE DATABASE %I', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
EOSQL
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        [[ -e $f ]] || continue
        # shellcheck disable=SC1090 # sourcing the user's own scripts
        case $f in
            *.sh) echo "$0: running $f"; if [[ -x $f ]]; then "$f"; else . "$f"; fi ;;
            *.sql) echo "$0: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
            *) echo "$0: ignoring $f" ;;
        esac
    done
    unset PGPASSWORD

    pg_ctl -D "$PGDATA" -m fast -w stop
    echo
    echo 'PostgreSQL init process complete; ready for start up.'
    echo
fi

exec "$@"
ENTRYPOINT

# Fail now, not at the first container start, if the entrypoint's tools are missing.
for tool in bash setpriv initdb pg_ctl psql postgres; do
    chroot "$ROOTFS" env PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        sh -c "command -v $tool" >/dev/null || die "$tool missing from the root file system"
done

# --- import -----------------------------------------------------------------------------
# No STOPSIGNAL: Debian's engine (20.10) refuses it in `docker import --change`. So a
# plain `docker stop` sends SIGTERM (PostgreSQL's "smart" shutdown, which waits for
# clients); use `docker run --stop-signal SIGINT` for a fast shutdown. testcontainers
# removes its containers by force, so the tests are not affected.
import() {
    tar --numeric-owner -C "$ROOTFS" -c . | docker import \
        --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
        --change 'CMD ["postgres"]' \
        --change 'EXPOSE 5432' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PGDATA=/var/lib/postgresql/data' \
        --change "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        - "$IMAGE"
}
step import import
echo "image $IMAGE built"
