package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// health remembers whether the store could last commit a probe write.
type health struct {
	mu        sync.Mutex
	err       error
	lastProbe time.Time
	running   chan struct{} // closed when the probe in flight ends; nil: none
}

// probeEvery is the least time between two probe writes of Health.
const probeEvery = 2 * time.Second

// Health reports whether the store can commit now: nil, or a
// protocol.CodeUnavailable error. It commits a small probe row when the
// last probe is older than two seconds (one probe in flight at most); a
// probe that outlasts ctx (PostgreSQL unreachable, a hung failover) makes
// it answer "storage is not answering".
func (s *Store) Health(ctx context.Context) error {
	if s.closed() {
		return ErrClosed
	}
	h := &s.health
	h.mu.Lock()
	ch := h.running
	if ch == nil {
		if !h.lastProbe.IsZero() && time.Since(h.lastProbe) < probeEvery {
			err := h.err
			h.mu.Unlock()
			return err
		}
		ch = make(chan struct{})
		h.running = ch
		go func() {
			pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := s.update(pctx, func(w *wtx) error {
				_, err := w.tx.Exec(w.ctx, `INSERT INTO meta (key, value) VALUES ('health_probe', $1)
					ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
				return err
			})
			if err != nil {
				err = unavailable(err)
			}
			h.mu.Lock()
			h.err, h.lastProbe, h.running = err, time.Now(), nil
			h.mu.Unlock()
			close(ch)
		}()
	}
	h.mu.Unlock()
	select {
	case <-ch:
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.err
	case <-ctx.Done():
		return &queue.Error{Code: protocol.CodeUnavailable, Message: "storage is not answering", Err: ctx.Err()}
	}
}

// StorageError is the package's StorageError as a method of the store.
func (s *Store) StorageError(err error) error { return storageErr(err) }
