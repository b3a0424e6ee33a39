#!/usr/bin/env bash
# install-debian-packages.sh PACKAGE:COMMAND...
#
# Installs Debian packages (from the machine's own apt sources) for the commands the
# project's scripts and tests need, unless each command is already there. Each argument
# is PACKAGE:COMMAND, e.g. `docker-compose:docker-compose`; the command is looked up on
# PATH and in /usr/sbin and /usr/bin. Packages' own services are not started (a
# policy-rc.d refuses them during the install): the tests and the dev stack start what
# they need themselves, and stop it. Prints one line per installed command; errors and
# apt's output (on failure only) go to stderr.
#
# Used by scripts/install-compose.sh and scripts/install-exporter.sh.
set -euo pipefail

die() { echo "install-debian-packages.sh: $*" >&2; exit 1; }
(($#)) || die "usage: $0 PACKAGE:COMMAND..."

have() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /usr/bin/$1 ]]; }

missing=()
for pair in "$@"; do
    pkg=${pair%%:*} cmd=${pair#*:}
    [[ -n $pkg && -n $cmd && $pair == *:* ]] || die "not PACKAGE:COMMAND: $pair"
    have "$cmd" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0

[[ $(id -u) == 0 ]] || die "need root to install ${missing[*]}"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' init scripts from starting system-wide services.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if ! out=$(apt-get update -q 2>&1 &&
           apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1); then
    printf '%s\n' "$out" >&2
    die "installing ${missing[*]} failed"
fi
for pair in "$@"; do
    cmd=${pair#*:}
    have "$cmd" || die "${pair%%:*} is installed but $cmd is not on PATH"
    echo "installed $cmd ($(dpkg-query -W -f='${Version}' "${pair%%:*}"))"
done
