package queue

import (
	"slices"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/protocol"
)

// cache is the engine's in-memory view, rebuilt from Loaded on start and
// advanced only by committed events, so every server instance that sees the
// same events holds the same view.
type cache struct {
	day      string
	secret   []byte
	centre   protocol.Centre
	services map[string]protocol.Service
	// board holds counters, current tickets and recent calls; it is advanced
	// with protocol.Apply, the same reducer the displays use.
	board protocol.Board
	// waiting holds the waiting tickets per field, in call order for regular
	// tickets (issued_at, id); priority is applied when counting ahead.
	waiting map[string][]protocol.Ticket
	// prio holds the priority tickets of waiting, per field, in the same
	// order: a ticket's place (ahead) is then two binary searches instead
	// of a walk through the field's queue, which is long in a busy hall.
	prio map[string][]protocol.Ticket
	// where maps a waiting ticket id to its field and its place in the
	// field's order (issued_at).
	where map[string]waitPlace
	// issued counts tickets issued today per issue field.
	issued map[string]int
	// streak counts priority calls in a row per counter and run regular
	// calls in a row since the last priority one (call-next policy).
	streak, run map[string]int
	// maxStreak is the call-next policy's priority bound (Engine options).
	maxStreak int
	// holidays are the centre's closed days (booking.go): every field shows
	// closed on them. Loaded at start, replaced by PutHolidays on this
	// instance and reloaded by every housekeeping (those set through
	// another instance); the issuing transaction checks the stored list
	// itself. holidaysGen counts the PutHolidays made here.
	holidays    map[string]bool
	holidaysGen uint64
	// model is what the wait estimate learned from the events: service
	// times, pauses, ranges and their calibration (estimate.go).
	model *forecast.Model
}

func newCache(l *Loaded, day string, loc *time.Location) *cache {
	c := &cache{
		day:       day,
		secret:    l.Secret,
		centre:    l.Centre,
		services:  map[string]protocol.Service{},
		waiting:   map[string][]protocol.Ticket{},
		prio:      map[string][]protocol.Ticket{},
		where:     map[string]waitPlace{},
		issued:    map[string]int{},
		streak:    map[string]int{},
		run:       map[string]int{},
		maxStreak: DefaultMaxPriorityStreak,
		model:     forecast.NewModel(l.ServiceSamples),
	}
	c.board = protocol.Board{Seq: l.Seq, Epoch: l.Epoch, Waiting: map[string]int{}}
	for _, s := range l.Services {
		c.services[s.ID] = s
	}
	current := map[string]*protocol.Ticket{}
	for _, t := range l.Open {
		pt := localTicket(t.Ticket, loc)
		switch t.Status {
		case protocol.StatusWaiting:
			c.addWaiting(pt)
		case protocol.StatusCalled:
			if t.CounterID != "" {
				current[t.CounterID] = &pt
			}
		}
	}
	for _, cr := range l.Counters {
		cnt := cr.Counter
		if cr.ServedDay != day {
			cnt.ServedToday = 0
		}
		c.board.Counters = append(c.board.Counters, protocol.CounterState{Counter: cnt, Current: current[cnt.ID]})
		if cr.PriorityStreak > 0 {
			c.streak[cnt.ID] = cr.PriorityStreak
		}
		if cr.RegularRun > 0 {
			c.run[cnt.ID] = cr.RegularRun
		}
	}
	slices.SortStableFunc(c.board.Counters, func(a, b protocol.CounterState) int { return a.Counter.Number - b.Counter.Number })
	c.board.Recent = l.Recent
	if len(l.Disruptions) > 0 {
		c.board.Disruptions = slices.Clone(l.Disruptions)
	}
	for k, v := range l.IssuedToday {
		c.issued[k] = v
	}
	c.syncWaitingCounts()
	return c
}

func localTicket(t protocol.Ticket, loc *time.Location) protocol.Ticket {
	t.IssuedAt = t.IssuedAt.In(loc)
	if t.CalledAt != nil {
		x := t.CalledAt.In(loc)
		t.CalledAt = &x
	}
	if t.FinishedAt != nil {
		x := t.FinishedAt.In(loc)
		t.FinishedAt = &x
	}
	if t.Booking != nil {
		b := *t.Booking
		b.SlotStart, b.WindowFrom, b.WindowTo = b.SlotStart.In(loc), b.WindowFrom.In(loc), b.WindowTo.In(loc)
		t.Booking = &b
	}
	t.Token, t.TrackURL = "", ""
	return t
}

// before orders waiting tickets of one field: earlier issue first.
func before(a, b protocol.Ticket) bool {
	if !a.IssuedAt.Equal(b.IssuedAt) {
		return a.IssuedAt.Before(b.IssuedAt)
	}
	return a.ID < b.ID
}

// order compares waiting tickets by before (0: the same ticket).
func order(x, y protocol.Ticket) int {
	switch {
	case before(x, y):
		return -1
	case before(y, x):
		return 1
	}
	return 0
}

// waitPlace is where a waiting ticket is kept: its field, and what orders
// it there.
type waitPlace struct {
	service  string
	issuedAt time.Time
	priority bool
}

// insertOrdered puts t into list at its place by before.
func insertOrdered(list []protocol.Ticket, t protocol.Ticket) []protocol.Ticket {
	i, _ := slices.BinarySearchFunc(list, t, order)
	return slices.Insert(list, i, t)
}

// deleteOrdered takes the ticket id issued at at out of list: found by
// binary search, or by a walk should the list hold it elsewhere.
func deleteOrdered(list []protocol.Ticket, id string, at time.Time) []protocol.Ticket {
	i, found := slices.BinarySearchFunc(list, protocol.Ticket{ID: id, IssuedAt: at}, order)
	if !found || list[i].ID != id {
		if i = slices.IndexFunc(list, func(t protocol.Ticket) bool { return t.ID == id }); i < 0 {
			return list
		}
	}
	return slices.Delete(list, i, i+1)
}

func (c *cache) addWaiting(t protocol.Ticket) {
	c.waiting[t.ServiceID] = insertOrdered(c.waiting[t.ServiceID], t)
	if t.Priority {
		c.prio[t.ServiceID] = insertOrdered(c.prio[t.ServiceID], t)
	}
	c.where[t.ID] = waitPlace{service: t.ServiceID, issuedAt: t.IssuedAt, priority: t.Priority}
}

func (c *cache) removeWaiting(id string) {
	p, ok := c.where[id]
	if !ok {
		return
	}
	delete(c.where, id)
	c.waiting[p.service] = deleteOrdered(c.waiting[p.service], id, p.issuedAt)
	if p.priority {
		c.prio[p.service] = deleteOrdered(c.prio[p.service], id, p.issuedAt)
	}
}

func (c *cache) syncWaitingCounts() {
	for id := range c.services {
		c.board.Waiting[id] = len(c.waiting[id])
	}
}

// apply advances the cache by one committed event.
func (c *cache) apply(ev protocol.Event, loc *time.Location) {
	data, derr := protocol.DecodeEvent(ev)
	// The board is the cache's own: Board() and the other readers copy
	// what they hand out under the engine's lock.
	nb, err := protocol.ApplyOwned(c.board, ev, data, derr)
	if err == nil {
		c.board = nb
	}
	if derr != nil {
		data = nil // malformed: nothing to learn from it
	}
	switch ev.Type {
	case protocol.EventTicketIssued:
		if t, ok := data.(protocol.Ticket); ok {
			if t.Day == c.day {
				c.issued[t.ServiceID]++
			}
			if t.Status == protocol.StatusWaiting {
				c.addWaiting(localTicket(t, loc))
				if !t.Offline { // an offline ticket was printed without a range
					c.noteRange(t.ID, ev.At)
				}
			}
		}
	case protocol.EventTicketCalled:
		if call, ok := data.(protocol.Call); ok {
			c.removeWaiting(call.Ticket.ID)
			c.model.Called(call.Ticket.ID, ev.At)
			streak, run := c.streak[call.Counter.ID], c.run[call.Counter.ID]
			countCall(&streak, &run, callClass(call.Ticket, c.services[call.Ticket.ServiceID].Rule(), ev.At))
			c.streak[call.Counter.ID], c.run[call.Counter.ID] = streak, run
		}
	case protocol.EventTicketTransferred:
		if t, ok := data.(protocol.Ticket); ok {
			c.removeWaiting(t.ID)
			c.model.Forget(t.ID) // its wait is no longer the one estimated
			if t.Status == protocol.StatusWaiting {
				c.addWaiting(localTicket(t, loc))
			}
		}
	case protocol.EventTicketCancelled:
		if t, ok := data.(protocol.Ticket); ok {
			c.removeWaiting(t.ID)
			c.model.Forget(t.ID)
		}
	case protocol.EventTicketDone:
		if t, ok := data.(protocol.Ticket); ok && t.CalledAt != nil && t.FinishedAt != nil {
			d := t.FinishedAt.Sub(*t.CalledAt)
			// One done under a disruption is slow for a known reason:
			// measured apart, kept out of the usual means.
			c.model.Served(t.CounterID, t.ServiceID, d, c.disrupted(t.CounterID))
		}
	case protocol.EventCounterUpdated:
		if k, ok := data.(protocol.Counter); ok {
			if k.Status != protocol.CounterPaused {
				c.model.CounterUnpaused(k.ID, k.Status == protocol.CounterOpen, ev.At)
			} else {
				c.model.CounterPaused(k.ID, ev.At)
			}
		}
	case protocol.EventServiceUpdated:
		if s, ok := data.(protocol.Service); ok {
			c.services[s.ID] = s
		}
	case protocol.EventCentreUpdated:
		if ct, ok := data.(protocol.Centre); ok {
			c.centre = ct
		}
	case protocol.EventDisruptionEnded:
		c.endDisruptions()
	}
	c.syncWaitingCounts()
}

// ahead counts the tickets that the call-next policy serves before t in its
// field: priority tickets first, then by issue time.
//
// The field's queue is ordered by issue time and its priority tickets are
// kept apart in the same order, so: a priority ticket has the priority
// tickets before it ahead; a regular one every priority ticket and the
// regular tickets before it (those before it less the priority ones). A
// field whose priority rule is off calls by issue time alone, as the
// phones' estimates count (estimates).
func (c *cache) ahead(t protocol.Ticket) int {
	before, _ := slices.BinarySearchFunc(c.waiting[t.ServiceID], t, order)
	if c.services[t.ServiceID].Rule() == protocol.PriorityOff {
		return before
	}
	prio := c.prio[t.ServiceID]
	prioBefore, self := slices.BinarySearchFunc(prio, t, order)
	if t.Priority {
		return prioBefore
	}
	prioAll := len(prio)
	if self {
		prioAll-- // t is listed as priority, asked about as regular: not ahead of itself
	}
	return before - prioBefore + prioAll
}

// served tells whether some counter (of any status) lists field id: a field
// no counter serves is closed (no_counter) unless it accepts unserved.
func (c *cache) served(id string) bool {
	for _, cs := range c.board.Counters {
		if slices.Contains(cs.Counter.ServiceIDs, id) {
			return true
		}
	}
	return false
}

// servers counts the open counters serving field id and how many of them are free.
func (c *cache) servers(id string) (open, free int) {
	for _, cs := range c.board.Counters {
		if cs.Counter.Status != protocol.CounterOpen || !slices.Contains(cs.Counter.ServiceIDs, id) {
			continue
		}
		open++
		if cs.Current == nil {
			free++
		}
	}
	return open, free
}

// estimate fills Ahead and ETASeconds of a waiting ticket: ahead in its
// field by the call-next policy, the wait by the projection (estimate.go).
func (c *cache) estimate(t *protocol.Ticket, now time.Time, maxStreak int) {
	if t.Status != protocol.StatusWaiting {
		t.Ahead, t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = 0, 0, 0, 0
		return
	}
	t.Ahead = c.ahead(*t)
	open, _ := c.servers(t.ServiceID)
	t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = forecast.ETA(c.project(now, maxStreak), t.ID, t.Ahead, c.fallbackMean(t.ServiceID), open)
}
