-- The statements the storefront sends for one shopper's journey: open a cart, put a pair in it, check out
-- (PostgresCartStore.open/setQuantity, CartResolver.resolve, PostgresOrderStore.claim/checkout), in order,
-- with the same text and parameters; pgbench -M prepared -D region=us-east. Each client takes a random SKU
-- from bench.skus (filled by scripts/bench), one indexed read more than the storefront makes.
\set n random(1, :skus)
SELECT sku FROM bench.skus WHERE n = :n \gset
SELECT gen_random_uuid() AS cart, sha256(convert_to(random()::text, 'UTF8')) AS digest, gen_random_uuid() AS order_id, gen_random_uuid()::text AS key \gset
-- POST /v1/carts
INSERT INTO carts (region, id, token_digest, expires_at)
VALUES (:region, :cart, :digest::bytea, now() + 604800 * interval '1 second');
SELECT c.token_digest, c.status, c.version, c.created_at, c.updated_at, c.expires_at,
       i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
       v.price_amount, v.currency, coalesce(s.available, 0),
       c.region, c.adopted_from,
       CASE WHEN c.region <> :region
            THEN (SELECT extract(epoch FROM now() - h.beat_at)::float8 FROM heartbeats h WHERE h.region = c.region) END
FROM carts c
LEFT JOIN cart_items i ON i.region = c.region AND i.cart_id = c.id
LEFT JOIN variants v ON v.sku = i.sku
LEFT JOIN products p ON p.id = v.product_id
LEFT JOIN stock s ON s.region = :region AND s.sku = i.sku
WHERE c.id = :cart
ORDER BY i.added_at, i.sku;
-- PUT /v1/carts/{id}/items/{sku}
BEGIN;
SELECT c.region, c.token_digest, c.status, c.version, c.expires_at < now(), a.region, a.id
FROM carts c
LEFT JOIN LATERAL (
    SELECT region, id FROM carts WHERE adopted_from = c.id ORDER BY region = :region DESC, created_at LIMIT 1
) a ON true
WHERE c.id = :cart
FOR UPDATE OF c;
INSERT INTO cart_items (region, cart_id, sku, quantity)
SELECT :region, :cart, v.sku, 1 FROM variants v WHERE v.sku = :sku
ON CONFLICT (region, cart_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity
RETURNING 1;
UPDATE carts SET version = version + 1, updated_at = now(),
    expires_at = now() + 604800 * interval '1 second'
WHERE region = :region AND id = :cart
RETURNING (SELECT count(*) FROM cart_items WHERE region = :region AND cart_id = :cart);
SELECT c.token_digest, c.status, c.version, c.created_at, c.updated_at, c.expires_at,
       i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
       v.price_amount, v.currency, coalesce(s.available, 0),
       c.region, c.adopted_from,
       CASE WHEN c.region <> :region
            THEN (SELECT extract(epoch FROM now() - h.beat_at)::float8 FROM heartbeats h WHERE h.region = c.region) END
FROM carts c
LEFT JOIN cart_items i ON i.region = c.region AND i.cart_id = c.id
LEFT JOIN variants v ON v.sku = i.sku
LEFT JOIN products p ON p.id = v.product_id
LEFT JOIN stock s ON s.region = :region AND s.sku = i.sku
WHERE c.id = :cart
ORDER BY i.added_at, i.sku;
COMMIT;
-- POST /v1/orders
WITH claimed AS (
    INSERT INTO idempotency_keys (region, key, fingerprint, state) VALUES (:region, :key, :digest::bytea, 'running')
    ON CONFLICT (region, key) DO UPDATE SET claimed_at = now()
        WHERE idempotency_keys.state = 'running' AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
          AND idempotency_keys.claimed_at < now() - 60 * interval '1 second'
    RETURNING 1
)
SELECT elsewhere.fingerprint, elsewhere.response_status, elsewhere.response_body FROM claimed
LEFT JOIN LATERAL (
    SELECT fingerprint, response_status, response_body FROM idempotency_keys
    WHERE key = :key AND region <> :region AND state = 'done' AND response_status = 201
    ORDER BY claimed_at, region LIMIT 1
) elsewhere ON true;
BEGIN;
SELECT c.region, c.token_digest, c.status, c.version, c.expires_at < now(), a.region, a.id, coalesce(c.cart_root, c.id)
FROM carts c
LEFT JOIN LATERAL (
    SELECT region, id FROM carts WHERE adopted_from = c.id ORDER BY region = :region DESC, created_at LIMIT 1
) a ON true
WHERE c.id = :cart
FOR UPDATE OF c;
SELECT i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
       v.price_amount, v.currency, now()
FROM cart_items i JOIN variants v ON v.sku = i.sku JOIN products p ON p.id = v.product_id
WHERE i.region = :region AND i.cart_id = :cart
ORDER BY i.sku;
WITH placed AS (
    INSERT INTO orders (region, id, cart_id, cart_root, token_digest, status, email, shipping_address, subtotal_amount, currency)
    VALUES (:region, :order_id, :cart, :cart, :digest::bytea, 'placed',
            'shopper@example.org', '{"name": "Launch Shopper", "line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}'::jsonb, 9900, 'USD')
), lines AS (
    INSERT INTO order_lines (region, order_id, sku, product_id, product_name, colour, eu_size, us_size, width,
                             quantity, unit_price_amount, currency)
    SELECT :region, :order_id, * FROM unnest(
        ARRAY[:sku]::text[], ARRAY[gen_random_uuid()]::uuid[], ARRAY['Bench shoe']::text[],
        ARRAY['black']::text[], ARRAY['42']::text[], ARRAY['8.5']::text[],
        ARRAY['standard']::text[], ARRAY[1]::int4[],
        ARRAY[9900]::int8[], ARRAY['USD']::text[])
), closed AS (
    UPDATE carts SET status = 'checked_out', version = version + 1, updated_at = now()
    WHERE region = :region AND id = :cart
)
UPDATE idempotency_keys SET state = 'done', response_status = 201,
    response_body = convert_to('{"id": "bench"}', 'UTF8')
WHERE region = :region AND key = :key;
UPDATE stock s SET available = s.available - w.quantity
FROM unnest(ARRAY[:sku]::text[], ARRAY[1]::int4[]) AS w (sku, quantity)
WHERE s.region = :region AND s.sku = w.sku AND s.available >= w.quantity
RETURNING s.sku;
COMMIT;
