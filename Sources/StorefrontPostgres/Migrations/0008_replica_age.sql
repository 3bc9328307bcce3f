-- How old this database's copy of a region's rows may be: the age of the newest heartbeat that region's
-- database wrote and replication brought here (NULL before the first). A cart or order read from the replica
-- carries it, so one definition serves both.
CREATE FUNCTION replica_age_seconds(home text) RETURNS float8
    LANGUAGE sql STABLE
    AS $$ SELECT extract(epoch FROM now() - beat_at)::float8 FROM heartbeats WHERE region = home $$;
