-- Listings whose cost does not grow with the catalog: a listing filtered by category or brand and sorted by
-- price or by age reads its page from an index in that order, instead of walking the whole catalog's price or
-- age order and filtering (at 100,000 products the running shoes' cheapest page skipped 14,580 rows first:
-- 63 ms against 1 ms; docs/listing-plans.md). Gender is not worth one: each gender is a quarter of the
-- catalog, and the catalog's own orders find a page of it within a few pages. The single-column indexes were
-- the first column of these.
CREATE INDEX products_category_price ON products (category, price_from, id);
CREATE INDEX products_category_newest ON products (category, created_at DESC, id DESC);
CREATE INDEX products_brand_price ON products (brand, price_from, id);
CREATE INDEX products_brand_newest ON products (brand, created_at DESC, id DESC);
DROP INDEX products_brand;
DROP INDEX products_category;
