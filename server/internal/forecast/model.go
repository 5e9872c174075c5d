package forecast

import (
	"math"
	"slices"
	"time"
)

// Model is what the wait estimate learned from the centre's events: recent
// service times per field and per counter (clerk), the pauses clerks took
// between services, when each paused counter paused, the range each
// waiting ticket was given at issue and how the last ranges held the actual
// waits, and how much open disruptions slow services down. The engine
// feeds it the committed events as plain values and asks it for estimates
// of the centre as it is now (Centre). It does no I/O and is not safe for
// concurrent use: the engine's lock guards it.
type Model struct {
	// samples are recent service durations per field.
	samples map[string][]time.Duration
	// csamples are recent service durations per counter and field
	// ("q1|dat-dai"), for clerks noticeably faster or slower than the field.
	csamples map[string][]time.Duration
	// pausedAt is when each paused counter paused.
	pausedAt map[string]time.Time
	// breaks holds, for each of the last BreaksKept services done in the
	// centre, the short pause (tạm dừng, at most PauseGiveUp) its clerk
	// took before calling again: their mean is what a service costs a
	// counter beyond itself (ProjectInput.Pause).
	breaks []time.Duration
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

// samplesKept is how many recent service durations per field feed the mean.
const samplesKept = 30

// widthsKept is how many recent calls calibrate the range.
const widthsKept = 300

// BreaksKept is how many recent services the pause time is averaged over:
// pauses are rare (a few in a hundred services), so the window is much
// wider than the service-time one, to hold enough of them.
const BreaksKept = 300

// NewModel returns a model that knows the recent service times per field
// (read back from the stored tickets) and nothing else yet.
func NewModel(samples map[string][]time.Duration) *Model {
	m := &Model{
		samples:  map[string][]time.Duration{},
		csamples: map[string][]time.Duration{},
		pausedAt: map[string]time.Time{},
		atIssue:  map[string]issuedRange{},
		widenBy:  1,
	}
	for k, v := range samples {
		m.samples[k] = v
	}
	return m
}

// Counter is one open or paused counter as the model sees it (closed
// counters serve nobody and are left out).
type Counter struct {
	ID         string
	ServiceIDs []string
	// Paused tells a paused counter from an open one.
	Paused bool
	// Serving tells whether it serves a ticket now; Current is that
	// ticket's field and CalledAt when it was called (zero: unknown).
	Serving  bool
	Current  string
	CalledAt time.Time
	// PriorityStreak is how many priority tickets it called in a row, and
	// RegularRun how many regular ones since its last priority call.
	PriorityStreak int
	RegularRun     int
	// Disrupted tells whether an open disruption touches it.
	Disrupted bool
}

// Centre is the centre at one moment as the estimate needs it.
type Centre struct {
	Now time.Time
	// Fields are the ids of the centre's fields.
	Fields []string
	// Counters are the open and paused counters, in counter-number order
	// (the projection breaks ties by it).
	Counters []Counter
	// Waiting are the waiting tickets, in any order.
	Waiting []ProjectTicket
	// MaxPriorityStreak is the call-next policy's anti-starvation bound.
	MaxPriorityStreak int
	// Rules are the fields' priority rules (absent: strict) and Booked the
	// windows of the booked waiting tickets, by id.
	Rules  map[string]FieldRule
	Booked map[string]Window
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

// MaxSampled bounds the queue (waiting tickets in the centre) at which
// issued tickets still calibrate the ranges: each costs one more
// projection.
const MaxSampled = 200

// Mean is the rolling mean service time of field, or 0 before any of its
// services was measured.
func (m *Model) Mean(field string) time.Duration { return meanDuration(m.samples[field]) }

// Served takes in a service of field that took d at counter (empty when
// unknown). One at a counter under an open disruption is slow for a known
// reason: it is measured apart and kept out of the usual means.
func (m *Model) Served(counter, field string, d time.Duration, disrupted bool) {
	if d > 0 && d < 4*time.Hour && disrupted {
		m.noteDisruptedService(field, d)
	} else if d > 0 && d < 4*time.Hour {
		m.samples[field] = keepLast(append(m.samples[field], d), samplesKept)
		m.breaks = keepLast(append(m.breaks, 0), BreaksKept)
		if counter != "" {
			k := counter + "|" + field
			m.csamples[k] = keepLast(append(m.csamples[k], d), samplesKept)
		}
	}
}

// CounterPaused notes that counter id paused at at (a counter already
// paused keeps the time it paused first).
func (m *Model) CounterPaused(id string, at time.Time) {
	if _, ok := m.pausedAt[id]; !ok {
		m.pausedAt[id] = at
	}
}

// CounterUnpaused notes that counter id is not paused at at: open again
// (open) or closed. A short pause that ended with the counter open again
// was a break between services; a long one, or one ended by closing, is not
// (the projection does not count on such a counter either).
func (m *Model) CounterUnpaused(id string, open bool, at time.Time) {
	if since, ok := m.pausedAt[id]; ok && open && len(m.breaks) > 0 {
		if d := at.Sub(since); d > 0 && d <= PauseGiveUp {
			m.breaks[len(m.breaks)-1] += d
		}
	}
	delete(m.pausedAt, id)
}

// Issued remembers the range ticket id is given at issue in c, to
// calibrate later ranges by how it did. The caller skips it beyond
// MaxSampled waiting tickets: each costs one more projection.
func (m *Model) Issued(id string, c Centre) {
	if len(m.atIssue) > 4*MaxProjected {
		clear(m.atIssue) // tickets never called nor cancelled: start over
	}
	if r, ok := ProjectRanges(m.Input(c))[id]; ok && r.Wait > 0 {
		m.atIssue[id] = issuedRange{log: r.log, at: c.Now}
	}
}

// Called measures how the range ticket id was given at issue held its
// wait, now that it was called at at.
func (m *Model) Called(id string, at time.Time) {
	if r, ok := m.atIssue[id]; ok {
		m.widths = keepLast(append(m.widths, widthNeeded(r.log, at.Sub(r.at))), widthsKept)
		m.widenBy = m.widen()
	}
	delete(m.atIssue, id)
}

// Forget drops the range ticket id was given at issue: it was cancelled,
// or transferred (its wait is no longer the one estimated).
func (m *Model) Forget(id string) { delete(m.atIssue, id) }

// Widen is the factor the ranges' spread is scaled by now
// (ProjectInput.Widen).
func (m *Model) Widen() float64 { return m.widenBy }

// Input is the projection input of the centre c: the open and briefly
// paused counters, the waiting tickets and what the model measured.
func (m *Model) Input(c Centre) ProjectInput {
	now := c.Now
	in := ProjectInput{Mean: map[string]time.Duration{}, MaxPriorityStreak: c.MaxPriorityStreak, Rules: c.Rules, Booked: c.Booked, Now: now, Pause: meanDuration(m.breaks),
		Sigma: map[string]float64{}, PauseSD: sdDuration(m.breaks), Widen: m.widenBy}
	for _, id := range c.Fields {
		if mean := meanDuration(m.samples[id]); mean > 0 {
			in.Mean[id] = mean
		}
		if s := m.samples[id]; len(s) >= minSigmaSamples {
			in.Sigma[id] = logSD(s)
		}
	}
	for _, cs := range c.Counters {
		if cs.Paused {
			// A pause (tạm dừng) is a short break: the counter is expected
			// back after the rest of a typical pause. One paused for long
			// is not counted on.
			since, ok := m.pausedAt[cs.ID]
			if !ok {
				since = now
			}
			if away := now.Sub(since); away < PauseGiveUp {
				in.Counters = append(in.Counters, ProjectCounter{ID: cs.ID, ServiceIDs: cs.ServiceIDs,
					Busy: true, Remaining: max(TypicalPause-away, 2*time.Minute), PausedFor: away, PriorityStreak: cs.PriorityStreak, RegularRun: cs.RegularRun})
			}
			continue
		}
		pc := ProjectCounter{ID: cs.ID, ServiceIDs: cs.ServiceIDs, PriorityStreak: cs.PriorityStreak, RegularRun: cs.RegularRun}
		for _, f := range cs.ServiceIDs {
			if s := m.csamples[cs.ID+"|"+f]; len(s) >= minClerkSamples {
				if pc.Mean == nil {
					pc.Mean = map[string]time.Duration{}
				}
				pc.Mean[f] = meanDuration(s)
			}
		}
		if cs.Serving {
			pc.Busy = true
			mean := in.Mean[cs.Current]
			if pm, ok := pc.Mean[cs.Current]; ok {
				mean = pm
			}
			if mean <= 0 {
				mean = DefaultServiceTime
			}
			elapsed := time.Duration(0)
			if !cs.CalledAt.IsZero() {
				elapsed = now.Sub(cs.CalledAt)
			}
			pc.Remaining = RemainingService(mean, elapsed)
			pc.Current, pc.Elapsed = cs.Current, max(elapsed, 0)
		}
		if cs.Disrupted {
			m.stretch(&pc, &in)
		}
		in.Counters = append(in.Counters, pc)
	}
	in.Waiting = c.Waiting
	return in
}

// Ranges is the projected wait and range of every waiting ticket of c
// that some open counter serves (ProjectRanges of Input). The caller skips
// it beyond MaxProjected waiting tickets.
func (m *Model) Ranges(c Centre) map[string]Range { return ProjectRanges(m.Input(c)) }

// NewcomerWaits is, for every field an open counter serves, the projected
// wait of a ticket issued now: the projection with one more regular ticket
// at the back of the field. The caller skips it at MaxProjected waiting
// tickets and beyond.
func (m *Model) NewcomerWaits(c Centre) map[string]time.Duration {
	in := m.Input(c)
	base := in.Waiting
	out := make(map[string]time.Duration, len(c.Fields))
	for _, id := range c.Fields {
		in.Waiting = append(base[:len(base):len(base)], ProjectTicket{ID: newcomer, ServiceID: id, IssuedAt: c.Now})
		if w, ok := Project(in)[newcomer]; ok {
			out[id] = w
		}
	}
	return out
}

// newcomer is the id of the ticket NewcomerWaits adds: it sorts after any
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

// ETA is the projected wait and its range of ticket id, or, for a field
// no open counter serves now (or a queue beyond MaxProjected, proj nil),
// the simple estimate from ahead, the field's mean service time and its
// open counters (as if one counter will open when none is) and no range.
func ETA(proj map[string]Range, id string, ahead int, mean time.Duration, open int) (secs, low, high int) {
	if r, ok := proj[id]; ok {
		return int(r.Wait / time.Second), int(r.Low / time.Second), int(r.High / time.Second)
	}
	return int(EstimateWait(ETAInput{Ahead: ahead, MeanService: mean, Servers: open}).Seconds()), 0, 0
}

// widthNeeded is how wide (in units of rangeZ times the log-spread) a range
// with log-mean and log-spread r must be to hold an actual wait.
func widthNeeded(r [2]float64, wait time.Duration) float64 {
	if wait < time.Second || r[1] <= 0 {
		return math.Inf(1)
	}
	return math.Abs(math.Log(wait.Seconds())-r[0]) / (rangeZ * r[1])
}

// widen is the factor that makes the ranges of the last widthsKept called
// tickets hold 80 % of their waits, or 1 until there are MinWidths of
// them.
func (m *Model) widen() float64 {
	if len(m.widths) < MinWidths {
		return 1
	}
	w := slices.Clone(m.widths)
	slices.Sort(w)
	return min(max(w[int(math.Ceil(0.8*float64(len(w))))-1], 0.5), 4)
}

// MinWidths is how many calls must be measured before the range is
// calibrated by them.
const MinWidths = 50

// keepLast returns the last n elements of s.
func keepLast[T any](s []T, n int) []T {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
