# A region's PostgreSQL made redundant, shared by scripts/lab --ha and the failover test: two nodes run by
# Patroni (etcd holds the leader key), one the primary and one its synchronous standby, and HAProxy in
# front, the region's one database address, which follows a failover.
#
# A region's folder holds node1/ and node2/ (each: patroni.yml, data/, run/, the logs), router.cfg and
# the process ids. The router has two addresses. The region's database address, the storefront's, sends a
# connection to the node whose Patroni says it is the primary, or with none (a failover under way) to the
# standby, read-only: reads go on, writes are refused as read-only (SQLSTATE 25006), which the storefront
# reports as the primary failing over, not as the database gone. The primary's address reaches only the
# primary: for what needs one, the migrations, the replication setup and the peers' subscriptions, which a
# standby would answer with an error a second for the whole failover.
# shellcheck shell=bash

# Installs Patroni and etcd from Debian when missing.
ensure_ha_packages() {
    local missing=()
    command -v patroni >/dev/null || missing+=(patroni)
    command -v etcd >/dev/null || missing+=(etcd-server)
    apt_install "${missing[@]}"
}

# etcd_start DIR HOST CLIENT_PORT PEER_PORT: a one-member etcd, the leader keys' store, in DIR.
etcd_start() {
    local dir=$1 host=$2 client_port=$3 peer_port=$4
    mkdir -p "$dir"
    if pid_alive "$dir/etcd.pid"; then return 0; fi
    etcd --name storefront --data-dir "$dir/data" \
        --listen-client-urls "http://$host:$client_port" --advertise-client-urls "http://$host:$client_port" \
        --listen-peer-urls "http://$host:$peer_port" --initial-advertise-peer-urls "http://$host:$peer_port" \
        --initial-cluster "storefront=http://$host:$peer_port" >>"$dir/etcd.log" 2>&1 &
    echo $! >"$dir/etcd.pid"
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://$host:$client_port/health" 2>/dev/null && return 0
        sleep 0.1
    done
    tail -n 20 "$dir/etcd.log" >&2
    die "etcd did not start on $host:$client_port"
}

etcd_stop() { stop_pid "$1/etcd.pid"; }

# ha_node_config DIR NAME NODE HOST PG_PORT REST_PORT ETCD PASSWORD: node NODE's patroni.yml.
#
# The timings make a crash a failover in about ttl seconds (the leader key expires), and never promote a
# standby that might lack an acknowledged commit: synchronous_mode lets only the synchronous standby take
# over, and a commit waits for it. Not strict: a primary whose standby is gone keeps taking writes
# (alone), rather than stopping the region; the standby, back, catches up before it is synchronous again.
ha_node_config() {
    local dir=$1 name=$2 node=$3 host=$4 pg_port=$5 rest_port=$6 etcd=$7 password=$8
    local node_dir=$dir/node$node
    mkdir -p "$node_dir/run"
    cat >"$node_dir/patroni.yml" <<YAML
scope: $name
namespace: /storefront/
name: $name-$node
log:
  level: INFO
restapi:
  listen: $host:$rest_port
  connect_address: $host:$rest_port
etcd3:
  hosts: $etcd
bootstrap:
  dcs:
    # A crash is noticed when the leader key expires: ttl ≥ loop_wait + 2 × retry_timeout.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: logical
        wal_log_hints: 'on'
        hot_standby: 'on'
        hot_standby_feedback: 'on'
        synchronous_commit: 'on'
        max_connections: 600
        shared_buffers: 256MB
        max_wal_senders: 20
        max_replication_slots: 20
        max_slot_wal_keep_size: ${PG_MAX_SLOT_WAL_KEEP_SIZE:-1GB}
        wal_retrieve_retry_interval: 1s
        max_logical_replication_workers: 16
        max_worker_processes: 24
        track_commit_timestamp: 'on'
    # The peers' subscriptions' slots and their copy workers' are the storefront's (the permanent ones
    # are registered by name once they exist): Patroni must not drop them as unknown.
    ignore_slots:
      - type: logical
        plugin: pgoutput
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth-local: trust
    - auth-host: scram-sha-256
  pg_hba:
    - local all all trust
    - host replication patroni_replicator 127.0.0.0/8 scram-sha-256
    - host all all 127.0.0.0/8 scram-sha-256
postgresql:
  listen: $host:$pg_port
  connect_address: $host:$pg_port
  data_dir: $node_dir/data
  bin_dir: $PG_BIN
  pgpass: $node_dir/pgpass
  authentication:
    superuser:
      username: postgres
      password: '$password'
    replication:
      username: patroni_replicator
      password: '$password'
    rewind:
      username: postgres
      password: '$password'
  parameters:
    unix_socket_directories: '$node_dir/run'
    logging_collector: 'off'
    log_min_messages: warning
    log_line_prefix: '%m [%p] %b %q%u@%d '
YAML
    [ "$(id -u)" != 0 ] || chown -R postgres:postgres "$node_dir"
    chmod 700 "$node_dir"
}

# ha_router_config DIR NAME HOST PORT PRIMARY_PORT PG1 REST1 PG2 REST2: the region's database address
# (PORT) and the primary's (PRIMARY_PORT).
ha_router_config() {
    local dir=$1 name=$2 host=$3 port=$4 primary_port=$5 pg1=$6 rest1=$7 pg2=$8 rest2=$9
    cat >"$dir/router.cfg" <<CFG
# $name's database: the primary, as each node's Patroni says (GET /primary), else the standby, read-only.
global
    log stdout format raw daemon warning
    stats socket $dir/router.sock mode 600 level admin

defaults
    mode tcp
    log global
    timeout connect 1s
    # Pool, replication and session connections stay open for long; TCP keepalives find the dead ones.
    timeout client 1h
    timeout server 1h
    option clitcpka
    option srvtcpka
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions

frontend db_$name
    bind $host:$port
    use_backend ${name}_standby if { nbsrv(${name}_primary) eq 0 }
    default_backend ${name}_primary

frontend db_${name}_primary
    bind $host:$primary_port
    default_backend ${name}_primary

backend ${name}_primary
    option httpchk
    http-check send meth GET uri /primary
    http-check expect status 200
    server node1 $host:$pg1 check port $rest1
    server node2 $host:$pg2 check port $rest2

backend ${name}_standby
    option httpchk
    http-check send meth GET uri /replica
    http-check expect status 200
    server node1 $host:$pg1 check port $rest1
    server node2 $host:$pg2 check port $rest2
CFG
}

# ha_start DIR NAME HOST PORT PRIMARY_PORT PG1 REST1 PG2 REST2 ETCD PASSWORD: the region's two nodes and
# router, waiting until one node is the primary and the other its synchronous standby, and the roles the
# storefront uses.
ha_start() {
    local dir=$1 name=$2 host=$3 port=$4 primary_port=$5 pg1=$6 rest1=$7 pg2=$8 rest2=$9 etcd=${10} password=${11}
    local primary pgs=("$pg1" "$pg2")
    mkdir -p "$dir"
    ha_node_config "$dir" "$name" 1 "$host" "$pg1" "$rest1" "$etcd" "$password"
    ha_node_config "$dir" "$name" 2 "$host" "$pg2" "$rest2" "$etcd" "$password"
    ha_router_config "$dir" "$name" "$host" "$port" "$primary_port" "$pg1" "$rest1" "$pg2" "$rest2"
    # Both at once: the first to take the cluster's initialize key bootstraps it, the other clones it; on a
    # later start, Patroni chooses the node that may lead.
    ha_node_start "$dir" 1
    ha_node_start "$dir" 2
    for _ in $(seq 1 480); do
        primary=$(ha_primary_node "$host:$rest1" "$host:$rest2")
        if [ -n "$primary" ] && curl -fsS -o /dev/null "http://$host:$([ "$primary" = 1 ] && echo "$rest2" || echo "$rest1")/sync" 2>/dev/null; then
            break
        fi
        primary=""
        sleep 0.25
    done
    if [ -z "$primary" ]; then
        tail -n 20 "$dir"/node*/patroni.log >&2
        die "[$name] no primary with a synchronous standby within 120 s"
    fi
    if ! pid_alive "$dir/router.pid"; then
        haproxy -f "$dir/router.cfg" -db >>"$dir/router.log" 2>&1 &
        echo $! >"$dir/router.pid"
    fi
    pg_roles "$dir/node$primary" "${pgs[$((primary - 1))]}" "$password" >/dev/null
    # A new router counts every server up until its checks fail twice: for its first second it would send
    # a connection for the primary to the standby, which refuses to write.
    for _ in $(seq 1 50); do
        if ha_router_agrees "$dir" "$name" "$primary" &&
            [ "$(PGPASSWORD=$password psql -X -q -At -h "$host" -p "$port" -U postgres -d postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; then
            return 0
        fi
        sleep 0.2
    done
    die "[$name] the router on $host:$port does not reach the primary"
}

# ha_router_agrees DIR NAME NODE: true when the router's checks agree that node NODE is the primary: in its
# primary backend only that node is up, in its standby backend only the other (read on its stats socket).
ha_router_agrees() {
    python3 - "$1/router.sock" "$2" "$3" <<'PY'
import csv, io, socket, sys

path, name, primary = sys.argv[1], sys.argv[2], sys.argv[3]
standby = "node1" if primary == "2" else "node2"
try:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
except OSError:
    sys.exit(1)
up = {(row["pxname"], row["svname"]) for row in csv.DictReader(io.StringIO(data.decode().lstrip("# "))) if row["status"].startswith("UP")}
wanted = {(f"{name}_primary", f"node{primary}"), (f"{name}_standby", standby)}
sys.exit(0 if {(px, sv) for px, sv in up if sv != "BACKEND"} == wanted else 1)
PY
}

# ha_wait_synchronous HOST PRIMARY_PG STANDBY STANDBY_PG STANDBY_REST PASSWORD: waits up to 60 s until the
# standby (Patroni's member name STANDBY), as its server runs now, streams to the primary as its synchronous
# standby and Patroni's /sync names it, for 2 s on end (two of Patroni's loops). After a restart of the
# standby (Patroni restarts it to copy permanent slots) /sync goes on naming it until the primary's Patroni
# notices, a loop later, and withdraws it until it is synchronous again: a crash of the primary in that
# moment would promote nobody.
ha_wait_synchronous() {
    local host=$1 primary_pg=$2 standby=$3 standby_pg=$4 standby_rest=$5 password=$6 started streaming held=0
    for _ in $(seq 1 240); do
        started=$(PGPASSWORD=$password psql -X -q -At -h "$host" -p "$standby_pg" -U postgres -d postgres \
            -c "SELECT pg_postmaster_start_time()" 2>/dev/null) || started=""
        streaming=$(PGPASSWORD=$password psql -X -q -At -h "$host" -p "$primary_pg" -U postgres -d postgres \
            -v standby="$standby" -v started="${started:-infinity}" -f - 2>/dev/null <<'SQL' || true
SELECT count(*) FROM pg_stat_replication
WHERE application_name = :'standby' AND state = 'streaming' AND sync_state = 'sync' AND backend_start > :'started';
SQL
        )
        if [ "$streaming" = 1 ] && curl -fsS -o /dev/null "http://$host:$standby_rest/sync" 2>/dev/null; then
            held=$((held + 1))
            [ "$held" -le 8 ] || return 0
        else
            held=0
        fi
        sleep 0.25
    done
    return 1
}

# ha_node_start DIR NODE: starts node NODE's Patroni, which starts (or bootstraps, or clones) its server.
ha_node_start() {
    local dir=$1 node=$2
    pid_alive "$dir/node$node/patroni.pid" && return 0
    # Exec'd as the postgres user, not under runuser: the pid file names Patroni itself, so that a crash
    # kills it and not only its parent.
    if [ "$(id -u)" = 0 ]; then
        (exec setpriv --reuid=postgres --regid=postgres --init-groups patroni "$dir/node$node/patroni.yml" >>"$dir/node$node/patroni.log" 2>&1) &
    else
        (exec patroni "$dir/node$node/patroni.yml" >>"$dir/node$node/patroni.log" 2>&1) &
    fi
    echo $! >"$dir/node$node/patroni.pid"
}

# ha_crash_node DIR NODE: the node lost, as a machine is: Patroni and every process of its PostgreSQL killed,
# no shutdown.
ha_crash_node() {
    local dir=$1 node=$2 postmaster processes
    stop_pid "$dir/node$node/patroni.pid" KILL
    postmaster=$(head -n 1 "$dir/node$node/data/postmaster.pid" 2>/dev/null || true)
    [ -n "$postmaster" ] && kill -STOP "$postmaster" 2>/dev/null || return 0
    # All at one instant, as a machine's crash takes them: stopped first, so that none forks or goes on
    # without the others (a backend that outlives its postmaster still talks to its clients a moment:
    # a subscription's worker would tell the peer it holds what the standby never got), then killed.
    processes=("$postmaster" $(pgrep -P "$postmaster"))
    kill -STOP "${processes[@]}" 2>/dev/null || true
    kill -KILL "${processes[@]}" 2>/dev/null || true
}

# ha_primary_node HOST:REST1 HOST:REST2: 1 or 2, the node whose Patroni says it is the primary (none: empty).
ha_primary_node() {
    local rest1=$1 rest2=$2
    if curl -fsS -o /dev/null "http://$rest1/primary" 2>/dev/null; then echo 1
    elif curl -fsS -o /dev/null "http://$rest2/primary" 2>/dev/null; then echo 2
    fi
}

# ha_stop DIR: the router, then both nodes (Patroni stops its server), as an operator would. A server
# still running after its Patroni stopped (killed after 10 s mid-shutdown) is stopped as a crash would be,
# and killed if even that fails: nothing outlives the region.
ha_stop() {
    local dir=$1 node postmaster
    stop_pid "$dir/router.pid"
    for node in 1 2; do stop_pid "$dir/node$node/patroni.pid"; done
    for node in 1 2; do
        postmaster=$(head -n 1 "$dir/node$node/data/postmaster.pid" 2>/dev/null || true)
        [ -n "$postmaster" ] && kill -0 "$postmaster" 2>/dev/null || continue
        log "[$(basename "$dir")] node $node's server outlived its Patroni: stopping it"
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/node$node/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || kill -KILL "$postmaster" 2>/dev/null || true
    done
    return 0
}
