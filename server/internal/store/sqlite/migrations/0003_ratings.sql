-- Satisfaction ratings (issue 6): at most one per ticket, stored with the
-- ticket's field, counter and clerk so reports can group by each.
-- IF NOT EXISTS: the runner numbers migrations by position, so a store
-- made on a branch without 0002 may meet this file again after a merge.
CREATE TABLE IF NOT EXISTS ratings (
    ticket_id  TEXT PRIMARY KEY REFERENCES tickets (id),
    day        TEXT NOT NULL,
    code       TEXT NOT NULL,
    service_id TEXT NOT NULL,
    counter_id TEXT NOT NULL DEFAULT '',
    clerk_id   TEXT NOT NULL DEFAULT '',
    score      TEXT NOT NULL CHECK (score IN ('very_satisfied', 'satisfied', 'unsatisfied')),
    comment    TEXT NOT NULL DEFAULT '',
    via        TEXT NOT NULL CHECK (via IN ('phone', 'counter')),
    at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ratings_at ON ratings (at);
-- The counter-side tablet asks for the ticket last finished at its counter.
CREATE INDEX IF NOT EXISTS tickets_counter_finished ON tickets (counter_id, finished_at) WHERE status = 'done';
