package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/store/sqlitefile"
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
	for _, b := range all {
		for _, vals := range b.Rows {
			for i, c := range b.Cols {
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
