-- CiviQ schema: per-person daily cap from the citizen ID card (issue 17).

-- The ID number is kept only as HMAC-SHA256 keyed with the store secret
-- (id_hash, internal/cccd.Hash), with the birth year; never the number,
-- name or address.
ALTER TABLE tickets ADD COLUMN id_hash BLOB;
ALTER TABLE tickets ADD COLUMN birth_year INTEGER;
CREATE INDEX IF NOT EXISTS tickets_id_hash ON tickets (id_hash, day) WHERE id_hash IS NOT NULL;
