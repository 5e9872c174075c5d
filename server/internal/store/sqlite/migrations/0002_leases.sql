-- CiviQ schema version 2: blocks of offline ticket numbers leased to kiosks.

-- The last offline number reserved per field and day. Leased numbers start
-- above protocol.OfflineBase (5000), so online numbers stay gap-free.
CREATE TABLE lease_seq (
    service_id TEXT NOT NULL,
    day        TEXT NOT NULL,
    last       INTEGER NOT NULL,
    PRIMARY KEY (service_id, day)
);

-- Every lease granted; a synced offline ticket must fall inside one of its
-- kiosk's leases. Times are Unix microseconds.
CREATE TABLE leases (
    id         TEXT PRIMARY KEY,
    issuer     TEXT NOT NULL,
    service_id TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    day        TEXT NOT NULL,
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX leases_issuer ON leases (issuer, day);
