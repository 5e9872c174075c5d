package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

var _ webhook.Store = (*Store)(nil)

// keepAttempts is how many attempts per endpoint the log keeps.
const keepAttempts = 200

// CreateWebhook implements webhook.Store.
func (s *Store) CreateWebhook(ctx context.Context, ep webhook.Endpoint) (webhook.Endpoint, error) {
	ev, err := json.Marshal(ep.Events)
	if err != nil {
		return ep, err
	}
	_, err = s.update(ctx, func(w *wtx) error {
		// The table lock orders concurrent creations, so the limit holds
		// across instances.
		if _, err := w.tx.Exec(w.ctx, `LOCK TABLE webhooks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int
		if err := w.tx.QueryRow(w.ctx, `SELECT count(*) FROM webhooks`).Scan(&n); err != nil {
			return err
		}
		if n >= webhook.MaxEndpoints {
			return queue.Errorf(protocol.CodeConflict, "at most %d webhooks", webhook.MaxEndpoints)
		}
		if err := w.tx.QueryRow(w.ctx, `SELECT last FROM event_seq WHERE id = 1`).Scan(&ep.Cursor); err != nil {
			return err
		}
		_, err := w.tx.Exec(w.ctx, `INSERT INTO webhooks (id, url, events, secret, created_at, cursor) VALUES ($1, $2, $3, $4, $5, $6)`,
			ep.ID, ep.URL, string(ev), ep.Secret, ep.CreatedAt, ep.Cursor)
		return err
	})
	return ep, err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Webhooks implements webhook.Store.
func (s *Store) Webhooks(ctx context.Context) ([]webhook.Endpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, url, events, secret, created_at, cursor, attempts, failing_since, next_attempt FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Endpoint, error) {
		var ep webhook.Endpoint
		var ev []byte
		if err := r.Scan(&ep.ID, &ep.URL, &ev, &ep.Secret, &ep.CreatedAt, &ep.Cursor, &ep.Attempts, &ep.FailingSince, &ep.NextAttempt); err != nil {
			return ep, err
		}
		ep.CreatedAt = ep.CreatedAt.UTC()
		ep.FailingSince, ep.NextAttempt = utcPtr(ep.FailingSince), utcPtr(ep.NextAttempt)
		return ep, json.Unmarshal(ev, &ep.Events)
	})
	if out == nil {
		out = []webhook.Endpoint{}
	}
	return out, unavailable(err)
}

// DeleteWebhook implements webhook.Store.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	_, err := s.update(ctx, func(w *wtx) error {
		tag, err := w.tx.Exec(w.ctx, `DELETE FROM webhooks WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return webhook.ErrNotFound
		}
		for _, q := range []string{`DELETE FROM webhook_attempts WHERE webhook_id = $1`, `DELETE FROM webhook_resends WHERE webhook_id = $1`} {
			if _, err := w.tx.Exec(w.ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

func (w *wtx) logAttempts(id string, log []webhook.Attempt) error {
	for _, a := range log {
		if _, err := w.tx.Exec(w.ctx, `INSERT INTO webhook_attempts (webhook_id, seq, event_type, attempt, at, status, error, duration_ms, resend)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, a.Seq, a.EventType, a.Attempt, a.At, a.Status, a.Error, a.DurationMS, a.Resend); err != nil {
			return err
		}
	}
	if len(log) == 0 {
		return nil
	}
	_, err := w.tx.Exec(w.ctx, `DELETE FROM webhook_attempts WHERE webhook_id = $1 AND id <=
		(SELECT id FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`, id, keepAttempts)
	return err
}

// WebhookProgress implements webhook.Store. The cursor only moves forward.
func (s *Store) WebhookProgress(ctx context.Context, id string, st webhook.State, log []webhook.Attempt) error {
	_, err := s.update(ctx, func(w *wtx) error {
		tag, err := w.tx.Exec(w.ctx, `UPDATE webhooks SET cursor = GREATEST(cursor, $1), attempts = $2, failing_since = $3, next_attempt = $4 WHERE id = $5`,
			st.Cursor, st.Attempts, st.FailingSince, st.NextAttempt, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // deleted meanwhile
		}
		return w.logAttempts(id, log)
	})
	return err
}

// WebhookAttempts implements webhook.Store: newest first.
func (s *Store) WebhookAttempts(ctx context.Context, id string, limit int) ([]webhook.Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, webhook_id, seq, event_type, attempt, at, status, error, duration_ms, resend
		FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Attempt, error) {
		var a webhook.Attempt
		err := r.Scan(&a.ID, &a.WebhookID, &a.Seq, &a.EventType, &a.Attempt, &a.At, &a.Status, &a.Error, &a.DurationMS, &a.Resend)
		a.At = a.At.UTC()
		a.OK = a.Status >= 200 && a.Status < 300
		return a, err
	})
	if out == nil {
		out = []webhook.Attempt{}
	}
	return out, unavailable(err)
}

// QueueResend implements webhook.Store.
func (s *Store) QueueResend(ctx context.Context, id string, seq int64) error {
	_, err := s.update(ctx, func(w *wtx) error {
		var one int
		if err := w.tx.QueryRow(w.ctx, `SELECT 1 FROM webhooks WHERE id = $1`, id).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return webhook.ErrNotFound
			}
			return err
		}
		if err := w.tx.QueryRow(w.ctx, `SELECT 1 FROM events WHERE seq = $1`, seq).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return queue.Errorf(protocol.CodeNotFound, "event %d is not kept", seq)
			}
			return err
		}
		_, err := w.tx.Exec(w.ctx, `INSERT INTO webhook_resends (webhook_id, seq) VALUES ($1, $2)`, id, seq)
		return err
	})
	return err
}

// Resends implements webhook.Store.
func (s *Store) Resends(ctx context.Context, id string) ([]webhook.Resend, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, seq FROM webhook_resends WHERE webhook_id = $1 ORDER BY id LIMIT 20`, id)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Resend, error) {
		var x webhook.Resend
		return x, r.Scan(&x.ID, &x.Seq)
	})
	return out, unavailable(err)
}

// ResendDone implements webhook.Store.
func (s *Store) ResendDone(ctx context.Context, id string, r webhook.Resend, a webhook.Attempt) error {
	_, err := s.update(ctx, func(w *wtx) error {
		if _, err := w.tx.Exec(w.ctx, `DELETE FROM webhook_resends WHERE id = $1`, r.ID); err != nil {
			return err
		}
		return w.logAttempts(id, []webhook.Attempt{a})
	})
	return err
}

// ClaimWebhook implements webhook.Store: the lease is the endpoint row's
// lease_owner (this store's instance id) and lease_until, taken when it is
// free, run out or already this instance's, by one UPDATE on the
// database's clock (so the instances' clocks do not matter).
func (s *Store) ClaimWebhook(ctx context.Context, id string, ttl time.Duration) (webhook.State, bool, error) {
	var st webhook.State
	err := s.pool.QueryRow(ctx, `UPDATE webhooks SET lease_owner = $2, lease_until = clock_timestamp() + make_interval(secs => $3)
		WHERE id = $1 AND (lease_owner = $2 OR lease_until IS NULL OR lease_until < clock_timestamp())
		RETURNING cursor, attempts, failing_since`, id, s.instance, ttl.Seconds()).Scan(&st.Cursor, &st.Attempts, &st.FailingSince)
	if err == nil {
		st.FailingSince = utcPtr(st.FailingSince)
		return st, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return st, false, unavailable(err)
	}
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE id = $1`, id).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
		return st, false, webhook.ErrNotFound
	} else if err != nil {
		return st, false, unavailable(err)
	}
	return st, false, nil
}

// ReleaseWebhook implements webhook.Store.
func (s *Store) ReleaseWebhook(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, id, s.instance)
	return unavailable(err)
}
