package queue

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// DefaultStaffGrace is how long a counter stays open after the last clerk
// console attached to it went away: long enough that reloading the page or
// a short network cut does not close it, short enough that a counter nobody
// sits at stops counting in the waits within a minute or two.
const DefaultStaffGrace = 60 * time.Second

// PresenceTTL is how long the other server instances on the database take
// a counter as staffed here after this instance last said so (Run says it
// every few seconds, Attach at once).
const PresenceTTL = 30 * time.Second

// staffing tracks which counters have a clerk console attached (docs/API.md,
// "Open means staffed"). It is runtime state, not stored: after a restart
// the consoles reconnect within seconds. With several server instances on
// one database each shares its attached counters through the store
// (PresenceStore), and a counter is closed only when no instance has a
// console on it.
type staffing struct {
	mu sync.Mutex
	// attached counts the consoles attached per counter.
	attached map[string]int
	// leftAt is when an unattended open or paused counter lost its last
	// console (or when the server started): it is closed once Grace has
	// passed since.
	leftAt map[string]time.Time
}

func newStaffing() *staffing {
	return &staffing{attached: map[string]int{}, leftAt: map[string]time.Time{}}
}

// Attach records that a clerk console serves counterID (the console's
// websocket, /ws?counter=ID) until the returned release is called. A
// counter the server closed because its console was gone gets its status
// back (open or paused).
func (e *Engine) Attach(ctx context.Context, counterID string) (release func()) {
	s := e.staff
	s.mu.Lock()
	s.attached[counterID]++
	delete(s.leftAt, counterID)
	s.mu.Unlock()
	// Told to the other instances at once, so none closes the counter
	// in the seconds before Run would.
	if err := e.SharePresence(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("sharing console presence failed", "err", err)
	}
	if cs, err := e.Counter(counterID); err == nil && cs.Counter.Status == protocol.CounterClosed {
		if err := e.restoreStaffed(ctx, counterID); err != nil && ctx.Err() == nil {
			e.log.Warn("reopening a counter whose console came back failed", "counter", counterID, "err", err)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.attached[counterID]--; s.attached[counterID] <= 0 {
				delete(s.attached, counterID)
				s.leftAt[counterID] = e.now()
			}
		})
	}
}

// Attached is how many clerk consoles are attached to counterID.
func (e *Engine) Attached(counterID string) int {
	e.staff.mu.Lock()
	defer e.staff.mu.Unlock()
	return e.staff.attached[counterID]
}

// staffedByCaller notes that someone opened the counter by an explicit
// act (Next, or status open) with no console attached: an API client or an
// admin runs it, so it is not closed for want of a console.
func (e *Engine) staffedByCaller(counterID string) {
	s := e.staff
	s.mu.Lock()
	if s.attached[counterID] == 0 {
		delete(s.leftAt, counterID)
	}
	s.mu.Unlock()
}

// statusSetByCaller: a clerk or admin set the counter's status. Opening it
// is an explicit act (staffedByCaller). (Any status set by hand also
// replaces what the server would have restored when the console came
// back: the stores keep CounterRecord.Unstaffed only while the counter
// stays closed, and SetCounterStatus clears it.)
func (e *Engine) statusSetByCaller(counterID, status string) {
	if status == protocol.CounterOpen {
		e.staffedByCaller(counterID)
	}
}

// restoreStaffed gives a counter the server closed for want of a clerk
// its status back (CounterRecord.Unstaffed, stored, so whichever instance
// closed it), with a counter.updated event.
func (e *Engine) restoreStaffed(ctx context.Context, counterID string) error {
	_, err := e.store.Update(ctx, func(tx Tx) error {
		now := e.now()
		c, err := counterOf(tx, counterID, Day(now, e.opts.Location))
		if IsNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		if c.Status != protocol.CounterClosed || c.Unstaffed == "" {
			return nil
		}
		c.Status, c.Unstaffed = c.Unstaffed, ""
		if err := tx.PutCounter(c); err != nil {
			return err
		}
		return tx.AppendEvent(protocol.EventCounterUpdated, now, c.Counter)
	})
	return err
}

// SharePresence tells the other server instances on the database which
// counters have a console attached here (for PresenceTTL).
func (e *Engine) SharePresence(ctx context.Context) error {
	s := e.staff
	s.mu.Lock()
	ids := make([]string, 0, len(s.attached))
	for id, n := range s.attached {
		if n > 0 {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	return e.store.SharePresence(ctx, ids, PresenceTTL)
}

// CloseUnstaffed closes every open or paused counter whose last console
// left at least the grace ago (Options.StaffGrace) with none attached
// since, here or on another instance, each with a counter.updated event.
// Run calls it every few seconds.
func (e *Engine) CloseUnstaffed(ctx context.Context) error {
	now := e.now()
	s := e.staff
	s.mu.Lock()
	var due []string
	for id, at := range s.leftAt {
		if s.attached[id] == 0 && now.Sub(at) >= e.opts.StaffGrace {
			due = append(due, id)
		}
	}
	s.mu.Unlock()
	if len(due) == 0 {
		return nil
	}
	// A console on another instance staffs the counter: its grace starts
	// again from now, so it runs from when that console was last seen.
	elsewhere, err := e.store.StaffedElsewhere(ctx)
	if err != nil {
		return err // unsure: close nothing this round
	}
	due = slices.DeleteFunc(due, func(id string) bool {
		if !elsewhere[id] {
			return false
		}
		s.mu.Lock()
		if _, ok := s.leftAt[id]; ok {
			s.leftAt[id] = now
		}
		s.mu.Unlock()
		return true
	})
	for _, id := range due {
		var prev string
		_, err := e.store.Update(ctx, func(tx Tx) error {
			prev = ""
			c, err := counterOf(tx, id, Day(now, e.opts.Location))
			if IsNotFound(err) {
				return nil
			} else if err != nil {
				return err
			}
			// Re-checked inside the transaction: a console may have
			// attached, or someone opened the counter, meanwhile.
			s.mu.Lock()
			at, pending := s.leftAt[id]
			still := pending && s.attached[id] == 0 && now.Sub(at) >= e.opts.StaffGrace
			s.mu.Unlock()
			if !still || c.Status == protocol.CounterClosed {
				return nil
			}
			prev = c.Status
			c.Status, c.Unstaffed = protocol.CounterClosed, prev
			if err := tx.PutCounter(c); err != nil {
				return err
			}
			return tx.AppendEvent(protocol.EventCounterUpdated, e.now(), c.Counter)
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		if at, ok := s.leftAt[id]; ok && s.attached[id] == 0 && now.Sub(at) >= e.opts.StaffGrace {
			delete(s.leftAt, id)
			if prev != "" {
				e.log.Info("counter closed: no clerk console for the grace period", "counter", id, "grace", e.opts.StaffGrace)
			}
		}
		s.mu.Unlock()
	}
	return nil
}

// unstaffedAtStart marks every open or paused counter as having just lost
// its console: the server cannot know who sits where until the consoles
// reconnect, and those that do not within the grace are closed.
func (e *Engine) unstaffedAtStart(counters []CounterRecord, now time.Time) {
	s := e.staff
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range counters {
		if c.Status != protocol.CounterClosed && s.attached[c.ID] == 0 {
			s.leftAt[c.ID] = now
		}
	}
}
