package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// ImportHistory copies the finished days (before day before) of another
// CiviQ database, the simulator's, into this store: tickets, visit
// records, ratings with their reasons and disruptions, in one transaction.
// The events are not copied (nothing is announced or sent to webhooks).
// clerk ids of the source that are usernames here become those users' ids.
// It gives the demo centre a few weeks of past activity to report on.
func (s *Store) ImportHistory(ctx context.Context, path, before string) (int, error) {
	src, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "query_only(1)"))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	users := map[string]string{}
	rows, err := s.rdb.QueryContext(ctx, `SELECT username, id FROM users`)
	if err != nil {
		return 0, unavailable(err)
	}
	for rows.Next() {
		var u, id string
		if err := rows.Scan(&u, &id); err != nil {
			rows.Close()
			return 0, err
		}
		users[u] = id
	}
	rows.Close()
	clerk := func(cols []string, vals []any) {
		for i, c := range cols {
			if c == "clerk_id" || c == "first_clerk_id" {
				if v, ok := vals[i].(string); ok && users[v] != "" {
					vals[i] = users[v]
				}
			}
		}
	}
	tables := []struct {
		name, cols, where string
	}{
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
			return 0, fmt.Errorf("sqlite: history %s: %w", t.name, err)
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
			clerk(cols, vals)
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
			q := `INSERT OR IGNORE INTO ` + b.table + ` (` + strings.Join(b.cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(b.cols)-1) + `)`
			st, err := w.tx.PrepareContext(w.ctx, q)
			if err != nil {
				return err
			}
			for _, r := range b.rows {
				if _, err := st.ExecContext(w.ctx, r...); err != nil {
					st.Close()
					return fmt.Errorf("sqlite: history %s: %w", b.table, err)
				}
			}
			st.Close()
		}
		return nil
	})
	return n, err
}
