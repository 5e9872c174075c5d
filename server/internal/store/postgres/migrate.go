package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/internal/store/sqlitefile"
)

// copyTables are the tables `server migrate` copies from a SQLite store,
// in an order that satisfies the foreign keys. Left out: meta (only its
// epoch and secret are copied), report_gen and report_days (a cache of
// summaries the server recomputes at start) and SQLite's own tables. A
// source table named nowhere here stops the copy: this build would lose
// it.
func copyTables() []string {
	return []string{
		"centre", "services", "counters", "number_seq", "lease_seq",
		"users", "sessions", "devices", "audit",
		"tickets", "events", "leases",
		"ratings", "rating_reasons", "visits", "disruptions", "calibration",
		"webhooks", "webhook_attempts", "webhook_resends",
		"booking_settings", "holidays", "bookings",
	}
}

// skippedTables are a SQLite store's tables deliberately not copied.
// Pending pairing codes last minutes: an admin makes a new one.
func skippedTables() []string {
	return []string{"meta", "report_gen", "report_days", "pairing_codes"}
}

// identityTables have an identity id column whose sequence must continue
// after the copied ids (SQLite's AUTOINCREMENT).
func identityTables() []string { return []string{"audit", "webhook_attempts", "webhook_resends"} }

// MigrateOptions tune CopyFromSQLite.
type MigrateOptions struct {
	// NewEpoch gives the copy a new event epoch instead of the source's:
	// needed when clients may have seen events the copy lacks (a source
	// still written to, a backup older than what clients saw).
	NewEpoch bool
	// Sample is how many rows per table are compared field by field after
	// the copy (default 200).
	Sample int
	Log    *slog.Logger
}

// TableCopy is one table's outcome: rows in the source and in PostgreSQL.
type TableCopy struct {
	Table          string
	Source, Target int64
	Sampled        int
}

// MigrateSummary describes a finished copy.
type MigrateSummary struct {
	Tables        []TableCopy
	LastSeq       int64 // the event log's last seq, in both
	Epoch         string
	EpochKept     bool
	Tickets       int64
	Took          time.Duration
	SchemaVersion int
}

// ErrNotEmpty is wrapped by CopyFromSQLite's error when the target
// database already holds a centre.
var ErrNotEmpty = errors.New("the PostgreSQL database is not empty")

// CopyFromSQLite copies a CiviQ SQLite store (src, one read snapshot) into
// the empty PostgreSQL database at url: every table, the events with their
// seqs, the epoch (unless opts.NewEpoch) and the store secret (the key of
// ticket tokens, leased ticket ids, phone and ID card hashes), and the
// counters that continue them. It creates the schema if the database has
// none, refuses a database that holds any CiviQ data (ErrNotEmpty,
// changing nothing), writes everything in one transaction, then verifies:
// row counts per table, the last seq, and a sample of rows compared field
// by field. Any mismatch is an error.
func CopyFromSQLite(ctx context.Context, url string, src *sqlitefile.File, opts MigrateOptions) (MigrateSummary, error) {
	started := time.Now()
	if opts.Sample <= 0 {
		opts.Sample = 200
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	var sum MigrateSummary
	srcTables, err := src.Tables(ctx)
	if err != nil {
		return sum, fmt.Errorf("%s is not a readable SQLite database: %w", src.Path(), err)
	}
	for _, t := range srcTables {
		if !slices.Contains(copyTables(), t) && !slices.Contains(skippedTables(), t) {
			return sum, fmt.Errorf("the SQLite store has a table %q this server cannot copy (a newer CiviQ?)", t)
		}
	}
	epoch, err := src.Meta(ctx, "epoch")
	if err != nil {
		return sum, err
	}
	secret, err := src.Meta(ctx, "secret")
	if err != nil {
		return sum, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return sum, fmt.Errorf("postgres: bad URL: %w", err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return sum, fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return sum, fmt.Errorf("postgres: connect: %w", err)
	}
	// Refused before the schema is touched: a database holding a centre
	// stays exactly as it was.
	if err := checkEmpty(ctx, pool); err != nil {
		return sum, err
	}
	s := &Store{pool: pool, log: opts.Log}
	if err := s.migrate(ctx); err != nil {
		return sum, err
	}
	sum.SchemaVersion = SchemaVersion()
	types, err := columnTypes(ctx, pool)
	if err != nil {
		return sum, err
	}
	if opts.NewEpoch {
		epoch = store.NewEpoch()
	}
	sum.Epoch, sum.EpochKept = epoch, !opts.NewEpoch

	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return sum, fmt.Errorf("postgres: %w", err)
	}
	defer tx.Rollback(ctx)
	// The migrations' lock: a server starting now waits until the copy is
	// committed (or rolled back), then finds a centre (or none).
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7431001)`); err != nil {
		return sum, err
	}
	if err := checkEmpty(ctx, tx); err != nil {
		return sum, err
	}
	for _, t := range copyTables() {
		if !slices.Contains(srcTables, t) {
			continue
		}
		cols, err := src.Columns(ctx, t)
		if err != nil {
			return sum, err
		}
		conv, err := converters(t, cols, types[t])
		if err != nil {
			return sum, err
		}
		rows, err := src.Stream(ctx, t, cols, "", "rowid")
		if err != nil {
			return sum, err
		}
		dst := cols
		if t == "events" {
			dst = append(slices.Clone(cols), "at_offset")
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t}, dst, &convertRows{rows: rows, conv: conv, events: t == "events", at: slices.Index(cols, "at")})
		rows.Close()
		if err != nil {
			return sum, fmt.Errorf("postgres: copy %s: %w", t, err)
		}
		opts.Log.Info("table copied", "table", t, "rows", n)
	}
	if sum.LastSeq, err = src.Sequence(ctx, "events", "seq"); err != nil {
		return sum, err
	}
	if _, err := tx.Exec(ctx, `UPDATE event_seq SET last = $1 WHERE id = 1`, sum.LastSeq); err != nil {
		return sum, err
	}
	for _, t := range identityTables() {
		last, err := src.Sequence(ctx, t, "id")
		if err != nil {
			return sum, err
		}
		if last > 0 {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, t, last); err != nil {
				return sum, fmt.Errorf("postgres: %s id sequence: %w", t, err)
			}
		}
	}
	for k, v := range map[string]string{"epoch": epoch, "secret": secret} {
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return sum, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return sum, fmt.Errorf("postgres: commit the copy: %w", err)
	}
	if err := verifyCopy(ctx, pool, src, srcTables, types, opts.Sample, &sum); err != nil {
		return sum, err
	}
	sum.Took = time.Since(started)
	return sum, nil
}

// checkEmpty refuses a database that holds CiviQ data: a centre, a field,
// a user, a ticket or an event (a server started on it once has them).
func checkEmpty(ctx context.Context, q querier) error {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('civiq_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if !exists {
		return nil
	}
	var what string
	err := q.QueryRow(ctx, `SELECT w FROM (
		SELECT 'a centre' AS w WHERE EXISTS (SELECT 1 FROM centre)
		UNION ALL SELECT 'fields' WHERE EXISTS (SELECT 1 FROM services)
		UNION ALL SELECT 'users' WHERE EXISTS (SELECT 1 FROM users)
		UNION ALL SELECT 'tickets' WHERE EXISTS (SELECT 1 FROM tickets)
		UNION ALL SELECT 'events' WHERE EXISTS (SELECT 1 FROM event_seq WHERE last > 0)) x LIMIT 1`).Scan(&what)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return fmt.Errorf("%w: it already holds %s; migrate into a new, empty database (createdb) on which no server has started", ErrNotEmpty, what)
}

// columnTypes reads the PostgreSQL type of every column of the schema.
func columnTypes(ctx context.Context, pool *pgxpool.Pool) (map[string]map[string]string, error) {
	rows, err := pool.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	var t, c, typ string
	_, err = pgx.ForEachRow(rows, []any{&t, &c, &typ}, func() error {
		if out[t] == nil {
			out[t] = map[string]string{}
		}
		out[t][c] = typ
		return nil
	})
	return out, err
}

// converter turns a value as SQLite stores it into the value PostgreSQL's
// column takes.
type converter func(v any) (any, error)

// converters finds each source column's place in PostgreSQL and how its
// values convert: Unix microseconds to timestamptz, 0/1 to boolean, text
// to json, bytes to text. A column without a place stops the copy.
func converters(table string, cols []string, types map[string]string) ([]converter, error) {
	if types == nil {
		return nil, fmt.Errorf("postgres: no table %s to copy into", table)
	}
	out := make([]converter, len(cols))
	for i, c := range cols {
		typ, ok := types[c]
		if !ok {
			return nil, fmt.Errorf("postgres: %s.%s of the SQLite store has no column to go to", table, c)
		}
		zeroIsNull := table == "webhooks" && c == "next_attempt" // SQLite's 0: none planned
		out[i] = func(v any) (any, error) { return convert(v, typ, zeroIsNull) }
	}
	return out, nil
}

func convert(v any, typ string, zeroIsNull bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "timestamp with time zone":
		switch x := v.(type) {
		case int64:
			if x == 0 && zeroIsNull {
				return nil, nil
			}
			return time.UnixMicro(x).UTC(), nil
		case string:
			return time.Parse(time.RFC3339Nano, x)
		}
	case "boolean":
		if x, ok := v.(int64); ok {
			return x != 0, nil
		}
	case "json", "jsonb", "text":
		switch x := v.(type) {
		case []byte:
			return string(x), nil
		case string:
			return x, nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "integer", "bigint", "smallint":
		if x, ok := v.(int64); ok {
			return x, nil
		}
	}
	return nil, fmt.Errorf("a %T value for a %s column", v, typ)
}

// convertRows feeds CopyFrom from a SQLite stream, converting each row;
// an event row gets its at_offset, the UTC offset its time was written in.
type convertRows struct {
	rows   *sqlitefile.Rows
	conv   []converter
	events bool
	at     int // index of an event's time
	vals   []any
	err    error
}

func (r *convertRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	vals, _ := r.rows.Values()
	for i, c := range r.conv {
		v, err := c(vals[i])
		if err != nil {
			r.err = err
			return false
		}
		vals[i] = v
	}
	if r.events {
		off := 0
		if t, ok := vals[r.at].(time.Time); ok {
			_, off = t.Zone()
		}
		vals = append(vals, int32(off))
	}
	r.vals = vals
	return true
}

func (r *convertRows) Values() ([]any, error) { return r.vals, nil }

func (r *convertRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// verifyCopy compares the copy with the source snapshot: every table's row
// count, the last seq, and up to sample rows per table (chosen at random,
// found by primary key) field by field.
func verifyCopy(ctx context.Context, pool *pgxpool.Pool, src *sqlitefile.File, srcTables []string, types map[string]map[string]string, sample int, sum *MigrateSummary) error {
	var bad []string
	for _, t := range copyTables() {
		if !slices.Contains(srcTables, t) {
			continue
		}
		tc := TableCopy{Table: t}
		var err error
		if tc.Source, err = src.Count(ctx, t); err != nil {
			return err
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t}.Sanitize()).Scan(&tc.Target); err != nil {
			return err
		}
		if tc.Source != tc.Target {
			bad = append(bad, fmt.Sprintf("%s: %d rows in SQLite, %d in PostgreSQL", t, tc.Source, tc.Target))
		}
		if tc.Sampled, err = compareSample(ctx, pool, src, t, types[t], sample); err != nil {
			bad = append(bad, err.Error())
		}
		if t == "tickets" {
			sum.Tickets = tc.Target
		}
		sum.Tables = append(sum.Tables, tc)
	}
	var last, maxSeq int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT last FROM event_seq WHERE id = 1), COALESCE((SELECT max(seq) FROM events), 0)`).Scan(&last, &maxSeq); err != nil {
		return err
	}
	srcMax, err := src.Sequence(ctx, "events", "seq")
	if err != nil {
		return err
	}
	if last != sum.LastSeq || srcMax != sum.LastSeq || maxSeq > last {
		bad = append(bad, fmt.Sprintf("events: last seq %d in SQLite, %d in PostgreSQL (highest stored %d)", srcMax, last, maxSeq))
	}
	if len(bad) > 0 {
		return fmt.Errorf("the copy differs from the source: %s", strings.Join(bad, "; "))
	}
	return nil
}

// compareSample compares up to n random rows of table in both stores.
func compareSample(ctx context.Context, pool *pgxpool.Pool, src *sqlitefile.File, table string, types map[string]string, n int) (int, error) {
	cols, err := src.Columns(ctx, table)
	if err != nil {
		return 0, err
	}
	key, err := primaryKey(ctx, pool, table)
	if err != nil {
		return 0, err
	}
	b, err := src.Read(ctx, table, cols, `rowid IN (SELECT rowid FROM `+table+` ORDER BY random() LIMIT ?)`, "", n)
	if err != nil {
		return 0, err
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = pgx.Identifier{c}.Sanitize()
		if types[c] == "json" {
			sel[i] += "::text" // json keeps the bytes written: compare them
		}
	}
	var where []string
	var keyIdx []int
	for i, k := range key {
		where = append(where, fmt.Sprintf("%s = $%d", pgx.Identifier{k}.Sanitize(), i+1))
		keyIdx = append(keyIdx, slices.Index(cols, k))
	}
	q := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + pgx.Identifier{table}.Sanitize() + ` WHERE ` + strings.Join(where, " AND ")
	zeroIsNull := table == "webhooks"
	for _, row := range b.Rows {
		args := make([]any, len(key))
		for i, ix := range keyIdx {
			if ix < 0 {
				return 0, fmt.Errorf("%s: key column %s not in the source", table, key[i])
			}
			if args[i], err = convert(row[ix], types[key[i]], false); err != nil {
				return 0, err
			}
		}
		got, err := pool.Query(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		vals, err := pgx.CollectExactlyOneRow(got, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		if err != nil {
			return 0, fmt.Errorf("%s: row %v: %w", table, args, err)
		}
		for i, c := range cols {
			want, err := convert(row[i], types[c], zeroIsNull && c == "next_attempt")
			if err != nil {
				return 0, err
			}
			if !sameValue(want, vals[i], types[c]) {
				return 0, fmt.Errorf("%s: row %v: %s is %v in SQLite, %v in PostgreSQL", table, args, c, want, vals[i])
			}
		}
	}
	return len(b.Rows), nil
}

// sameValue compares a converted source value with what PostgreSQL
// returned: times by instant to the microsecond, jsonb by meaning (it
// keeps no whitespace or key order), the rest exactly.
func sameValue(want, got any, typ string) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	switch typ {
	case "timestamp with time zone":
		w, ok1 := want.(time.Time)
		g, ok2 := got.(time.Time)
		return ok1 && ok2 && w.UnixMicro() == g.UnixMicro()
	case "jsonb":
		var w any
		if err := json.Unmarshal([]byte(want.(string)), &w); err != nil {
			return false
		}
		wb, _ := json.Marshal(w)
		gb, _ := json.Marshal(got)
		return bytes.Equal(wb, gb)
	case "bytea":
		g, ok := got.([]byte)
		return ok && bytes.Equal(want.([]byte), g)
	case "integer", "bigint", "smallint":
		switch g := got.(type) {
		case int16:
			return want.(int64) == int64(g)
		case int32:
			return want.(int64) == int64(g)
		case int64:
			return want.(int64) == g
		}
		return false
	}
	return want == got
}

// primaryKey lists the columns of table's primary key.
func primaryKey(ctx context.Context, pool *pgxpool.Pool, table string) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY a.attnum`, table)
	if err != nil {
		return nil, err
	}
	key, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err == nil && len(key) == 0 {
		err = fmt.Errorf("postgres: %s has no primary key", table)
	}
	return key, err
}
