// Package sqlitefile reads the tables of a CiviQ SQLite store file: a
// simulator's store whose past days ImportHistory copies, or a centre's
// store that `server migrate` copies to PostgreSQL. The file is opened
// read-only and read in one transaction, so everything read comes from one
// moment even while a server keeps writing to it (a WAL reader never
// blocks the writer nor sees its later commits).
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File is a SQLite store file opened for reading, in one read transaction.
type File struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
}

// Open opens the SQLite file at path read-only and starts the read
// transaction every later read belongs to. It refuses a missing file (it
// never creates one) and a file that is not a SQLite database.
func Open(ctx context.Context, path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite source %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("sqlite source %s is a folder, not a database file", path)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite source %s: %w", path, err)
	}
	f := &File{path: path, db: db, tx: tx}
	// SQLite takes a deferred transaction's snapshot at its first read.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	return f, nil
}

// Close ends the read transaction and closes the file.
func (f *File) Close() error {
	return errors.Join(f.tx.Rollback(), f.db.Close())
}

// Path is the file's path.
func (f *File) Path() string { return f.path }

// Batch is what Read returns: a table's rows, each value as the driver
// scanned it (int64, float64, string, []byte or nil), in Cols' order.
type Batch struct {
	Table string
	Cols  []string
	Rows  [][]any
}

// Read reads cols of table's rows that match where (SQL with ? for args;
// empty: every row), ordered by order (empty: unordered).
func (f *File) Read(ctx context.Context, table string, cols []string, where, order string, args ...any) (Batch, error) {
	b := Batch{Table: table, Cols: cols}
	r, err := f.Stream(ctx, table, cols, where, order, args...)
	if err != nil {
		return b, err
	}
	defer r.Close()
	for r.Next() {
		vals, _ := r.Values()
		b.Rows = append(b.Rows, vals)
	}
	return b, r.Err()
}

// Rows is a stream of a table's rows (Stream).
type Rows struct {
	table string
	rows  *sql.Rows
	vals  []any
	err   error
}

// Stream is Read one row at a time, for tables too large to hold: call
// Next, then Values, until Next is false; then Err and Close.
func (f *File) Stream(ctx context.Context, table string, cols []string, where, order string, args ...any) (*Rows, error) {
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table
	if where != "" {
		q += ` WHERE ` + where
	}
	if order != "" {
		q += ` ORDER BY ` + order
	}
	rows, err := f.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return &Rows{table: table, rows: rows, vals: make([]any, len(cols))}, nil
}

// Next reads the next row; false at the end or on an error (Err).
func (r *Rows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	vals := make([]any, len(r.vals))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = fmt.Errorf("read %s: %w", r.table, err)
		return false
	}
	r.vals = vals
	return true
}

// Values is the row Next read: a new slice for every row, the caller's to
// keep or change.
func (r *Rows) Values() ([]any, error) { return r.vals, nil }

// Err is the error that ended the rows, if any.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", r.table, err)
	}
	return nil
}

// Close ends the stream early.
func (r *Rows) Close() error { return r.rows.Close() }

// SchemaVersion is the store's schema version (SQLite's user_version; 0:
// not a CiviQ store).
func (f *File) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := f.tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	return v, err
}

// Meta reads a value of the store's meta table (epoch, secret).
func (f *File) Meta(ctx context.Context, key string) (string, error) {
	var v string
	if err := f.tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v); err != nil {
		return "", fmt.Errorf("%s is not a CiviQ store (meta %s: %w)", f.path, key, err)
	}
	return v, nil
}

// Tables lists the store's tables (SQLite's own excepted), by name.
func (f *File) Tables(ctx context.Context) ([]string, error) {
	return f.names(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

// Columns lists a table's columns in their order.
func (f *File) Columns(ctx context.Context, table string) ([]string, error) {
	return f.names(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
}

// names runs a query of one text column and returns its values.
func (f *File) names(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := f.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Count is the number of a table's rows.
func (f *File) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := f.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	return n, err
}

// Sequence is the highest value an AUTOINCREMENT column of table has
// handed out (never reused, even after its row is deleted), or else the
// column's highest value: the event log's last seq, for one.
func (f *File) Sequence(ctx context.Context, table, col string) (int64, error) {
	var n int64
	err := f.tx.QueryRowContext(ctx, `SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), COALESCE((SELECT max(`+col+`) FROM `+table+`), 0))`, table).Scan(&n)
	return n, err
}

// Cols splits a column list written as SQL ("a, b,\n c") into names.
func Cols(list string) []string {
	return strings.Split(strings.Join(strings.Fields(list), ""), ",")
}

// The columns of a store's tables that ImportHistory copies.
const (
	ticketCols = `id, day, issue_service_id, number, code, service_id, from_service_id, status, priority, lang,
	issued_at, called_at, service_started_at, finished_at, counter_id, clerk_id, recalls, token_hash, issued_by, idem_key, offline,
	first_called_at, first_counter_id, first_clerk_id, booking`
	visitCols      = `ticket_id, day, service_id, counter_id, clerk_id, outcome, dossier_codes, note, finished_at, dossier_count`
	ratingCols     = `ticket_id, day, code, service_id, counter_id, clerk_id, score, comment, via, at`
	reasonCols     = `ticket_id, reason`
	disruptionCols = `id, cause, counter_ids, note, started_at, ended_at, started_by, ended_by`
)

// History reads the finished days (before day before) of the SQLite store
// at path: its tickets, visit records, ratings with their reasons, and its
// ended disruptions, in the order they must be inserted (ratings before
// their reasons), without their events. It is what ImportHistory copies.
// Clerk ids of the source that are keys of users (usernames) become their
// values (the importing store's user ids). tickets is how many tickets.
func History(ctx context.Context, path, before string, users map[string]string) (_ []Batch, tickets int, _ error) {
	f, err := Open(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	tables := []struct{ name, cols, where string }{
		{"tickets", ticketCols, "day < ?"},
		{"visits", visitCols, "day < ?"},
		{"ratings", ratingCols, "day < ?"},
		{"rating_reasons", reasonCols, "ticket_id IN (SELECT ticket_id FROM ratings WHERE day < ?)"},
		{"disruptions", disruptionCols, "ended_at IS NOT NULL AND ? <> ''"},
	}
	out := make([]Batch, 0, len(tables))
	for _, t := range tables {
		b, err := f.Read(ctx, t.name, Cols(t.cols), t.where, "", before)
		if err != nil {
			return nil, 0, err
		}
		for _, vals := range b.Rows {
			for i, c := range b.Cols {
				if c == "clerk_id" || c == "first_clerk_id" {
					if v, ok := vals[i].(string); ok && users[v] != "" {
						vals[i] = users[v]
					}
				}
			}
		}
		if t.name == "tickets" {
			tickets = len(b.Rows)
		}
		out = append(out, b)
	}
	return out, tickets, nil
}
