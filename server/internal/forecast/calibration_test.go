package forecast

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// TestCalibrationRoundTrip: what the model learned survives JSON, including
// calls no range could hold (an infinite width), and Restore keeps only
// what still applies.
func TestCalibrationRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	src := NewModel(nil)
	for i := range 60 {
		w := 0.2 + float64(i%7)/5
		if i%13 == 0 {
			w = math.Inf(1)
		}
		src.widths = append(src.widths, w)
	}
	src.widenBy = src.widen()
	src.breaks = []time.Duration{0, 3 * time.Minute, 0}
	src.csamples["q1|a"] = []time.Duration{4 * time.Minute, 6 * time.Minute}
	src.pausedAt["q1"], src.pausedAt["q2"] = at, at
	src.atIssue["t1"] = issuedRange{log: [2]float64{6, 0.4}, at: at}
	src.atIssue["t2"] = issuedRange{log: [2]float64{6, 0.4}, at: at}
	b, err := json.Marshal(src.Calibration())
	if err != nil {
		t.Fatal(err)
	}
	var k Calibration
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	// The restarted model: q1 still paused, q2 open again; t1 still waits.
	dst := NewModel(nil)
	dst.Restore(k, func(id string) bool { return id == "q1" }, func(id string) bool { return id == "t1" })
	if len(dst.widths) != len(src.widths) || !math.IsInf(dst.widths[0], 1) || dst.widths[1] != src.widths[1] {
		t.Fatalf("widths %v", dst.widths[:3])
	}
	if dst.widenBy != src.widenBy || dst.widenBy == 1 {
		t.Fatalf("widen %v, was %v", dst.widenBy, src.widenBy)
	}
	if len(dst.breaks) != 3 || len(dst.csamples["q1|a"]) != 2 {
		t.Fatalf("breaks %v csamples %v", dst.breaks, dst.csamples)
	}
	if _, ok := dst.pausedAt["q2"]; ok || !dst.pausedAt["q1"].Equal(at) {
		t.Fatalf("pausedAt %v", dst.pausedAt)
	}
	if _, ok := dst.atIssue["t2"]; ok || dst.atIssue["t1"].log != src.atIssue["t1"].log {
		t.Fatalf("atIssue %v", dst.atIssue)
	}
}
