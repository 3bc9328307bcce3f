#!/usr/bin/env bash
# Runs once, when the official postgres image initialises an empty data directory: the roles and the
# database the storefront expects (as scripts/lib/common.sh makes them for the lab). The schema owner may
# create, the serving role gets row privileges from the migrations, the replicator streams to peers.
set -euo pipefail
: "${STOREFRONT_DB_PASSWORD:?set STOREFRONT_DB_PASSWORD in docker/.env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v password="$STOREFRONT_DB_PASSWORD" <<'SQL'
CREATE ROLE storefront_owner LOGIN PASSWORD :'password';
CREATE ROLE storefront LOGIN PASSWORD :'password';
CREATE ROLE storefront_replicator LOGIN REPLICATION PASSWORD :'password';
CREATE DATABASE storefront OWNER storefront_owner;
\connect storefront
ALTER SCHEMA public OWNER TO storefront_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
# Peers' replication connections come over the compose network, with a password.
echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
