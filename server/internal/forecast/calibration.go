package forecast

import (
	"math"
	"slices"
	"time"
)

// Calibration is the part of the Model that is learned from events and not
// derivable from the stored tickets, as the engine saves it (JSON) so a
// restart does not start it over (the ranges' widening needs MinWidths
// calls before it applies): the widths of the last widthsKept calls, the
// pauses of the last BreaksKept services, each counter's own service times
// per field, when each paused counter paused and the range each waiting
// ticket was given at issue. (Field service times are read back from the
// tickets on start; priority streaks are stored with the counters.)
type Calibration struct {
	// Widths are stored with a wait that no range can hold (+Inf, a call
	// within a second of issue) as -1: JSON has no infinity.
	Widths   []float64                  `json:"widths,omitempty"`
	Breaks   []time.Duration            `json:"breaks,omitempty"`
	CSamples map[string][]time.Duration `json:"counter_samples,omitempty"`
	PausedAt map[string]time.Time       `json:"paused_at,omitempty"`
	AtIssue  map[string]SavedRange      `json:"at_issue,omitempty"`
}

// SavedRange is the range a ticket was given at issue: the log-mean and
// log-spread of its lognormal wait, and when.
type SavedRange struct {
	Log [2]float64 `json:"log"`
	At  time.Time  `json:"at"`
}

// Calibration returns what to save. It shares the model's maps and
// slices: encode it before the model changes.
func (m *Model) Calibration() Calibration {
	out := Calibration{Widths: make([]float64, len(m.widths)), Breaks: m.breaks, CSamples: m.csamples, PausedAt: m.pausedAt,
		AtIssue: make(map[string]SavedRange, len(m.atIssue))}
	for i, w := range m.widths {
		if math.IsInf(w, 0) || math.IsNaN(w) {
			w = -1
		}
		out.Widths[i] = w
	}
	for id, r := range m.atIssue {
		if finite(r.log[0]) && finite(r.log[1]) {
			out.AtIssue[id] = SavedRange{Log: r.log, At: r.at}
		}
	}
	return out
}

// Restore takes a saved calibration into a fresh model, keeping only what
// still applies: pauses of counters still paused, ranges of tickets still
// waiting.
func (m *Model) Restore(k Calibration, paused, waiting func(id string) bool) {
	m.widths = slices.Clone(keepLast(k.Widths, widthsKept))
	for i, w := range m.widths {
		if w < 0 {
			m.widths[i] = math.Inf(1)
		}
	}
	m.breaks = keepLast(k.Breaks, BreaksKept)
	for key, s := range k.CSamples {
		m.csamples[key] = keepLast(s, samplesKept)
	}
	for id, at := range k.PausedAt {
		if paused(id) {
			m.pausedAt[id] = at
		}
	}
	for id, r := range k.AtIssue {
		if waiting(id) {
			m.atIssue[id] = issuedRange{log: r.Log, at: r.At}
		}
	}
	m.widenBy = m.widen()
}

func finite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }
