package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// testWaitSamples: the called tickets of a range of days, with the field
// they were issued for (not the one a transfer moved them to), their
// issue time and their wait to the first call (a recall or a transfer
// does not restart it); never-called tickets and other days are left out.
func testWaitSamples(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	seedConfig(t, s)
	ctx := context.Background()
	at := func(min int) *time.Time { v := t0.Add(time.Duration(min) * time.Minute); return &v }

	a := ticket("w1", "a", 1, 0, false) // waited 12 min, then recalled later
	a.Status, a.CalledAt, a.FirstCalledAt, a.CounterID, a.FirstCounterID = protocol.StatusCalled, at(20), at(12), "q1", "q1"
	b := ticket("w2", "a", 2, 5, false) // transferred to b after its first call at 8'
	b.ServiceID, b.FromServiceID, b.FirstCalledAt, b.FirstCounterID = "b", "a", at(8), "q1"
	c := ticket("w3", "b", 1, 1, false) // still waiting: no sample
	d := ticket("w4", "b", 2, 0, false) // called the moment it was issued
	d.Status, d.CalledAt, d.FirstCalledAt, d.CounterID = protocol.StatusCalled, at(0), at(0), "q2"
	old := ticket("w5", "a", 1, 0, false) // another day, outside the range
	old.Day, old.IssuedAt = "2026-11-30", t0.AddDate(0, 0, -7)
	old.FirstCalledAt = at(-7*24*60 + 3)
	insert(t, s, a, b, c, d, old)

	got, err := s.WaitSamples(ctx, day, day)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(x, y report.WaitSample) int { return x.Issued.Compare(y.Issued) })
	want := []report.WaitSample{
		{ServiceID: "a", Issued: t0, Wait: 12 * time.Minute},
		{ServiceID: "b", Issued: t0, Wait: 0},
		{ServiceID: "a", Issued: *at(5), Wait: 3 * time.Minute},
	}
	slices.SortStableFunc(want, func(x, y report.WaitSample) int { return x.Issued.Compare(y.Issued) })
	if len(got) != len(want) {
		t.Fatalf("got %d samples %+v, want %d", len(got), got, len(want))
	}
	// Two samples share t0: compare as sets of (field, issue, wait).
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g report.WaitSample) bool {
			return g.ServiceID == w.ServiceID && g.Issued.Equal(w.Issued) && g.Wait == w.Wait
		}) {
			t.Errorf("missing %+v in %+v", w, got)
		}
	}
	wide, err := s.WaitSamples(ctx, "2026-11-30", day)
	if err != nil || len(wide) != 4 {
		t.Fatalf("the wider range: %d samples, %v; want 4", len(wide), err)
	}
	none, err := s.WaitSamples(ctx, "2026-12-08", "2026-12-31")
	if err != nil || len(none) != 0 {
		t.Fatalf("a range without tickets: %+v, %v", none, err)
	}
}
