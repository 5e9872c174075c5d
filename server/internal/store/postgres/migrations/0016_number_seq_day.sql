-- CiviQ schema (PostgreSQL), the days' numbers by day (PostgreSQL only, like 0013).

-- A batch's first read takes every field's last number of the days from
-- yesterday on (tx.go, loadDocs): without an index on day alone that read
-- scanned every day's rows, which are never deleted (a centre of 30 fields
-- has ~10,000 after a year). With it, the read is a few index entries
-- whatever the history. Only `last` changes afterwards, so the updates of
-- a row stay HOT.
CREATE INDEX number_seq_day ON number_seq (day);
