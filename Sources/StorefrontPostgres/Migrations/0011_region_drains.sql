-- A drain is the region's, not one instance's: sent to any instance, it takes every instance of the region
-- out of rotation. Each instance hears of a change on the channel `storefront_region_drain` and reads the
-- row again. Not published: every region's drain is its own.
CREATE TABLE region_drains (
    region text PRIMARY KEY,
    reason text NOT NULL,
    requested_by text NOT NULL,
    since timestamptz NOT NULL,
    until timestamptz
);
