package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/civiq/civiq/server/internal/forecast"
)

// restore takes a saved calibration into a freshly loaded cache, keeping
// only what still applies: pauses of counters still paused, ranges of
// tickets still waiting.
func (c *cache) restore(k forecast.Calibration) {
	paused := map[string]bool{}
	for _, cs := range c.board.Counters {
		if cs.Counter.Status == "paused" {
			paused[cs.Counter.ID] = true
		}
	}
	c.model.Restore(k, func(id string) bool { return paused[id] }, func(id string) bool { _, ok := c.where[id]; return ok })
}

// loadCalibration restores the saved calibration into the cache at start.
func (e *Engine) loadCalibration(ctx context.Context) error {
	data, seq, err := e.store.LoadCalibration(ctx)
	if err != nil || data == nil {
		return err
	}
	var k forecast.Calibration
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
	k := e.c.model.Calibration()
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
