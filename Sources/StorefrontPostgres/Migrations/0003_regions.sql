-- Active-active regions: every owned row is written only in its home region, the catalog only in the
-- catalog home region. The server's region is its cluster_name, which no session can change.

CREATE TABLE catalog_home (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    region text NOT NULL
);

-- Plain BEFORE ROW triggers do not fire in the logical replication apply worker, so the guards stop the
-- application's foreign writes and let replication through. The apply worker runs with an empty
-- search_path: every function it may run sets its own.
CREATE FUNCTION guard_home_region() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    home text := current_setting('cluster_name');
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.region IS DISTINCT FROM home THEN
        RAISE EXCEPTION 'a row of region % is read-only in region %', OLD.region, home
            USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.region IS DISTINCT FROM home THEN
        RAISE EXCEPTION 'region % cannot write a row of region %', home, NEW.region
            USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE FUNCTION guard_catalog_home() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    owner text := (SELECT region FROM catalog_home);
BEGIN
    IF owner IS NOT NULL AND owner IS DISTINCT FROM current_setting('cluster_name') THEN
        RAISE EXCEPTION 'the catalog is written in region %, not in %', owner, current_setting('cluster_name')
            USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

ALTER TABLE carts ADD COLUMN adopted_from uuid;
ALTER TABLE carts ADD COLUMN adopted_from_region text;
-- A region adopts a foreign cart at most once.
CREATE UNIQUE INDEX carts_adopted_once ON carts (region, adopted_from) WHERE adopted_from IS NOT NULL;

-- A transfer is recorded by its source region, which took the units from its own allocation; the
-- destination credits its own allocation when it sees the transfer, and records the receipt in the same
-- transaction, so each transfer is credited exactly once.
CREATE TABLE stock_transfers (
    region text NOT NULL,
    id uuid NOT NULL,
    sku text NOT NULL,
    to_region text NOT NULL CHECK (to_region <> region),
    quantity integer NOT NULL CHECK (quantity > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, id)
);

CREATE INDEX stock_transfers_destination ON stock_transfers (to_region, created_at);

CREATE TABLE stock_transfer_receipts (
    region text NOT NULL,
    transfer_id uuid NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, transfer_id)
);

CREATE TRIGGER carts_home BEFORE INSERT OR UPDATE OR DELETE ON carts FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER cart_items_home BEFORE INSERT OR UPDATE OR DELETE ON cart_items FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER orders_home BEFORE INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER order_lines_home BEFORE INSERT OR UPDATE OR DELETE ON order_lines FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER stock_home BEFORE INSERT OR UPDATE OR DELETE ON stock FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER heartbeats_home BEFORE INSERT OR UPDATE OR DELETE ON heartbeats FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER idempotency_keys_home BEFORE INSERT OR UPDATE OR DELETE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER stock_transfers_home BEFORE INSERT OR UPDATE OR DELETE ON stock_transfers FOR EACH ROW EXECUTE FUNCTION guard_home_region();
CREATE TRIGGER stock_transfer_receipts_home BEFORE INSERT OR UPDATE OR DELETE ON stock_transfer_receipts FOR EACH ROW EXECUTE FUNCTION guard_home_region();

CREATE TRIGGER brands_home BEFORE INSERT OR UPDATE OR DELETE ON brands FOR EACH ROW EXECUTE FUNCTION guard_catalog_home();
CREATE TRIGGER categories_home BEFORE INSERT OR UPDATE OR DELETE ON categories FOR EACH ROW EXECUTE FUNCTION guard_catalog_home();
CREATE TRIGGER products_home BEFORE INSERT OR UPDATE OR DELETE ON products FOR EACH ROW EXECUTE FUNCTION guard_catalog_home();
CREATE TRIGGER variants_home BEFORE INSERT OR UPDATE OR DELETE ON variants FOR EACH ROW EXECUTE FUNCTION guard_catalog_home();

-- Replicated catalog rows carry the home region's updated_at, which can be older than this region's last
-- catalog refresh; stamping them on arrival lets the refresh find them.
CREATE TRIGGER products_arrived BEFORE INSERT OR UPDATE ON products FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE products ENABLE REPLICA TRIGGER products_arrived;
