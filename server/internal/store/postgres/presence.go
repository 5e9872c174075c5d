package postgres

import (
	"context"

	"time"

	"github.com/jackc/pgx/v5"
)

// SharePresence implements queue.PresenceStore: this instance's rows of
// console_presence become counterIDs, each until now + ttl on the
// database's clock (so the instances' clocks do not matter); rows that
// ran out, of any instance, are deleted on the way.
func (s *Store) SharePresence(ctx context.Context, counterIDs []string, ttl time.Duration) error {
	if s.closed() {
		return ErrClosed
	}
	if counterIDs == nil {
		counterIDs = []string{}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_presence WHERE (instance = $1 AND NOT (counter_id = ANY($2))) OR until < clock_timestamp()`,
			s.instance, counterIDs); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO console_presence (counter_id, instance, until)
			SELECT c, $1, clock_timestamp() + make_interval(secs => $3) FROM unnest($2::text[]) AS c
			ON CONFLICT (counter_id, instance) DO UPDATE SET until = excluded.until`, s.instance, counterIDs, ttl.Seconds())
		return err
	})
	return unavailable(err)
}

// StaffedElsewhere implements queue.PresenceStore.
func (s *Store) StaffedElsewhere(ctx context.Context) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT counter_id FROM console_presence WHERE instance <> $1 AND until >= clock_timestamp()`, s.instance)
	if err != nil {
		return nil, unavailable(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, unavailable(err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
