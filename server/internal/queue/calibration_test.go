package queue

import (
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/protocol"
)

// TestCalibrationRestore: a restarted cache keeps of the saved calibration
// only what still applies: the pause of a counter still paused, the range
// of a ticket still waiting (the round trip itself is forecast's
// TestCalibrationRoundTrip).
func TestCalibrationRestore(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	k := forecast.Calibration{
		Breaks:   []time.Duration{0, 3 * time.Minute, 0},
		PausedAt: map[string]time.Time{"q1": at, "q2": at},
		AtIssue:  map[string]forecast.SavedRange{"t1": {Log: [2]float64{6, 0.4}, At: at}, "t2": {Log: [2]float64{6, 0.4}, At: at}},
	}
	// The restarted cache: q1 still paused, q2 open again; t1 still waits.
	dst := newCache(&Loaded{Counters: []CounterRecord{
		{Counter: protocol.Counter{ID: "q1", Number: 1, Status: protocol.CounterPaused}},
		{Counter: protocol.Counter{ID: "q2", Number: 2, Status: protocol.CounterOpen}},
	}, Open: []TicketRecord{{Ticket: protocol.Ticket{ID: "t1", ServiceID: "a", Status: protocol.StatusWaiting, IssuedAt: at}}}}, "2026-12-07", time.UTC)
	dst.restore(k)
	got := dst.model.Calibration()
	if len(got.Breaks) != 3 {
		t.Fatalf("breaks %v", got.Breaks)
	}
	if _, ok := got.PausedAt["q2"]; ok || !got.PausedAt["q1"].Equal(at) {
		t.Fatalf("pausedAt %v", got.PausedAt)
	}
	if _, ok := got.AtIssue["t2"]; ok || got.AtIssue["t1"] != k.AtIssue["t1"] {
		t.Fatalf("atIssue %v", got.AtIssue)
	}
}

// The projection replays the call-next policy: its default bound is the
// engine's.
func TestForecastPolicyDefault(t *testing.T) {
	if forecast.DefaultMaxPriorityStreak != DefaultMaxPriorityStreak {
		t.Fatalf("forecast.DefaultMaxPriorityStreak %d, queue.DefaultMaxPriorityStreak %d", forecast.DefaultMaxPriorityStreak, DefaultMaxPriorityStreak)
	}
}
