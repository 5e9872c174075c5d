package queue

import (
	"slices"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// How waits stretch while a disruption lasts (docs/API.md, "Disruptions").
//
// A clerk whose one-stop software, network or printer is down usually goes
// on serving, slowly: taking a dossier on paper, asking the citizen to wait
// or to come back. So a counter under an open disruption still counts as
// serving, but each of its services is expected to take Slowdown times its
// usual mean (and its current service to last that much longer). Slowdown
// is measured: the mean ratio of the services finished at disrupted
// counters during the disruptions to their field's usual mean, once
// minSlowSamples were measured; until then DefaultDisruptionSlowdown. The
// slow services are kept out of the usual means, so the estimates come back
// to normal as soon as the disruption ends.
const (
	DefaultDisruptionSlowdown = 2.0
	// MaxDisruptionSlowdown bounds the measured factor (a clerk who served
	// one citizen in an hour of power cut says little about the next hour).
	MaxDisruptionSlowdown = 8.0
	minSlowSamples        = 3
	slowKept              = 30
)

// disrupted tells whether an open disruption touches counter id.
func (c *cache) disrupted(id string) bool {
	for _, d := range c.board.Disruptions {
		if d.Touches(id) {
			return true
		}
	}
	return false
}

// slowdown is the factor services at disrupted counters are stretched by.
func (c *cache) slowdown() float64 {
	if len(c.slow) < minSlowSamples {
		return DefaultDisruptionSlowdown
	}
	sum := 0.0
	for _, r := range c.slow {
		sum += r
	}
	return min(max(sum/float64(len(c.slow)), 1), MaxDisruptionSlowdown)
}

// noteDisruptedService measures a service finished under a disruption
// against its field's usual mean.
func (c *cache) noteDisruptedService(field string, d time.Duration) {
	m := meanDuration(c.samples[field])
	if m <= 0 {
		m = DefaultServiceTime
	}
	c.slow = keepLast(append(c.slow, float64(d)/float64(m)), slowKept)
}

// stretch makes a disrupted counter's services in the projection slower
// by the slowdown.
func (c *cache) stretch(pc *ProjectCounter, in *ProjectInput) {
	f := c.slowdown()
	means := make(map[string]time.Duration, len(pc.ServiceIDs))
	for _, id := range pc.ServiceIDs {
		m, ok := pc.Mean[id]
		if !ok {
			m = in.Mean[id]
		}
		if m <= 0 {
			m = DefaultServiceTime
		}
		means[id] = time.Duration(float64(m) * f)
	}
	pc.Mean = means
	pc.Remaining = time.Duration(float64(pc.Remaining) * f)
}

// endDisruptions forgets the measured slowdown once no disruption is open:
// the next one (another cause, other counters) is measured afresh.
func (c *cache) endDisruptions() {
	if len(c.board.Disruptions) == 0 {
		c.slow = nil
	}
}

// fallbackMean is the mean service time of field for the simple estimate
// (used beyond MaxProjected): the usual mean, stretched by the slowdown in
// the share of the field's open counters under a disruption.
func (c *cache) fallbackMean(field string) time.Duration {
	mean := meanDuration(c.samples[field])
	if len(c.board.Disruptions) == 0 {
		return mean
	}
	if mean <= 0 {
		mean = DefaultServiceTime
	}
	open, hit := 0, 0
	for _, cs := range c.board.Counters {
		if cs.Counter.Status != protocol.CounterOpen || !slices.Contains(cs.Counter.ServiceIDs, field) {
			continue
		}
		open++
		if c.disrupted(cs.Counter.ID) {
			hit++
		}
	}
	if open == 0 {
		// Nobody serves it now: whoever opens is slow too if the whole
		// centre is disrupted.
		open = 1
		if slices.ContainsFunc(c.board.Disruptions, func(d protocol.Disruption) bool { return len(d.CounterIDs) == 0 }) {
			hit = 1
		}
	}
	share := float64(hit) / float64(open)
	return time.Duration(float64(mean) * (1 + (c.slowdown()-1)*share))
}
