package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// ProvinceSchema holds what is above the centres of a province: the
// registry of centres and the province's accounts. Each centre's own
// tables are in its schema (Options.Schema).
const ProvinceSchema = "civiq_province"

var _ province.Store = (*Province)(nil)

// provinceSchema is the province schema's definition; its version is
// kept in its own civiq_schema table.
const provinceSchema = `CREATE SCHEMA IF NOT EXISTS civiq_province;
CREATE TABLE IF NOT EXISTS civiq_province.civiq_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL);
CREATE TABLE IF NOT EXISTS civiq_province.centres (
	id text PRIMARY KEY,
	name text NOT NULL,
	time_zone text NOT NULL,
	created_at timestamptz NOT NULL,
	ready boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS civiq_province.users (
	id text PRIMARY KEY,
	username text NOT NULL UNIQUE,
	name text NOT NULL,
	role text NOT NULL,
	password_hash text NOT NULL,
	disabled boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS civiq_province.sessions (
	token_hash bytea PRIMARY KEY,
	user_id text NOT NULL REFERENCES civiq_province.users(id) ON DELETE CASCADE,
	expires_at timestamptz NOT NULL
);
INSERT INTO civiq_province.civiq_schema (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
ALTER TABLE civiq_province.centres ADD COLUMN IF NOT EXISTS disabled boolean NOT NULL DEFAULT false;
UPDATE civiq_province.civiq_schema SET version = 2 WHERE id = 1 AND version < 2;
CREATE TABLE IF NOT EXISTS civiq_province.rate_buckets (
	key text PRIMARY KEY,
	tokens double precision NOT NULL,
	at timestamptz NOT NULL,
	full_at timestamptz NOT NULL
);
UPDATE civiq_province.civiq_schema SET version = 3 WHERE id = 1 AND version < 3;
CREATE TABLE IF NOT EXISTS civiq_province.audit (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL,
	actor text NOT NULL,
	action text NOT NULL,
	subject text NOT NULL,
	detail text NOT NULL,
	ip text NOT NULL
);
UPDATE civiq_province.civiq_schema SET version = 4 WHERE id = 1 AND version < 4;`

// provinceVersion is the province schema version this build writes
// (2: centres.disabled; 3: rate_buckets, the province logins' shared
// limit, as a centre's migration 0015; 4: audit, the province's audit
// log, indexed by its primary key id).
const provinceVersion = 4

// Province is the province schema's store.
type Province struct {
	pool    *pgxpool.Pool
	buckets buckets
}

// OpenProvince connects to the database at url and creates the province
// schema when missing (under the migrations' advisory lock); a newer
// province schema is refused.
func OpenProvince(ctx context.Context, url string) (*Province, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: bad --db URL: %w", err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p := &Province{pool: pool, buckets: buckets{table: ProvinceSchema + ".rate_buckets"}}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

func (p *Province) migrate(ctx context.Context) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: province: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7431001)`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, provinceSchema); err != nil {
		return fmt.Errorf("postgres: province schema: %w", err)
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT version FROM civiq_province.civiq_schema WHERE id = 1`).Scan(&v); err != nil {
		return err
	}
	if v > provinceVersion {
		return fmt.Errorf("postgres: province schema version %d is newer than this server knows (%d); run a newer CiviQ server", v, provinceVersion)
	}
	return tx.Commit(ctx)
}

// Close closes the pool.
func (p *Province) Close() { p.pool.Close() }

// TakeToken takes a token from the province's shared bucket key (the
// province logins' limit; Store.TakeToken).
func (p *Province) TakeToken(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	ok, wait, err := p.buckets.take(ctx, p.pool, key, perSecond, burst)
	return ok, wait, storageErr(err)
}

func (p *Province) exec(ctx context.Context, q string, args ...any) error {
	_, err := p.pool.Exec(ctx, q, args...)
	return storageErr(err)
}

// Centres implements province.Store.
func (p *Province) Centres(ctx context.Context) ([]province.Centre, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, name, time_zone, created_at, disabled FROM civiq_province.centres WHERE ready ORDER BY id`)
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	var out []province.Centre
	for rows.Next() {
		var c province.Centre
		if err := rows.Scan(&c.ID, &c.Name, &c.TimeZone, &c.Created, &c.Disabled); err != nil {
			return nil, storageErr(err)
		}
		out = append(out, c)
	}
	return out, storageErr(rows.Err())
}

// ReserveCentre implements province.Store.
func (p *Province) ReserveCentre(ctx context.Context, c province.Centre) error {
	_, err := p.pool.Exec(ctx, `INSERT INTO civiq_province.centres (id, name, time_zone, created_at) VALUES ($1,$2,$3,$4)`, c.ID, c.Name, c.TimeZone, c.Created)
	return conflictOr(storageErr(err), "centre "+c.ID+" exists")
}

// CentreReady implements province.Store.
func (p *Province) CentreReady(ctx context.Context, id string, audit ...province.AuditEntry) error {
	return p.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE civiq_province.centres SET ready = true WHERE id = $1`, id); err != nil {
			return err
		}
		return addAudit(ctx, tx, audit)
	})
}

// inTx runs fn in a transaction.
func (p *Province) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return storageErr(err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return storageErr(err)
	}
	return storageErr(tx.Commit(ctx))
}

// addAudit writes audit entries in tx.
func addAudit(ctx context.Context, tx pgx.Tx, audit []province.AuditEntry) error {
	for _, e := range audit {
		if _, err := tx.Exec(ctx, `INSERT INTO civiq_province.audit (at, actor, action, subject, detail, ip) VALUES ($1,$2,$3,$4,$5,$6)`,
			e.At, e.Actor, e.Action, e.Subject, e.Detail, e.IP); err != nil {
			return err
		}
	}
	return nil
}

// AddAudit implements province.Store.
func (p *Province) AddAudit(ctx context.Context, e province.AuditEntry) error {
	return p.inTx(ctx, func(tx pgx.Tx) error { return addAudit(ctx, tx, []province.AuditEntry{e}) })
}

// Audit implements province.Store: newest first; Kind "centre" or
// "account" is every action of that kind, anything else one action.
func (p *Province) Audit(ctx context.Context, f province.AuditFilter) ([]province.AuditEntry, error) {
	kind, prefix := f.Kind, ""
	if kind == "centre" || kind == "account" {
		kind, prefix = "", f.Kind+"."
	}
	rows, err := p.pool.Query(ctx, `SELECT id, at, actor, action, subject, detail, ip FROM civiq_province.audit
		WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR starts_with(action, $3))
		ORDER BY id DESC LIMIT $4`, f.Actor, kind, prefix, f.Limit)
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	out := []province.AuditEntry{}
	for rows.Next() {
		var e province.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.IP); err != nil {
			return nil, storageErr(err)
		}
		out = append(out, e)
	}
	return out, storageErr(rows.Err())
}

// ForgetCentre implements province.Store.
func (p *Province) ForgetCentre(ctx context.Context, id string) error {
	return p.exec(ctx, `DELETE FROM civiq_province.centres WHERE id = $1 AND NOT ready`, id)
}

// UpdateCentre implements province.Store.
func (p *Province) UpdateCentre(ctx context.Context, id string, name *string, disabled *bool, audit ...province.AuditEntry) (province.Centre, error) {
	var c province.Centre
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		var was bool
		err := tx.QueryRow(ctx, `SELECT disabled FROM civiq_province.centres WHERE id = $1 AND ready FOR UPDATE`, id).Scan(&was)
		if err != nil {
			return notFound(err)
		}
		err = tx.QueryRow(ctx, `UPDATE civiq_province.centres SET name = coalesce($2, name), disabled = coalesce($3, disabled)
			WHERE id = $1 AND ready RETURNING id, name, time_zone, created_at, disabled`, id, name, disabled).
			Scan(&c.ID, &c.Name, &c.TimeZone, &c.Created, &c.Disabled)
		if err != nil {
			return notFound(err)
		}
		// A centre taken out of service or back that was so already
		// changed nothing: no entry.
		audit = slices.DeleteFunc(slices.Clone(audit), func(e province.AuditEntry) bool {
			return (e.Action == province.ActionCentreDisable || e.Action == province.ActionCentreEnable) && was == c.Disabled
		})
		return addAudit(ctx, tx, audit)
	})
	return c, err
}

// DeleteCentre implements province.Store: in one transaction, under the
// lock that orders the creation and migration of every schema (so no
// instance migrates or re-creates the schema meanwhile), the registry row
// is locked, checked (ready and out of service), the centre's schema
// dropped with everything in it and the row deleted. A concurrent enable
// or rename waits for the row and then finds none; a concurrent creation
// of the same id waits for the row and then starts from nothing. Nothing
// else in the province schema is keyed to a centre (province sessions
// handed to a centre are its cookie only). The drop waits at most 10 s for
// the centre's tables (another instance still serving it finishing a
// transaction); then CodeUnavailable and nothing is changed.
func (p *Province) DeleteCentre(ctx context.Context, id string, audit ...province.AuditEntry) error {
	schema := province.SchemaOf(id)
	if schema == "" || !SchemaPattern.MatchString(schema) || reservedSchema(schema) {
		return queue.Errorf(protocol.CodeUnprocessable, "centre %s cannot be deleted", id)
	}
	// The drop locks the centre's tables one by one: a transaction of an
	// instance still serving the centre that holds one and wants another
	// is a deadlock, which PostgreSQL breaks by failing one side. Ours
	// is run again (the other side's instance retries its own).
	for try := 1; ; try++ {
		err := p.deleteCentre(ctx, id, schema, audit)
		if c, _ := pgCode(err); (c != "40P01" && c != "40001") || try == 5 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(try) * 50 * time.Millisecond):
		}
	}
}

func (p *Province) deleteCentre(ctx context.Context, id, schema string, audit []province.AuditEntry) error {
	fail := func(err error) error {
		if c, _ := pgCode(err); c == "55P03" { // lock_timeout
			return queue.Errorf(protocol.CodeUnavailable, "centre %s is busy (its tables or its registry entry are in use); try again", id)
		}
		return storageErr(err)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7431001)`); err != nil {
		return fail(err)
	}
	var ready, disabled bool
	err = tx.QueryRow(ctx, `SELECT ready, disabled FROM civiq_province.centres WHERE id = $1 FOR UPDATE`, id).Scan(&ready, &disabled)
	if err = notFound(err); err != nil {
		return fail(err)
	}
	if !ready {
		return queue.ErrNotFound // being created: not a centre yet
	}
	if !disabled {
		return queue.Errorf(protocol.CodeConflict, "centre %s is in service: take it out of service first", id)
	}
	// The writers of every instance serving the centre take this turn
	// before each batch (qBatchTurn): held, no batch of theirs holds one
	// of the centre's tables and waits for another while the drop locks
	// them, which would be a deadlock.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7431002, hashtext($1))`, schema); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM civiq_province.centres WHERE id = $1`, id); err != nil {
		return fail(err)
	}
	if err := addAudit(ctx, tx, audit); err != nil {
		return fail(err)
	}
	return fail(tx.Commit(ctx))
}

// CreateUser implements province.Store.
func (p *Province) CreateUser(ctx context.Context, u province.User, audit ...province.AuditEntry) error {
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO civiq_province.users (id, username, name, role, password_hash, disabled, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			u.ID, u.Username, u.Name, u.Role, u.PasswordHash, u.Disabled, u.Created); err != nil {
			return err
		}
		return addAudit(ctx, tx, audit)
	})
	return conflictOr(err, "username "+u.Username+" is taken")
}

const provinceUserCols = `id, username, name, role, password_hash, disabled, created_at`

func (p *Province) user(ctx context.Context, where string, arg any) (province.User, error) {
	var u province.User
	err := p.pool.QueryRow(ctx, `SELECT `+provinceUserCols+` FROM civiq_province.users WHERE `+where+` = $1`, arg).
		Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &u.Created)
	return u, storageErr(notFound(err))
}

// UserByName implements province.Store.
func (p *Province) UserByName(ctx context.Context, username string) (province.User, error) {
	return p.user(ctx, "username", username)
}

// UserByID implements province.Store.
func (p *Province) UserByID(ctx context.Context, id string) (province.User, error) {
	return p.user(ctx, "id", id)
}

// Users implements province.Store.
func (p *Province) Users(ctx context.Context) ([]province.User, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+provinceUserCols+` FROM civiq_province.users ORDER BY username`)
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	var out []province.User
	for rows.Next() {
		var u province.User
		if err := rows.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &u.Created); err != nil {
			return nil, storageErr(err)
		}
		out = append(out, u)
	}
	return out, storageErr(rows.Err())
}

// UpdateUser implements province.Store: every account is locked (a
// province has a handful), so two admins demoting each other at once
// cannot both succeed and leave no admin.
func (p *Province) UpdateUser(ctx context.Context, id string, keep []byte, change func(*province.User) (bool, []province.AuditEntry, error)) (province.User, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return province.User{}, storageErr(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT `+provinceUserCols+` FROM civiq_province.users ORDER BY id FOR UPDATE`)
	if err != nil {
		return province.User{}, storageErr(err)
	}
	var all []province.User
	for rows.Next() {
		var u province.User
		if err := rows.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &u.Created); err != nil {
			rows.Close()
			return province.User{}, storageErr(err)
		}
		all = append(all, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return province.User{}, storageErr(err)
	}
	i := slices.IndexFunc(all, func(u province.User) bool { return u.ID == id })
	if i < 0 {
		return province.User{}, queue.ErrNotFound
	}
	end, audit, err := change(&all[i])
	if err != nil {
		return province.User{}, err
	}
	if !slices.ContainsFunc(all, func(u province.User) bool { return u.Role == province.RoleAdmin && !u.Disabled }) {
		return province.User{}, queue.Errorf(protocol.CodeConflict, "the last enabled province admin cannot be disabled or demoted")
	}
	u := all[i]
	if _, err := tx.Exec(ctx, `UPDATE civiq_province.users SET name = $2, role = $3, password_hash = $4, disabled = $5 WHERE id = $1`,
		u.ID, u.Name, u.Role, u.PasswordHash, u.Disabled); err != nil {
		return province.User{}, storageErr(err)
	}
	if end {
		if _, err := tx.Exec(ctx, `DELETE FROM civiq_province.sessions WHERE user_id = $1 AND token_hash <> coalesce($2, ''::bytea)`, u.ID, keep); err != nil {
			return province.User{}, storageErr(err)
		}
	}
	if err := addAudit(ctx, tx, audit); err != nil {
		return province.User{}, storageErr(err)
	}
	return u, storageErr(tx.Commit(ctx))
}

// CreateSession implements province.Store.
func (p *Province) CreateSession(ctx context.Context, s province.Session) error {
	return p.exec(ctx, `INSERT INTO civiq_province.sessions (token_hash, user_id, expires_at) VALUES ($1,$2,$3)`, s.TokenHash, s.UserID, s.Expires)
}

// Session implements province.Store.
func (p *Province) Session(ctx context.Context, tokenHash []byte) (province.Session, error) {
	s := province.Session{TokenHash: tokenHash}
	err := p.pool.QueryRow(ctx, `SELECT user_id, expires_at FROM civiq_province.sessions WHERE token_hash = $1`, tokenHash).Scan(&s.UserID, &s.Expires)
	return s, storageErr(notFound(err))
}

// DeleteSession implements province.Store.
func (p *Province) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return p.exec(ctx, `DELETE FROM civiq_province.sessions WHERE token_hash = $1`, tokenHash)
}

// DeleteExpiredSessions removes the province sessions that ended.
func (p *Province) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	return p.exec(ctx, `DELETE FROM civiq_province.sessions WHERE expires_at <= $1`, now)
}
