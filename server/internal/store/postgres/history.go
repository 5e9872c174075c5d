package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/store/sqlitefile"
)

// ImportHistory copies the finished days (before day before) of a CiviQ
// SQLite database (the simulator's) into this store: tickets, visit
// records, ratings with their reasons and disruptions, in one transaction,
// without their events. Clerk ids of the source that are usernames here
// become those users' ids. It returns the number of tickets copied.
func (s *Store) ImportHistory(ctx context.Context, path, before string) (int, error) {
	users := map[string]string{}
	rows, err := s.pool.Query(ctx, `SELECT username, id FROM users`)
	if err != nil {
		return 0, unavailable(err)
	}
	var u, id string
	if _, err := pgx.ForEachRow(rows, []any{&u, &id}, func() error { users[u] = id; return nil }); err != nil {
		return 0, unavailable(err)
	}
	all, n, err := sqlitefile.History(ctx, path, before, users)
	if err != nil {
		return 0, fmt.Errorf("postgres: history: %w", err)
	}
	// Values convert as server migrate converts them: by the type of the
	// column they go to.
	types, err := columnTypes(ctx, s.pool)
	if err != nil {
		return 0, unavailable(err)
	}
	for _, b := range all {
		conv, err := converters(b.Table, b.Cols, types[b.Table])
		if err != nil {
			return 0, err
		}
		for _, vals := range b.Rows {
			for i, c := range conv {
				if vals[i], err = c(vals[i]); err != nil {
					return 0, fmt.Errorf("postgres: history %s.%s: %w", b.Table, b.Cols[i], err)
				}
			}
		}
	}
	_, err = s.update(ctx, func(w *wtx) error {
		for _, b := range all {
			ph := make([]string, len(b.Cols))
			for i := range ph {
				ph[i] = fmt.Sprintf("$%d", i+1)
			}
			q := `INSERT INTO ` + b.Table + ` (` + strings.Join(b.Cols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `) ON CONFLICT DO NOTHING`
			var pb pgx.Batch
			for _, r := range b.Rows {
				pb.Queue(q, r...)
			}
			if err := w.tx.SendBatch(w.ctx, &pb).Close(); err != nil {
				return fmt.Errorf("postgres: history %s: %w", b.Table, err)
			}
		}
		return nil
	})
	return n, err
}
