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
# The schema-file tests load dumps with the engines' own clients: sqlite3 (and mariadb, which
# mariadb_install brings).
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "== installing sqlite3 (missing)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q sqlite3 >/dev/null
fi
mariadb_start
galera_start
export FURROW_TEST_REQUIRE_MYSQL=1 FURROW_TEST_REQUIRE_GALERA=1
cargo test --locked "$@"
