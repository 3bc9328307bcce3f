-- Carts, orders and idempotency keys. Each row is homed in the region that created it, which is part of
-- its primary key so row-filtered replication can identify it.

CREATE TABLE carts (
    region text NOT NULL,
    id uuid NOT NULL,
    token_digest bytea NOT NULL CHECK (length(token_digest) = 32),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'checked_out')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (region, id)
);

CREATE UNIQUE INDEX carts_id ON carts (id);

CREATE TABLE cart_items (
    region text NOT NULL,
    cart_id uuid NOT NULL,
    sku text NOT NULL REFERENCES variants (sku),
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, cart_id, sku),
    FOREIGN KEY (region, cart_id) REFERENCES carts (region, id)
);

CREATE TABLE orders (
    region text NOT NULL,
    id uuid NOT NULL,
    cart_id uuid NOT NULL,
    token_digest bytea NOT NULL CHECK (length(token_digest) = 32),
    status text NOT NULL CHECK (status IN ('placed', 'paid', 'shipped', 'delivered', 'cancelled')),
    email text NOT NULL,
    shipping_address jsonb NOT NULL,
    subtotal_amount bigint NOT NULL CHECK (subtotal_amount >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, id),
    -- A cart becomes at most one order, whatever idempotency keys the checkouts used.
    UNIQUE (region, cart_id)
);

CREATE UNIQUE INDEX orders_id ON orders (id);
CREATE INDEX orders_by_status ON orders (region, status, created_at DESC, id DESC);
CREATE INDEX orders_newest ON orders (region, created_at DESC, id DESC);

CREATE TABLE order_lines (
    region text NOT NULL,
    order_id uuid NOT NULL,
    sku text NOT NULL,
    product_id uuid NOT NULL,
    product_name text NOT NULL,
    colour text NOT NULL,
    eu_size text NOT NULL,
    us_size text NOT NULL,
    width text NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price_amount bigint NOT NULL CHECK (unit_price_amount > 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    PRIMARY KEY (region, order_id, sku),
    FOREIGN KEY (region, order_id) REFERENCES orders (region, id)
);

CREATE TRIGGER orders_touched BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A key is claimed by inserting it; the response is stored with the order, in the same transaction.
CREATE TABLE idempotency_keys (
    region text NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint bytea NOT NULL,
    state text NOT NULL CHECK (state IN ('running', 'done')),
    claimed_at timestamptz NOT NULL DEFAULT now(),
    response_status integer,
    response_body bytea,
    PRIMARY KEY (region, key),
    CHECK ((state = 'done') = (response_status IS NOT NULL))
);

CREATE INDEX idempotency_keys_age ON idempotency_keys (claimed_at);
