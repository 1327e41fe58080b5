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

# The shells whose completion scripts the tests load (bash is there already).
if ! command -v zsh >/dev/null 2>&1 || ! command -v fish >/dev/null 2>&1; then
  echo "== installing zsh and fish (the completion tests load their scripts)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q zsh fish >/dev/null
fi

mariadb_start
galera_start
export FURROW_TEST_REQUIRE_MYSQL=1 FURROW_TEST_REQUIRE_GALERA=1 FURROW_TEST_REQUIRE_SHELLS=1
cargo test --locked "$@"
