# The deployment files (docker/), checked by the tools that will read them, since no container engine or
# cluster runs here: hadolint for the Dockerfile, `haproxy -c` for the edge (and that it is what the
# generator makes from docker/edge/regions), promtool for Prometheus's configuration, alerts and their
# tests, the Compose specification's JSON schema for compose.yaml, and Kubernetes 1.37's schemas for
# docker/k8s. Sourced by scripts/test; needs ensure_deploy_checkers and $STOREFRONT_TEST_BINARY.

# check_deployment_files WORK: every check, each named; returns non-zero if any failed.
check_deployment_files() {
    local work=$1/deploy status=0
    mkdir -p "$work"
    deploy_check "Dockerfile (hadolint)" hadolint --config docker/.hadolint.yaml docker/Dockerfile || status=1
    deploy_check "edge files are generated from docker/edge/regions" edge_is_generated "$work" || status=1
    deploy_check "edge configuration (haproxy -c)" edge_is_valid "$work" || status=1
    deploy_check "Prometheus configuration (promtool)" prometheus_config_is_valid "$work" || status=1
    deploy_check "alert rules and their tests (promtool)" prometheus_rules_pass || status=1
    deploy_check "compose.yaml (Compose specification schema)" \
        check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yaml || status=1
    deploy_check "Kubernetes manifests (1.37 schemas, strict)" \
        kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" docker/k8s/*.yaml docker/k8s/regions/*.yaml || status=1
    deploy_check "shell scripts parse" bash -n docker/setup-regions.sh docker/postgres/init-roles.sh || status=1
    return "$status"
}
KUBERNETES_VERSION=1.37.0

# deploy_check NAME COMMAND…: runs one check, quiet when it passes, its output when it fails.
deploy_check() {
    local name=$1 output
    shift
    if output=$("$@" 2>&1); then
        log "deploy: $name: ok"
    else
        log "deploy: $name: FAILED"
        printf '%s\n' "$output" | tail -n 30 >&2
        return 1
    fi
}

edge_generate() {
    "$STOREFRONT_TEST_BINARY" edge config --regions docker/edge/regions --cidr edge/cidr.map --home NA \
        --bind 0.0.0.0:8080 --stats 0.0.0.0:8405 --admin-socket /tmp/haproxy-admin.sock \
        --peer-entry us-east=0.0.0.0:8181 --peer-entry eu-west=0.0.0.0:8182 --peer-entry ap-southeast=0.0.0.0:8183 "$@" >/dev/null
}

# The committed files are exactly what the generator writes for the container's paths.
edge_is_generated() {
    edge_generate --out "$1/edge-generated" --directory /usr/local/etc/haproxy
    diff -r --exclude regions docker/edge "$1/edge-generated"
}

# The same configuration, with its maps where this machine's haproxy can read them. The compose service
# names do not resolve here: HAProxy starts those servers down and resolves them while it runs.
edge_is_valid() {
    edge_generate --out "$1/edge-check"
    haproxy -c -q -f "$1/edge-check/haproxy.cfg"
}

# promtool insists the token file exists: the check reads a copy naming a scratch one.
prometheus_config_is_valid() {
    local dir=$1/prometheus
    mkdir -p "$dir"
    cp docker/prometheus/*.yml "$dir/"
    echo "observer-token" >"$dir/observer_token"
    sed -i "s|/run/secrets/observer_token|$dir/observer_token|" "$dir/prometheus.yml"
    promtool check config "$dir/prometheus.yml"
}

prometheus_rules_pass() {
    (cd docker/prometheus && promtool check rules alerts.yml && promtool test rules alerts.test.yml)
}
