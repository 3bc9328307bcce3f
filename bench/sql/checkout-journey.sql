-- The statements the storefront sends for one shopper's journey, with the same text and parameters (each a
-- prepared statement, one round trip: CartStatements, OrderStatements): open a cart, put a pair in it, check
-- out. pgbench -M prepared -D region=us-east -D skus=50. Each client takes a random SKU from bench.skus
-- (filled by scripts/bench) and makes its ids, digests and key in one more statement, which the storefront
-- does in Swift. Carts commit asynchronously (STOREFRONT_CART_COMMIT's default), as `false` says.
\set n random(1, :skus)
SELECT sku FROM bench.skus WHERE n = :n \gset
SELECT gen_random_uuid() AS cart, sha256(convert_to(random()::text, 'UTF8')) AS digest, gen_random_uuid() AS order_id,
       gen_random_uuid()::text AS key, gen_random_uuid() AS adoptee \gset
-- POST /v1/carts
SELECT * FROM cart_open(:region, :cart, :digest::bytea, 604800, false);
-- PUT /v1/carts/{id}/items/{sku}
SELECT * FROM cart_change(:region, :cart, :digest::bytea, :sku, 1, NULL, :adoptee, 604800, 50, false);
-- POST /v1/orders
SELECT * FROM checkout_place(:region, :key, :digest::bytea, :cart, :digest::bytea, :order_id, :digest::bytea,
    'shopper@example.org',
    ARRAY['Launch Shopper', '1 Main Street', '', 'Springfield', '12345', 'US'],
    :adoptee, 604800, false);
