#!/usr/bin/env bash
# The compose stack's one-shot setup, run by its `setup` service in the storefront image: what `scripts/lab
# up` does before the storefronts start. Migrate every region; seed the catalog in its home; publish
# everywhere, then subscribe everywhere; allocate each other region's stock once the catalog has reached it.
# Idempotent: a rerun changes nothing that exists.
set -euo pipefail
: "${STOREFRONT_DB_PASSWORD:?}" "${POSTGRES_PASSWORD:?}"
regions=(us-east eu-west ap-southeast)
home=${regions[0]}
products=${STOREFRONT_SEED_PRODUCTS:-1000}

# storefront REGION ARGS…: the binary with REGION's connections.
in_region() {
    local region=$1 peers="" peer
    shift
    for peer in "${regions[@]}"; do
        [ "$peer" = "$region" ] && continue
        peers+="${peers:+,}$peer=postgres://storefront_replicator:$STOREFRONT_DB_PASSWORD@postgres-$peer:5432/storefront"
    done
    STOREFRONT_REGION=$region STOREFRONT_CATALOG_HOME=$home \
        STOREFRONT_DATABASE_URL="postgres://storefront:$STOREFRONT_DB_PASSWORD@postgres-$region:5432/storefront" \
        STOREFRONT_MIGRATION_DATABASE_URL="postgres://storefront_owner:$STOREFRONT_DB_PASSWORD@postgres-$region:5432/storefront" \
        STOREFRONT_REPLICATION_ADMIN_URL="postgres://postgres:$POSTGRES_PASSWORD@postgres-$region:5432/storefront" \
        STOREFRONT_REPLICATION_PEERS="$peers" \
        storefront "$@"
}

for region in "${regions[@]}"; do in_region "$region" migrate; done
in_region "$home" seed --products "$products"
for region in "${regions[@]}"; do in_region "$region" replication setup --publish-only; done
for region in "${regions[@]}"; do in_region "$region" replication setup; done
for region in "${regions[@]:1}"; do
    # Stock rows reference the catalog's variants: until replication has brought them all, a batch fails
    # and the next attempt carries on (rows that exist are kept).
    for attempt in $(seq 1 150); do
        in_region "$region" seed --products "$products" --stock-only && break
        [ "$attempt" = 150 ] && { echo "the catalog did not reach $region within 5 minutes" >&2; exit 1; }
        sleep 2
    done
done
echo "every region is migrated, seeded and replicating"
