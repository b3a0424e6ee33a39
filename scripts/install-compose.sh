#!/usr/bin/env bash
# Installs docker-compose (Debian's package, 1.29) for the development stack
# (docker-compose.yml, scripts/dev-stack.sh), unless it is already there. The engine
# itself comes from scripts/docker-engine.sh start.
set -euo pipefail
exec "$(dirname "$0")/install-debian-packages.sh" docker-compose:docker-compose
