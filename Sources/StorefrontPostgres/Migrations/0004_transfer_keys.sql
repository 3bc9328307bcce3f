-- A transfer is sent exactly once per Idempotency-Key: an admin whose answer was lost retries without moving
-- the units twice. Keys belong to the sending region.
ALTER TABLE stock_transfers ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX stock_transfers_key ON stock_transfers (region, idempotency_key);
