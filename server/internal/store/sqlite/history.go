package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/civiq/civiq/server/internal/store/sqlitefile"
)

// ImportHistory copies the finished days (before day before) of another
// CiviQ database, the simulator's, into this store: tickets, visit
// records, ratings with their reasons and disruptions, in one transaction.
// The events are not copied (nothing is announced or sent to webhooks).
// clerk ids of the source that are usernames here become those users' ids.
// It gives the demo centre a few weeks of past activity to report on.
func (s *Store) ImportHistory(ctx context.Context, path, before string) (int, error) {
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
	all, n, err := sqlitefile.History(ctx, path, before, users)
	if err != nil {
		return 0, fmt.Errorf("sqlite: history: %w", err)
	}
	_, err = s.update(ctx, func(w *wtx) error {
		for _, b := range all {
			q := `INSERT OR IGNORE INTO ` + b.Table + ` (` + strings.Join(b.Cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(b.Cols)-1) + `)`
			st, err := w.tx.PrepareContext(w.ctx, q)
			if err != nil {
				return err
			}
			for _, r := range b.Rows {
				if _, err := st.ExecContext(w.ctx, r...); err != nil {
					st.Close()
					return fmt.Errorf("sqlite: history %s: %w", b.Table, err)
				}
			}
			st.Close()
		}
		return nil
	})
	return n, err
}
