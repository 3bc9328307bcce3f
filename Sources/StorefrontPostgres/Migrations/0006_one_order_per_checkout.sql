-- One order per checkout across regions. A region that adopted a cart while its home was away may have
-- placed an order for it that the home also placed: the reconciler finds such orders by the cart the
-- shopper opened (`cart_root`: the cart itself, or for an adopted cart the one it copied), keeps the
-- earliest and cancels the others, recording which order stands. An adopted cart keeps the root of the cart
-- it copied, however many adoptions away.
ALTER TABLE carts ADD COLUMN cart_root uuid;
ALTER TABLE orders ADD COLUMN cart_root uuid;
ALTER TABLE orders ADD COLUMN superseded_by uuid;
ALTER TABLE orders ADD COLUMN superseded_by_region text;
ALTER TABLE orders ADD COLUMN reconciled_at timestamptz;

CREATE INDEX orders_cart_root ON orders (cart_root);
-- Only orders of adopted carts can have a twin: the reconciler starts from these few.
CREATE INDEX orders_of_adopted_carts ON orders (cart_root) WHERE cart_root <> cart_id;
CREATE INDEX orders_reconciled ON orders (reconciled_at DESC) WHERE reconciled_at IS NOT NULL;

-- A checkout retried through another region finds the key's answer wherever it was recorded.
CREATE INDEX idempotency_keys_key ON idempotency_keys (key);
