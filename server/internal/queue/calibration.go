package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// calibration is the part of the cache that is learned from events and not
// derivable from the stored tickets: the widths of the last widthsKept
// calls, the pauses of the last breaksKept services, each counter's own
// service times per field, when each paused counter paused and the range
// each waiting ticket was given at issue. (Field service times are read
// back from the tickets on start; priority streaks are stored with the
// counters.)
type calibration struct {
	// Widths are stored with a wait that no range can hold (+Inf, a call
	// within a second of issue) as -1: JSON has no infinity.
	Widths   []float64                  `json:"widths,omitempty"`
	Breaks   []time.Duration            `json:"breaks,omitempty"`
	CSamples map[string][]time.Duration `json:"counter_samples,omitempty"`
	PausedAt map[string]time.Time       `json:"paused_at,omitempty"`
	AtIssue  map[string]savedRange      `json:"at_issue,omitempty"`
}

type savedRange struct {
	Log [2]float64 `json:"log"`
	At  time.Time  `json:"at"`
}

func (c *cache) calibration() calibration {
	out := calibration{Widths: make([]float64, len(c.widths)), Breaks: c.breaks, CSamples: c.csamples, PausedAt: c.pausedAt,
		AtIssue: make(map[string]savedRange, len(c.atIssue))}
	for i, w := range c.widths {
		if math.IsInf(w, 0) || math.IsNaN(w) {
			w = -1
		}
		out.Widths[i] = w
	}
	for id, r := range c.atIssue {
		if finite(r.log[0]) && finite(r.log[1]) {
			out.AtIssue[id] = savedRange{Log: r.log, At: r.at}
		}
	}
	return out
}

// restore takes a saved calibration into a freshly loaded cache, keeping
// only what still applies: pauses of counters still paused, ranges of
// tickets still waiting.
func (c *cache) restore(k calibration) {
	c.widths = slices.Clone(keepLast(k.Widths, widthsKept))
	for i, w := range c.widths {
		if w < 0 {
			c.widths[i] = math.Inf(1)
		}
	}
	c.breaks = keepLast(k.Breaks, breaksKept)
	for key, s := range k.CSamples {
		c.csamples[key] = keepLast(s, samplesKept)
	}
	paused := map[string]bool{}
	for _, cs := range c.board.Counters {
		if cs.Counter.Status == "paused" {
			paused[cs.Counter.ID] = true
		}
	}
	for id, at := range k.PausedAt {
		if paused[id] {
			c.pausedAt[id] = at
		}
	}
	for id, r := range k.AtIssue {
		if _, waiting := c.where[id]; waiting {
			c.atIssue[id] = issuedRange{log: r.Log, at: r.At}
		}
	}
	c.widenBy = c.widen()
}

// loadCalibration restores the saved calibration into the cache at start.
func (e *Engine) loadCalibration(ctx context.Context) error {
	data, seq, err := e.store.LoadCalibration(ctx)
	if err != nil || data == nil {
		return err
	}
	var k calibration
	if err := json.Unmarshal(data, &k); err != nil {
		e.log.Warn("the saved wait calibration is unreadable; starting it over", "err", err)
		return nil
	}
	e.mu.Lock()
	e.c.restore(k)
	e.savedSeq = seq
	e.mu.Unlock()
	return nil
}

// SaveCalibration stores the cache's calibration when events were applied
// since the last save. Run calls it every housekeeping interval; the
// server calls it once more when it shuts down.
func (e *Engine) SaveCalibration(ctx context.Context) error {
	e.mu.RLock()
	seq := e.c.board.Seq
	if seq == e.savedSeq {
		e.mu.RUnlock()
		return nil
	}
	k := e.c.calibration()
	// Marshalled under the lock: the maps and slices are the cache's own.
	data, err := json.Marshal(k)
	e.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("queue: encode calibration: %w", err)
	}
	if err := e.store.SaveCalibration(ctx, data, seq, e.clock.Now().Unix()); err != nil {
		return fmt.Errorf("queue: save calibration: %w", err)
	}
	e.mu.Lock()
	e.savedSeq = max(e.savedSeq, seq)
	e.mu.Unlock()
	return nil
}

func finite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }
