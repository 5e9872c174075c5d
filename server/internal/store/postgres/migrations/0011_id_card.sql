-- CiviQ schema (PostgreSQL): per-person daily cap from the citizen ID
-- card (issue 17); numbered like SQLite's 0011.

-- The ID number is kept only as HMAC-SHA256 keyed with the store secret.
ALTER TABLE tickets ADD COLUMN id_hash bytea;
ALTER TABLE tickets ADD COLUMN birth_year integer;
CREATE INDEX tickets_id_hash ON tickets (id_hash, day) WHERE id_hash IS NOT NULL;
