#!/usr/bin/env bash
# Runs every test: unit tests, and the black-box suite on SQLite, on a throwaway MariaDB
# and on a throwaway 3-node Galera cluster, which this script installs (if missing),
# starts, and stops again, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/mariadb.sh
. scripts/galera.sh

stop_all() {
  galera_stop
  mariadb_stop
}
trap stop_all EXIT INT TERM
mariadb_start
galera_start
export FURROW_TEST_REQUIRE_MYSQL=1 FURROW_TEST_REQUIRE_GALERA=1
cargo test --locked "$@"
