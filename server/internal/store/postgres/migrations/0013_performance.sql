-- CiviQ schema (PostgreSQL), performance (PostgreSQL only; SQLite has no
-- 0012 for it).

-- The oldest waiting walk-in of a counter's fields in one index range.
-- Call-next asks for it with service_id = ANY(the counter's fields) ORDER
-- BY issued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED: tickets_waiting has the
-- field before the time, so PostgreSQL read every waiting ticket of those
-- fields and sorted them (1.5 ms with 4,000 waiting); in time order it
-- reads until the first of one of the fields.
CREATE INDEX tickets_queue ON tickets (day, priority, issued_at, id) WHERE status = 'waiting' AND booking IS NULL;

-- Every change of a ticket, visit or rating bumps its day's generation
-- and drops the day's summaries (0001). A group-commit batch changes
-- hundreds of tickets of one day in one transaction, each bump a new
-- version of the same report_gen row that the next one must find. Once a
-- transaction has bumped a day, its later changes of that day need not:
-- the row stays locked by it until it commits, so no summary of the day
-- is stored meanwhile (storeSummary reads the row FOR SHARE, then sees the
-- new generation), and the summaries are gone. The day last bumped is
-- remembered in a transaction-local setting, which a rollback to a
-- savepoint forgets together with the bump it undoes.
CREATE OR REPLACE FUNCTION report_day_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    IF TG_TABLE_NAME = 'rating_reasons' THEN
        SELECT day INTO d FROM ratings WHERE ticket_id = NEW.ticket_id;
    ELSE
        d := NEW.day;
    END IF;
    IF d IS NOT NULL AND current_setting('civiq.report_day_bumped', true) = d THEN
        RETURN NULL;
    END IF;
    INSERT INTO report_gen (day, gen) VALUES (d, 1)
        ON CONFLICT (day) DO UPDATE SET gen = report_gen.gen + 1;
    DELETE FROM report_days WHERE day = d;
    PERFORM set_config('civiq.report_day_bumped', d, true);
    RETURN NULL;
END $$;
