#!/usr/bin/env bash
# The benchmark (issue 6, SPEC §6): furrow against the raw engine, SQLite and MariaDB, in
# one run. Builds the release binary, starts a throwaway MariaDB the way the tests do,
# lets it accept LOAD DATA LOCAL, runs `cargo bench --bench furrow`, stops the server.
#   scripts/bench.sh                       # everything (~10 min on 2 cores, build included)
#   FURROW_BENCH_RUNS=3 scripts/bench.sh   # fewer runs per measurement (see benches/furrow.rs)
# `cargo bench` alone runs the SQLite part only.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/mariadb.sh

started=$SECONDS

# The engine CLIs are the baselines of the 300-migration measurement.
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "== installing sqlite3 (the CLI baseline)"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q sqlite3 >/dev/null
fi

# One build: `cargo bench` builds the release binary (target/release/furrow, the bench
# profile is the release one) together with the benchmark that runs it.
echo "== building the release binary and the benchmark"
cargo bench --locked --bench furrow --no-run

# dbmate, the peer the no-op target is set against, from the npm registry (optional).
if [ -z "${FURROW_BENCH_DBMATE:-}" ] && command -v npm >/dev/null 2>&1; then
  tools="target/bench-tools"
  mkdir -p "$tools"
  if npm install --silent --no-audit --no-fund --prefix "$tools" @dbmate/linux-x64@2 >/dev/null 2>&1 \
     && [ -x "$tools/node_modules/@dbmate/linux-x64/bin/dbmate" ]; then
    export FURROW_BENCH_DBMATE="$PWD/$tools/node_modules/@dbmate/linux-x64/bin/dbmate"
  else
    echo "== dbmate could not be installed from npm: the no-op runs are measured without it"
  fi
fi

trap mariadb_stop EXIT INT TERM
mariadb_start

client=$(command -v mariadb || command -v mysql)
if [ "$("$client" --no-defaults -uroot -S "$MARIADB_DIR/mysql.sock" -N -e 'SELECT @@GLOBAL.local_infile')" != 1 ]; then
  "$client" --no-defaults -uroot -S "$MARIADB_DIR/mysql.sock" -e 'SET GLOBAL local_infile = 1'
fi

cargo bench --locked --bench furrow "$@"
echo "== bench.sh done in $((SECONDS - started)) s"
