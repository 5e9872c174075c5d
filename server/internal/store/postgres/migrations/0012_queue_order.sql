-- CiviQ schema (PostgreSQL): the oldest waiting walk-in of a counter's
-- fields in one index range (PostgreSQL only; SQLite has no 0012 for it).
-- Call-next asks for it with service_id = ANY(the counter's fields) ORDER
-- BY issued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED: tickets_waiting has the
-- field before the time, so PostgreSQL read every waiting ticket of those
-- fields and sorted them (1.5 ms with 4,000 waiting); in time order it
-- reads until the first of one of the fields.
CREATE INDEX tickets_queue ON tickets (day, priority, issued_at, id) WHERE status = 'waiting' AND booking IS NULL;
