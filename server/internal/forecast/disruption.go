package forecast

import (
	"slices"
	"time"
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

// slowdown is the factor services at disrupted counters are stretched by.
func (m *Model) slowdown() float64 {
	if len(m.slow) < minSlowSamples {
		return DefaultDisruptionSlowdown
	}
	sum := 0.0
	for _, r := range m.slow {
		sum += r
	}
	return min(max(sum/float64(len(m.slow)), 1), MaxDisruptionSlowdown)
}

// noteDisruptedService measures a service finished under a disruption
// against its field's usual mean.
func (m *Model) noteDisruptedService(field string, d time.Duration) {
	mean := meanDuration(m.samples[field])
	if mean <= 0 {
		mean = DefaultServiceTime
	}
	m.slow = keepLast(append(m.slow, float64(d)/float64(mean)), slowKept)
}

// stretch makes a disrupted counter's services in the projection slower
// by the slowdown.
func (m *Model) stretch(pc *ProjectCounter, in *ProjectInput) {
	f := m.slowdown()
	means := make(map[string]time.Duration, len(pc.ServiceIDs))
	for _, id := range pc.ServiceIDs {
		mean, ok := pc.Mean[id]
		if !ok {
			mean = in.Mean[id]
		}
		if mean <= 0 {
			mean = DefaultServiceTime
		}
		means[id] = time.Duration(float64(mean) * f)
	}
	pc.Mean = means
	pc.Remaining = time.Duration(float64(pc.Remaining) * f)
}

// DisruptionsEnded forgets the measured slowdown once no disruption is
// open: the next one (another cause, other counters) is measured afresh.
func (m *Model) DisruptionsEnded() { m.slow = nil }

// FallbackMean is the mean service time of field for the simple estimate
// (used beyond MaxProjected): the usual mean, stretched by the slowdown in
// the share of the field's open counters under a disruption. disrupted
// tells whether any disruption is open, wholeCentre whether one touches
// every counter.
func (m *Model) FallbackMean(field string, counters []Counter, disrupted, wholeCentre bool) time.Duration {
	mean := meanDuration(m.samples[field])
	if !disrupted {
		return mean
	}
	if mean <= 0 {
		mean = DefaultServiceTime
	}
	open, hit := 0, 0
	for _, c := range counters {
		if c.Paused || !slices.Contains(c.ServiceIDs, field) {
			continue
		}
		open++
		if c.Disrupted {
			hit++
		}
	}
	if open == 0 {
		// Nobody serves it now: whoever opens is slow too if the whole
		// centre is disrupted.
		open = 1
		if wholeCentre {
			hit = 1
		}
	}
	share := float64(hit) / float64(open)
	return time.Duration(float64(mean) * (1 + (m.slowdown()-1)*share))
}
