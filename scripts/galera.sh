# Throwaway 3-node MariaDB Galera cluster on loopback, for the cluster tests. Source it, then:
#   galera_start   # three nodes (the first bootstraps, two join by rsync state transfer),
#                  # each on its own SQL, group, IST and SST ports, run as the `mysql` user
#                  # (rsync's daemon drops root and cannot write a root-owned datadir);
#                  # exports FURROW_TEST_GALERA_URLS (three URLs, space-separated), GALERA_DIR
#   galera_stop    # stops every node it started (and any a test restarted), by pid, and
#                  # removes its directory
# Needs mariadb-server (which installs galera-4) and rsync; scripts/mariadb.sh installs them.

GALERA_PIDS=""

# N distinct free loopback ports, held open together while they are picked.
galera_ports() {
  python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

galera_start() {
  local bin client installdb provider
  bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  client=$(command -v mariadb || command -v mysql)
  installdb=$(command -v mariadb-install-db || command -v mysql_install_db)
  provider=/usr/lib/galera/libgalera_smm.so
  if [ ! -f "$provider" ] || ! command -v rsync >/dev/null 2>&1; then
    echo "galera: $provider or rsync is missing"; return 1
  fi
  local started=$SECONDS
  GALERA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/furrow-galera.XXXXXX")
  export GALERA_DIR
  chmod 755 "$GALERA_DIR"
  local user=mysql
  [ "$(id -u)" = 0 ] || user=$(id -un)
  local i sql grp ist sst addrs="" urls=""
  local -a P
  read -r -a P <<< "$(galera_ports 12)"
  local -a SQLP=("" "${P[0]}" "${P[1]}" "${P[2]}") GRPP=("" "${P[3]}" "${P[4]}" "${P[5]}")
  local -a ISTP=("" "${P[6]}" "${P[7]}" "${P[8]}") SSTP=("" "${P[9]}" "${P[10]}" "${P[11]}")
  for i in 1 2 3; do
    local d="$GALERA_DIR/node$i"
    mkdir -p "$d"
    "$installdb" --no-defaults --auth-root-authentication-method=normal \
      --datadir="$d/data" --user="$user" >"$d/install.log" 2>&1 || {
        echo "galera: mariadb-install-db failed for node $i:"; cat "$d/install.log"; return 1; }
    [ "$(id -u)" = 0 ] && chown -R "$user" "$d"
  done
  for i in 1 2 3; do
    local d="$GALERA_DIR/node$i" cluster
    ist=${ISTP[$i]}; sst=${SSTP[$i]}
    if [ "$i" = 1 ]; then cluster="gcomm://"; else cluster="gcomm://127.0.0.1:${GRPP[1]}"; fi
    local boot=""
    [ "$i" = 1 ] && boot="--wsrep-new-cluster"
    "$bin" --no-defaults --user="$user" --datadir="$d/data" \
      --bind-address=127.0.0.1 --port="${SQLP[$i]}" --socket="$d/mysql.sock" \
      --pid-file="$d/mariadbd.pid" --log-error="$d/error.log" --skip-name-resolve \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --innodb-flush-log-at-trx-commit=2 --max-connections=300 \
      --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
      --wsrep-on=ON --wsrep-provider="$provider" --wsrep-cluster-name=furrow-test \
      --wsrep-node-name="node$i" --wsrep-node-address="127.0.0.1:${GRPP[$i]}" \
      --wsrep-cluster-address="$cluster" $boot \
      --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:${GRPP[$i]};ist.recv_addr=127.0.0.1:$ist;pc.wait_prim_timeout=PT30S" \
      --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$sst" \
      >"$d/stdout.log" 2>&1 &
    local pid=$!
    GALERA_PIDS="$GALERA_PIDS $pid"
    # Wait until this node is synced before the next one joins (one state transfer at a time).
    local n
    for n in $(seq 1 600); do
      if "$client" --no-defaults -uroot -S "$d/mysql.sock" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | grep -q Synced; then
        break
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "galera: node $i exited:"; tail -30 "$d/error.log"; return 1
      fi
      sleep 0.1
    done
    if ! "$client" --no-defaults -uroot -S "$d/mysql.sock" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | grep -q Synced; then
      echo "galera: node $i did not sync:"; tail -30 "$d/error.log"; return 1
    fi
  done
  # Users replicate from node 1 (DDL is TOI); anonymous users would shadow user@localhost.
  "$client" --no-defaults -uroot -S "$GALERA_DIR/node1/mysql.sock" -e "
    DELETE FROM mysql.global_priv WHERE User = '';
    CREATE USER 'furrow'@'%' IDENTIFIED BY 'furrow-test-pw';
    GRANT ALL PRIVILEGES ON *.* TO 'furrow'@'%' WITH GRANT OPTION;
    FLUSH PRIVILEGES;" || return 1
  local size
  size=$("$client" --no-defaults -uroot -S "$GALERA_DIR/node1/mysql.sock" -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | awk '{print $2}')
  for i in 1 2 3; do urls="$urls mysql://furrow:furrow-test-pw@127.0.0.1:${SQLP[$i]}/"; done
  export FURROW_TEST_GALERA_URLS="${urls# }"
  export GALERA_PIDS
  echo "== Galera cluster of $size nodes on 127.0.0.1:${SQLP[1]},${SQLP[2]},${SQLP[3]} (pids$GALERA_PIDS), ready in $((SECONDS - started))s"
}

galera_stop() {
  local pid f
  # A test may have crashed and restarted a node: its pid file names the process now.
  for f in "${GALERA_DIR:-/nonexistent}"/node*/mariadbd.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    case " $GALERA_PIDS " in *" $pid "*) ;; *) GALERA_PIDS="$GALERA_PIDS $pid" ;; esac
  done
  for pid in $GALERA_PIDS; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $GALERA_PIDS; do
    local i
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  GALERA_PIDS=""
  [ -n "${GALERA_DIR:-}" ] && rm -rf "$GALERA_DIR"
}
