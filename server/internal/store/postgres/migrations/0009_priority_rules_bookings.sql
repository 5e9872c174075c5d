-- CiviQ PostgreSQL schema: priority rules per field and booked tickets
-- (issue 17), the equivalent of SQLite's 0009_priority_rules_bookings.sql.
-- A field's priority rule lives in its JSON data (services.data).

-- Regular tickets a counter called in a row since its last priority call
-- (the interleave rule), kept across restarts like priority_streak.
ALTER TABLE counters ADD COLUMN regular_run integer NOT NULL DEFAULT 0;

-- The booking a ticket was checked in with, as JSON
-- {"code","slot_start","window_from","window_to"}; NULL for a walk-in.
ALTER TABLE tickets ADD COLUMN booking text;
CREATE INDEX tickets_booked_waiting ON tickets (day, service_id) WHERE booking IS NOT NULL AND status = 'waiting';
