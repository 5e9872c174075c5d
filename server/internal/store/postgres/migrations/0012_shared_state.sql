-- CiviQ schema (PostgreSQL): state shared by the server instances of one
-- database (issue 15); numbered like SQLite's 0012.

-- The lease on delivering to a webhook endpoint: only the instance named
-- here delivers, until lease_until (database clock); another takes over
-- once it has run out.
ALTER TABLE webhooks ADD COLUMN lease_owner text;
ALTER TABLE webhooks ADD COLUMN lease_until timestamptz;

-- Pending device pairing codes, by the SHA-256 of the code; single use.
CREATE TABLE pairing_codes (
    code_hash  text PRIMARY KEY,
    kind       text NOT NULL,
    name       text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Clerk consoles attached to a counter, per server instance, refreshed
-- while attached: a counter is unstaffed only when no instance has a live
-- row for it (database clock).
CREATE TABLE console_presence (
    counter_id text NOT NULL,
    instance   text NOT NULL,
    until      timestamptz NOT NULL,
    PRIMARY KEY (counter_id, instance)
);

-- The status (open or paused) of a counter the server closed for want of a
-- clerk console, given back when a console attaches again through any
-- instance; '' otherwise.
ALTER TABLE counters ADD COLUMN unstaffed text NOT NULL DEFAULT '';
