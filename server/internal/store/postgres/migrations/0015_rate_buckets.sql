-- CiviQ schema (PostgreSQL), shared rate limits (PostgreSQL only, like 0013).

-- The limits that stop password and pairing-code guessing are shared by
-- every server instance of the centre: one token bucket per key (what is
-- limited and the client's address), refilled by the time since it was
-- last taken from, on the database's clock. full_at is when the bucket is
-- full again: from then on it is as good as none, and it is swept
-- (ratelimit.go). The other limits (public pages, devices) stay each
-- instance's own: they protect that instance.
CREATE TABLE rate_buckets (
    key     text PRIMARY KEY,
    tokens  double precision NOT NULL,
    at      timestamptz NOT NULL,
    full_at timestamptz NOT NULL
);
