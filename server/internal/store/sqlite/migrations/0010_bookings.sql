-- CiviQ schema: appointments (issue 17).

-- Booking settings per field (protocol.BookingSettings as JSON).
CREATE TABLE IF NOT EXISTS booking_settings (
    service_id TEXT PRIMARY KEY,
    data       TEXT NOT NULL
);

-- Days the whole centre is closed: no bookings, no kiosk tickets.
CREATE TABLE IF NOT EXISTS holidays (
    day  TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
);

-- Bookings. Times are Unix microseconds. The phone number is kept only as
-- HMAC-SHA256 keyed with the store secret (phone_hash), for "one booking
-- per phone per field per day" and to cancel.
CREATE TABLE IF NOT EXISTS bookings (
    code        TEXT PRIMARY KEY,
    service_id  TEXT NOT NULL,
    day         TEXT NOT NULL,
    slot_start  INTEGER NOT NULL,
    window_from INTEGER NOT NULL,
    window_to   INTEGER NOT NULL,
    status      TEXT NOT NULL,
    phone_hash  BLOB,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    checked_at  INTEGER,
    ticket_id   TEXT NOT NULL DEFAULT '',
    ticket_code TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS bookings_slot ON bookings (service_id, slot_start);
CREATE INDEX IF NOT EXISTS bookings_day ON bookings (day, service_id);
CREATE INDEX IF NOT EXISTS bookings_due ON bookings (status, window_to);
