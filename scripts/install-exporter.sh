#!/usr/bin/env bash
# Installs the Prometheus PostgreSQL exporter (Debian's prometheus-postgres-exporter,
# 0.11) and promtool (from Debian's prometheus package) for the exporter test
# (tests/integration/exporter.rs) and the development stack, unless they are already
# there. Neither package's service is started.
set -euo pipefail
exec "$(dirname "$0")/install-debian-packages.sh" \
    prometheus-postgres-exporter:prometheus-postgres-exporter \
    prometheus:promtool
