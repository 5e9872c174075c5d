-- CiviQ schema: state shared by server instances (issue 15; SQLite has
-- one server, but the same schema). Pending device pairing codes, stored
-- so a code survives a restart; by the SHA-256 of the code, single use.
CREATE TABLE IF NOT EXISTS pairing_codes (
    code_hash  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The status (open or paused) of a counter the server closed for want of a
-- clerk console, given back when a console attaches again; '' otherwise.
ALTER TABLE counters ADD COLUMN unstaffed TEXT NOT NULL DEFAULT '';
