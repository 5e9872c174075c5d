// Package queue is the domain core of CiviQ: fields, counters, tickets, the
// call-next policy, daily numbering and wait estimates. It knows nothing of
// HTTP, websockets or SQL: storage comes in through Store, time through Clock,
// and committed events go out through Publisher.
package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// DefaultMaxPriorityStreak is how many priority tickets a counter calls in a
// row before it must call the longest-waiting regular ticket, if one waits.
const DefaultMaxPriorityStreak = 3

// Publisher receives committed events in seq order, after the engine's cache
// has taken them into account.
type Publisher interface {
	Publish(events []protocol.Event)
}

// Options tune the engine.
type Options struct {
	// Location is the centre's time zone; days start at its midnight.
	Location *time.Location
	// MaxPriorityStreak bounds priority calls in a row (see DefaultMaxPriorityStreak).
	MaxPriorityStreak int
	// StaffGrace is how long an open counter stays open once its last
	// clerk console left (DefaultStaffGrace when zero).
	StaffGrace time.Duration
}

// Engine runs the queue. It is safe for concurrent use.
type Engine struct {
	store Store
	clock Clock
	log   *slog.Logger
	opts  Options

	mu  sync.RWMutex
	c   *cache
	pub Publisher

	pending pendingIndex // tokens of leased tickets not yet synced (pending.go)
	staff   *staffing
	// savedSeq is the seq of the last calibration saved (calibration.go).
	savedSeq int64
	// names are the citizens' names of open tickets (citizennames.go).
	names citizenNames
}

// New returns an engine; call Start before use.
func New(store Store, clock Clock, log *slog.Logger, opts Options) *Engine {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxPriorityStreak <= 0 {
		opts.MaxPriorityStreak = DefaultMaxPriorityStreak
	}
	if opts.StaffGrace <= 0 {
		opts.StaffGrace = DefaultStaffGrace
	}
	return &Engine{store: store, clock: clock, log: log, opts: opts, staff: newStaffing()}
}

// SetPublisher sets where committed events go (the websocket hub).
func (e *Engine) SetPublisher(p Publisher) {
	e.mu.Lock()
	e.pub = p
	e.mu.Unlock()
}

// Start loads the state from the store and starts following its events.
func (e *Engine) Start(ctx context.Context) error {
	now := e.now()
	l, err := e.store.Load(ctx, Day(now, e.opts.Location))
	if err != nil {
		return fmt.Errorf("queue: load state: %w", err)
	}
	// Once a centre is stored, its time zone decides the service day.
	if tz := l.Centre.TimeZone; tz != "" && tz != e.opts.Location.String() {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return fmt.Errorf("queue: stored time zone: %w", err)
		}
		e.opts.Location = loc
		now = e.now()
	}
	hols, err := e.store.Holidays(ctx)
	if err != nil {
		return fmt.Errorf("queue: load holidays: %w", err)
	}
	e.mu.Lock()
	e.c = newCache(l, Day(now, e.opts.Location), e.opts.Location)
	e.c.maxStreak = e.opts.MaxPriorityStreak
	e.c.holidays = holidaySet(hols)
	e.mu.Unlock()
	if err := e.loadCalibration(ctx); err != nil {
		return fmt.Errorf("queue: load calibration: %w", err)
	}
	e.unstaffedAtStart(l.Counters, now)
	e.store.SetSink(e.onCommit)
	return nil
}

func (e *Engine) now() time.Time {
	return e.clock.Now().In(e.opts.Location).Truncate(time.Microsecond)
}

// Location is the centre's time zone.
func (e *Engine) Location() *time.Location { return e.opts.Location }

func (e *Engine) onCommit(events []protocol.Event) {
	e.mu.Lock()
	for _, ev := range events {
		e.c.apply(ev, e.opts.Location)
	}
	pub := e.pub
	e.mu.Unlock()
	// Publishing outside the lock keeps lock order one-way: the hub takes
	// the engine's lock (for snapshots), never the other way round.
	if pub != nil {
		pub.Publish(events)
	}
}

// Seq is the seq and epoch of the last event the cache has applied.
func (e *Engine) Seq() (int64, string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.board.Seq, e.c.board.Epoch
}

// rollDay moves the cache to today's day if midnight passed.
func (e *Engine) rollDay(now time.Time) {
	day := Day(now, e.opts.Location)
	e.mu.Lock()
	if e.c.day != day {
		e.c.day = day
		e.c.issued = map[string]int{}
	}
	e.mu.Unlock()
}
