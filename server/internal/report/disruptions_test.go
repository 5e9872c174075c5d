package report

import (
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TestImpacts: a hand-computed day. Counter q1 serves field a, q2 field b.
// A centre-wide power cut 9:00–9:30 and a network fault at q1 from 10:00,
// still open at 10:20.
func TestImpacts(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, loc) }
	end := at(9, 30)
	ds := []protocol.Disruption{
		{ID: "centre", Cause: protocol.CausePower, CounterIDs: []string{}, StartedAt: at(9, 0), EndedAt: &end},
		{ID: "q1", Cause: protocol.CauseNetwork, CounterIDs: []string{"q1"}, StartedAt: at(10, 0)},
	}
	counters := []protocol.Counter{{ID: "q1", ServiceIDs: []string{"a"}}, {ID: "q2", ServiceIDs: []string{"b"}}}
	var never time.Time
	waits := []Waiting{
		{"a", at(9, 10), at(9, 20)},   // issued during the power cut, called during it: centre
		{"b", at(8, 50), at(8, 59)},   // called just before the power cut: none
		{"a", at(9, 50), at(10, 5)},   // called during the network fault: q1
		{"b", at(8, 30), never},       // never called, field b: centre (q1 serves a only)
		{"a", at(8, 0), never},        // never called, field a: centre and q1
		{"a", at(10, 15), never},      // issued during the open fault: q1
		{"a", at(9, 40), at(9, 45)},   // cancelled between the two: none
		{"b", at(9, 25), at(9, 30)},   // called the minute the power came back: centre
		{"a", at(9, 55), at(10, 0)},   // called the moment the fault began: none
		{"b", at(10, 30), never},      // issued after now (a late offline sync): not waiting yet
		{"a", at(10, 30), at(10, 40)}, // likewise
	}
	day := at(0, 0)
	for _, c := range []struct {
		name          string
		from, to, now time.Time
		minutes       [2]float64
		waiting       [2]int
	}{
		{"whole day", day, day.AddDate(0, 0, 1), at(10, 20), [2]float64{30, 20}, [2]int{4, 3}},
		{"range ends 10:10", day, at(10, 10), at(10, 20), [2]float64{30, 10}, [2]int{4, 3}},
		{"range from 9:20", at(9, 20), day.AddDate(0, 0, 1), at(10, 20), [2]float64{10, 20}, [2]int{4, 3}},
		{"now 10:12", day, day.AddDate(0, 0, 1), at(10, 12), [2]float64{30, 12}, [2]int{4, 2}},
	} {
		got := Impacts(ds, counters, waits, c.from, c.to, c.now)
		if len(got) != 2 {
			t.Fatalf("%s: %d impacts", c.name, len(got))
		}
		for i, im := range got {
			if im.ID != ds[i].ID || im.Minutes != c.minutes[i] || im.CitizensWaiting != c.waiting[i] {
				t.Errorf("%s: %s = %.2f min, %d waiting; want %.2f min, %d waiting", c.name, im.ID, im.Minutes, im.CitizensWaiting, c.minutes[i], c.waiting[i])
			}
		}
	}
	s, e := WaitingSpan(ds, at(10, 20))
	if !s.Equal(at(9, 0)) || !e.Equal(at(10, 20)) {
		t.Errorf("span %v–%v", s, e)
	}
}
