package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civiq/civiq/server/protocol"
)

// feed hands committed events to the sink in seq order, exactly once,
// whoever wrote them. Seqs are gap-free and an instance that sees seq n sees
// every seq below it (postgres.go), so "everything after last" is always a
// complete, ordered continuation: a local commit whose first seq is not
// last+1 first reads the missing events (other instances') from the table;
// the reader woken by NOTIFY or the poll does the same for commits of other
// instances. Events not yet delivered when no sink is set wait for one.
type feed struct {
	mu   sync.Mutex
	sink func([]protocol.Event)
	last int64 // the last seq delivered (or loaded by Load)

	selfOnce sync.Once
	self     string // this store's tag in the notifications of its commits
}

// selfTag is the tag the notifications of this store's commits carry: the
// reader need not read back what the writer delivers itself.
func (f *feed) selfTag() string {
	f.selfOnce.Do(func() { f.self = fmt.Sprintf("%016x", rand.Uint64()) })
	return f.self
}

// own reports whether a notification is of one of this store's commits
// (payload "<last seq> <tag>").
func (f *feed) own(n *pgconn.Notification) bool {
	_, tag, ok := strings.Cut(n.Payload, " ")
	return ok && tag == f.selfTag()
}

// SetSink implements queue.Store.
func (s *Store) SetSink(sink func([]protocol.Event)) {
	s.feed.mu.Lock()
	s.feed.sink = sink
	s.feed.mu.Unlock()
	// Whatever other instances committed meanwhile follows at once.
	s.wake()
}

// deliver passes a local commit's events (and any before them not yet
// delivered) to the sink before Update returns.
func (s *Store) deliver(ctx context.Context, evs []protocol.Event) {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sink == nil {
		return
	}
	first := evs[0].Seq
	for f.last+1 < first {
		// Events of other instances committed before ours: read them
		// (they are visible, our seq allocation waited for their commit).
		before, err := s.readEvents(ctx, f.last, first-1, 1000)
		if err != nil || len(before) == 0 {
			// The reader will deliver ours after them once storage answers.
			s.log.Warn("reading events of other instances failed; delivery continues from the event reader", "err", err)
			s.wake()
			return
		}
		f.push(before)
	}
	var rest []protocol.Event
	for _, ev := range evs {
		if ev.Seq > f.last {
			rest = append(rest, ev)
		}
	}
	f.push(rest)
}

// push delivers events that continue f.last (f.mu held).
func (f *feed) push(evs []protocol.Event) {
	if len(evs) == 0 {
		return
	}
	f.sink(evs)
	f.last = evs[len(evs)-1].Seq
}

// tail delivers every committed event after the last one delivered.
func (s *Store) tail(ctx context.Context) error {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sink == nil {
		return nil
	}
	for {
		evs, err := s.readEvents(ctx, f.last, 0, 1000)
		if err != nil {
			return err
		}
		f.push(evs)
		if len(evs) < 1000 {
			return nil
		}
	}
}

// readEvents reads the events with after < seq (<= upTo when upTo > 0).
func (s *Store) readEvents(ctx context.Context, after, upTo int64, limit int) ([]protocol.Event, error) {
	q := `SELECT seq, type, at, at_offset, data::text FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`
	args := []any{after, limit}
	if upTo > 0 {
		q = `SELECT seq, type, at, at_offset, data::text FROM events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2`
		args = append(args, upTo)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Event, error) {
		var ev protocol.Event
		var off int32
		var data string
		if err := r.Scan(&ev.Seq, &ev.Type, &ev.At, &off, &data); err != nil {
			return ev, err
		}
		ev.At = ev.At.In(zone(int(off)))
		ev.Epoch = s.epoch
		ev.Data = json.RawMessage(data)
		return ev, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// zone is a fixed zone of a UTC offset in seconds.
func zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

// wake asks the event reader to look for new events now.
func (s *Store) wake() {
	select {
	case s.wakeCh() <- struct{}{}:
	default:
	}
}

// listen is the event reader: it LISTENs on a connection of its own and
// reads the events table when notified, when woken and every PollEvery
// anyway (a notification can be lost with its connection).
func (s *Store) listen() {
	defer close(s.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.quit; cancel() }()
	var conn *pgxpool.Conn
	defer func() {
		if conn != nil {
			conn.Release()
		}
	}()
	own := false // woken by a notification of this store's own commit
	for ctx.Err() == nil {
		if conn == nil {
			c, err := s.pool.Acquire(ctx)
			if err == nil {
				if _, err = c.Exec(ctx, "LISTEN "+cmp.Or(s.opts.listenOn, s.channel)); err != nil {
					c.Conn().Close(ctx)
					c.Release()
				} else {
					conn = c
				}
			}
			if err != nil && ctx.Err() == nil {
				s.log.Debug("event listener: no connection", "err", err)
			}
		}
		// This store's commits are delivered by its writer (deliver),
		// which reads any events of other instances before them.
		if !own {
			if err := s.tail(ctx); err != nil && ctx.Err() == nil {
				s.log.Debug("event reader failed", "err", err)
			}
		}
		own = false
		if conn == nil {
			s.sleep(ctx, s.opts.PollEvery)
			continue
		}
		wctx, wcancel := context.WithTimeout(ctx, s.opts.PollEvery)
		woken := make(chan struct{})
		go func() {
			select {
			case <-s.wakeCh():
				wcancel()
			case <-wctx.Done():
			}
			close(woken)
		}()
		n, err := conn.Conn().WaitForNotification(wctx)
		wcancel()
		<-woken
		own = err == nil && s.feed.own(n)
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			// The connection broke: drop it and listen on a new one.
			conn.Conn().Close(context.Background())
			conn.Release()
			conn = nil
		} else if err != nil && conn.Conn().IsClosed() {
			conn.Release()
			conn = nil
		}
	}
}

func (s *Store) wakeCh() chan struct{} { return s.wakeC }

func (s *Store) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d/2 + rand.N(d/2+1))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-s.wakeCh():
	}
}

func randN(n int) int { return rand.N(n) }
