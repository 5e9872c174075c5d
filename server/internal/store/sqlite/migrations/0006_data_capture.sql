-- CiviQ schema: data capture for reports (issue 13, shared/DATA-OUT.md).
-- New tables only, each IF NOT EXISTS: the runner numbers migrations by
-- position, so a store made on a branch without 0004/0005 may meet this
-- file again after a merge. Times are Unix microseconds.

-- Visit records: what the clerk noted when a visit ended (POST
-- /api/v1/counters/{id}/done with a body). At most one per ticket, written
-- in the same transaction as the ticket's status done. The ticket's field,
-- counter and clerk are copied so a report can group without a join, but
-- tickets stays the reference for the day and field the ticket was issued
-- for. outcome is NULL when the clerk noted codes or a note without one.
-- dossier_codes is a JSON array of strings (in the order typed or scanned),
-- dossier_count its length.
CREATE TABLE IF NOT EXISTS visits (
    ticket_id     TEXT PRIMARY KEY REFERENCES tickets (id),
    day           TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    counter_id    TEXT NOT NULL DEFAULT '',
    clerk_id      TEXT NOT NULL DEFAULT '',
    outcome       TEXT CHECK (outcome IN ('received', 'returned', 'guided', 'supplement', 'refused', 'other')),
    dossier_codes TEXT NOT NULL DEFAULT '[]',
    dossier_count INTEGER NOT NULL DEFAULT 0,
    note          TEXT NOT NULL DEFAULT '',
    finished_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS visits_finished ON visits (finished_at);
CREATE INDEX IF NOT EXISTS visits_day ON visits (day);

-- Disruptions (one-stop software down, network, power, printer, other).
-- counter_ids is a JSON array of counter ids; '[]' means the whole centre.
-- ended_at is NULL while the disruption is open.
CREATE TABLE IF NOT EXISTS disruptions (
    id          TEXT PRIMARY KEY,
    cause       TEXT NOT NULL CHECK (cause IN ('one_stop_software', 'network', 'power', 'printer', 'other')),
    counter_ids TEXT NOT NULL DEFAULT '[]',
    note        TEXT NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    started_by  TEXT NOT NULL DEFAULT '',
    ended_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS disruptions_started ON disruptions (started_at);
CREATE INDEX IF NOT EXISTS disruptions_open ON disruptions (ended_at) WHERE ended_at IS NULL;

-- Reasons a citizen gave with an "unsatisfied" rating (zero or more per
-- rating; the free text is ratings.comment).
CREATE TABLE IF NOT EXISTS rating_reasons (
    ticket_id TEXT NOT NULL REFERENCES ratings (ticket_id),
    reason    TEXT NOT NULL CHECK (reason IN ('long_wait', 'attitude', 'unclear_guidance', 'missing_information', 'other')),
    PRIMARY KEY (ticket_id, reason)
);
