package forecast

import (
	"math"
	"time"
)

// DefaultServiceTime is assumed for a field until enough tickets of it were
// served to measure its own service time.
const DefaultServiceTime = 5 * time.Minute

// ETAInput is what the wait estimate of one waiting ticket depends on.
type ETAInput struct {
	// Ahead is the number of tickets that will be called before this one.
	Ahead int
	// MeanService is the rolling mean service time of the field.
	MeanService time.Duration
	// Servers is the number of open counters serving the field (paused and
	// closed counters do not count; at least one is assumed).
	Servers int
	// FreeServers is how many of those counters have no ticket now.
	FreeServers int
}

// EstimateWait returns the expected wait before the ticket is called.
//
// With c counters busy, a new call happens every mean/c on average; the
// ticket is called after the ahead tickets plus itself got a free counter.
// A free counter takes the first ticket at once, so free counters shorten the
// queue directly. The estimate is deliberately simple; docs/PERFORMANCE.md
// reports how it compares with measured waits.
func EstimateWait(in ETAInput) time.Duration {
	c := max(in.Servers, 1)
	mean := in.MeanService
	if mean <= 0 {
		mean = DefaultServiceTime
	}
	position := in.Ahead + 1 - in.FreeServers // tickets that must wait for a counter, this one included
	if position <= 0 {
		return 0
	}
	// The first of them waits for the soonest of c services to end: mean/c on
	// average when services end at random (memoryless approximation); each
	// further one another mean/c.
	secs := float64(position) * mean.Seconds() / float64(c)
	return time.Duration(math.Round(secs)) * time.Second
}

// meanDuration is the mean of samples, or 0 when there are none.
func meanDuration(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return sum / time.Duration(len(samples))
}
