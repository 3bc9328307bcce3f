-- A product's variants in their order, without reading every variant: the catalog's paged first load and
-- every product read fetch variants by product.
CREATE INDEX variants_of_product ON variants (product_id, position);
