package queue

import (
	"math"
	"slices"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// samplesKept is how many recent service durations per field feed the mean.
const samplesKept = 30

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
	// where maps a waiting ticket id to its field.
	where map[string]string
	// issued counts tickets issued today per issue field.
	issued  map[string]int
	samples map[string][]time.Duration
	// csamples are recent service durations per counter and field
	// ("q1|dat-dai"), for clerks noticeably faster or slower than the field.
	csamples map[string][]time.Duration
	// streak counts priority calls in a row per counter (call-next policy).
	streak map[string]int
	// pausedAt is when each paused counter paused (for the estimate).
	pausedAt map[string]time.Time
	// breaks holds, for each of the last breaksKept services done in the
	// centre, the short pause (tạm dừng, at most PauseGiveUp) its clerk
	// took before calling again: their mean is what a service costs a
	// counter beyond itself (ProjectInput.Pause).
	breaks []time.Duration
	// maxStreak is the call-next policy's priority bound (Engine options).
	maxStreak int
	// atIssue holds the range each waiting ticket was given at issue, as
	// the log-mean and log-spread of its lognormal wait; widths holds, for
	// the last widthsKept tickets called, how much wider than its spread
	// the range would have had to be to hold the actual wait (in units of
	// rangeZ·spread). Their 80th percentile is the factor that makes 80 %
	// of ranges hold the wait (ProjectInput.Widen).
	atIssue map[string]issuedRange
	widths  []float64
	// widenBy is widen's answer, recomputed when a call is measured.
	widenBy float64
	// slow holds, for services finished at counters under an open
	// disruption, their length over the field's usual mean (disruption.go).
	slow []float64
}

// issuedRange is the range a ticket was given when it entered the queue.
type issuedRange struct {
	log [2]float64 // the lognormal's log-mean and log-spread
	at  time.Time  // when it was given
}

// widthsKept is how many recent calls calibrate the range.
const widthsKept = 300

// breaksKept is how many recent services the pause time is averaged over:
// pauses are rare (a few in a hundred services), so the window is much
// wider than the service-time one, to hold enough of them.
const breaksKept = 300

func newCache(l *Loaded, day string, loc *time.Location) *cache {
	c := &cache{
		day:       day,
		secret:    l.Secret,
		centre:    l.Centre,
		services:  map[string]protocol.Service{},
		waiting:   map[string][]protocol.Ticket{},
		where:     map[string]string{},
		issued:    map[string]int{},
		samples:   map[string][]time.Duration{},
		csamples:  map[string][]time.Duration{},
		streak:    map[string]int{},
		pausedAt:  map[string]time.Time{},
		atIssue:   map[string]issuedRange{},
		widenBy:   1,
		maxStreak: DefaultMaxPriorityStreak,
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
	}
	slices.SortStableFunc(c.board.Counters, func(a, b protocol.CounterState) int { return a.Counter.Number - b.Counter.Number })
	c.board.Recent = l.Recent
	if len(l.Disruptions) > 0 {
		c.board.Disruptions = slices.Clone(l.Disruptions)
	}
	for k, v := range l.IssuedToday {
		c.issued[k] = v
	}
	for k, v := range l.ServiceSamples {
		c.samples[k] = v
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

func (c *cache) addWaiting(t protocol.Ticket) {
	list := c.waiting[t.ServiceID]
	i, _ := slices.BinarySearchFunc(list, t, func(x, y protocol.Ticket) int {
		switch {
		case before(x, y):
			return -1
		case before(y, x):
			return 1
		}
		return 0
	})
	c.waiting[t.ServiceID] = slices.Insert(list, i, t)
	c.where[t.ID] = t.ServiceID
}

func (c *cache) removeWaiting(id string) {
	svc, ok := c.where[id]
	if !ok {
		return
	}
	delete(c.where, id)
	list := c.waiting[svc]
	if i := slices.IndexFunc(list, func(t protocol.Ticket) bool { return t.ID == id }); i >= 0 {
		c.waiting[svc] = slices.Delete(list, i, i+1)
	}
}

func (c *cache) syncWaitingCounts() {
	for id := range c.services {
		c.board.Waiting[id] = len(c.waiting[id])
	}
}

// apply advances the cache by one committed event.
func (c *cache) apply(ev protocol.Event, loc *time.Location) {
	nb, err := protocol.Apply(c.board, ev)
	if err == nil {
		c.board = nb
	}
	data, err := protocol.DecodeEvent(ev)
	if err != nil {
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
			if r, ok := c.atIssue[call.Ticket.ID]; ok {
				c.widths = keepLast(append(c.widths, widthNeeded(r.log, ev.At.Sub(r.at))), widthsKept)
				c.widenBy = c.widen()
			}
			delete(c.atIssue, call.Ticket.ID)
			if call.Ticket.Priority {
				c.streak[call.Counter.ID]++
			} else {
				c.streak[call.Counter.ID] = 0
			}
		}
	case protocol.EventTicketTransferred:
		if t, ok := data.(protocol.Ticket); ok {
			c.removeWaiting(t.ID)
			delete(c.atIssue, t.ID) // its wait is no longer the one estimated
			if t.Status == protocol.StatusWaiting {
				c.addWaiting(localTicket(t, loc))
			}
		}
	case protocol.EventTicketCancelled:
		if t, ok := data.(protocol.Ticket); ok {
			c.removeWaiting(t.ID)
			delete(c.atIssue, t.ID)
		}
	case protocol.EventTicketDone:
		if t, ok := data.(protocol.Ticket); ok && t.CalledAt != nil && t.FinishedAt != nil {
			d := t.FinishedAt.Sub(*t.CalledAt)
			if d > 0 && d < 4*time.Hour && c.disrupted(t.CounterID) {
				// Slow for a known reason: measured apart, kept out of the
				// usual means (disruption.go).
				c.noteDisruptedService(t.ServiceID, d)
			} else if d > 0 && d < 4*time.Hour {
				c.samples[t.ServiceID] = keepLast(append(c.samples[t.ServiceID], d), samplesKept)
				c.breaks = keepLast(append(c.breaks, 0), breaksKept)
				if t.CounterID != "" {
					k := t.CounterID + "|" + t.ServiceID
					c.csamples[k] = keepLast(append(c.csamples[k], d), samplesKept)
				}
			}
		}
	case protocol.EventCounterUpdated:
		if k, ok := data.(protocol.Counter); ok {
			if k.Status != protocol.CounterPaused {
				// A short pause that ended with the counter open again
				// was a break between services; a long one, or one
				// ended by closing, is not (the projection does not
				// count on such a counter either).
				if since, ok := c.pausedAt[k.ID]; ok && k.Status == protocol.CounterOpen && len(c.breaks) > 0 {
					if d := ev.At.Sub(since); d > 0 && d <= PauseGiveUp {
						c.breaks[len(c.breaks)-1] += d
					}
				}
				delete(c.pausedAt, k.ID)
			} else if _, ok := c.pausedAt[k.ID]; !ok {
				c.pausedAt[k.ID] = ev.At
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
func (c *cache) ahead(t protocol.Ticket) int {
	n := 0
	for _, w := range c.waiting[t.ServiceID] {
		if w.ID == t.ID {
			continue
		}
		if w.Priority && !t.Priority || w.Priority == t.Priority && before(w, t) {
			n++
		}
	}
	return n
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
// field by the call-next policy, the wait by the projection (project.go).
func (c *cache) estimate(t *protocol.Ticket, now time.Time, maxStreak int) {
	if t.Status != protocol.StatusWaiting {
		t.Ahead, t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = 0, 0, 0, 0
		return
	}
	t.Ahead = c.ahead(*t)
	open, _ := c.servers(t.ServiceID)
	t.ETASeconds, t.ETALowSeconds, t.ETAHighSeconds = eta(c.project(now, maxStreak), t.ID, t.Ahead, c.fallbackMean(t.ServiceID), open)
}

// keepLast returns the last n elements of s.
func keepLast[T any](s []T, n int) []T {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// noteRange remembers the range ticket id is given at issue, to calibrate
// later ranges by how it did (only while the queue is small enough to
// project cheaply).
func (c *cache) noteRange(id string, now time.Time) {
	if len(c.where) > MaxSampled {
		return
	}
	if len(c.atIssue) > 4*MaxProjected {
		clear(c.atIssue) // tickets never called nor cancelled: start over
	}
	in := c.projectInput(now, c.maxStreak)
	if r, ok := ProjectRanges(in)[id]; ok && r.Wait > 0 {
		c.atIssue[id] = issuedRange{log: r.log, at: now}
	}
}

// MaxSampled bounds the queue (waiting tickets in the centre) at which
// issued tickets still calibrate the ranges: each costs one more
// projection.
const MaxSampled = 200

// widthNeeded is how wide (in units of rangeZ times the log-spread) a range
// with log-mean and log-spread r must be to hold an actual wait.
func widthNeeded(r [2]float64, wait time.Duration) float64 {
	if wait < time.Second || r[1] <= 0 {
		return math.Inf(1)
	}
	return math.Abs(math.Log(wait.Seconds())-r[0]) / (rangeZ * r[1])
}

// widen is the factor that makes the ranges of the last widthsKept called
// tickets hold 80 % of their waits, or 1 until there are minWidths of
// them.
func (c *cache) widen() float64 {
	if len(c.widths) < minWidths {
		return 1
	}
	w := slices.Clone(c.widths)
	slices.Sort(w)
	return min(max(w[int(math.Ceil(0.8*float64(len(w))))-1], 0.5), 4)
}

// minWidths is how many calls must be measured before the range is
// calibrated by them.
const minWidths = 50
