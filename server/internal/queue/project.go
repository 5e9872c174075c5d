package queue

import (
	"math"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// ProjectCounter is one open counter as the wait projection sees it.
type ProjectCounter struct {
	ID         string
	ServiceIDs []string
	// Busy tells whether the counter serves a ticket now.
	Busy bool
	// Remaining is the expected rest of the current service (Busy only);
	// for a paused counter, of its pause.
	Remaining time.Duration
	// Current is the field of the ticket it serves now and Elapsed how long
	// that service has run (Busy only; empty for a paused counter):
	// ProjectSpread draws the rest of the service from them.
	Current string
	Elapsed time.Duration
	// PausedFor is how long a paused counter has been paused.
	PausedFor time.Duration
	// PriorityStreak is how many priority tickets it called in a row.
	PriorityStreak int
	// Mean is this counter's (clerk's) own mean service time per field,
	// when enough of its services were measured; absent fields use the
	// field's mean.
	Mean map[string]time.Duration
}

// ProjectTicket is one waiting ticket.
type ProjectTicket struct {
	ID        string
	ServiceID string
	Priority  bool
	IssuedAt  time.Time
}

// ProjectInput is everything the projection depends on.
type ProjectInput struct {
	// Counters are the OPEN counters (paused and closed ones serve nobody).
	Counters []ProjectCounter
	// Waiting are the waiting tickets, in any order.
	Waiting []ProjectTicket
	// Mean is the rolling mean service time per field (DefaultServiceTime
	// for a field without one).
	Mean map[string]time.Duration
	// MaxPriorityStreak is the call-next policy's anti-starvation bound.
	MaxPriorityStreak int
	// Pause is what each projected service costs its counter beyond the
	// service itself: the mean short pause clerks took after a service,
	// over recent services. Pauses are rare but long, and each one delays
	// everybody behind it, so leaving them out biases the waits low.
	Pause time.Duration
	// Sigma is the lognormal shape of each field's service times (the
	// standard deviation of their logarithm; DefaultSigma when absent) and
	// PauseSD the standard deviation of the pause after a service: the
	// spread ProjectRanges puts around each projected wait.
	Sigma   map[string]float64
	PauseSD time.Duration
	// Widen scales the ranges' spread, calibrated on how recent ranges held
	// the actual waits (0 or 1: as computed).
	Widen float64
}

// Project returns the expected wait, from now until the call, of every
// waiting ticket that some open counter serves.
//
// It replays the call-next policy forward in expected time: each counter
// becomes free when its current service is expected to end, takes what the
// policy would give it (priority first, oldest first across all the fields
// it serves, with the streak bound), and is busy for its mean service time
// of that field plus the mean pause per service. So a counter serving several fields splits its capacity
// between them exactly as the policy does, priority tickets overtake, a
// slow clerk counts as slow, and a field served by no open counter gets no
// projection (the caller falls back). It is a pure function.
func Project(in ProjectInput) map[string]time.Duration {
	p := newPlan(in)
	waits := make([]float64, len(p.tickets))
	p.run(nil, waits, nil)
	out := make(map[string]time.Duration, len(waits))
	for i, w := range waits {
		if !math.IsNaN(w) {
			out[p.tickets[i].ID] = time.Duration(math.Round(w * float64(time.Second)))
		}
	}
	return out
}

// RemainingService is the expected rest of a service of mean length m that
// has run for elapsed. Service times are skewed (lognormal-like): a service
// that already ran past its mean is not about to end, so the rest never
// drops below a floor share of the mean.
func RemainingService(m, elapsed time.Duration) time.Duration {
	const floor = 0.35
	rest := m - elapsed
	return max(rest, time.Duration(math.Round(float64(m)*floor)))
}

// NaiveWait is the textbook estimate the projection is compared with:
// people ahead × mean service time ÷ counters serving the field.
func NaiveWait(ahead int, mean time.Duration, counters int) time.Duration {
	if mean <= 0 {
		mean = DefaultServiceTime
	}
	return time.Duration(float64(ahead) * float64(mean) / float64(max(counters, 1)))
}

// projectFrom builds the projection input from the cache at now.
func (c *cache) projectInput(now time.Time, maxStreak int) ProjectInput {
	in := ProjectInput{Mean: map[string]time.Duration{}, MaxPriorityStreak: maxStreak, Pause: meanDuration(c.breaks),
		Sigma: map[string]float64{}, PauseSD: sdDuration(c.breaks), Widen: c.widenBy}
	for id := range c.services {
		if m := meanDuration(c.samples[id]); m > 0 {
			in.Mean[id] = m
		}
		if s := c.samples[id]; len(s) >= minSigmaSamples {
			in.Sigma[id] = logSD(s)
		}
	}
	for _, cs := range c.board.Counters {
		if cs.Counter.Status == protocol.CounterPaused {
			// A pause (tạm dừng) is a short break: the counter is expected
			// back after the rest of a typical pause. One paused for long
			// is not counted on.
			since, ok := c.pausedAt[cs.Counter.ID]
			if !ok {
				since = now
			}
			if away := now.Sub(since); away < PauseGiveUp {
				in.Counters = append(in.Counters, ProjectCounter{ID: cs.Counter.ID, ServiceIDs: cs.Counter.ServiceIDs,
					Busy: true, Remaining: max(TypicalPause-away, 2*time.Minute), PausedFor: away, PriorityStreak: c.streak[cs.Counter.ID]})
			}
			continue
		}
		if cs.Counter.Status != protocol.CounterOpen {
			continue
		}
		pc := ProjectCounter{ID: cs.Counter.ID, ServiceIDs: cs.Counter.ServiceIDs, PriorityStreak: c.streak[cs.Counter.ID]}
		for _, f := range cs.Counter.ServiceIDs {
			if s := c.csamples[cs.Counter.ID+"|"+f]; len(s) >= minClerkSamples {
				if pc.Mean == nil {
					pc.Mean = map[string]time.Duration{}
				}
				pc.Mean[f] = meanDuration(s)
			}
		}
		if cur := cs.Current; cur != nil {
			pc.Busy = true
			m := in.Mean[cur.ServiceID]
			if pm, ok := pc.Mean[cur.ServiceID]; ok {
				m = pm
			}
			if m <= 0 {
				m = DefaultServiceTime
			}
			elapsed := time.Duration(0)
			if cur.CalledAt != nil {
				elapsed = now.Sub(*cur.CalledAt)
			}
			pc.Remaining = RemainingService(m, elapsed)
			pc.Current, pc.Elapsed = cur.ServiceID, max(elapsed, 0)
		}
		if c.disrupted(pc.ID) {
			c.stretch(&pc, &in)
		}
		in.Counters = append(in.Counters, pc)
	}
	for _, list := range c.waiting {
		for _, t := range list {
			in.Waiting = append(in.Waiting, ProjectTicket{ID: t.ID, ServiceID: t.ServiceID, Priority: t.Priority, IssuedAt: t.IssuedAt})
		}
	}
	return in
}

// A paused counter is expected back TypicalPause after it paused, and no
// longer counted on once it has been paused PauseGiveUp.
const (
	TypicalPause = 8 * time.Minute
	PauseGiveUp  = 30 * time.Minute
)

// minClerkSamples is how many services a counter must have done in a field
// before its own mean replaces the field's: fewer are too noisy to help.
const minClerkSamples = 8

// MaxProjected bounds the projection's work: with more tickets waiting in
// the whole centre than this (far more than a hall holds, but a load test
// gets there), estimates fall back to EstimateWait, whose cost does not
// grow with the queue. A projection of 500 tickets takes about 0.1 ms.
const MaxProjected = 500

// project runs the projection unless the queue is beyond MaxProjected.
func (c *cache) project(now time.Time, maxStreak int) map[string]Range {
	if len(c.where) > MaxProjected {
		return nil
	}
	return ProjectRanges(c.projectInput(now, maxStreak))
}

// newcomerWaits is, for every field an open counter serves, the projected
// wait of a ticket issued there now: the projection with one more regular
// ticket at the back of the field (none beyond MaxProjected).
func (c *cache) newcomerWaits(now time.Time) map[string]time.Duration {
	if len(c.where) >= MaxProjected {
		return nil
	}
	in := c.projectInput(now, c.maxStreak)
	base := in.Waiting
	out := make(map[string]time.Duration, len(c.services))
	for id := range c.services {
		in.Waiting = append(base[:len(base):len(base)], ProjectTicket{ID: newcomer, ServiceID: id, IssuedAt: now})
		if w, ok := Project(in)[newcomer]; ok {
			out[id] = w
		}
	}
	return out
}

// newcomer is the id of the ticket newcomerWaits adds: it sorts after any
// ticket issued at the same instant.
const newcomer = "\uffff"

// Estimate is the expected wait of one waiting ticket, with the range most
// citizens are called in (0, 0 when there is none).
type Estimate struct {
	ServiceID                     string
	Ahead                         int
	ETASeconds                    int
	ETALowSeconds, ETAHighSeconds int
}

// estimates computes ahead and the expected wait of every waiting ticket.
func (c *cache) estimates(now time.Time, maxStreak int) map[string]Estimate {
	proj := c.project(now, maxStreak)
	out := make(map[string]Estimate, len(c.where))
	for field, list := range c.waiting {
		// ahead in the field: priority tickets first, then by issue time;
		// list is in issue order.
		np := 0
		for _, t := range list {
			if t.Priority {
				np++
			}
		}
		p, r := 0, 0
		open, _ := c.servers(field)
		mean := c.fallbackMean(field)
		for _, t := range list {
			var ahead int
			if t.Priority {
				ahead = p
				p++
			} else {
				ahead = np + r
				r++
			}
			e := Estimate{ServiceID: field, Ahead: ahead}
			e.ETASeconds, e.ETALowSeconds, e.ETAHighSeconds = eta(proj, t.ID, ahead, mean, open)
			out[t.ID] = e
		}
	}
	return out
}

// eta is the projected wait and its range, or, for a field no open
// counter serves now (or a queue beyond MaxProjected), the simple estimate
// (as if one counter will open when none is) and no range.
func eta(proj map[string]Range, id string, ahead int, mean time.Duration, open int) (secs, low, high int) {
	if r, ok := proj[id]; ok {
		return int(r.Wait / time.Second), int(r.Low / time.Second), int(r.High / time.Second)
	}
	return int(EstimateWait(ETAInput{Ahead: ahead, MeanService: mean, Servers: open}).Seconds()), 0, 0
}

// ProjectionInput is what the wait projection starts from now: the open
// and briefly paused counters, the waiting tickets and the measured means.
func (e *Engine) ProjectionInput() ProjectInput {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.c.projectInput(now, e.opts.MaxPriorityStreak)
}

// Estimates returns ahead and the expected wait of every waiting ticket, by
// ticket id, in one pass (the phone websocket recomputes many at once).
func (e *Engine) Estimates() map[string]Estimate {
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

// Range is a projected wait with the range the wait falls in for most
// citizens: Low and High are its 10th and 90th percentiles.
type Range struct {
	Wait, Low, High time.Duration
	// log is the lognormal's log-mean and log-spread (before Widen).
	log [2]float64
}

// rangeZ is the standard normal's 90th percentile: Low and High are the
// 10th and 90th percentiles.
const rangeZ = 1.2816

// ProjectRanges is Project with a range around each wait: the replay sums
// the variance of every service (from its field's Sigma) and pause
// (PauseSD) its counter does before the ticket, and the range is the 10th
// to 90th percentile of a lognormal wait with that mean and variance.
func ProjectRanges(in ProjectInput) map[string]Range {
	p := newPlan(in)
	waits, vars := make([]float64, len(p.tickets)), make([]float64, len(p.tickets))
	p.run(nil, waits, vars)
	out := make(map[string]Range, len(waits))
	secs := func(x float64) time.Duration { return time.Duration(math.Round(x)) * time.Second }
	for i, w := range waits {
		if math.IsNaN(w) {
			continue
		}
		r := Range{Wait: secs(w)}
		if w > 0 {
			s2 := math.Log1p(vars[i] / (w * w))
			mu, s := math.Log(w)-s2/2, math.Sqrt(s2)
			r.log = [2]float64{mu, s}
			if in.Widen > 0 {
				s *= in.Widen
			}
			r.Low, r.High = secs(math.Exp(mu-rangeZ*s)), secs(math.Exp(mu+rangeZ*s))
		}
		out[p.tickets[i].ID] = r
	}
	return out
}

// logSD is the standard deviation of the logarithms of ds.
func logSD(ds []time.Duration) float64 {
	var sum, sq float64
	for _, d := range ds {
		l := math.Log(max(d.Seconds(), 1))
		sum += l
		sq += l * l
	}
	n := float64(len(ds))
	m := sum / n
	return math.Sqrt(max(sq/n-m*m, 0) * n / max(n-1, 1))
}

// sdDuration is the standard deviation of ds.
func sdDuration(ds []time.Duration) time.Duration {
	if len(ds) < 2 {
		return 0
	}
	m := meanDuration(ds).Seconds()
	var v float64
	for _, d := range ds {
		v += sq(d.Seconds() - m)
	}
	return time.Duration(math.Sqrt(v/float64(len(ds)-1)) * float64(time.Second))
}

// minSigmaSamples is how many services of a field its spread is measured
// from; fewer use DefaultSigma.
const minSigmaSamples = 10
