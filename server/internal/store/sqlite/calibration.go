package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/civiq/civiq/server/internal/queue"
)

var _ queue.CalibrationStore = (*Store)(nil)

// LoadCalibration implements queue.CalibrationStore.
func (s *Store) LoadCalibration(ctx context.Context) ([]byte, int64, error) {
	var data string
	var seq int64
	err := s.rdb.QueryRowContext(ctx, `SELECT data, seq FROM calibration WHERE id = 1`).Scan(&data, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, unavailable(err)
	}
	return []byte(data), seq, nil
}

// SaveCalibration implements queue.CalibrationStore.
func (s *Store) SaveCalibration(ctx context.Context, data []byte, seq int64, at int64) error {
	_, err := s.update(ctx, func(w *wtx) error {
		_, err := w.tx.ExecContext(w.ctx, `INSERT INTO calibration (id, seq, at, data) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, at = excluded.at, data = excluded.data`, seq, at, string(data))
		return err
	})
	return err
}
