-- CiviQ schema (PostgreSQL): appointments (issue 17); numbered like
-- SQLite's 0010 (versions count the files in sorted order).

CREATE TABLE booking_settings (
    service_id text PRIMARY KEY,
    data       jsonb NOT NULL
);

CREATE TABLE holidays (
    day  text PRIMARY KEY,
    name text NOT NULL DEFAULT ''
);

-- The phone number is kept only as HMAC-SHA256 keyed with the store secret.
CREATE TABLE bookings (
    code        text PRIMARY KEY,
    service_id  text NOT NULL,
    day         text NOT NULL,
    slot_start  timestamptz NOT NULL,
    window_from timestamptz NOT NULL,
    window_to   timestamptz NOT NULL,
    status      text NOT NULL,
    phone_hash  bytea,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL DEFAULT '',
    checked_at  timestamptz,
    ticket_id   text NOT NULL DEFAULT '',
    ticket_code text NOT NULL DEFAULT ''
);
CREATE INDEX bookings_slot ON bookings (service_id, slot_start);
CREATE INDEX bookings_day ON bookings (day, service_id);
CREATE INDEX bookings_due ON bookings (window_to) WHERE status = 'booked';
