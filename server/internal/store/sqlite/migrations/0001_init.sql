-- CiviQ schema version 1.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Centre settings (one row), field and counter definitions as JSON documents
-- of the protocol types, so adding a setting needs no migration.
CREATE TABLE centre (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);

CREATE TABLE services (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE counters (
    id              TEXT PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    data            TEXT NOT NULL,
    priority_streak INTEGER NOT NULL DEFAULT 0,
    served_day      TEXT NOT NULL DEFAULT '',
    served_today    INTEGER NOT NULL DEFAULT 0
);

-- The last number handed out per field and day. Allocation is an UPSERT in
-- the issuing transaction, so numbers are unique and gap-free.
CREATE TABLE number_seq (
    service_id TEXT NOT NULL,
    day        TEXT NOT NULL,
    last       INTEGER NOT NULL,
    PRIMARY KEY (service_id, day)
);

-- Every ticket ever issued; the daily reset never deletes history.
-- Times are Unix microseconds.
CREATE TABLE tickets (
    id                 TEXT PRIMARY KEY,
    day                TEXT NOT NULL,
    issue_service_id   TEXT NOT NULL,
    number             INTEGER NOT NULL,
    code               TEXT NOT NULL,
    service_id         TEXT NOT NULL,
    from_service_id    TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    priority           INTEGER NOT NULL DEFAULT 0,
    lang               TEXT NOT NULL DEFAULT 'vi',
    issued_at          INTEGER NOT NULL,
    called_at          INTEGER,
    service_started_at INTEGER,
    finished_at        INTEGER,
    counter_id         TEXT NOT NULL DEFAULT '',
    clerk_id           TEXT NOT NULL DEFAULT '',
    recalls            INTEGER NOT NULL DEFAULT 0,
    token_hash         BLOB NOT NULL UNIQUE,
    issued_by          TEXT NOT NULL DEFAULT '',
    idem_key           TEXT,
    offline            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (issue_service_id, day, number)
);
CREATE UNIQUE INDEX tickets_idem ON tickets (issued_by, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX tickets_waiting ON tickets (status, day, priority, service_id, issued_at);
CREATE INDEX tickets_counter ON tickets (counter_id) WHERE status = 'called';
CREATE INDEX tickets_finished ON tickets (finished_at);

-- The event log: seq is never reused (AUTOINCREMENT), so it only grows.
CREATE TABLE events (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at   TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_calls ON events (type, seq) WHERE type IN ('ticket.called', 'ticket.recalled');

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    counter_ids   TEXT NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE devices (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER,
    status     TEXT NOT NULL DEFAULT '{}',
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
