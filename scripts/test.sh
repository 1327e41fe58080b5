#!/usr/bin/env bash
# Runs every test: unit tests, and the black-box suite on SQLite and on a throwaway MariaDB
# that this script installs (if missing), starts, and stops again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/mariadb.sh

trap mariadb_stop EXIT INT TERM
mariadb_start
export FURROW_TEST_REQUIRE_MYSQL=1
cargo test --locked "$@"
