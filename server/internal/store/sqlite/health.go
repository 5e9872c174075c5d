package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlitelib "modernc.org/sqlite/lib"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// health remembers whether the store could last commit, from the outcome
// of real commits and of a small probe write made at most every probeEvery.
type health struct {
	mu        sync.Mutex
	err       error // nil: the last commit or probe succeeded
	lastProbe time.Time
	running   chan struct{} // closed when the probe in flight ends; nil: none
}

// defaultProbeEvery is how often Health may write its probe: /healthz
// turns within this plus the probe itself after the disk fills up.
const defaultProbeEvery = 2 * time.Second

// note records the outcome of a commit or probe.
func (h *health) note(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

func (h *health) current() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Health reports whether the store can commit now: nil, or a
// protocol.CodeUnavailable error whose message says why ("disk full",
// "database is read-only", …). It writes a small probe (a file in the
// data folder, fsynced, and a row through the writer) when the last one
// is older than the probe interval, so it is true within seconds without
// writing on every call. A probe that outlasts ctx (a hung disk) makes it
// answer "storage is not answering"; one probe at most is in flight.
func (s *Store) Health(ctx context.Context) error {
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	h := &s.health
	h.mu.Lock()
	ch := h.running
	if ch == nil {
		if time.Since(h.lastProbe) < s.opts.ProbeEvery {
			err := h.err
			h.mu.Unlock()
			return err
		}
		ch = make(chan struct{})
		h.running = ch
		go func() {
			err := s.probe(context.Background())
			h.mu.Lock()
			h.err, h.lastProbe, h.running = err, time.Now(), nil
			h.mu.Unlock()
			close(ch)
		}()
	}
	h.mu.Unlock()
	select {
	case <-ch:
		return h.current()
	case <-ctx.Done():
		return unavailableReason("storage is not answering", ctx.Err())
	}
}

// probe writes and syncs a small file next to the database, then commits
// a row through the writer like any update.
func (s *Store) probe(ctx context.Context) error {
	if err := s.injected(); err != nil {
		return classify(err)
	}
	name := filepath.Join(filepath.Dir(s.path), ".civiq-health-probe")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return classify(err)
	}
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	os.Remove(name)
	if err != nil {
		return classify(err)
	}
	_, err = s.update(ctx, func(w *wtx) error {
		_, err := w.tx.ExecContext(w.ctx, `INSERT INTO meta (key, value) VALUES ('health_probe', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
	return storageErr(err)
}

// injected is the test fault of Options.FailWrites, if any.
func (s *Store) injected() error {
	if s.opts.FailWrites == nil {
		return nil
	}
	return s.opts.FailWrites()
}

// StorageError maps an error from storage to a protocol.CodeUnavailable
// error when storage itself failed (full disk, read-only or corrupt
// database, I/O error), so that such requests answer 503, never 500.
// Other errors pass through.
func StorageError(err error) error { return storageErr(err) }

// StorageError is the package's StorageError, as the store.Store method.
func (s *Store) StorageError(err error) error { return storageErr(err) }

func storageErr(err error) error {
	if err == nil {
		return nil
	}
	var qe *queue.Error
	if errors.As(err, &qe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		if r := sqliteReason(se.Code()); r != "" {
			return unavailableReason(r, err)
		}
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EIO) {
		return classify(err)
	}
	return err
}

// sqliteReason names a storage failure by its SQLite result code, or ""
// for errors of the request (constraints and the like).
func sqliteReason(code int) string {
	switch code & 0xff {
	case sqlitelib.SQLITE_FULL:
		return "disk full"
	case sqlitelib.SQLITE_READONLY:
		return "database is read-only"
	case sqlitelib.SQLITE_IOERR:
		return "storage I/O error"
	case sqlitelib.SQLITE_CORRUPT, sqlitelib.SQLITE_NOTADB:
		return "database is corrupt"
	case sqlitelib.SQLITE_CANTOPEN, sqlitelib.SQLITE_PERM:
		return "database file cannot be opened"
	case sqlitelib.SQLITE_BUSY, sqlitelib.SQLITE_LOCKED:
		return "database is busy"
	case sqlitelib.SQLITE_NOMEM:
		return "out of memory"
	}
	return ""
}

// classify names an operating-system write failure.
func classify(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return unavailableReason("disk full", err)
	case errors.Is(err, syscall.EROFS):
		return unavailableReason("file system is read-only", err)
	case errors.Is(err, fs.ErrPermission):
		return unavailableReason("data folder is not writable", err)
	}
	var qe *queue.Error
	if errors.As(err, &qe) {
		return err
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		return storageErr(err)
	}
	return unavailableReason("storage I/O error", err)
}

// unavailableReason is the 503 error of a storage failure. Its message is
// the short reason /healthz shows; the detail goes to the log.
func unavailableReason(reason string, err error) error {
	return &queue.Error{Code: protocol.CodeUnavailable, Message: reason, Err: err}
}

// checkWritable fails when the opened database cannot be written, so a
// read-only file is refused at start rather than after "ready".
func (s *Store) checkWritable(ctx context.Context) error {
	if err := s.injected(); err != nil {
		return fmt.Errorf("sqlite: %s cannot be written: %w", s.path, classify(err))
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('opened_at', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("sqlite: %s cannot be written (%w); check the file's permissions, the free space and the file system", s.path, storageErr(err))
	}
	return nil
}
