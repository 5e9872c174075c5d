package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Load implements queue.Store: one read transaction, so the tables and the
// seq agree.
func (s *Store) Load(ctx context.Context, day string) (*queue.Loaded, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	l := &queue.Loaded{Epoch: s.epoch, Secret: s.secret, IssuedToday: map[string]int{}, ServedToday: map[string]int{},
		ServiceSamples: map[string][]time.Duration{}}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`).Scan(&l.Seq); err != nil {
		return nil, fmt.Errorf("sqlite: read seq: %w", err)
	}
	var centre string
	switch err := tx.QueryRowContext(ctx, qCentre).Scan(&centre); {
	case err == nil:
		if err := json.Unmarshal([]byte(centre), &l.Centre); err != nil {
			return nil, err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if l.Services, err = queryServices(ctx, tx); err != nil {
		return nil, err
	}
	if l.Counters, err = queryCounters(ctx, tx); err != nil {
		return nil, err
	}
	for _, c := range l.Counters {
		if c.ServedDay == day {
			l.ServedToday[c.ID] = c.ServedToday
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE status IN ('waiting', 'called') ORDER BY issued_at, id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		l.Open = append(l.Open, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT service_id, last FROM number_seq WHERE day = ?`, day)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		l.IssuedToday[id] = n
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT data FROM events WHERE type IN ('ticket.called', 'ticket.recalled') ORDER BY seq DESC LIMIT ?`, protocol.RecentCalls)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var data string
		var c protocol.Call
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, err
		}
		if json.Unmarshal([]byte(data), &c) == nil {
			l.Recent = append(l.Recent, c)
		}
	}
	rows.Close()
	// Recent service durations per field, newest first in the query, stored oldest first.
	// "+status" keeps SQLite on the finished_at index: walking the newest
	// finished tickets beats sorting every done ticket ever.
	rows, err = tx.QueryContext(ctx, `SELECT service_id, called_at, finished_at FROM tickets
		WHERE finished_at IS NOT NULL AND +status = 'done' AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT 2000`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var a, b int64
		if err := rows.Scan(&id, &a, &b); err != nil {
			rows.Close()
			return nil, err
		}
		d := time.Duration(b-a) * time.Microsecond
		if d > 0 && d < 4*time.Hour && len(l.ServiceSamples[id]) < 30 {
			l.ServiceSamples[id] = append([]time.Duration{d}, l.ServiceSamples[id]...)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, qOpenDisruptions)
	if err != nil {
		return nil, err
	}
	if l.Disruptions, err = scanDisruptions(rows); err != nil {
		return nil, err
	}
	return l, nil
}

// Events implements queue.Store.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]protocol.Event, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT seq, type, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []protocol.Event
	for rows.Next() {
		var ev protocol.Event
		var at, data string
		if err := rows.Scan(&ev.Seq, &ev.Type, &at, &data); err != nil {
			return nil, err
		}
		ev.At, _ = time.Parse(time.RFC3339Nano, at)
		ev.Epoch = s.epoch
		ev.Data = json.RawMessage(data)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// FirstSeq implements queue.Store.
func (s *Store) FirstSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MIN(seq) FROM events`).Scan(&seq); err != nil {
		return 0, unavailable(err)
	}
	return seq.Int64, nil
}

// TicketByTokenHash implements queue.TicketReader.
func (s *Store) TicketByTokenHash(ctx context.Context, h []byte) (queue.TicketRecord, error) {
	return scanTicket(s.rdb.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE token_hash = ?`, h))
}

// PruneEvents deletes events older than before, keeping at least keep of the
// newest. Clients that ask for pruned events get a snapshot instead.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, keep int) (int64, error) {
	var n int64
	_, err := s.update(ctx, func(w *wtx) error {
		res, err := w.tx.ExecContext(w.ctx, `DELETE FROM events WHERE julianday(at) < julianday(?) AND seq <= (SELECT COALESCE(MAX(seq), 0) - ? FROM events)`,
			before.UTC().Format(time.RFC3339Nano), keep)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
