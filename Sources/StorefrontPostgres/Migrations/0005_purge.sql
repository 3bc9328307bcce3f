-- The purger finds abandoned carts by their expiry without reading every cart.
CREATE INDEX carts_expiry ON carts (region, expires_at) WHERE status = 'open';
