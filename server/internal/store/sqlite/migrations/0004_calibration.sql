-- Issue 11: the wait estimate's calibration (the ranges' widening over the
-- last 300 calls, the pauses after the last 300 services, each clerk's
-- service times per field, when paused counters paused, the range each
-- waiting ticket was given) survives a restart. One row, a JSON document
-- owned by the queue engine; seq is the last event it reflects.
-- Field groups and accept_unserved need no column: fields are stored as
-- JSON documents of protocol.Service (0001).
CREATE TABLE IF NOT EXISTS calibration (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    at   INTEGER NOT NULL,
    data TEXT NOT NULL
);
