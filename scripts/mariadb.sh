# Throwaway MariaDB for tests and benchmarks. Source it, then:
#   mariadb_start   # installs the server if missing, starts it on a free loopback port with a
#                   # temporary data directory, a test user and TLS certificates; exports
#                   # FURROW_TEST_MYSQL_URL, FURROW_TEST_MYSQL_CA, MARIADB_PID, MARIADB_DIR
#   mariadb_stop    # stops the server it started (by pid) and removes its directory
# No systemd, no fixed port, nothing left behind.

mariadb_install() {
  if { command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } \
    && [ -f /usr/lib/galera/libgalera_smm.so ] && command -v rsync >/dev/null 2>&1; then
    return 0
  fi
  echo "== installing mariadb-server, galera-4 and rsync (missing)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  # galera-4 comes with mariadb-server; rsync moves a cluster node's state to a joiner.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q mariadb-server mariadb-client galera-4 rsync >/dev/null
}

mariadb_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return 0
  local p
  for p in $(seq 33061 33999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

mariadb_certs() {
  local d="$1"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=furrow-test-ca" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server-key.pem" -out "$d/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" >/dev/null 2>&1
}

mariadb_start() {
  mariadb_install
  local bin client installdb
  bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  client=$(command -v mariadb || command -v mysql)
  installdb=$(command -v mariadb-install-db || command -v mysql_install_db)
  MARIADB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/furrow-mariadb.XXXXXX")
  export MARIADB_DIR
  local started=$SECONDS
  "$installdb" --no-defaults --auth-root-authentication-method=normal \
    --datadir="$MARIADB_DIR/data" --user="$(id -un)" >"$MARIADB_DIR/install.log" 2>&1 || {
      echo "mariadb-install-db failed:"; cat "$MARIADB_DIR/install.log"; return 1; }
  mariadb_certs "$MARIADB_DIR/tls"
  local port
  port=$(mariadb_free_port)
  "$bin" --no-defaults --user="$(id -un)" --datadir="$MARIADB_DIR/data" \
    --bind-address=127.0.0.1 --port="$port" --socket="$MARIADB_DIR/mysql.sock" \
    --pid-file="$MARIADB_DIR/mariadbd.pid" --log-error="$MARIADB_DIR/error.log" \
    --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
    --ssl-ca="$MARIADB_DIR/tls/ca.pem" --ssl-cert="$MARIADB_DIR/tls/server.pem" \
    --ssl-key="$MARIADB_DIR/tls/server-key.pem" &
  MARIADB_PID=$!
  export MARIADB_PID
  local i
  for i in $(seq 1 300); do
    if "$client" --no-defaults -uroot -S "$MARIADB_DIR/mysql.sock" -e "SELECT 1" >/dev/null 2>&1; then
      break
    fi
    if ! kill -0 "$MARIADB_PID" 2>/dev/null; then
      echo "mariadbd exited:"; tail -20 "$MARIADB_DIR/error.log"; return 1
    fi
    sleep 0.1
  done
  "$client" --no-defaults -uroot -S "$MARIADB_DIR/mysql.sock" -e "
    CREATE USER 'furrow'@'%' IDENTIFIED BY 'furrow-test-pw';
    GRANT ALL PRIVILEGES ON *.* TO 'furrow'@'%' WITH GRANT OPTION;
    CREATE USER 'furrow_tls'@'%' IDENTIFIED BY 'furrow-tls-pw' REQUIRE SSL;
    GRANT ALL PRIVILEGES ON *.* TO 'furrow_tls'@'%';" || return 1
  export FURROW_TEST_MYSQL_URL="mysql://furrow:furrow-test-pw@127.0.0.1:$port/"
  export FURROW_TEST_MYSQL_TLS_URL="mysql://furrow_tls:furrow-tls-pw@127.0.0.1:$port/"
  export FURROW_TEST_MYSQL_CA="$MARIADB_DIR/tls/ca.pem"
  export FURROW_TEST_MYSQL_SOCKET="$MARIADB_DIR/mysql.sock"
  echo "== MariaDB $("$bin" --version | awk '{print $3}') on 127.0.0.1:$port (pid $MARIADB_PID), ready in $((SECONDS - started))s"
}

mariadb_stop() {
  if [ -n "${MARIADB_PID:-}" ] && kill -0 "$MARIADB_PID" 2>/dev/null; then
    kill "$MARIADB_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      kill -0 "$MARIADB_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$MARIADB_PID" 2>/dev/null || true
  fi
  [ -n "${MARIADB_DIR:-}" ] && rm -rf "$MARIADB_DIR"
  MARIADB_PID=""
}
