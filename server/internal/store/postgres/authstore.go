package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// exec runs one statement outside the queue's transactions (it changes no
// queue state and appends no events).
func (s *Store) exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error) {
	if s.closed() {
		return pgconn.CommandTag{}, ErrClosed
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	return tag, storageErr(err)
}

func conflictOr(err error, msg string) error {
	if isUnique(err) {
		return queue.Errorf(protocol.CodeConflict, "%s", msg)
	}
	return err
}

func mustAffect(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return queue.ErrNotFound
	}
	return nil
}

func counterIDs(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// CreateUser implements auth.Store.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (id, username, name, role, password_hash, counter_ids, disabled, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		u.ID, u.Username, u.Name, u.Role, u.PasswordHash, counterIDs(u.CounterIDs), u.Disabled, u.CreatedAt)
	return conflictOr(err, "username "+u.Username+" is taken")
}

// UpdateUser implements auth.Store.
func (s *Store) UpdateUser(ctx context.Context, u auth.User) error {
	_, err := s.update(ctx, func(w *wtx) error {
		// The table lock orders account changes across instances, so two
		// admins on two instances cannot demote each other at once.
		if _, err := w.tx.Exec(w.ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var role string
		var disabled bool
		if err := w.tx.QueryRow(w.ctx, `SELECT role, disabled FROM users WHERE id = $1`, u.ID).Scan(&role, &disabled); errors.Is(err, pgx.ErrNoRows) {
			return queue.ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := w.tx.Exec(w.ctx, `UPDATE users SET username = $1, name = $2, role = $3, password_hash = $4, counter_ids = $5, disabled = $6 WHERE id = $7`,
			u.Username, u.Name, u.Role, u.PasswordHash, counterIDs(u.CounterIDs), u.Disabled, u.ID); err != nil {
			return conflictOr(err, "username "+u.Username+" is taken")
		}
		if role != protocol.RoleAdmin || disabled || (u.Role == protocol.RoleAdmin && !u.Disabled) {
			return nil
		}
		var n int
		if err := w.tx.QueryRow(w.ctx, `SELECT count(*) FROM users WHERE role = $1 AND NOT disabled`, protocol.RoleAdmin).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return auth.ErrLastAdmin
		}
		return nil
	})
	return err
}

const userCols = `id, username, name, role, password_hash, counter_ids, disabled, created_at`

func scanUser(sc pgx.Row) (auth.User, error) {
	var u auth.User
	var ids []byte
	if err := sc.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.PasswordHash, &ids, &u.Disabled, &u.CreatedAt); err != nil {
		return u, unavailableOrNotFound(err)
	}
	if err := json.Unmarshal(ids, &u.CounterIDs); err != nil {
		return u, err
	}
	return u, nil
}

func unavailableOrNotFound(err error) error {
	if err = notFound(err); err == queue.ErrNotFound {
		return err
	}
	return unavailable(err)
}

// UserByName implements auth.Store.
func (s *Store) UserByName(ctx context.Context, username string) (auth.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
}

// UserByID implements auth.Store.
func (s *Store) UserByID(ctx context.Context, id string) (auth.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// Users implements auth.Store.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, unavailable(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.User, error) { return scanUser(r) })
}

// CountUsers implements auth.Store.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, storageErr(err)
}

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, ss auth.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)`,
		ss.TokenHash, ss.UserID, ss.CSRF, ss.CreatedAt, ss.ExpiresAt)
	return err
}

// Session implements auth.Store.
func (s *Store) Session(ctx context.Context, h []byte) (auth.Session, error) {
	var ss auth.Session
	err := s.pool.QueryRow(ctx, `SELECT token_hash, user_id, csrf, created_at, expires_at FROM sessions WHERE token_hash = $1`, h).
		Scan(&ss.TokenHash, &ss.UserID, &ss.CSRF, &ss.CreatedAt, &ss.ExpiresAt)
	return ss, unavailableOrNotFound(err)
}

// DeleteSession implements auth.Store.
func (s *Store) DeleteSession(ctx context.Context, h []byte) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h)
	return err
}

// DeleteUserSessions implements auth.Store.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep)
	return err
}

// DeleteExpiredSessions implements auth.Store.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	return err
}

// CreateDevice implements auth.Store.
func (s *Store) CreateDevice(ctx context.Context, d auth.Device) error {
	_, err := s.exec(ctx, `INSERT INTO devices (id, kind, name, token_hash, created_at) VALUES ($1,$2,$3,$4,$5)`,
		d.ID, d.Kind, d.Name, d.TokenHash, d.Created)
	return conflictOr(err, "device already exists")
}

const deviceCols = `id, kind, name, token_hash, created_at, last_seen, status, revoked`

func scanDevice(sc pgx.Row) (auth.Device, error) {
	var d auth.Device
	var status []byte
	if err := sc.Scan(&d.ID, &d.Kind, &d.Name, &d.TokenHash, &d.Created, &d.LastSeen, &status, &d.Revoked); err != nil {
		return d, unavailableOrNotFound(err)
	}
	if len(status) > 0 && string(status) != "{}" && string(status) != "null" {
		var st protocol.DeviceStatus
		if json.Unmarshal(status, &st) == nil {
			d.Status = &st
		}
	}
	return d, nil
}

// DeviceByTokenHash implements auth.Store.
func (s *Store) DeviceByTokenHash(ctx context.Context, h []byte) (auth.Device, error) {
	return scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE token_hash = $1`, h))
}

// Devices implements auth.Store.
func (s *Store) Devices(ctx context.Context) ([]auth.Device, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deviceCols+` FROM devices ORDER BY created_at`)
	if err != nil {
		return nil, unavailable(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.Device, error) { return scanDevice(r) })
}

// TouchDevice implements auth.Store.
func (s *Store) TouchDevice(ctx context.Context, id string, at time.Time, status *protocol.DeviceStatus) error {
	if status == nil {
		return mustAffect(s.exec(ctx, `UPDATE devices SET last_seen = $1 WHERE id = $2`, at, id))
	}
	b, _ := json.Marshal(status)
	return mustAffect(s.exec(ctx, `UPDATE devices SET last_seen = $1, status = $2 WHERE id = $3`, at, string(b), id))
}

// RevokeDevice implements auth.Store.
func (s *Store) RevokeDevice(ctx context.Context, id string) error {
	return mustAffect(s.exec(ctx, `UPDATE devices SET revoked = true WHERE id = $1`, id))
}

// AddAudit implements auth.Store.
func (s *Store) AddAudit(ctx context.Context, e auth.AuditEntry) error {
	if e.Changes == nil {
		e.Changes = []auth.Change{}
	}
	ch, err := json.Marshal(e.Changes)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO audit (at, actor, action, detail, ip, subject, changes) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		e.At, e.Actor, e.Action, e.Detail, e.IP, e.Subject, string(ch))
	return err
}

// Audit implements auth.Store.
func (s *Store) Audit(ctx context.Context, f auth.AuditFilter) ([]auth.AuditEntry, error) {
	q := `SELECT id, at, actor, action, detail, ip, subject, changes FROM audit WHERE true`
	var args []any
	if f.Actor != "" {
		args = append(args, f.Actor)
		q += ` AND actor = $1`
	}
	if f.Kind != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Kind)
		args = append(args, f.Kind, esc+".%")
		q += ` AND (action = $` + itoa(len(args)-1) + ` OR action LIKE $` + itoa(len(args)) + ` ESCAPE '\')`
	}
	args = append(args, f.Limit)
	q += ` ORDER BY id DESC LIMIT $` + itoa(len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.AuditEntry, error) {
		var e auth.AuditEntry
		var ch []byte
		if err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Detail, &e.IP, &e.Subject, &ch); err != nil {
			return e, err
		}
		if err := json.Unmarshal(ch, &e.Changes); err != nil || e.Changes == nil {
			e.Changes = []auth.Change{}
		}
		return e, nil
	})
	return out, unavailable(err)
}

func itoa(n int) string { return strconv.Itoa(n) }

// PutPairing implements auth.Store. The table lock orders concurrent
// creations, so the limit holds across instances.
func (s *Store) PutPairing(ctx context.Context, p auth.Pairing, now time.Time, max int) error {
	_, err := s.update(ctx, func(w *wtx) error {
		if _, err := w.tx.Exec(w.ctx, `LOCK TABLE pairing_codes IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := w.tx.Exec(w.ctx, `DELETE FROM pairing_codes WHERE expires_at <= $1`, now); err != nil {
			return err
		}
		var n int
		if err := w.tx.QueryRow(w.ctx, `SELECT count(*) FROM pairing_codes`).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return queue.Errorf(protocol.CodeConflict, "at most %d pairing codes waiting", max)
		}
		_, err := w.tx.Exec(w.ctx, `INSERT INTO pairing_codes (code_hash, kind, name, expires_at) VALUES ($1, $2, $3, $4)`,
			p.CodeHash, p.Kind, p.Name, p.Expires)
		return conflictOr(err, "pairing code already waiting")
	})
	return err
}

// TakePairing implements auth.Store: one DELETE … RETURNING, so of two
// instances racing for a code only one gets it.
func (s *Store) TakePairing(ctx context.Context, hash string, now time.Time) (auth.Pairing, bool, error) {
	if s.closed() {
		return auth.Pairing{}, false, ErrClosed
	}
	var p auth.Pairing
	err := s.pool.QueryRow(ctx, `DELETE FROM pairing_codes WHERE code_hash = $1 RETURNING code_hash, kind, name, expires_at`, hash).
		Scan(&p.CodeHash, &p.Kind, &p.Name, &p.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Pairing{}, false, nil
	}
	if err != nil {
		return auth.Pairing{}, false, unavailable(err)
	}
	p.Expires = p.Expires.UTC()
	if !now.Before(p.Expires) {
		return auth.Pairing{}, false, nil
	}
	return p, true, nil
}
