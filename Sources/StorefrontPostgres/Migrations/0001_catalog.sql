-- The catalog (owned by the catalog home region), per-region stock allocations, and heartbeats.
-- Every row a region owns carries its home region in the primary key, so that row-filtered logical
-- replication (publish WHERE region = self) can identify it on UPDATE and DELETE.

CREATE TABLE brands (
    slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE categories (
    slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE products (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL CHECK (length(description) <= 5000),
    brand text NOT NULL REFERENCES brands (slug),
    category text NOT NULL REFERENCES categories (slug),
    gender text NOT NULL CHECK (gender IN ('men', 'women', 'unisex', 'kids')),
    tags text[] NOT NULL DEFAULT '{}',
    image_urls text[] NOT NULL DEFAULT '{}',
    -- The lowest variant price, kept by the triggers below: listings sort and page by it.
    price_from bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Bumped by every change to the product or its variants: the catalog snapshot reloads by it.
    updated_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A')
        || setweight(to_tsvector('english', replace(brand, '-', ' ')), 'A')
        || setweight(to_tsvector('english', replace(category, '-', ' ')), 'B')
        || setweight(to_tsvector('english', description), 'C')
    ) STORED
);

CREATE INDEX products_newest ON products (created_at DESC, id DESC);
CREATE INDEX products_price ON products (price_from, id);
CREATE INDEX products_brand ON products (brand);
CREATE INDEX products_category ON products (category);
CREATE INDEX products_updated ON products (updated_at);
CREATE INDEX products_search ON products USING gin (search);

CREATE TABLE variants (
    sku text PRIMARY KEY CHECK (sku ~ '^[A-Z0-9]+(-[A-Z0-9]+)*$' AND length(sku) <= 40),
    product_id uuid NOT NULL REFERENCES products (id),
    position integer NOT NULL,
    colour text NOT NULL CHECK (colour ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    eu_size_tenths smallint NOT NULL CHECK (eu_size_tenths BETWEEN 10 AND 600),
    us_size_tenths smallint NOT NULL CHECK (us_size_tenths BETWEEN 0 AND 600),
    width text NOT NULL CHECK (width IN ('narrow', 'standard', 'wide')),
    price_amount bigint NOT NULL CHECK (price_amount > 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    UNIQUE (product_id, position)
);

CREATE INDEX variants_eu_size ON variants (eu_size_tenths, product_id);
CREATE INDEX variants_us_size ON variants (us_size_tenths, product_id);
CREATE INDEX variants_colour ON variants (colour, product_id);

-- Keeps products.price_from and products.updated_at true after any change to variants, once per
-- statement, so a bulk load of a million variants does not update a product a million times.
CREATE FUNCTION refresh_products_from_variants() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    UPDATE products p
    SET price_from = (SELECT min(v.price_amount) FROM variants v WHERE v.product_id = p.id),
        updated_at = now()
    WHERE p.id IN (SELECT product_id FROM changed_variants);
    RETURN NULL;
END
$$;

CREATE TRIGGER variants_inserted AFTER INSERT ON variants
    REFERENCING NEW TABLE AS changed_variants
    FOR EACH STATEMENT EXECUTE FUNCTION refresh_products_from_variants();
CREATE TRIGGER variants_updated AFTER UPDATE ON variants
    REFERENCING NEW TABLE AS changed_variants
    FOR EACH STATEMENT EXECUTE FUNCTION refresh_products_from_variants();
CREATE TRIGGER variants_deleted AFTER DELETE ON variants
    REFERENCING OLD TABLE AS changed_variants
    FOR EACH STATEMENT EXECUTE FUNCTION refresh_products_from_variants();

CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER products_touched BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Stock is allocated per region; a region sells only from its own allocation, so the sum over the
-- regions can never be oversold.
CREATE TABLE stock (
    region text NOT NULL,
    sku text NOT NULL REFERENCES variants (sku),
    available integer NOT NULL CHECK (available >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, sku)
);

CREATE INDEX stock_updated ON stock (region, updated_at);

CREATE TRIGGER stock_touched BEFORE UPDATE ON stock
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE heartbeats (
    region text PRIMARY KEY,
    beat_at timestamptz NOT NULL,
    sequence bigint NOT NULL
);
