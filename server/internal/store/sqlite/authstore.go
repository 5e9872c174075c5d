package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// exec runs a write without events through the group-commit writer.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	_, err := s.update(ctx, func(w *wtx) error {
		var err error
		res, err = w.tx.ExecContext(w.ctx, q, args...)
		return err
	})
	return res, err
}

func conflictOr(err error, msg string) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return queue.Errorf(protocol.CodeConflict, "%s", msg)
	}
	return err
}

func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return queue.ErrNotFound
	}
	return nil
}

// CreateUser implements auth.Store.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	ids, _ := json.Marshal(u.CounterIDs)
	_, err := s.exec(ctx, `INSERT INTO users (id, username, name, role, password_hash, counter_ids, disabled, created_at) VALUES (?,?,?,?,?,?,?,?)`,
		u.ID, u.Username, u.Name, u.Role, u.PasswordHash, string(ids), u.Disabled, u.CreatedAt.UnixMicro())
	return conflictOr(err, "username "+u.Username+" is taken")
}

// UpdateUser implements auth.Store.
func (s *Store) UpdateUser(ctx context.Context, u auth.User) error {
	ids, _ := json.Marshal(u.CounterIDs)
	_, err := s.update(ctx, func(w *wtx) error {
		var role string
		var disabled bool
		err := w.tx.QueryRowContext(w.ctx, `SELECT role, disabled FROM users WHERE id = ?`, u.ID).Scan(&role, &disabled)
		if err == sql.ErrNoRows {
			return queue.ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE users SET username = ?, name = ?, role = ?, password_hash = ?, counter_ids = ?, disabled = ? WHERE id = ?`,
			u.Username, u.Name, u.Role, u.PasswordHash, string(ids), u.Disabled, u.ID); err != nil {
			return err
		}
		if role != protocol.RoleAdmin || disabled || (u.Role == protocol.RoleAdmin && !u.Disabled) {
			return nil
		}
		var n int
		if err := w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND NOT disabled`, protocol.RoleAdmin).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return auth.ErrLastAdmin
		}
		return nil
	})
	return conflictOr(err, "username "+u.Username+" is taken")
}

const userCols = `id, username, name, role, password_hash, counter_ids, disabled, created_at`

func scanUser(sc interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var ids string
	var created int64
	if err := sc.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.PasswordHash, &ids, &u.Disabled, &created); err != nil {
		return u, notFound(err)
	}
	u.CreatedAt = time.UnixMicro(created)
	if err := json.Unmarshal([]byte(ids), &u.CounterIDs); err != nil {
		return u, err
	}
	return u, nil
}

// UserByName implements auth.Store.
func (s *Store) UserByName(ctx context.Context, username string) (auth.User, error) {
	return scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
}

// UserByID implements auth.Store.
func (s *Store) UserByID(ctx context.Context, id string) (auth.User, error) {
	return scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// Users implements auth.Store.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers implements auth.Store.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, ss auth.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?,?,?,?,?)`,
		ss.TokenHash, ss.UserID, ss.CSRF, ss.CreatedAt.UnixMicro(), ss.ExpiresAt.UnixMicro())
	return err
}

// Session implements auth.Store.
func (s *Store) Session(ctx context.Context, h []byte) (auth.Session, error) {
	var ss auth.Session
	var c, e int64
	err := s.rdb.QueryRowContext(ctx, `SELECT token_hash, user_id, csrf, created_at, expires_at FROM sessions WHERE token_hash = ?`, h).
		Scan(&ss.TokenHash, &ss.UserID, &ss.CSRF, &c, &e)
	if err != nil {
		return ss, notFound(err)
	}
	ss.CreatedAt, ss.ExpiresAt = time.UnixMicro(c), time.UnixMicro(e)
	return ss, nil
}

// DeleteSession implements auth.Store.
func (s *Store) DeleteSession(ctx context.Context, h []byte) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h)
	return err
}

// DeleteUserSessions implements auth.Store.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keep)
	return err
}

// DeleteExpiredSessions implements auth.Store.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixMicro())
	return err
}

// CreateDevice implements auth.Store.
func (s *Store) CreateDevice(ctx context.Context, d auth.Device) error {
	_, err := s.exec(ctx, `INSERT INTO devices (id, kind, name, token_hash, created_at) VALUES (?,?,?,?,?)`,
		d.ID, d.Kind, d.Name, d.TokenHash, d.Created.UnixMicro())
	return conflictOr(err, "device already exists")
}

const deviceCols = `id, kind, name, token_hash, created_at, last_seen, status, revoked`

func scanDevice(sc interface{ Scan(...any) error }) (auth.Device, error) {
	var d auth.Device
	var created int64
	var seen sql.NullInt64
	var status string
	if err := sc.Scan(&d.ID, &d.Kind, &d.Name, &d.TokenHash, &created, &seen, &status, &d.Revoked); err != nil {
		return d, notFound(err)
	}
	d.Created = time.UnixMicro(created)
	d.LastSeen = fromMicros(seen)
	if status != "" && status != "{}" {
		var st protocol.DeviceStatus
		if json.Unmarshal([]byte(status), &st) == nil {
			d.Status = &st
		}
	}
	return d, nil
}

// DeviceByTokenHash implements auth.Store.
func (s *Store) DeviceByTokenHash(ctx context.Context, h []byte) (auth.Device, error) {
	return scanDevice(s.rdb.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE token_hash = ?`, h))
}

// Devices implements auth.Store.
func (s *Store) Devices(ctx context.Context) ([]auth.Device, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices ORDER BY created_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// TouchDevice implements auth.Store.
func (s *Store) TouchDevice(ctx context.Context, id string, at time.Time, status *protocol.DeviceStatus) error {
	if status == nil {
		return mustAffect(s.exec(ctx, `UPDATE devices SET last_seen = ? WHERE id = ?`, at.UnixMicro(), id))
	}
	b, _ := json.Marshal(status)
	return mustAffect(s.exec(ctx, `UPDATE devices SET last_seen = ?, status = ? WHERE id = ?`, at.UnixMicro(), string(b), id))
}

// RevokeDevice implements auth.Store.
func (s *Store) RevokeDevice(ctx context.Context, id string) error {
	return mustAffect(s.exec(ctx, `UPDATE devices SET revoked = 1 WHERE id = ?`, id))
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
	_, err = s.exec(ctx, `INSERT INTO audit (at, actor, action, detail, ip, subject, changes) VALUES (?,?,?,?,?,?,?)`,
		e.At.UnixMicro(), e.Actor, e.Action, e.Detail, e.IP, e.Subject, string(ch))
	return err
}

// Audit implements auth.Store.
func (s *Store) Audit(ctx context.Context, f auth.AuditFilter) ([]auth.AuditEntry, error) {
	q := `SELECT id, at, actor, action, detail, ip, subject, changes FROM audit WHERE 1=1`
	var args []any
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Kind != "" {
		q += ` AND (action = ? OR action LIKE ? ESCAPE '\')`
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Kind)
		args = append(args, f.Kind, esc+".%")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	var out []auth.AuditEntry
	for rows.Next() {
		var e auth.AuditEntry
		var at int64
		var ch string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Detail, &e.IP, &e.Subject, &ch); err != nil {
			return nil, storageErr(err)
		}
		e.At = time.UnixMicro(at)
		if err := json.Unmarshal([]byte(ch), &e.Changes); err != nil || e.Changes == nil {
			e.Changes = []auth.Change{}
		}
		out = append(out, e)
	}
	return out, storageErr(rows.Err())
}

// PutPairing implements auth.Store.
func (s *Store) PutPairing(ctx context.Context, p auth.Pairing, now time.Time, max int) error {
	_, err := s.update(ctx, func(w *wtx) error {
		if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM pairing_codes WHERE expires_at <= ?`, now.UnixMicro()); err != nil {
			return err
		}
		var n int
		if err := w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM pairing_codes`).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return queue.Errorf(protocol.CodeConflict, "at most %d pairing codes waiting", max)
		}
		_, err := w.tx.ExecContext(w.ctx, `INSERT INTO pairing_codes (code_hash, kind, name, expires_at) VALUES (?, ?, ?, ?)`,
			p.CodeHash, p.Kind, p.Name, p.Expires.UnixMicro())
		return conflictOr(err, "pairing code already waiting")
	})
	return err
}

// TakePairing implements auth.Store.
func (s *Store) TakePairing(ctx context.Context, hash string, now time.Time) (auth.Pairing, bool, error) {
	var p auth.Pairing
	var found bool
	_, err := s.update(ctx, func(w *wtx) error {
		var exp int64
		err := w.tx.QueryRowContext(w.ctx, `DELETE FROM pairing_codes WHERE code_hash = ? RETURNING code_hash, kind, name, expires_at`, hash).
			Scan(&p.CodeHash, &p.Kind, &p.Name, &exp)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		p.Expires = time.UnixMicro(exp).UTC()
		found = true
		return nil
	})
	if err != nil || !found || !now.Before(p.Expires) {
		return auth.Pairing{}, false, err
	}
	return p, true, nil
}
