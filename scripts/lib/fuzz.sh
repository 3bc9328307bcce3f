# shellcheck shell=bash
# fuzz_contract WORK PG_DIR PG_PORT PASSWORD: runs schemathesis against a real `storefront serve` on a
# database of its own in the test cluster, from the contract the server itself serves at /openapi.yaml.
# Examples, boundary coverage, random fuzzing (valid and invalid input) and stateful sequences along the
# contract's links (cart -> item -> checkout -> order -> cancel). Fails on any 5xx, any answer the
# contract does not describe (status, content type, headers, body), and a server that dies; at least
# FUZZ_MIN_REQUESTS requests, counted by the server itself.
FUZZ_MIN_REQUESTS=${FUZZ_MIN_REQUESTS:-1000}

fuzz_contract() {
    local work=$1 pg_dir=$2 pg_port=$3 password=$4
    local port base log token pid status=0 before after
    pg_database "$pg_dir" "$pg_port" storefront_fuzz >/dev/null
    port=$(free_port 18700)
    base="http://127.0.0.1:$port"
    log="$work/fuzz-server.log"
    token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
    FUZZ_OBSERVER_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
    local env=(
        STOREFRONT_REGION=us-east STOREFRONT_PORT="$port"
        "STOREFRONT_DATABASE_URL=postgres://storefront:$password@127.0.0.1:$pg_port/storefront_fuzz"
        "STOREFRONT_MIGRATION_DATABASE_URL=postgres://storefront_owner:$password@127.0.0.1:$pg_port/storefront_fuzz"
        "STOREFRONT_CURSOR_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        "STOREFRONT_ADMIN_TOKEN=$token" "STOREFRONT_OBSERVER_TOKEN=$FUZZ_OBSERVER_TOKEN" STOREFRONT_LOG_LEVEL=warning STOREFRONT_DRAIN_GRACE_MS=0
        # One client sends everything: per-client limits would answer 429 to most of it.
        STOREFRONT_RATE_LIMITS=off
    )
    env "${env[@]}" "$STOREFRONT_TEST_BINARY" migrate >/dev/null 2>>"$log"
    env "${env[@]}" "$STOREFRONT_TEST_BINARY" seed --products 40 >/dev/null 2>>"$log"
    env "${env[@]}" "$STOREFRONT_TEST_BINARY" serve >>"$log" 2>&1 &
    pid=$!
    FUZZ_SERVER_PID=$pid
    for _ in $(seq 1 150); do
        curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; log "the fuzzing server did not start"; return 1; }
        sleep 0.2
    done
    if ! curl -fsS "$base/health/ready" >/dev/null 2>&1; then
        tail -n 20 "$log" >&2; log "the fuzzing server was not ready within 30 s"
        kill -KILL "$pid" 2>/dev/null; FUZZ_SERVER_PID=""; return 1
    fi
    # Stateful sequences need a SKU that exists: cart lines use one of the seeded catalog's, so that carts
    # fill and checkouts and orders follow; elsewhere the fuzzer draws SKUs from the catalog four times in
    # five and makes its own up otherwise.
    local skus
    skus=$(seeded_skus "$base")
    {
        cat scripts/lib/schemathesis.toml
        printf '\n[dictionaries.skus]\nvalues = [%s]\n\n[parameters]\n"path.sku" = { dictionary = "skus", probability = 0.8 }\n' "$skus"
        for operation in "PUT /v1/carts/{id}/items/{sku}" "DELETE /v1/carts/{id}/items/{sku}"; do
            printf '\n[[operations]]\ninclude-name = "%s"\nparameters = { "path.sku" = %s }\n' "$operation" "${skus%%,*}"
        done
        # The metrics, the health history and the kept traces are for observers: the fuzzer reads them with
        # the observer token, not the admin one.
        for operation in "GET /metrics" "GET /health/history" "GET /debug/traces" "GET /debug/traces/{trace_id}"; do
            printf '\n[[operations]]\ninclude-name = "%s"\nheaders = { Authorization = "Bearer %s" }\n' "$operation" "$FUZZ_OBSERVER_TOKEN"
        done
    } >"$work/schemathesis.toml"
    before=$(requests_served "$base")
    # Every request, malformed on purpose or not, in the first run; whole shoppers' journeys (cart, item,
    # checkout, order, cancel, following the contract's links) in the second, with valid data only, for a
    # step that sends a malformed token ends the journey there.
    fuzz_run examples,coverage,fuzzing all "${FUZZ_EXAMPLES:-25}" || status=$?
    fuzz_run stateful positive "${FUZZ_JOURNEYS:-150}" \
        --include-operation-id createCart --include-operation-id getCart --include-operation-id setCartItem \
        --include-operation-id checkout --include-operation-id getOrder --include-operation-id cancelOrder || status=$?
    after=$(requests_served "$base")
    # What the fuzzer got through to: successful answers by route, from the server's own counts. Journeys
    # that never place an order mean the contract's links broke: the run fails then.
    curl -fsS -H "Authorization: Bearer $FUZZ_OBSERVER_TOKEN" "$base/metrics" | python3 -c '
import re, sys
counts = {}
for line in sys.stdin:
    m = re.match(r"storefront_http_responses_total\{(.*)\} (\S+)", line)
    if not m: continue
    labels = dict(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(1)))
    if labels.get("status", "").startswith("2"):
        key = labels.get("method", "") + " " + labels.get("route", "")
        counts[key] = counts.get(key, 0) + int(float(m.group(2)))
print("fuzzing: successful answers by route: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)
for journey_step in ["PUT /v1/carts/{id}/items/{sku}", "POST /v1/orders", "POST /v1/orders/{id}/cancel"]:
    if counts.get(journey_step, 0) == 0:
        sys.exit(f"fuzzing: no journey got as far as a successful {journey_step}")' || status=1
    if ! kill -0 "$pid" 2>/dev/null; then
        log "the server died while being fuzzed"; tail -n 40 "$log" >&2; status=1
    fi
    kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    FUZZ_SERVER_PID=""
    local served=$((after - before))
    log "fuzzing: the server answered $served requests"
    if [ "$served" -lt "$FUZZ_MIN_REQUESTS" ]; then
        log "fuzzing sent fewer than $FUZZ_MIN_REQUESTS requests"; status=1
    fi
    mkdir -p "${STOREFRONT_TEST_ARTIFACTS:-$work}"
    cp -r "$work/fuzz-report" "${STOREFRONT_TEST_ARTIFACTS:-$work}/" 2>/dev/null || true
    return "$status"
}

# One schemathesis run: its phases, generation mode and examples per operation. The admin token lets the
# fuzzer reach the admin calls too; drain is left out, for it only turns readiness off and is tested on its own.
fuzz_run() {
    timeout "${FUZZ_TIMEOUT:-600}" st --config-file "$work/schemathesis.toml" run "$base/openapi.yaml" --url "$base" --no-color \
        --header "Authorization: Bearer $token" \
        --phases "$1" --mode "$2" --max-examples "$3" "${@:4}" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
        --exclude-path /v1/admin/drain --exclude-path /v1/admin/undrain \
        --request-timeout 10 --seed "${FUZZ_SEED:-20261128}" --generation-database none \
        --report "${FUZZ_REPORTS:-junit}" --report-dir "$work/fuzz-report"
}

# The server's own count of the requests it answered, every route and status.
requests_served() {
    curl -fsS -H "Authorization: Bearer $FUZZ_OBSERVER_TOKEN" "$1/metrics" | python3 -c '
import sys
print(int(sum(float(line.rsplit(" ", 1)[1]) for line in sys.stdin if line.startswith("storefront_http_requests_total{"))))'
}

# Twenty SKUs of the seeded catalog, as a TOML list of strings.
seeded_skus() {
    python3 - "$1" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.load(response)
skus = []
for product in get("/v1/products?limit=5")["items"]:
    skus += [variant["sku"] for variant in get("/v1/products/" + product["id"])["variants"]]
print(", ".join(json.dumps(sku) for sku in skus[:20]))
PY
}
