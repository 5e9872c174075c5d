package forecast

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
	// PriorityStreak is how many priority tickets it called in a row, and
	// RegularRun how many regular ones since its last priority call.
	PriorityStreak int
	RegularRun     int
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

// Window is a booked ticket's window (protocol.TicketBooking).
type Window struct {
	From, To time.Time
	// Slot is the slot's start: a field whose booked position is in_line
	// puts the ticket in the walk-in line there.
	Slot time.Time
}

// FieldRule is a field's priority rule (protocol.Service.PriorityRule and
// PriorityEvery) and its booked position (BookedPosition; empty: first).
type FieldRule struct {
	Rule   string
	Every  int
	Booked string
}

// PriorityGoes tells whether the call-next policy calls the priority
// candidate, of a field with rule (every: its N), before a waiting regular
// one at a counter that called streak priority tickets in a row and run
// regular ones since its last priority one. The queue engine decides with
// it, and the projection replays it.
func PriorityGoes(rule string, every, streak, run, maxStreak int) bool {
	if rule == protocol.PriorityInterleave {
		// 1 priority : N regular. A counter that has called nobody yet
		// (both 0) starts with the priority ticket.
		return streak == 0 && (run == 0 || run >= max(every, 1))
	}
	return streak < maxStreak
}

// DefaultMaxPriorityStreak is the call-next policy's default bound on
// priority calls in a row, the same as queue.DefaultMaxPriorityStreak (a
// queue test holds them equal; forecast does not import queue).
const DefaultMaxPriorityStreak = 3

// ProjectInput is everything the projection depends on.
type ProjectInput struct {
	// Counters are the OPEN counters (paused and closed ones serve nobody).
	Counters []ProjectCounter
	// Waiting are the waiting tickets, in any order.
	Waiting []ProjectTicket
	// Mean is the rolling mean service time per field (DefaultServiceTime
	// for a field without one).
	Mean map[string]time.Duration
	// MaxPriorityStreak is the call-next policy's anti-starvation bound
	// (DefaultMaxPriorityStreak when 0).
	MaxPriorityStreak int
	// Rules are the fields' priority rules (absent: strict).
	Rules map[string]FieldRule
	// Booked are the windows of the booked tickets among Waiting, by id,
	// and Now the moment projected from, which places them.
	Booked map[string]Window
	Now    time.Time
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
