-- What GET /v1/products?q=waterproof+trail runs (ProductSearchSQL, relevance order):
-- pgbench -M prepared -D q='waterproof trail' -D limit=25
SELECT p.id, 0::int8 AS sort_key, ts_rank(p.search, websearch_to_tsquery('english', :q)) AS rank FROM products p
WHERE p.price_from IS NOT NULL
  AND p.search @@ websearch_to_tsquery('english', :q)
ORDER BY ts_rank(p.search, websearch_to_tsquery('english', :q)) DESC, p.id ASC
LIMIT :limit;
