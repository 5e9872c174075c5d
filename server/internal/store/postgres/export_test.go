package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civiq/civiq/server/internal/store/sqlitefile"
)

// OpenDeaf opens a store whose event reader listens where nobody
// notifies: it learns of other instances' events by polling every poll.
func OpenDeaf(ctx context.Context, url string, poll time.Duration) (*Store, error) {
	return Open(ctx, url, Options{MaxConns: 8, PollEvery: poll, listenOn: "civiq_nobody_notifies"})
}

// Instance is the store's instance id (webhook leases, console presence).
func (s *Store) Instance() string { return s.instance }

// VerifyCopy runs CopyFromSQLite's verification again, for tests that
// change the copy afterwards.
func VerifyCopy(ctx context.Context, url string, src *sqlitefile.File) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	types, err := columnTypes(ctx, pool)
	if err != nil {
		return err
	}
	tables, err := src.Tables(ctx)
	if err != nil {
		return err
	}
	sum := MigrateSummary{}
	if sum.LastSeq, err = src.Sequence(ctx, "events", "seq"); err != nil {
		return err
	}
	return verifyCopy(ctx, pool, src, tables, types, 1000, &sum)
}
