-- CiviQ schema (PostgreSQL): the report triggers skip what they would skip anyway, and two indexes cost issued tickets less (PostgreSQL only, like 0013).

-- Once a transaction has bumped a day's report generation, its later
-- changes of that day return at once from report_day_changed (0013). The
-- call itself still cost every inserted or updated ticket an AFTER
-- trigger event: queued, its row fetched again at the end of the
-- statement, a PL/pgSQL call. The same test in the triggers' WHEN clause,
-- evaluated as the row is written, queues nothing for those rows. Rows of
-- one statement are all tested before its triggers run, so a statement of
-- many rows may still queue several calls: the function's own test (kept)
-- answers them.
DROP TRIGGER report_ticket ON tickets;
CREATE TRIGGER report_ticket AFTER INSERT OR UPDATE ON tickets
    FOR EACH ROW WHEN (NEW.day IS DISTINCT FROM current_setting('civiq.report_day_bumped', true))
    EXECUTE FUNCTION report_day_changed();
DROP TRIGGER report_rating ON ratings;
CREATE TRIGGER report_rating AFTER INSERT OR UPDATE ON ratings
    FOR EACH ROW WHEN (NEW.day IS DISTINCT FROM current_setting('civiq.report_day_bumped', true))
    EXECUTE FUNCTION report_day_changed();
DROP TRIGGER report_visit ON visits;
CREATE TRIGGER report_visit AFTER INSERT OR UPDATE ON visits
    FOR EACH ROW WHEN (NEW.day IS DISTINCT FROM current_setting('civiq.report_day_bumped', true))
    EXECUTE FUNCTION report_day_changed();

-- Indexes every issued ticket paid for and no query needs any longer:
-- tickets_waiting (0001) served call-next before tickets_queue (0013,
-- walk-ins) and tickets_booked_waiting (0009, bookings) did; the start's
-- recent service times read finished tickets only, so tickets_finished
-- need not hold the open ones (a waiting or called ticket has no
-- finished_at).
DROP INDEX tickets_waiting;
DROP INDEX tickets_finished;
CREATE INDEX tickets_finished ON tickets (finished_at) WHERE finished_at IS NOT NULL;

-- Call-next asks for the oldest waiting walk-in of each of the counter's
-- fields (tx.go OldestWaiting): one step down this index per field. It
-- replaces tickets_queue (0013), whose time order made the query read
-- every waiting ticket of the other fields issued before the answer.
DROP INDEX tickets_queue;
CREATE INDEX tickets_field_queue ON tickets (day, priority, service_id, issued_at, id) WHERE status = 'waiting' AND booking IS NULL;
