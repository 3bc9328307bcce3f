-- Every write a shopper makes is one statement: a function that checks, writes and answers inside the
-- database, in the statement's own transaction. A cart change is one round trip and a checkout is one
-- (claim the key, place the order, record the outcome), with no idle gap in which a transaction holds a
-- cart's or a hot SKU's row while the client prepares its next statement.
--
-- Every function that looks rows up sets enable_seqscan = off. PL/pgSQL keeps a session's plans, and a region
-- starts with empty carts, orders and keys: a plan made in its first moments scans those tables whole, and
-- kept, it read them whole on every call until the next ANALYZE (measured: thousands of scans of tens of
-- thousands of rows in a bench's first ten seconds). Each of these lookups has its index, whatever the size.
--
-- The functions refuse by answering, never by raising: a refusal is a row with `refusal` set
-- ({"kind": "...", ...}), and nothing has been written (a checkout records it as its key's outcome). An
-- exception is left for what is a bug or a failure, and rolls the statement back; SQLSTATE SFU01 is a stored
-- value this schema does not know (UnreadableStoredValue in Swift).

-- A checkout's outcome is the domain's, rendered by the API on the way out: the order it placed, or why it
-- placed none. Rows written by an earlier binary keep their rendered answer in response_status/_body.
ALTER TABLE idempotency_keys ADD COLUMN order_id uuid;
ALTER TABLE idempotency_keys ADD COLUMN refusal jsonb;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_outcome
    CHECK (state = 'running' OR order_id IS NOT NULL OR refusal IS NOT NULL OR response_status IS NOT NULL);

-- How a shoe size in tenths reads, as order lines keep it: 42 and 42.5. The same rule as ShoeSize's
-- description in Swift; ShoeSizeLabelTests compares the two.
CREATE FUNCTION shoe_size_label(tenths smallint) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN tenths % 10 = 0 THEN (tenths / 10)::text ELSE (tenths / 10)::text || '.' || (tenths % 10)::text END $$;

-- A cart as the shopper sees it, with its token: every line priced from the catalog and the serving region's
-- live stock, in the order the lines were added. No row: no such cart for this token. A cart homed in another
-- region comes from the replica, with the replica's age. `refusal` is always null here: cart_change answers
-- in the same shape.
CREATE FUNCTION cart_view(p_region text, p_cart uuid, p_token bytea)
RETURNS TABLE (
    refusal jsonb,
    id uuid, home text, status text, version integer, created_at timestamptz, updated_at timestamptz,
    expires_at timestamptz, adopted_from uuid, replica_age float8,
    sku text, quantity integer, product_id uuid, product_name text, colour text, eu_size_tenths smallint,
    us_size_tenths smallint, width text, price_amount bigint, currency text, available integer
)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    -- Comparing digests of 256-bit tokens: what the comparison's timing could tell is a digest, not a token.
    SELECT NULL::jsonb, c.id, c.region, c.status, c.version, c.created_at, c.updated_at, c.expires_at, c.adopted_from,
           CASE WHEN c.region <> p_region THEN replica_age_seconds(c.region) END,
           i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
           v.price_amount, v.currency, coalesce(s.available, 0)
    FROM carts c
    LEFT JOIN cart_items i ON i.region = c.region AND i.cart_id = c.id
    LEFT JOIN variants v ON v.sku = i.sku
    LEFT JOIN products p ON p.id = v.product_id
    LEFT JOIN stock s ON s.region = p_region AND s.sku = i.sku
    WHERE c.id = p_cart AND c.token_digest = p_token
    ORDER BY i.added_at, i.sku;
END
$$;

-- Opens an empty cart. Carts may commit asynchronously (`p_synchronous` false): a crash of the database can
-- lose the last moment of cart edits, never an order, a stock change or an idempotency record, which always
-- commit synchronously (docs/durability.md).
CREATE FUNCTION cart_open(p_region text, p_cart uuid, p_token bytea, p_lifetime_seconds bigint, p_synchronous boolean)
RETURNS TABLE (version integer, created_at timestamptz, updated_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    IF NOT p_synchronous THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    RETURN QUERY
        INSERT INTO carts AS c (region, id, token_digest, expires_at)
        VALUES (p_region, p_cart, p_token, now() + p_lifetime_seconds * interval '1 second')
        RETURNING c.version, c.created_at, c.updated_at, c.expires_at;
END
$$;

-- Finds the cart a change or a checkout acts on, with its row locked: the shopper's cart, or the local cart
-- that adopted it. It only reads: a cart homed in a region that is away is adopted (cart_adopt) once every
-- check has passed, so that a refused request forks nothing. `version` is the version the shopper read,
-- the foreign one for a cart about to be adopted.
CREATE FUNCTION cart_locate(
    p_region text, p_cart uuid, p_token bytea,
    OUT refusal jsonb, OUT id uuid, OUT home text, OUT version integer, OUT root uuid
)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    found_cart record;
BEGIN
    SELECT c.region, c.token_digest, c.status, c.version, c.expires_at < now() AS expired,
           a.region AS adopter_region, a.id AS adopter_id, coalesce(c.cart_root, c.id) AS root
    INTO found_cart
    FROM carts c
    LEFT JOIN LATERAL (
        SELECT region, id FROM carts WHERE adopted_from = c.id ORDER BY region = p_region DESC, created_at LIMIT 1
    ) a ON true
    WHERE c.id = p_cart
    FOR UPDATE OF c;
    IF NOT FOUND OR found_cart.token_digest <> p_token THEN
        refusal := '{"kind": "not_found"}';
    ELSIF found_cart.adopter_id IS NOT NULL AND found_cart.adopter_region <> p_region THEN
        refusal := jsonb_build_object('kind', 'cart_adopted', 'region', found_cart.adopter_region, 'cart_id', found_cart.adopter_id);
    ELSIF found_cart.adopter_id IS NOT NULL THEN
        SELECT * INTO refusal, id, home, version, root FROM cart_locate(p_region, found_cart.adopter_id, p_token);
    ELSIF found_cart.status = 'checked_out' THEN
        refusal := '{"kind": "cart_closed"}';
    ELSIF found_cart.status <> 'open' THEN
        -- Written by a newer region or by hand: fail rather than guess what it means.
        RAISE EXCEPTION USING ERRCODE = 'SFU01', MESSAGE = format('carts.status holds %L, which this binary does not know', found_cart.status);
    ELSIF found_cart.expired THEN
        refusal := '{"kind": "cart_expired"}';
    ELSE
        id := p_cart;
        home := found_cart.region;
        version := found_cart.version;
        root := found_cart.root;
    END IF;
END
$$;

-- Adopts a cart homed in a region that is away: a new local cart copied from the replica, with the same
-- token and lines, linked to the old id. Nothing is written into the foreign rows.
CREATE FUNCTION cart_adopt(p_region text, p_cart uuid, p_home text, p_adoptee uuid, p_root uuid, p_lifetime_seconds bigint)
RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO carts (region, id, token_digest, status, version, expires_at, adopted_from, adopted_from_region, cart_root)
    SELECT p_region, p_adoptee, token_digest, 'open', 1, now() + p_lifetime_seconds * interval '1 second', id, region, p_root
    FROM carts WHERE id = p_cart;
    INSERT INTO cart_items (region, cart_id, sku, quantity, added_at)
    SELECT p_region, p_adoptee, sku, quantity, added_at FROM cart_items WHERE region = p_home AND cart_id = p_cart;
$$;

-- Sets a line's quantity (0 removes it) and answers the cart as cart_view does, or one row with the refusal:
-- not_found, cart_adopted, cart_closed, cart_expired, version_mismatch (`current`), unknown_sku, cart_full
-- (`limit`). `p_adoptee` is the id a cart homed in a region that is away becomes here.
CREATE FUNCTION cart_change(
    p_region text, p_cart uuid, p_token bytea, p_sku text, p_quantity integer, p_expected_version integer,
    p_adoptee uuid, p_lifetime_seconds bigint, p_max_lines integer, p_synchronous boolean
)
RETURNS TABLE (
    refusal jsonb,
    id uuid, home text, status text, version integer, created_at timestamptz, updated_at timestamptz,
    expires_at timestamptz, adopted_from uuid, replica_age float8,
    sku text, quantity integer, product_id uuid, product_name text, colour text, eu_size_tenths smallint,
    us_size_tenths smallint, width text, price_amount bigint, currency text, available integer
)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    located record;
    target uuid;
    line_count integer;
    has_line boolean;
BEGIN
    SELECT * INTO located FROM cart_locate(p_region, p_cart, p_token);
    IF located.refusal IS NULL AND p_expected_version IS NOT NULL AND p_expected_version <> located.version THEN
        located.refusal := jsonb_build_object('kind', 'version_mismatch', 'current', located.version);
    END IF;
    IF located.refusal IS NULL AND p_quantity > 0 THEN
        IF NOT EXISTS (SELECT 1 FROM variants v WHERE v.sku = p_sku) THEN
            located.refusal := jsonb_build_object('kind', 'unknown_sku', 'sku', p_sku);
        ELSE
            SELECT count(*), coalesce(bool_or(i.sku = p_sku), false) INTO line_count, has_line
            FROM cart_items i WHERE i.region = located.home AND i.cart_id = located.id;
            IF NOT has_line AND line_count >= p_max_lines THEN
                located.refusal := jsonb_build_object('kind', 'cart_full', 'limit', p_max_lines);
            END IF;
        END IF;
    END IF;
    IF located.refusal IS NOT NULL THEN
        refusal := located.refusal;
        RETURN NEXT;
        RETURN;
    END IF;

    target := located.id;
    IF located.home <> p_region THEN
        PERFORM cart_adopt(p_region, located.id, located.home, p_adoptee, located.root, p_lifetime_seconds);
        target := p_adoptee;
    END IF;
    IF p_quantity = 0 THEN
        DELETE FROM cart_items i WHERE i.region = p_region AND i.cart_id = target AND i.sku = p_sku;
    ELSE
        INSERT INTO cart_items AS i (region, cart_id, sku, quantity) VALUES (p_region, target, p_sku, p_quantity)
        ON CONFLICT (region, cart_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity;
    END IF;
    UPDATE carts c SET version = c.version + 1, updated_at = now(), expires_at = now() + p_lifetime_seconds * interval '1 second'
    WHERE c.region = p_region AND c.id = target;
    IF NOT p_synchronous THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    RETURN QUERY SELECT * FROM cart_view(p_region, target, p_token);
END
$$;

-- Orders with their lines, one row a line, in the order of their ids; with a token, only an order it opens.
-- An order homed in another region comes from the replica, with the replica's age. The first four columns
-- are checkout_place's, which answers in the same shape: `p_outcome` and three nulls.
CREATE FUNCTION order_view(p_region text, p_orders uuid[], p_token bytea, p_outcome text DEFAULT NULL)
RETURNS TABLE (
    outcome text, refusal jsonb, stored_status integer, stored_body bytea,
    id uuid, home text, cart_id uuid, status text, email text, ship_name text, ship_line1 text, ship_line2 text,
    ship_city text, ship_postal_code text, ship_country text, subtotal_amount bigint,
    currency text, created_at timestamptz, updated_at timestamptz, replica_age float8, superseded_by uuid,
    superseded_by_region text,
    sku text, product_id uuid, product_name text, colour text, eu_size text, us_size text, width text,
    quantity integer, unit_price_amount bigint, line_currency text
)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT p_outcome, NULL::jsonb, NULL::integer, NULL::bytea,
           o.id, o.region, o.cart_id, o.status, o.email, o.shipping_address ->> 'name', o.shipping_address ->> 'line1',
           o.shipping_address ->> 'line2', o.shipping_address ->> 'city', o.shipping_address ->> 'postal_code',
           o.shipping_address ->> 'country', o.subtotal_amount, o.currency,
           o.created_at, o.updated_at, CASE WHEN o.region <> p_region THEN replica_age_seconds(o.region) END,
           o.superseded_by, o.superseded_by_region,
           l.sku, l.product_id, l.product_name, l.colour, l.eu_size, l.us_size, l.width, l.quantity,
           l.unit_price_amount, l.currency
    FROM orders o JOIN order_lines l ON l.region = o.region AND l.order_id = o.id
    WHERE o.id = ANY(p_orders) AND (p_token IS NULL OR o.token_digest = p_token)
    ORDER BY array_position(p_orders, o.id), l.sku;
END
$$;

-- Checkout, exactly once per idempotency key, in one statement: claims the key, places the order for the
-- cart and records the outcome with it. `outcome` says which answer this is:
--   placed        the order, just placed (one row a line, as order_view answers)
--   refused       why no order was placed (`refusal`); recorded as the key's outcome
--   replayed      the key's recorded outcome: its order as it is now, its refusal, or (for a key recorded by
--                 an earlier binary) the answer it stored (`stored_status`, `stored_body`)
--   key_reused    the key was used for another request (`p_fingerprint` differs); nothing changed
--   key_in_flight the key is held by a request of an earlier binary that claims and settles in two steps
-- Refusals: not_found, cart_adopted, cart_closed, cart_expired, cart_empty, mixed_currencies, out_of_stock
-- (`shortages`: sku, requested, available, for every short line). SQLSTATE SFS01: a line ran short while the
-- order was written; nothing happened, and the same call with `p_stock_first` settles it.
CREATE FUNCTION checkout_place(
    p_region text, p_key text, p_fingerprint bytea, p_cart uuid, p_token bytea, p_order uuid, p_order_token bytea,
    p_email text, p_address text[], p_adoptee uuid, p_lifetime_seconds bigint, p_stock_first boolean
)
RETURNS TABLE (
    outcome text, refusal jsonb, stored_status integer, stored_body bytea,
    id uuid, home text, cart_id uuid, status text, email text, ship_name text, ship_line1 text, ship_line2 text,
    ship_city text, ship_postal_code text, ship_country text, subtotal_amount bigint,
    currency text, created_at timestamptz, updated_at timestamptz, replica_age float8, superseded_by uuid,
    superseded_by_region text,
    sku text, product_id uuid, product_name text, colour text, eu_size text, us_size text, width text,
    quantity integer, unit_price_amount bigint, line_currency text
)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
    claimed boolean;
    kept record;
    elsewhere record;
    located record;
    priced record;
    taken integer;
    shortages jsonb;
    target uuid;
BEGIN
    -- The insert is the claim. A concurrent checkout with the same key waits here until the first one's
    -- statement commits, and then finds its outcome.
    FOR attempt IN 1..2 LOOP
        INSERT INTO idempotency_keys AS k (region, key, fingerprint, state) VALUES (p_region, p_key, p_fingerprint, 'running')
        ON CONFLICT (region, key) DO UPDATE SET claimed_at = now()
            -- A claim an earlier binary left running for a minute belongs to a request that died.
            WHERE k.state = 'running' AND k.fingerprint = EXCLUDED.fingerprint AND k.claimed_at < now() - interval '60 seconds'
        RETURNING true INTO claimed;
        EXIT WHEN claimed;
        SELECT k.fingerprint, k.state, k.refusal, k.response_status, k.response_body,
               coalesce(k.order_id, CASE WHEN k.response_status = 201 THEN (convert_from(k.response_body, 'UTF8')::jsonb ->> 'id')::uuid END) AS order_id
        INTO kept FROM idempotency_keys k WHERE k.region = p_region AND k.key = p_key;
        -- Purged between the conflict and this read: claim it again.
        CONTINUE WHEN NOT FOUND;
        IF kept.fingerprint <> p_fingerprint THEN
            outcome := 'key_reused';
        ELSIF kept.state = 'running' THEN
            outcome := 'key_in_flight';
        ELSIF kept.order_id IS NOT NULL THEN
            RETURN QUERY SELECT * FROM order_view(p_region, ARRAY[kept.order_id], NULL, 'replayed');
            RETURN;
        ELSE
            outcome := 'replayed';
            refusal := kept.refusal;
            stored_status := kept.response_status;
            stored_body := kept.response_body;
        END IF;
        RETURN NEXT;
        RETURN;
    END LOOP;
    IF claimed IS NOT TRUE THEN
        RAISE EXCEPTION 'idempotency key % could be neither claimed nor read', p_key;
    END IF;

    -- A checkout another region placed under this key (the retry of one whose answer was lost, through
    -- another region), as replicated here: its order is this key's outcome here too. Only placed orders
    -- count: another region's refusal spoke of that region's state then.
    SELECT k.fingerprint, coalesce(k.order_id, (convert_from(k.response_body, 'UTF8')::jsonb ->> 'id')::uuid) AS order_id
    INTO elsewhere
    FROM idempotency_keys k
    WHERE k.key = p_key AND k.region <> p_region AND k.state = 'done' AND (k.order_id IS NOT NULL OR k.response_status = 201)
    ORDER BY k.claimed_at, k.region
    LIMIT 1;
    IF FOUND THEN
        IF elsewhere.fingerprint <> p_fingerprint THEN
            DELETE FROM idempotency_keys k WHERE k.region = p_region AND k.key = p_key;
            outcome := 'key_reused';
            RETURN NEXT;
            RETURN;
        END IF;
        UPDATE idempotency_keys k SET state = 'done', order_id = elsewhere.order_id WHERE k.region = p_region AND k.key = p_key;
        RETURN QUERY SELECT * FROM order_view(p_region, ARRAY[elsewhere.order_id], NULL, 'replayed');
        RETURN;
    END IF;

    SELECT * INTO located FROM cart_locate(p_region, p_cart, p_token);
    IF located.refusal IS NULL THEN
        SELECT count(*) AS lines, count(DISTINCT v.currency) AS currencies,
               array_agg(i.sku ORDER BY i.sku) AS skus, array_agg(i.quantity ORDER BY i.sku) AS quantities
        INTO priced
        FROM cart_items i JOIN variants v ON v.sku = i.sku
        WHERE i.region = located.home AND i.cart_id = located.id;
        IF priced.lines = 0 THEN
            located.refusal := '{"kind": "cart_empty"}';
        ELSIF priced.currencies > 1 THEN
            located.refusal := '{"kind": "mixed_currencies"}';
        END IF;
    END IF;
    -- The stock is taken last, after the order is written (below). A SKU already short (an unlocked look), or a
    -- retry after one ran short meanwhile, goes the careful way: its rows locked in SKU order and read first, so
    -- that the shortage is found before anything is written, and recorded as the key's outcome.
    IF located.refusal IS NULL AND NOT p_stock_first THEN
        p_stock_first := EXISTS (
            SELECT 1 FROM unnest(priced.skus, priced.quantities) AS w (sku, quantity)
            LEFT JOIN stock s ON s.region = p_region AND s.sku = w.sku
            WHERE coalesce(s.available, 0) < w.quantity
        );
    END IF;
    IF located.refusal IS NULL AND p_stock_first THEN
        PERFORM 1 FROM stock s WHERE s.region = p_region AND s.sku = ANY(priced.skus) ORDER BY s.sku FOR UPDATE;
        SELECT jsonb_agg(jsonb_build_object('sku', w.sku, 'requested', w.quantity, 'available', coalesce(s.available, 0)) ORDER BY w.sku)
        INTO shortages
        FROM unnest(priced.skus, priced.quantities) AS w (sku, quantity)
        LEFT JOIN stock s ON s.region = p_region AND s.sku = w.sku
        WHERE coalesce(s.available, 0) < w.quantity;
        IF shortages IS NOT NULL THEN
            located.refusal := jsonb_build_object('kind', 'out_of_stock', 'shortages', shortages);
        END IF;
    END IF;
    IF located.refusal IS NOT NULL THEN
        UPDATE idempotency_keys k SET state = 'done', refusal = located.refusal WHERE k.region = p_region AND k.key = p_key;
        outcome := 'refused';
        refusal := located.refusal;
        RETURN NEXT;
        RETURN;
    END IF;

    target := located.id;
    IF located.home <> p_region THEN
        PERFORM cart_adopt(p_region, located.id, located.home, p_adoptee, located.root, p_lifetime_seconds);
        target := p_adoptee;
    END IF;
    -- The order and its lines priced from the catalog as it is now, in one statement; the subtotal is the sum
    -- of the very lines written.
    WITH lines AS (
        SELECT i.sku, i.quantity, v.product_id, p.name, v.colour, v.eu_size_tenths, v.us_size_tenths, v.width,
               v.price_amount, v.currency
        FROM cart_items i JOIN variants v ON v.sku = i.sku JOIN products p ON p.id = v.product_id
        WHERE i.region = located.home AND i.cart_id = located.id
    ), placed AS (
        INSERT INTO orders (region, id, cart_id, cart_root, token_digest, status, email, shipping_address, subtotal_amount, currency)
        SELECT p_region, p_order, target, located.root, p_order_token, 'placed', p_email,
               -- name, line1, line2 (empty when there is none), city, postal code, country
               jsonb_strip_nulls(jsonb_build_object('name', p_address[1], 'line1', p_address[2], 'line2', nullif(p_address[3], ''),
                                                    'city', p_address[4], 'postal_code', p_address[5], 'country', p_address[6])),
               sum(l.price_amount * l.quantity), min(l.currency)
        FROM lines l
        HAVING count(DISTINCT l.currency) = 1
    )
    INSERT INTO order_lines (region, order_id, sku, product_id, product_name, colour, eu_size, us_size, width,
                             quantity, unit_price_amount, currency)
    SELECT p_region, p_order, l.sku, l.product_id, l.name, l.colour, shoe_size_label(l.eu_size_tenths),
           shoe_size_label(l.us_size_tenths), l.width, l.quantity, l.price_amount, l.currency
    FROM lines l;
    UPDATE carts c SET status = 'checked_out', version = c.version + 1, updated_at = now()
    WHERE c.region = p_region AND c.id = target;
    UPDATE idempotency_keys k SET state = 'done', order_id = p_order WHERE k.region = p_region AND k.key = p_key;
    -- Last, the stock: a launch's hot SKU is one row every checkout locks, and it stays locked only for this
    -- UPDATE, the order's read-back and the commit. Several rows are locked in SKU order first, as every
    -- checkout and cancel locks them, so that none waits on another in a cycle (rows locked above already are).
    IF priced.lines > 1 THEN
        PERFORM 1 FROM stock s WHERE s.region = p_region AND s.sku = ANY(priced.skus) ORDER BY s.sku FOR UPDATE;
    END IF;
    UPDATE stock s SET available = s.available - w.quantity
    FROM unnest(priced.skus, priced.quantities) AS w (sku, quantity)
    WHERE s.region = p_region AND s.sku = w.sku AND s.available >= w.quantity;
    GET DIAGNOSTICS taken = ROW_COUNT;
    IF taken < priced.lines THEN
        -- Taken by others since the look above: rolls the whole statement back, claim included, and the caller
        -- asks again with p_stock_first, which records the refusal.
        RAISE EXCEPTION USING ERRCODE = 'SFS01', MESSAGE = 'a line is short: checkout_place must be retried with p_stock_first';
    END IF;
    RETURN QUERY SELECT * FROM order_view(p_region, ARRAY[p_order], NULL, 'placed');
END
$$;
