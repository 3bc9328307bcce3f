-- What GET /v1/products?category=running&in_stock=true&sort=price_asc runs (ProductSearchSQL), with the same
-- bound parameters: pgbench -M prepared -D category=running -D region=us-east -D limit=25
SELECT p.id, p.price_from AS sort_key, 0::float4 AS rank FROM products p
WHERE p.price_from IS NOT NULL
  AND p.category = :category
  AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND EXISTS (SELECT 1 FROM stock s WHERE s.sku = v.sku AND s.region = :region AND s.available > 0))
ORDER BY p.price_from ASC, p.id ASC
LIMIT :limit;
