-- CiviQ schema: priority rules per field and booked tickets (issue 17).
-- A field's priority rule lives in its JSON data (services.data), so it
-- needs no column.

-- Regular tickets a counter called in a row since its last priority call:
-- the interleave rule (1 priority : N regular) counts them, and the count
-- survives a restart like priority_streak does.
ALTER TABLE counters ADD COLUMN regular_run INTEGER NOT NULL DEFAULT 0;

-- The booking a ticket was checked in with, as JSON
-- {"code","slot_start","window_from","window_to"}; NULL for a walk-in.
-- Call-next reads booked tickets apart from walk-ins (few per field and
-- day), hence the partial index.
ALTER TABLE tickets ADD COLUMN booking TEXT;
CREATE INDEX IF NOT EXISTS tickets_booked_waiting ON tickets (day, service_id)
    WHERE booking IS NOT NULL AND status = 'waiting';
