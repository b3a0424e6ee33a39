#!/usr/bin/env bash
# Installs PgBouncer (Debian's package) for the bouncer tests and benchmarks,
# unless it is already there. The package's own service is not started: the
# tests start a bouncer of their own on loopback, and stop it.
set -euo pipefail

if command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the package's init script from starting a system-wide bouncer.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends pgbouncer >/dev/null
/usr/sbin/pgbouncer --version | head -1
