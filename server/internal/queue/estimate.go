package queue

import (
	"slices"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/protocol"
)

// The wait estimate is the forecast package's: the cache hands its model
// (cache.model) the committed events and the centre as it is now, and
// answers ahead (the call-next policy's order) itself.

// forecastCentre is the cache at now as the wait model sees it.
func (c *cache) forecastCentre(now time.Time, maxStreak int) forecast.Centre {
	fc := forecast.Centre{Now: now, MaxPriorityStreak: maxStreak, Fields: make([]string, 0, len(c.services)),
		Counters: c.forecastCounters(), Waiting: make([]forecast.ProjectTicket, 0, len(c.where))}
	for id, s := range c.services {
		fc.Fields = append(fc.Fields, id)
		if s.Rule() != protocol.PriorityStrict || s.Booked() != protocol.BookedFirst {
			if fc.Rules == nil {
				fc.Rules = map[string]forecast.FieldRule{}
			}
			fc.Rules[id] = forecast.FieldRule{Rule: s.PriorityRule, Every: s.PriorityEvery, Booked: s.BookedPosition}
		}
	}
	for _, list := range c.waiting {
		for _, t := range list {
			fc.Waiting = append(fc.Waiting, forecast.ProjectTicket{ID: t.ID, ServiceID: t.ServiceID, Priority: t.Priority, IssuedAt: t.IssuedAt})
			if t.Booking != nil {
				if fc.Booked == nil {
					fc.Booked = map[string]forecast.Window{}
				}
				fc.Booked[t.ID] = forecast.Window{From: t.Booking.WindowFrom, To: t.Booking.WindowTo, Slot: t.Booking.SlotStart}
			}
		}
	}
	return fc
}

// forecastCounters are the open and paused counters, in board order.
func (c *cache) forecastCounters() []forecast.Counter {
	var out []forecast.Counter
	for _, cs := range c.board.Counters {
		if cs.Counter.Status != protocol.CounterOpen && cs.Counter.Status != protocol.CounterPaused {
			continue
		}
		fc := forecast.Counter{ID: cs.Counter.ID, ServiceIDs: cs.Counter.ServiceIDs, Paused: cs.Counter.Status == protocol.CounterPaused,
			PriorityStreak: c.streak[cs.Counter.ID], RegularRun: c.run[cs.Counter.ID], Disrupted: c.disrupted(cs.Counter.ID)}
		if cur := cs.Current; cur != nil && !fc.Paused {
			fc.Serving, fc.Current = true, cur.ServiceID
			if cur.CalledAt != nil {
				fc.CalledAt = *cur.CalledAt
			}
		}
		out = append(out, fc)
	}
	return out
}

// projectInput is the projection input of the cache at now.
func (c *cache) projectInput(now time.Time, maxStreak int) forecast.ProjectInput {
	return c.model.Input(c.forecastCentre(now, maxStreak))
}

// project runs the projection unless the queue is beyond MaxProjected.
func (c *cache) project(now time.Time, maxStreak int) map[string]forecast.Range {
	if len(c.where) > forecast.MaxProjected {
		return nil
	}
	return c.model.Ranges(c.forecastCentre(now, maxStreak))
}

// newcomerWaits is, for every field an open counter serves, the projected
// wait of a ticket issued there now (none beyond MaxProjected).
func (c *cache) newcomerWaits(now time.Time) map[string]time.Duration {
	if len(c.where) >= forecast.MaxProjected {
		return nil
	}
	return c.model.NewcomerWaits(c.forecastCentre(now, c.maxStreak))
}

// noteRange remembers the range ticket id is given at issue, to calibrate
// later ranges by how it did (only while the queue is small enough to
// project cheaply).
func (c *cache) noteRange(id string, now time.Time) {
	if len(c.where) > forecast.MaxSampled {
		return
	}
	c.model.Issued(id, c.forecastCentre(now, c.maxStreak))
}

// fallbackMean is the mean service time of field for the simple estimate
// (used beyond MaxProjected), stretched under disruptions.
func (c *cache) fallbackMean(field string) time.Duration {
	if len(c.board.Disruptions) == 0 {
		return c.model.Mean(field)
	}
	wholeCentre := slices.ContainsFunc(c.board.Disruptions, func(d protocol.Disruption) bool { return len(d.CounterIDs) == 0 })
	return c.model.FallbackMean(field, c.forecastCounters(), true, wholeCentre)
}

// endDisruptions forgets the measured slowdown once no disruption is open.
func (c *cache) endDisruptions() {
	if len(c.board.Disruptions) == 0 {
		c.model.DisruptionsEnded()
	}
}

// estimates computes ahead and the expected wait of every waiting ticket.
func (c *cache) estimates(now time.Time, maxStreak int) map[string]forecast.Estimate {
	proj := c.project(now, maxStreak)
	out := make(map[string]forecast.Estimate, len(c.where))
	for field, list := range c.waiting {
		// ahead in the field: priority tickets first, then by issue time;
		// list is in issue order.
		np := 0
		off := c.services[field].Rule() == protocol.PriorityOff
		for _, t := range list {
			if t.Priority && !off {
				np++
			}
		}
		p, r := 0, 0
		open, _ := c.servers(field)
		mean := c.fallbackMean(field)
		for _, t := range list {
			var ahead int
			if t.Priority && !off {
				ahead = p
				p++
			} else {
				ahead = np + r
				r++
			}
			e := forecast.Estimate{ServiceID: field, Ahead: ahead}
			e.ETASeconds, e.ETALowSeconds, e.ETAHighSeconds = forecast.ETA(proj, t.ID, ahead, mean, open)
			out[t.ID] = e
		}
	}
	return out
}

// ProjectionInput is what the wait projection starts from now: the open
// and briefly paused counters, the waiting tickets and the measured means.
func (e *Engine) ProjectionInput() forecast.ProjectInput {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.projectInput(now, e.opts.MaxPriorityStreak)
}

// Estimates returns ahead and the expected wait of every waiting ticket, by
// ticket id, in one pass (the phone websocket recomputes many at once).
func (e *Engine) Estimates() map[string]forecast.Estimate {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.estimates(now, e.opts.MaxPriorityStreak)
}

// FieldCounts returns how many tickets wait in field and how many open
// counters serve it.
func (e *Engine) FieldCounts(field string) (waiting, open int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	open, _ = e.c.servers(field)
	return len(e.c.waiting[field]), open
}
