-- CiviQ schema: reports and webhooks (issue 13, data out).

-- Who called a ticket first and when. called_at, counter_id and clerk_id
-- describe the current call and are cleared by a transfer; reports group a
-- ticket by its first call (DATA-OUT.md: wait = first call - issue).
ALTER TABLE tickets ADD COLUMN first_called_at INTEGER;
ALTER TABLE tickets ADD COLUMN first_counter_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN first_clerk_id TEXT NOT NULL DEFAULT '';
UPDATE tickets SET first_called_at = called_at, first_counter_id = counter_id, first_clerk_id = clerk_id
    WHERE called_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_day ON tickets (day);

-- Per-day report summaries (one row per service day and grouping
-- dimension), a cache of what the tickets of a finished day add up to.
-- Tickets stay the truth: any change to a day's tickets, visit records or
-- ratings deletes
-- that day's summaries and bumps its generation in the same transaction
-- (triggers below), so a late offline ticket synced into a past day is
-- counted by the next report. A summary is stored only if the day's
-- generation did not move while it was being computed.
CREATE TABLE IF NOT EXISTS report_gen (
    day TEXT PRIMARY KEY,
    gen INTEGER NOT NULL
);
INSERT OR IGNORE INTO report_gen (day, gen) SELECT DISTINCT day, 1 FROM tickets;
CREATE TABLE IF NOT EXISTS report_days (
    day  TEXT NOT NULL,
    dim  TEXT NOT NULL,
    gen  INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (day, dim)
);
CREATE TRIGGER IF NOT EXISTS report_ticket_insert AFTER INSERT ON tickets BEGIN
    INSERT OR IGNORE INTO report_gen (day, gen) VALUES (NEW.day, 0);
    UPDATE report_gen SET gen = gen + 1 WHERE day = NEW.day;
    DELETE FROM report_days WHERE day = NEW.day;
END;
CREATE TRIGGER IF NOT EXISTS report_ticket_update AFTER UPDATE ON tickets BEGIN
    INSERT OR IGNORE INTO report_gen (day, gen) VALUES (NEW.day, 0);
    UPDATE report_gen SET gen = gen + 1 WHERE day = NEW.day;
    DELETE FROM report_days WHERE day = NEW.day;
END;
CREATE TRIGGER IF NOT EXISTS report_rating_insert AFTER INSERT ON ratings BEGIN
    INSERT OR IGNORE INTO report_gen (day, gen) VALUES (NEW.day, 0);
    UPDATE report_gen SET gen = gen + 1 WHERE day = NEW.day;
    DELETE FROM report_days WHERE day = NEW.day;
END;
CREATE TRIGGER IF NOT EXISTS report_rating_update AFTER UPDATE ON ratings BEGIN
    INSERT OR IGNORE INTO report_gen (day, gen) VALUES (NEW.day, 0);
    UPDATE report_gen SET gen = gen + 1 WHERE day = NEW.day;
    DELETE FROM report_days WHERE day = NEW.day;
END;
CREATE TRIGGER IF NOT EXISTS report_visit_insert AFTER INSERT ON visits BEGIN
    INSERT OR IGNORE INTO report_gen (day, gen) VALUES (NEW.day, 0);
    UPDATE report_gen SET gen = gen + 1 WHERE day = NEW.day;
    DELETE FROM report_days WHERE day = NEW.day;
END;
CREATE TRIGGER IF NOT EXISTS report_visit_update AFTER UPDATE ON visits BEGIN
    INSERT OR IGNORE INTO report_gen (day, gen) VALUES (NEW.day, 0);
    UPDATE report_gen SET gen = gen + 1 WHERE day = NEW.day;
    DELETE FROM report_days WHERE day = NEW.day;
END;
CREATE TRIGGER IF NOT EXISTS report_reason_insert AFTER INSERT ON rating_reasons BEGIN
    UPDATE report_gen SET gen = gen + 1 WHERE day = (SELECT day FROM ratings WHERE ticket_id = NEW.ticket_id);
    DELETE FROM report_days WHERE day = (SELECT day FROM ratings WHERE ticket_id = NEW.ticket_id);
END;
-- A field's target, the centre's time zone or a user's name change what
-- every summary holds: start over.
CREATE TRIGGER IF NOT EXISTS report_services_update AFTER UPDATE ON services BEGIN
    UPDATE report_gen SET gen = gen + 1;
    DELETE FROM report_days;
END;
CREATE TRIGGER IF NOT EXISTS report_centre_update AFTER UPDATE ON centre BEGIN
    UPDATE report_gen SET gen = gen + 1;
    DELETE FROM report_days;
END;

-- Webhook endpoints. Deliveries are derived from the events table: each
-- endpoint keeps the seq of the last event it acknowledged (cursor), so
-- events go out at least once and in seq order, and survive restarts.
CREATE TABLE IF NOT EXISTS webhooks (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    events       TEXT NOT NULL DEFAULT '[]',
    secret       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    cursor       INTEGER NOT NULL DEFAULT 0,
    -- the event being retried: its first failure and how many attempts so far
    attempts     INTEGER NOT NULL DEFAULT 0,
    failing_since INTEGER,
    next_attempt INTEGER NOT NULL DEFAULT 0
);

-- The last attempts per endpoint, for the admin page (pruned to the newest).
CREATE TABLE IF NOT EXISTS webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    event_type  TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    resend      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhook_attempts_hook ON webhook_attempts (webhook_id, id);

-- Admin's "resend": an event queued again for one endpoint, outside the cursor.
CREATE TABLE IF NOT EXISTS webhook_resends (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL,
    seq        INTEGER NOT NULL
);
