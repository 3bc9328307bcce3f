-- The database's single-row update rate: every client takes one unit of the same SKU, as a checkout takes its
-- stock (checkout_place, migration 0009), each in its own transaction. pgbench -M prepared
-- -D region=us-east -D sku=...
UPDATE stock s SET available = s.available - w.quantity
FROM unnest(ARRAY[:sku]::text[], ARRAY[1]::int4[]) AS w (sku, quantity)
WHERE s.region = :region AND s.sku = w.sku AND s.available >= w.quantity
RETURNING s.sku;
