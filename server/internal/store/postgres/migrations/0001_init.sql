-- CiviQ PostgreSQL schema version 1: the SQLite schema 0001-0007 in one
-- step, in PostgreSQL's idiom (timestamptz, bigint identity, jsonb for
-- documents). Every table is for one centre today; the centre id of the
-- multi-site plan comes with a later version.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Centre settings (one row), field and counter definitions as JSON
-- documents of the protocol types, so adding a setting needs no migration.
CREATE TABLE centre (
    id   integer PRIMARY KEY CHECK (id = 1),
    data jsonb NOT NULL
);

CREATE TABLE services (
    id   text PRIMARY KEY,
    data jsonb NOT NULL
);

CREATE TABLE counters (
    id              text PRIMARY KEY,
    number          integer NOT NULL UNIQUE,
    data            jsonb NOT NULL,
    priority_streak integer NOT NULL DEFAULT 0,
    served_day      text NOT NULL DEFAULT '',
    served_today    integer NOT NULL DEFAULT 0
);

-- The last number handed out per field and day. Allocation is an UPSERT in
-- the issuing transaction (the row stays locked until it commits), so
-- numbers are unique and gap-free across server instances.
CREATE TABLE number_seq (
    service_id text NOT NULL,
    day        text NOT NULL,
    last       integer NOT NULL,
    PRIMARY KEY (service_id, day)
);

-- Every ticket ever issued; the daily reset never deletes history.
CREATE TABLE tickets (
    id                 text PRIMARY KEY,
    day                text NOT NULL,
    issue_service_id   text NOT NULL,
    number             integer NOT NULL,
    code               text NOT NULL,
    service_id         text NOT NULL,
    from_service_id    text NOT NULL DEFAULT '',
    status             text NOT NULL,
    priority           boolean NOT NULL DEFAULT false,
    lang               text NOT NULL DEFAULT 'vi',
    issued_at          timestamptz NOT NULL,
    called_at          timestamptz,
    service_started_at timestamptz,
    finished_at        timestamptz,
    counter_id         text NOT NULL DEFAULT '',
    clerk_id           text NOT NULL DEFAULT '',
    recalls            integer NOT NULL DEFAULT 0,
    token_hash         bytea NOT NULL UNIQUE,
    issued_by          text NOT NULL DEFAULT '',
    idem_key           text,
    offline            boolean NOT NULL DEFAULT false,
    first_called_at    timestamptz,
    first_counter_id   text NOT NULL DEFAULT '',
    first_clerk_id     text NOT NULL DEFAULT '',
    UNIQUE (issue_service_id, day, number)
);
CREATE UNIQUE INDEX tickets_idem ON tickets (issued_by, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX tickets_waiting ON tickets (day, priority, service_id, issued_at, id) WHERE status = 'waiting';
CREATE INDEX tickets_open ON tickets (issued_at, id) WHERE status IN ('waiting', 'called');
CREATE INDEX tickets_counter ON tickets (counter_id) WHERE status = 'called';
CREATE INDEX tickets_finished ON tickets (finished_at);
CREATE INDEX tickets_counter_finished ON tickets (counter_id, finished_at) WHERE status = 'done';
CREATE INDEX tickets_day ON tickets (day);

-- The event log. seq is gap-free: it is allocated from event_seq in the
-- committing transaction, whose row lock orders the writers, so an instance
-- that sees seq n also sees every seq below it. data is json, not jsonb:
-- the exact bytes the writer delivered are what every reader delivers.
-- at_offset keeps the writer's UTC offset (seconds) so the instant reads
-- back as it was written.
CREATE TABLE event_seq (
    id   integer PRIMARY KEY CHECK (id = 1),
    last bigint NOT NULL
);
INSERT INTO event_seq (id, last) VALUES (1, 0);
CREATE TABLE events (
    seq       bigint PRIMARY KEY,
    type      text NOT NULL,
    at        timestamptz NOT NULL,
    at_offset integer NOT NULL DEFAULT 0,
    data      json NOT NULL
);
CREATE INDEX events_calls ON events (seq) WHERE type IN ('ticket.called', 'ticket.recalled');
CREATE INDEX events_at ON events (at);

CREATE TABLE users (
    id            text PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL,
    password_hash text NOT NULL,
    counter_ids   jsonb NOT NULL DEFAULT '[]',
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE devices (
    id         text PRIMARY KEY,
    kind       text NOT NULL,
    name       text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz,
    status     jsonb,
    revoked    boolean NOT NULL DEFAULT false
);

CREATE TABLE audit (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL,
    detail  text NOT NULL DEFAULT '',
    ip      text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    changes jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);

-- Offline numbers leased to kiosks, above protocol.OfflineBase.
CREATE TABLE lease_seq (
    service_id text NOT NULL,
    day        text NOT NULL,
    last       integer NOT NULL,
    PRIMARY KEY (service_id, day)
);
CREATE TABLE leases (
    id         text PRIMARY KEY,
    issuer     text NOT NULL,
    service_id text NOT NULL,
    prefix     text NOT NULL,
    day        text NOT NULL,
    first      integer NOT NULL,
    last       integer NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX leases_issuer ON leases (issuer, day);
CREATE INDEX leases_day ON leases (day);

CREATE TABLE ratings (
    ticket_id  text PRIMARY KEY REFERENCES tickets (id),
    day        text NOT NULL,
    code       text NOT NULL,
    service_id text NOT NULL,
    counter_id text NOT NULL DEFAULT '',
    clerk_id   text NOT NULL DEFAULT '',
    score      text NOT NULL CHECK (score IN ('very_satisfied', 'satisfied', 'unsatisfied')),
    comment    text NOT NULL DEFAULT '',
    via        text NOT NULL CHECK (via IN ('phone', 'counter')),
    at         timestamptz NOT NULL
);
CREATE INDEX ratings_at ON ratings (at);
CREATE TABLE rating_reasons (
    ticket_id text NOT NULL REFERENCES ratings (ticket_id),
    reason    text NOT NULL CHECK (reason IN ('long_wait', 'attitude', 'unclear_guidance', 'missing_information', 'other')),
    PRIMARY KEY (ticket_id, reason)
);

-- The wait estimate's calibration (one row, a JSON document the engine
-- owns: json keeps its bytes as saved).
CREATE TABLE calibration (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    at   bigint NOT NULL,
    data json NOT NULL
);

-- Visit records and disruptions (shared/DATA-OUT.md).
CREATE TABLE visits (
    ticket_id     text PRIMARY KEY REFERENCES tickets (id),
    day           text NOT NULL,
    service_id    text NOT NULL,
    counter_id    text NOT NULL DEFAULT '',
    clerk_id      text NOT NULL DEFAULT '',
    outcome       text CHECK (outcome IN ('received', 'returned', 'guided', 'supplement', 'refused', 'other')),
    dossier_codes jsonb NOT NULL DEFAULT '[]',
    dossier_count integer NOT NULL DEFAULT 0,
    note          text NOT NULL DEFAULT '',
    finished_at   timestamptz NOT NULL
);
CREATE INDEX visits_finished ON visits (finished_at);
CREATE INDEX visits_day ON visits (day);

CREATE TABLE disruptions (
    id          text PRIMARY KEY,
    cause       text NOT NULL CHECK (cause IN ('one_stop_software', 'network', 'power', 'printer', 'other')),
    counter_ids jsonb NOT NULL DEFAULT '[]',
    note        text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    started_by  text NOT NULL DEFAULT '',
    ended_by    text NOT NULL DEFAULT ''
);
CREATE INDEX disruptions_started ON disruptions (started_at);
CREATE INDEX disruptions_open ON disruptions (started_at, id) WHERE ended_at IS NULL;

-- Per-day report summaries, a cache of what a finished day's tickets add
-- up to; any change to a day's tickets, visits or ratings drops them and
-- bumps the day's generation in the same transaction (triggers below).
CREATE TABLE report_gen (
    day text PRIMARY KEY,
    gen bigint NOT NULL
);
CREATE TABLE report_days (
    day  text NOT NULL,
    dim  text NOT NULL,
    gen  bigint NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (day, dim)
);
CREATE FUNCTION report_day_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    IF TG_TABLE_NAME = 'rating_reasons' THEN
        SELECT day INTO d FROM ratings WHERE ticket_id = NEW.ticket_id;
    ELSE
        d := NEW.day;
    END IF;
    INSERT INTO report_gen (day, gen) VALUES (d, 1)
        ON CONFLICT (day) DO UPDATE SET gen = report_gen.gen + 1;
    DELETE FROM report_days WHERE day = d;
    RETURN NULL;
END $$;
CREATE TRIGGER report_ticket AFTER INSERT OR UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION report_day_changed();
CREATE TRIGGER report_rating AFTER INSERT OR UPDATE ON ratings
    FOR EACH ROW EXECUTE FUNCTION report_day_changed();
CREATE TRIGGER report_visit AFTER INSERT OR UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION report_day_changed();
CREATE TRIGGER report_reason AFTER INSERT ON rating_reasons
    FOR EACH ROW EXECUTE FUNCTION report_day_changed();
-- A field's target or the centre's time zone change every summary.
CREATE FUNCTION report_all_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE report_gen SET gen = gen + 1;
    DELETE FROM report_days;
    RETURN NULL;
END $$;
CREATE TRIGGER report_services AFTER UPDATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION report_all_changed();
CREATE TRIGGER report_centre AFTER UPDATE ON centre
    FOR EACH STATEMENT EXECUTE FUNCTION report_all_changed();

-- Webhook endpoints; deliveries are derived from the events table (cursor).
CREATE TABLE webhooks (
    id            text PRIMARY KEY,
    url           text NOT NULL,
    events        jsonb NOT NULL DEFAULT '[]',
    secret        text NOT NULL,
    created_at    timestamptz NOT NULL,
    cursor        bigint NOT NULL DEFAULT 0,
    attempts      integer NOT NULL DEFAULT 0,
    failing_since timestamptz,
    next_attempt  timestamptz
);
CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  text NOT NULL,
    seq         bigint NOT NULL,
    event_type  text NOT NULL,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL,
    status      integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL DEFAULT 0,
    resend      boolean NOT NULL DEFAULT false
);
CREATE INDEX webhook_attempts_hook ON webhook_attempts (webhook_id, id);
CREATE TABLE webhook_resends (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id text NOT NULL,
    seq        bigint NOT NULL
);
