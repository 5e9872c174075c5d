// Package postgres is the scale-out CiviQ store: PostgreSQL through a pgx
// connection pool. Several server instances may share one database: every
// decision (number allocation, call-next, leases) is made in a PostgreSQL
// transaction under row locks, and every committed event is delivered to
// every instance's sink in seq order, exactly once (feed.go).
package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civiq/civiq/server/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var _ store.Store = (*Store)(nil)

// Options tune the store.
type Options struct {
	Log *slog.Logger
	// MaxConns bounds the pool (default 16).
	MaxConns int32
	// PollEvery is how often the events table is read for events of other
	// instances when no notification woke the reader (default 1 s).
	PollEvery time.Duration
	// MaxRetries bounds the retries of an update that failed on a
	// serialization failure or deadlock (default 20).
	MaxRetries int
	// MaxBatch bounds how many updates share one commit (default 256).
	MaxBatch int
	// Schema is the PostgreSQL schema holding this store's tables: one
	// centre of a province (docs/ARCHITECTURE.md, "Multi-site"). Empty:
	// the connection's default search_path (the public schema), the
	// single-centre deployment. Every connection of the pool has its
	// search_path set to it, so every query of the store is scoped to it;
	// its NOTIFY channel and the booking locks are its own. It must match
	// SchemaPattern; Open creates it when missing, unless Existing.
	Schema string
	// Existing: Schema must exist already (a centre another instance
	// created): Open fails rather than create it again, so an instance
	// starting a centre that is being deleted cannot bring back an empty
	// schema of it (the check runs under the lock the deletion takes).
	Existing bool

	// listenOn replaces the notification channel (tests: a store that
	// hears no notification and must poll).
	listenOn string
}

// Store is the PostgreSQL store.
type Store struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	opts   Options
	epoch  string
	secret []byte
	// instance names this store among the server instances sharing the
	// database (webhook leases, console presence): random per Open.
	instance string
	// channel is the NOTIFY channel of the schema's events; lockNS
	// prefixes advisory lock keys ("" for the default schema).
	channel string
	lockNS  string
	// buckets are the centre's shared rate limits (ratelimit.go).
	buckets buckets

	feed   feed
	health health

	ops     chan *op      // updates waiting for the writer
	written chan struct{} // closed when the writer has stopped
	wakeC   chan struct{} // wakes the event reader
	quit    chan struct{}
	stopped chan struct{}
	closeMu sync.Once
}

// ErrClosed is returned by updates after Close (store.ErrClosed).
var ErrClosed = store.ErrClosed

// notifyChannel is the LISTEN/NOTIFY channel that wakes the event readers
// of the default schema; a centre's schema has its own (channelOf).
const notifyChannel = "civiq_events"

// SchemaPattern is what Options.Schema must match: a lower-case
// PostgreSQL identifier that needs no quoting and leaves room for the
// channel name's prefix within PostgreSQL's 63 bytes.
var SchemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,47}$`)

// channelOf is the NOTIFY channel of schema's events.
func channelOf(schema string) string {
	if schema == "" {
		return notifyChannel
	}
	return notifyChannel + "_" + schema
}

// ApplicationName is the application_name of a centre's connections
// (schema: the centre's), as pg_stat_activity shows it.
func ApplicationName(schema string) string { return "civiq " + schema }

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	ents, _ := fs.Glob(migrationFS, "migrations/*.sql")
	return len(ents)
}

// Open connects to the database at url (postgres://...), migrates it and
// starts following its events.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = time.Second
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 20
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Schema != "" && (!SchemaPattern.MatchString(opts.Schema) || reservedSchema(opts.Schema)) {
		return nil, fmt.Errorf("postgres: bad schema name %q", opts.Schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: bad --db URL: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	if opts.Schema != "" {
		// Only the centre's schema (pg_catalog is always searched first):
		// an unqualified name can reach no other centre's table.
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
		// Named in pg_stat_activity, so an operator (and the tests) see
		// which centre a connection serves.
		if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
			cfg.ConnConfig.RuntimeParams["application_name"] = ApplicationName(opts.Schema)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, log: opts.Log, opts: opts, quit: make(chan struct{}), stopped: make(chan struct{}), wakeC: make(chan struct{}, 1),
		ops: make(chan *op, 1024), written: make(chan struct{}), instance: rand.Text(), channel: channelOf(opts.Schema)}
	s.buckets.table = "rate_buckets" // the centre's schema is the search path
	if opts.Schema != "" {
		s.lockNS = opts.Schema + ":"
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.checkOrigin(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.loadMeta(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := pool.QueryRow(ctx, `SELECT last FROM event_seq WHERE id = 1`).Scan(&s.feed.last); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: read seq: %w", err)
	}
	go s.listen()
	go s.writer()
	return s, nil
}

// migrate applies the embedded migrations not applied yet, each in its own
// transaction under an advisory lock, so instances starting together do
// not race; it refuses a schema newer than this build.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for {
		done, err := s.migrateOne(ctx, names)
		if err != nil || done {
			return err
		}
	}
}

func (s *Store) migrateOne(ctx context.Context, names []string) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	// One lock for every schema of the database: migrations are rare, and
	// it also orders the creation of a centre's schema.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7431001)`); err != nil {
		return false, err
	}
	if s.opts.Schema != "" && s.opts.Existing {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.opts.Schema).Scan(&ok); err != nil {
			return false, fmt.Errorf("postgres: schema %s: %w", s.opts.Schema, err)
		}
		if !ok {
			return false, fmt.Errorf("postgres: schema %s does not exist (the centre was deleted)", s.opts.Schema)
		}
	}
	if s.opts.Schema != "" {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.opts.Schema); err != nil {
			return false, fmt.Errorf("postgres: create schema %s: %w", s.opts.Schema, err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS civiq_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)`); err != nil {
		return false, fmt.Errorf("postgres: schema version table: %w", err)
	}
	var cur int
	err = tx.QueryRow(ctx, `SELECT version FROM civiq_schema WHERE id = 1`).Scan(&cur)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("postgres: read schema version: %w", err)
	}
	if cur > len(names) {
		return false, fmt.Errorf("postgres: database schema version %d is newer than this server knows (%d); run a newer CiviQ server", cur, len(names))
	}
	if cur == len(names) {
		return true, nil
	}
	body, err := migrationFS.ReadFile(names[cur])
	if err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return false, fmt.Errorf("postgres: migration %s: %w", names[cur], err)
	}
	if cur == 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('epoch', $1), ('secret', $2)`,
			store.NewEpoch(), store.NewSecret()); err != nil {
			return false, err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO civiq_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version`, cur+1); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: migration %s: %w", names[cur], err)
	}
	s.log.Info("schema migrated", "version", cur+1, "file", names[cur])
	return cur+1 == len(names), nil
}

// checkOrigin gives a restored database a new event epoch (DESIGN.md
// invariant 4: its history is not the one clients followed, and its seqs
// will be handed out again for other events). The meta row "origin" holds
// the object id of the meta table itself; a dump restored with pg_restore
// or psql (into a new database or over the old one) recreates the table,
// so its id no longer matches the row that came with the data. A physical
// copy (pg_basebackup, point-in-time recovery, a disk snapshot) keeps the
// ids: after one, run `server restored` (NewEpoch).
func (s *Store) checkOrigin(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7431001)`); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	var cur string
	var stored *string
	if err := tx.QueryRow(ctx, `SELECT to_regclass('meta')::oid::text, (SELECT value FROM meta WHERE key = 'origin')`).Scan(&cur, &stored); err != nil {
		return fmt.Errorf("postgres: read origin: %w", err)
	}
	switch {
	case stored == nil:
		// A database made before origins were kept (or by server migrate):
		// from now on it is known.
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('origin', $1)`, cur); err != nil {
			return fmt.Errorf("postgres: write origin: %w", err)
		}
	case *stored != cur:
		epoch := store.NewEpoch()
		if _, err := tx.Exec(ctx, `UPDATE meta SET value = CASE key WHEN 'origin' THEN $1 ELSE $2 END WHERE key IN ('origin', 'epoch')`, cur, epoch); err != nil {
			return fmt.Errorf("postgres: new epoch: %w", err)
		}
		s.log.Warn("the database was restored from a dump: new event epoch, clients reload their state", "epoch", epoch)
	default:
		return nil
	}
	return tx.Commit(ctx)
}

func (s *Store) loadMeta(ctx context.Context) (err error) {
	s.epoch, s.secret, err = store.LoadMeta(ctx, "postgres", func(ctx context.Context, key string) (v string, err error) {
		err = s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
		return v, err
	})
	return err
}

// reservedSchema reports the schemas a centre may not use: PostgreSQL's
// own and the province's.
func reservedSchema(name string) bool {
	return name == "public" || name == "information_schema" || strings.HasPrefix(name, "pg_") || name == ProvinceSchema
}

// Epoch is the event epoch of this database.
func (s *Store) Epoch() string { return s.epoch }

// Close stops following events and closes the pool.
func (s *Store) Close() error {
	first := false
	s.closeMu.Do(func() { close(s.quit); first = true })
	<-s.stopped
	<-s.written
	if first {
		s.pool.Close()
	}
	return nil
}

func (s *Store) closed() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// safeRun turns a panic in an update function into an error.
func safeRun(fn func(*wtx) error, w *wtx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("postgres: update panicked: %v", r)
		}
	}()
	return fn(w)
}

// Ping implements queue.Store.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed() {
		return ErrClosed
	}
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable(err)
	}
	return nil
}
