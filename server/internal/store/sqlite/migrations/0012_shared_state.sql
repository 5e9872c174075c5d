-- CiviQ schema: pending device pairing codes (issue 15), stored so a
-- code made through one server instance can be used through another (and
-- survives a restart); by the SHA-256 of the code, single use.
CREATE TABLE IF NOT EXISTS pairing_codes (
    code_hash  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The status (open or paused) of a counter the server closed for want of a
-- clerk console, given back when a console attaches again; '' otherwise.
ALTER TABLE counters ADD COLUMN unstaffed TEXT NOT NULL DEFAULT '';
