package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	_ "modernc.org/sqlite" // reads the SQLite source of ImportHistory
)

// microsCols are the SQLite columns holding Unix microseconds, stored here
// as timestamptz; boolCols are SQLite integers stored here as booleans.
var (
	microsCols = map[string]bool{"issued_at": true, "called_at": true, "service_started_at": true, "finished_at": true,
		"first_called_at": true, "at": true, "started_at": true, "ended_at": true}
	boolCols = map[string]bool{"priority": true, "offline": true}
)

// ImportHistory copies the finished days (before day before) of a CiviQ
// SQLite database (the simulator's) into this store: tickets, visit
// records, ratings with their reasons and disruptions, in one transaction,
// without their events. Clerk ids of the source that are usernames here
// become those users' ids. It returns the number of tickets copied.
func (s *Store) ImportHistory(ctx context.Context, path, before string) (int, error) {
	src, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer src.Close()
	users := map[string]string{}
	rows, err := s.pool.Query(ctx, `SELECT username, id FROM users`)
	if err != nil {
		return 0, unavailable(err)
	}
	var u, id string
	if _, err := pgx.ForEachRow(rows, []any{&u, &id}, func() error { users[u] = id; return nil }); err != nil {
		return 0, unavailable(err)
	}
	tables := []struct{ name, cols, where string }{
		{"tickets", ticketCols, "day < ?"},
		{"visits", visitCols + ", dossier_count", "day < ?"},
		{"ratings", ratingCols, "day < ?"},
		{"rating_reasons", "ticket_id, reason", "ticket_id IN (SELECT ticket_id FROM ratings WHERE day < ?)"},
		{"disruptions", disruptionCols + ", started_by, ended_by", "ended_at IS NOT NULL AND ? <> ''"},
	}
	type batch struct {
		table string
		cols  []string
		rows  [][]any
	}
	var all []batch
	n := 0
	for _, t := range tables {
		cols := strings.Split(strings.Join(strings.Fields(t.cols), ""), ",")
		rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+t.name+` WHERE `+t.where, before)
		if err != nil {
			return 0, fmt.Errorf("postgres: history %s: %w", t.name, err)
		}
		b := batch{table: t.name, cols: cols}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return 0, err
			}
			for i, c := range cols {
				switch v := vals[i].(type) {
				case int64:
					if microsCols[c] {
						vals[i] = time.UnixMicro(v)
					} else if boolCols[c] {
						vals[i] = v != 0
					}
				case []byte:
					if c != "token_hash" {
						vals[i] = string(v)
					}
				case string:
					if (c == "clerk_id" || c == "first_clerk_id") && users[v] != "" {
						vals[i] = users[v]
					}
				}
			}
			b.rows = append(b.rows, vals)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if t.name == "tickets" {
			n = len(b.rows)
		}
		all = append(all, b)
	}
	_, err = s.update(ctx, func(w *wtx) error {
		for _, b := range all {
			ph := make([]string, len(b.cols))
			for i := range ph {
				ph[i] = fmt.Sprintf("$%d", i+1)
			}
			q := `INSERT INTO ` + b.table + ` (` + strings.Join(b.cols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `) ON CONFLICT DO NOTHING`
			var pb pgx.Batch
			for _, r := range b.rows {
				pb.Queue(q, r...)
			}
			if err := w.tx.SendBatch(w.ctx, &pb).Close(); err != nil {
				return fmt.Errorf("postgres: history %s: %w", b.table, err)
			}
		}
		return nil
	})
	return n, err
}
