#!/usr/bin/env bash
# docker-engine.sh start|stop|status
#
# Gives CI and developers a Docker engine for the testcontainers-based integration
# tests on machines (Debian 12, root) where none runs and no image registry is
# reachable. See /work/shared/notes/postgres-for-tests.md.
#
#   start   If an engine already answers (`docker info`), do nothing. Otherwise install
#           Debian's docker.io (and debootstrap, used by scripts/build-pg-image.sh) when
#           missing, start dockerd in the background and wait until it answers.
#   stop    Stop the dockerd that `start` launched (and only that one).
#   status  Say whether an engine answers; exit 0 if it does, 1 if not.
#
# Only a daemon this script started is recorded (in $AEMS_DOCKERD_PIDFILE), so `stop`
# never touches an engine someone else runs. Quiet on success; errors go to stderr.
#
# Environment (all optional):
#   AEMS_DOCKERD_LOG       daemon log      (default /var/log/aems-dockerd.log)
#   AEMS_DOCKERD_PIDFILE   our pid record  (default /run/aems-dockerd.pid)
#   AEMS_DOCKERD_TIMEOUT   seconds to wait for the daemon to answer / exit (default 60)
set -euo pipefail

LOG=${AEMS_DOCKERD_LOG:-/var/log/aems-dockerd.log}
PIDFILE=${AEMS_DOCKERD_PIDFILE:-/run/aems-dockerd.pid}
TIMEOUT=${AEMS_DOCKERD_TIMEOUT:-60}
# The socket our dockerd listens on (dockerd's default, also testcontainers' default).
OUR_HOST=unix:///var/run/docker.sock

die() { echo "docker-engine.sh: $*" >&2; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }
our_engine_answers() { DOCKER_HOST=$OUR_HOST docker info >/dev/null 2>&1; }

# Prints the pid recorded by `start` if that process is still a running dockerd.
our_pid() {
    local pid
    [[ -r $PIDFILE ]] || return 1
    pid=$(<"$PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # Guard against pid reuse: the process must still be a dockerd.
    [[ -r /proc/$pid/comm && $(<"/proc/$pid/comm") == dockerd ]] || return 1
    echo "$pid"
}

install_missing() {
    local pkgs=()
    command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
    command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
    ((${#pkgs[@]})) || return 0
    [[ $(id -u) == 0 ]] || die "need root to install ${pkgs[*]}"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${pkgs[*]} by hand"
    # debian-archive-keyring lets debootstrap check the mirror's signatures.
    pkgs+=(debian-archive-keyring)
    local out
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
    if ! out=$(export DEBIAN_FRONTEND=noninteractive
               apt-get update -q 2>&1 &&
               apt-get install -y -q --no-install-recommends "${pkgs[@]}" 2>&1); then
        printf '%s\n' "$out" >&2
        die "installing ${pkgs[*]} failed"
    fi
}

start() {
    engine_answers && return 0

    local pid
    if ! pid=$(our_pid); then
        install_missing
        # A packaged service may have been started by the install (systemd machines).
        engine_answers && return 0
        [[ $(id -u) == 0 ]] || die "no engine answers and starting dockerd needs root"
        if [[ -S /var/run/docker.sock ]] && pgrep -x dockerd >/dev/null 2>&1; then
            die "a dockerd not started by this script is running but does not answer; see its log"
        fi
        mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
        # cgroupfs: there is no systemd to manage cgroups on these machines.
        # setsid + nohup: the daemon outlives this script and the caller's session.
        echo "=== $(date -Is) started by $0" >>"$LOG"
        rm -f "$PIDFILE"
        # The pid is written from inside, after setsid (which may fork), right before
        # the exec, so it is dockerd's own pid whatever the caller's job control does.
        # shellcheck disable=SC2016 # expanded by the inner bash
        setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
            dockerd --exec-opt native.cgroupdriver=cgroupfs </dev/null >>"$LOG" 2>&1 &
        pid=""
    fi

    local deadline=$((SECONDS + TIMEOUT))
    until our_engine_answers; do
        [[ -n $pid ]] || pid=$(cat "$PIDFILE" 2>/dev/null || true)
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            echo "--- last lines of $LOG:" >&2
            tail -n 20 "$LOG" >&2
            die "dockerd (pid $pid) exited before answering"
        fi
        ((SECONDS < deadline)) || die "dockerd (pid $pid) did not answer within ${TIMEOUT}s; see $LOG"
        sleep 0.2
    done
    if ! engine_answers; then
        echo "docker-engine.sh: started dockerd on $OUR_HOST, but DOCKER_HOST=${DOCKER_HOST:-} (or the docker context) points elsewhere" >&2
    fi
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        rm -f "$PIDFILE"
        return 0
    fi
    kill -TERM "$pid"
    # dockerd stops its containers first (up to its 15 s shutdown timeout each batch).
    local deadline=$((SECONDS + TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "docker-engine.sh: dockerd (pid $pid) still running after ${TIMEOUT}s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    rm -f "$PIDFILE"
}

status() {
    if engine_answers; then
        local v mine=""
        v=$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')
        our_pid >/dev/null && mine=", started by this script (pid $(our_pid))"
        echo "docker engine answers (server $v${mine})"
    else
        echo "no docker engine answers"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
