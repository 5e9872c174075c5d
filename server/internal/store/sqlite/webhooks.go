package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

var _ webhook.Store = (*Store)(nil)

// keepAttempts is how many attempts per endpoint the log keeps.
const keepAttempts = 200

func fromMicrosPtr(v sql.NullInt64) *time.Time {
	t := fromMicros(v)
	if t != nil {
		u := t.UTC()
		t = &u
	}
	return t
}

// CreateWebhook implements webhook.Store.
func (s *Store) CreateWebhook(ctx context.Context, ep webhook.Endpoint) (webhook.Endpoint, error) {
	ev, err := json.Marshal(ep.Events)
	if err != nil {
		return ep, err
	}
	_, err = s.update(ctx, func(w *wtx) error {
		var n int
		if err := w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM webhooks`).Scan(&n); err != nil {
			return err
		}
		if n >= webhook.MaxEndpoints {
			return queue.Errorf(protocol.CodeConflict, "at most %d webhooks", webhook.MaxEndpoints)
		}
		if err := w.tx.QueryRowContext(w.ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`).Scan(&ep.Cursor); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.ctx, `INSERT INTO webhooks (id, url, events, secret, created_at, cursor) VALUES (?, ?, ?, ?, ?, ?)`,
			ep.ID, ep.URL, string(ev), ep.Secret, ep.CreatedAt.UnixMicro(), ep.Cursor)
		return err
	})
	return ep, err
}

// Webhooks implements webhook.Store.
func (s *Store) Webhooks(ctx context.Context) ([]webhook.Endpoint, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, url, events, secret, created_at, cursor, attempts, failing_since, next_attempt FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []webhook.Endpoint{}
	for rows.Next() {
		var ep webhook.Endpoint
		var ev string
		var created, next int64
		var failing sql.NullInt64
		if err := rows.Scan(&ep.ID, &ep.URL, &ev, &ep.Secret, &created, &ep.Cursor, &ep.Attempts, &failing, &next); err != nil {
			return nil, unavailable(err)
		}
		if err := json.Unmarshal([]byte(ev), &ep.Events); err != nil {
			return nil, err
		}
		ep.CreatedAt = time.UnixMicro(created).UTC()
		ep.FailingSince = fromMicrosPtr(failing)
		if next > 0 {
			t := time.UnixMicro(next).UTC()
			ep.NextAttempt = &t
		}
		out = append(out, ep)
	}
	return out, rows.Err()
}

// DeleteWebhook implements webhook.Store.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	_, err := s.update(ctx, func(w *wtx) error {
		res, err := w.tx.ExecContext(w.ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return webhook.ErrNotFound
		}
		for _, q := range []string{`DELETE FROM webhook_attempts WHERE webhook_id = ?`, `DELETE FROM webhook_resends WHERE webhook_id = ?`} {
			if _, err := w.tx.ExecContext(w.ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

func (w *wtx) logAttempts(id string, log []webhook.Attempt) error {
	for _, a := range log {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO webhook_attempts (webhook_id, seq, event_type, attempt, at, status, error, duration_ms, resend)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, a.Seq, a.EventType, a.Attempt, a.At.UnixMicro(), a.Status, a.Error, a.DurationMS, a.Resend); err != nil {
			return err
		}
	}
	if len(log) == 0 {
		return nil
	}
	_, err := w.tx.ExecContext(w.ctx, `DELETE FROM webhook_attempts WHERE webhook_id = ? AND id <=
		(SELECT id FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, id, id, keepAttempts)
	return err
}

// WebhookProgress implements webhook.Store. The cursor only moves forward.
func (s *Store) WebhookProgress(ctx context.Context, id string, st webhook.State, log []webhook.Attempt) error {
	var next int64
	if st.NextAttempt != nil {
		next = st.NextAttempt.UnixMicro()
	}
	var failing any
	if st.FailingSince != nil {
		failing = st.FailingSince.UnixMicro()
	}
	_, err := s.update(ctx, func(w *wtx) error {
		res, err := w.tx.ExecContext(w.ctx, `UPDATE webhooks SET cursor = MAX(cursor, ?), attempts = ?, failing_since = ?, next_attempt = ? WHERE id = ?`,
			st.Cursor, st.Attempts, failing, next, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // deleted meanwhile
		}
		return w.logAttempts(id, log)
	})
	return err
}

// WebhookAttempts implements webhook.Store: newest first.
func (s *Store) WebhookAttempts(ctx context.Context, id string, limit int) ([]webhook.Attempt, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, webhook_id, seq, event_type, attempt, at, status, error, duration_ms, resend
		FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []webhook.Attempt{}
	for rows.Next() {
		var a webhook.Attempt
		var at int64
		if err := rows.Scan(&a.ID, &a.WebhookID, &a.Seq, &a.EventType, &a.Attempt, &at, &a.Status, &a.Error, &a.DurationMS, &a.Resend); err != nil {
			return nil, unavailable(err)
		}
		a.At = time.UnixMicro(at).UTC()
		a.OK = a.Status >= 200 && a.Status < 300
		out = append(out, a)
	}
	return out, rows.Err()
}

// QueueResend implements webhook.Store.
func (s *Store) QueueResend(ctx context.Context, id string, seq int64) error {
	_, err := s.update(ctx, func(w *wtx) error {
		var one int
		if err := w.tx.QueryRowContext(w.ctx, `SELECT 1 FROM webhooks WHERE id = ?`, id).Scan(&one); err != nil {
			if err == sql.ErrNoRows {
				return webhook.ErrNotFound
			}
			return err
		}
		if err := w.tx.QueryRowContext(w.ctx, `SELECT 1 FROM events WHERE seq = ?`, seq).Scan(&one); err != nil {
			if err == sql.ErrNoRows {
				return queue.Errorf(protocol.CodeNotFound, "event %d is not kept", seq)
			}
			return err
		}
		_, err := w.tx.ExecContext(w.ctx, `INSERT INTO webhook_resends (webhook_id, seq) VALUES (?, ?)`, id, seq)
		return err
	})
	return err
}

// Resends implements webhook.Store.
func (s *Store) Resends(ctx context.Context, id string) ([]webhook.Resend, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, seq FROM webhook_resends WHERE webhook_id = ? ORDER BY id LIMIT 20`, id)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []webhook.Resend
	for rows.Next() {
		var r webhook.Resend
		if err := rows.Scan(&r.ID, &r.Seq); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ResendDone implements webhook.Store.
func (s *Store) ResendDone(ctx context.Context, id string, r webhook.Resend, a webhook.Attempt) error {
	_, err := s.update(ctx, func(w *wtx) error {
		if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM webhook_resends WHERE id = ?`, r.ID); err != nil {
			return err
		}
		return w.logAttempts(id, []webhook.Attempt{a})
	})
	return err
}

// ClaimWebhook implements webhook.Store. One server owns a SQLite store
// (the data folder lock), so it always holds every lease: the endpoint's
// stored state is returned.
func (s *Store) ClaimWebhook(ctx context.Context, id string, _ time.Duration) (webhook.State, bool, error) {
	var st webhook.State
	var failing sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT cursor, attempts, failing_since FROM webhooks WHERE id = ?`, id).Scan(&st.Cursor, &st.Attempts, &failing)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, webhook.ErrNotFound
	}
	if err != nil {
		return st, false, unavailable(err)
	}
	st.FailingSince = fromMicrosPtr(failing)
	return st, true, nil
}

// ReleaseWebhook implements webhook.Store: nothing to give up.
func (s *Store) ReleaseWebhook(context.Context, string) error { return nil }
