package queue

import (
	"slices"
	"sort"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// public is the ticket as events and boards carry it: times in the centre's
// zone, no token, no estimate.
func (e *Engine) public(r TicketRecord) protocol.Ticket {
	t := localTicket(r.Ticket, e.opts.Location)
	t.Ahead, t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = 0, 0, 0, 0
	return t
}

// view returns the wire ticket with its current estimate.
func (e *Engine) view(r TicketRecord) protocol.Ticket {
	t := localTicket(r.Ticket, e.opts.Location)
	now := e.now()
	e.mu.RLock()
	e.c.estimate(&t, now, e.opts.MaxPriorityStreak)
	e.mu.RUnlock()
	return t
}

// Centre returns the centre settings.
func (e *Engine) Centre() protocol.Centre {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.centre
}

// serviceView fills the computed fields of a service from the cache.
func (e *Engine) serviceView(s protocol.Service) protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.serviceView(s, now)
}

// serviceViewServed is serviceView as if a counter did (or did not) serve
// the field: for the event of a counter change not yet in the cache.
func (e *Engine) serviceViewServed(s protocol.Service, served bool) protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.serviceViewAs(s, now, served)
}

func (c *cache) serviceView(s protocol.Service, now time.Time) protocol.Service {
	return c.serviceViewAs(s, now, c.served(s.ID))
}

func (c *cache) serviceViewAs(s protocol.Service, now time.Time, served bool) protocol.Service {
	s.Waiting = len(c.waiting[s.ID])
	s.IssuedToday = c.issued[s.ID]
	s.AvgServiceSeconds = int(c.model.Mean(s.ID).Seconds())
	s.Open, s.ClosedReason = true, ""
	switch {
	case !s.Enabled:
		s.Open, s.ClosedReason = false, protocol.ClosedDisabled
	case c.holidays[c.day]:
		s.Open, s.ClosedReason = false, protocol.ClosedHoliday
	case !served && !s.AcceptUnserved:
		s.Open, s.ClosedReason = false, protocol.ClosedNoCounter
	case !OpenAt(effectiveHours(s, c.centre), now):
		s.Open, s.ClosedReason = false, protocol.ClosedOutsideHours
	case s.DailyCap > 0 && s.IssuedToday >= s.DailyCap:
		s.Open, s.ClosedReason = false, protocol.ClosedDailyCap
	}
	return s
}

// Services lists the fields in kiosk order with live counts.
func (e *Engine) Services() []protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.serviceList(now)
}

// ServicesWithETA is Services with each open field's expected wait for a
// ticket issued now (ETANewSeconds): what GET /api/v1/services answers to
// kiosks and the dashboard. It costs a projection per field, so the board
// every display receives and the engine's own callers go without it.
func (e *Engine) ServicesWithETA() []protocol.Service {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := e.c.serviceList(now)
	waits := e.c.newcomerWaits(now)
	for i := range out {
		if w, ok := waits[out[i].ID]; ok && out[i].Open {
			secs := int(w / time.Second)
			out[i].ETANewSeconds = &secs
		}
	}
	return out
}

func (c *cache) serviceList(now time.Time) []protocol.Service {
	out := make([]protocol.Service, 0, len(c.services))
	for _, s := range c.services {
		out = append(out, c.serviceView(s, now))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Counters lists the counters by number.
func (e *Engine) Counters() []protocol.Counter {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]protocol.Counter, 0, len(e.c.board.Counters))
	for _, cs := range e.c.board.Counters {
		out = append(out, cs.Counter)
	}
	return out
}

// Counter returns one counter with the ticket it serves.
func (e *Engine) Counter(id string) (protocol.CounterState, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, cs := range e.c.board.Counters {
		if cs.Counter.ID == id {
			return cs, nil
		}
	}
	return protocol.CounterState{}, Errorf(protocol.CodeNotFound, "unknown counter %q", id)
}

// Board returns the board at the cache's current seq.
func (e *Engine) Board() protocol.Board {
	now := e.now()
	e.rollDay(now)
	e.mu.RLock()
	defer e.mu.RUnlock()
	b := e.c.board
	b.Counters = slices.Clone(b.Counters)
	b.Recent = slices.Clone(b.Recent)
	if b.Recent == nil {
		b.Recent = []protocol.Call{}
	}
	if b.Counters == nil {
		b.Counters = []protocol.CounterState{}
	}
	b.Waiting = make(map[string]int, len(e.c.services))
	for id := range e.c.services {
		b.Waiting[id] = len(e.c.waiting[id])
	}
	b.Disruptions = slices.Clone(b.Disruptions)
	centre := e.c.centre
	b.Centre = &centre
	b.Services = e.c.serviceList(now)
	return b
}

// Waiting lists the waiting tickets of the given fields (all when empty),
// in the order the policy calls them, with estimates.
func (e *Engine) Waiting(serviceIDs []string) []protocol.Ticket {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	est := e.c.estimates(now, e.opts.MaxPriorityStreak)
	var out []protocol.Ticket
	for id, list := range e.c.waiting {
		if len(serviceIDs) > 0 && !slices.Contains(serviceIDs, id) {
			continue
		}
		for _, t := range list {
			x := est[t.ID]
			t.Ahead, t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = x.Ahead, x.ETASeconds, x.ETALowSeconds, x.ETAHighSeconds
			out = append(out, t)
		}
	}
	rank := make(map[string]int, len(out))
	for _, t := range out {
		rank[t.ID] = waitRank(t, e.c.services[t.ServiceID], now)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank[out[i].ID], rank[out[j].ID]; ri != rj {
			return ri < rj
		}
		if ri := rank[out[i].ID]; (ri == 0 || ri == 2) && !out[i].Booking.SlotStart.Equal(out[j].Booking.SlotStart) {
			return out[i].Booking.SlotStart.Before(out[j].Booking.SlotStart)
		}
		if rank[out[i].ID] == 3 {
			// The walk-in line: a booked ticket placed in it (in_line)
			// stands at its slot's start.
			a, b := lineTime(out[i], now), lineTime(out[j], now)
			if !a.Equal(b) {
				return a.Before(b)
			}
		}
		return before(out[i], out[j])
	})
	if out == nil {
		out = []protocol.Ticket{}
	}
	return out
}
