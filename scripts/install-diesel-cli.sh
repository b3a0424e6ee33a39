#!/usr/bin/env bash
# Installs the diesel CLI (PostgreSQL only) used to generate and check
# aems-diesel/src/schema/*.rs, unless the pinned version is already there.
set -euo pipefail

version="2.3.14"
if command -v diesel >/dev/null 2>&1 && diesel --version 2>/dev/null | grep -q "$version"; then
    exit 0
fi
# libpq's headers, which diesel_cli's postgres feature links against.
if ! dpkg -s libpq-dev >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends libpq-dev >/dev/null
fi
cargo install diesel_cli --version "=$version" --no-default-features --features postgres --locked --quiet
