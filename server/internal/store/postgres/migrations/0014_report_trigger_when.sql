-- CiviQ schema (PostgreSQL), reports: the report triggers skip what they would skip anyway (PostgreSQL only, like 0013).

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
