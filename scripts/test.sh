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

# What the tests run besides the servers: zsh and fish load the completion scripts (bash is
# there already); sqlite3 loads the schema dumps (mariadb comes with mariadb_install).
missing=""
for tool in zsh fish sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "== installing$missing (missing)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing >/dev/null
fi

mariadb_start
galera_start
export FURROW_TEST_REQUIRE_MYSQL=1 FURROW_TEST_REQUIRE_GALERA=1 FURROW_TEST_REQUIRE_SHELLS=1
cargo test --locked "$@"
# The library, as an application uses it: migrations and seeds compiled in, run at start-up.
cargo run --locked --quiet --example embedded
