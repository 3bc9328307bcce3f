-- A drain is the region's, not one instance's: sent to any instance, it takes every instance of the region
-- out of rotation. Each instance hears of a change on the channel `storefront_region_drain` and reads the
-- row again. Lifting a drain keeps the row (reason NULL) so that its version only grows: an instance
-- ignores what it reads if it already holds a later version (a read that raced a change). Not published:
-- every region's drain is its own.
CREATE TABLE region_drains (
    region text PRIMARY KEY,
    version bigint NOT NULL,
    reason text,
    requested_by text,
    since timestamptz,
    until timestamptz,
    CHECK ((reason IS NULL) = (requested_by IS NULL) AND (reason IS NULL) = (since IS NULL))
);
