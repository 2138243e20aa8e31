-- One row that readiness checks rewrite now and then, to learn whether the database still accepts a
-- write (a full disk or a read-only file still answers reads, but not writes). Every instance rewrites
-- the same row, at most once per probe interval each.
CREATE TABLE write_probe (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    -- When an instance last wrote here, Unix milliseconds (UTC).
    at_ms INTEGER NOT NULL
);
