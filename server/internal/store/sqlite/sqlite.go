// Package sqlite is the embedded CiviQ store: one SQLite file (pure Go
// driver), WAL journal, synchronous=FULL, so a transaction is on disk before
// its caller is answered. A single writer goroutine commits concurrent
// updates in groups (group commit): one fsync acknowledges many tickets.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var (
	_ queue.Store        = (*Store)(nil)
	_ queue.TicketReader = (*Store)(nil)
	_ auth.Store         = (*Store)(nil)
)

// Options tune the store.
type Options struct {
	// MaxBatch bounds how many updates share one commit.
	MaxBatch int
	// Synchronous is the SQLite synchronous setting; "FULL" unless a test
	// wants to prove that the fsync check catches its absence.
	Synchronous string
	Log         *slog.Logger
	// ProbeEvery is the least time between two probe writes of Health
	// (default 2 s).
	ProbeEvery time.Duration
	// FailWrites, when set, is asked before every commit and probe; an
	// error it returns fails them as the file system would (tests inject
	// a full disk this way where they cannot mount a small one).
	FailWrites func() error
}

// Store is the SQLite store.
type Store struct {
	path   string
	wdb    *sql.DB
	rdb    *sql.DB
	cdb    *sql.DB // checkpoints
	log    *slog.Logger
	opts   Options
	epoch  string
	secret []byte

	ops     chan *op
	post    chan []*op // committed batches, answered in order by the poster
	quit    chan struct{}
	stopped chan struct{}
	posted  chan struct{}
	closeMu sync.Once

	sinkMu sync.Mutex
	sink   func([]protocol.Event)

	health health

	stmts map[string]*sql.Stmt // prepared on wdb's single connection; writer goroutine only
}

type op struct {
	ctx    context.Context
	fn     func(w *wtx) error
	events []protocol.Event
	err    error
	done   chan struct{}
}

// ErrClosed is returned by updates after Close (store.ErrClosed).
var ErrClosed = store.ErrClosed

// The storage contract, checked at compile time: Store implements all of
// it, and the transaction all of queue.Tx.
var (
	_ store.Store   = (*Store)(nil)
	_ queue.Store   = (*Store)(nil)
	_ auth.Store    = (*Store)(nil)
	_ webhook.Store = (*Store)(nil)
	_ queue.Tx      = (*wtx)(nil)
)

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	ents, _ := fs.Glob(migrationFS, "migrations/*.sql")
	return len(ents)
}

func dsn(path string, pragmas ...string) string {
	var b strings.Builder
	b.WriteString("file:" + filepath.ToSlash(path) + "?")
	for i, p := range pragmas {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString("_pragma=" + p)
	}
	return b.String()
}

// Open opens (creating if needed) the database at path, migrates it and
// starts the writer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.ProbeEvery <= 0 {
		opts.ProbeEvery = defaultProbeEvery
	}
	// A database that cannot be written is refused here, with the reason,
	// rather than opened read-only by SQLite and failing every update.
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sqlite: the database %s cannot be written (read-only file or file system?): %w", path, classify(err))
	}
	// temp_store=MEMORY keeps the savepoint journals of group commits off the
	// disk; checkpoints run in the background (checkpointer) instead of inside
	// a commit, so no acknowledgement waits for one.
	wdb, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "journal_mode(WAL)", "synchronous("+opts.Synchronous+")",
		"foreign_keys(1)", "temp_store(MEMORY)", "cache_size(-32000)", "wal_autocheckpoint(0)")+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, storageErr(err))
	}
	s := &Store{path: path, wdb: wdb, log: opts.Log, opts: opts, ops: make(chan *op, 1024), post: make(chan []*op, 64),
		quit: make(chan struct{}), stopped: make(chan struct{}), posted: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	// On any failure below, everything opened so far is closed again (each
	// sql.DB holds a goroutine and, once used, connections and the file).
	ok := false
	defer func() {
		if !ok {
			s.closeDBs()
		}
	}()
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.checkWritable(ctx); err != nil {
		return nil, err
	}
	rdb, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "query_only(1)"))
	if err != nil {
		return nil, err
	}
	rdb.SetMaxOpenConns(8)
	rdb.SetMaxIdleConns(8)
	s.rdb = rdb
	cdb, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)"))
	if err != nil {
		return nil, err
	}
	cdb.SetMaxOpenConns(1)
	s.cdb = cdb
	if err := s.loadMeta(ctx); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	ok = true
	go s.writer()
	go s.poster()
	go s.checkpointer()
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var cur int
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if cur > len(names) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this server knows (%d); run a newer CiviQ server", cur, len(names))
	}
	for i := cur; i < len(names); i++ {
		body, err := migrationFS.ReadFile(names[i])
		if err != nil {
			return err
		}
		tx, err := s.wdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %s: %w", names[i], err)
		}
		if i == 0 {
			if err := initMeta(ctx, tx); err != nil {
				tx.Rollback()
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", names[i], err)
		}
		s.log.Info("schema migrated", "version", i+1, "file", names[i])
	}
	return nil
}

func initMeta(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('epoch', ?), ('secret', ?)`,
		store.NewEpoch(), store.NewSecret())
	return err
}

func (s *Store) loadMeta(ctx context.Context) (err error) {
	s.epoch, s.secret, err = store.LoadMeta(ctx, "sqlite", func(ctx context.Context, key string) (v string, err error) {
		err = s.rdb.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
		return v, err
	})
	return err
}

// Epoch is the event epoch of this database.
func (s *Store) Epoch() string { return s.epoch }

// Close stops the writer, failing queued updates, and closes the database.
func (s *Store) Close() error {
	s.closeMu.Do(func() { close(s.quit) })
	<-s.stopped
	<-s.posted
	// A last full checkpoint leaves a compact database file behind.
	if _, err := s.wdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		s.log.Warn("final checkpoint failed", "err", err)
	}
	return s.closeDBs()
}

// closeDBs closes the prepared statements and the databases that are open.
func (s *Store) closeDBs() error {
	for _, st := range s.stmts {
		st.Close()
	}
	var errs []error
	for _, db := range []*sql.DB{s.rdb, s.cdb, s.wdb} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// SetSink sets the receiver of committed events.
func (s *Store) SetSink(sink func([]protocol.Event)) {
	s.sinkMu.Lock()
	s.sink = sink
	s.sinkMu.Unlock()
}

// Update implements queue.Store.
func (s *Store) Update(ctx context.Context, fn func(tx queue.Tx) error) ([]protocol.Event, error) {
	return s.update(ctx, func(w *wtx) error { return fn(w) })
}

func (s *Store) update(ctx context.Context, fn func(w *wtx) error) ([]protocol.Event, error) {
	// The poster closes posted once it has answered every op the writer
	// took.
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	if err := store.Submit(ctx, s.ops, o, o.done, s.quit, s.posted); err != nil {
		return nil, err
	}
	return o.events, o.err
}

func (s *Store) writer() {
	defer close(s.stopped)
	defer close(s.post)
	batch := make([]*op, 0, s.opts.MaxBatch)
	for {
		var ok bool
		if batch, ok = store.Gather(batch[:0], s.ops, s.quit, s.opts.MaxBatch); !ok {
			s.failPending()
			return
		}
		s.commit(batch)
	}
}

func (s *Store) failPending() {
	for {
		select {
		case o := <-s.ops:
			o.err = ErrClosed
			close(o.done)
		default:
			return
		}
	}
}

// commit runs a batch in one transaction, each op in its own savepoint so a
// failing op leaves the others intact, then fsyncs once (COMMIT) and answers.
func (s *Store) commit(batch []*op) {
	ctx := context.Background()
	fail := func(err error) {
		for _, o := range batch {
			if o.err == nil {
				o.err = err
			}
			o.events = nil
			close(o.done)
		}
	}
	if err := s.injected(); err != nil {
		err = classify(err)
		s.health.note(err)
		fail(err)
		return
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		s.log.Error("begin failed", "err", err)
		fail(s.failed(err))
		return
	}
	var all []protocol.Event
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			o.err = unavailable(err)
			continue
		}
		w := &wtx{s: s, tx: tx, ctx: ctx}
		err := safeRun(o.fn, w)
		if err != nil {
			if se := storageErr(err); se != err {
				err = s.failed(err) // the disk, not the request, failed
			}
			o.err = err
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO op"); rerr != nil {
				s.log.Error("rollback to savepoint failed", "err", rerr)
				tx.Rollback()
				fail(unavailable(rerr))
				return
			}
		} else {
			o.events = w.events
			all = append(all, w.events...)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
			tx.Rollback()
			fail(unavailable(err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		s.log.Error("commit failed", "err", err)
		fail(s.failed(err))
		return
	}
	s.health.note(nil)
	// Hand the durable batch to the poster and start the next one: event
	// delivery and answers overlap with the next commit's fsync.
	s.post <- slices.Clone(batch)
}

// poster delivers committed events to the sink in commit order, then
// answers the batch's callers: an answer implies the cache has the change.
func (s *Store) poster() {
	defer close(s.posted)
	for batch := range s.post {
		var all []protocol.Event
		for _, o := range batch {
			if o.err == nil {
				all = append(all, o.events...)
			}
		}
		if len(all) > 0 {
			s.sinkMu.Lock()
			sink := s.sink
			s.sinkMu.Unlock()
			if sink != nil {
				sink(all)
			}
		}
		for _, o := range batch {
			close(o.done)
		}
	}
}

// checkpointer copies the WAL into the database file every second without
// blocking the writer (PASSIVE), keeping the WAL short.
func (s *Store) checkpointer() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			if _, err := s.rdbExecCheckpoint(); err != nil {
				s.log.Warn("checkpoint failed", "err", err)
			}
		}
	}
}

// safeRun turns a panic in an update function into an error, so one bad
// request cannot take the writer (and with it every later update) down.
func safeRun(fn func(*wtx) error, w *wtx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: update panicked: %v", r)
		}
	}()
	return fn(w)
}

func unavailable(err error) error {
	if se := storageErr(err); se != err {
		return se
	}
	return &queue.Error{Code: protocol.CodeUnavailable, Message: "storage error", Err: err}
}

// failed records a failed commit for Health and returns its 503 error.
func (s *Store) failed(err error) error {
	err = unavailable(err)
	s.health.note(err)
	return err
}

// prepare compiles the writer's hot statements once on its single
// connection, before the writer starts; transactions reuse them.
func (s *Store) prepare(ctx context.Context) error {
	for _, q := range hotQueries {
		st, err := s.wdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// Ping implements queue.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rdb.QueryRowContext(ctx, "SELECT 1 FROM meta LIMIT 1").Scan(&one); err != nil {
		return unavailable(err)
	}
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its complaints.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		if m != "ok" {
			msgs = append(msgs, m)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(msgs) > 0 {
		return fmt.Errorf("sqlite: integrity check: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// rdbExecCheckpoint runs a passive checkpoint on a connection of its own
// (the read pool is query_only, which forbids checkpoints).
func (s *Store) rdbExecCheckpoint() (sql.Result, error) {
	return s.cdb.Exec("PRAGMA wal_checkpoint(PASSIVE)")
}
