package sqlite_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/protocol"
)

// TestDataCaptureStorage: visit records, disruptions and rating reasons are
// stored by the write transaction, read back after a restart, and the
// overlap query returns exactly the disruptions touching the range.
func TestDataCaptureStorage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "civiq.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, enginetest.HCM(t))
	clk := enginetest.NewClock(t0)
	e := queue.New(s, clk, slog.New(slog.DiscardHandler), queue.Options{Location: enginetest.HCM(t)})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	enginetest.Seed(t, e)
	r, err := e.Issue(ctx, "test", protocol.IssueRequest{ServiceID: "a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	fin := t0.Add(10 * time.Minute)
	v := queue.Visit{TicketID: r.Ticket.ID, Day: "2026-12-01", ServiceID: "a", CounterID: "q1", ClerkID: "u1",
		Outcome: protocol.OutcomeReceived, DossierCodes: []string{"000.00.01.H12-261201-0001", "X-2"}, Note: "thiếu bản sao", FinishedAt: fin}
	end := t0.Add(40 * time.Minute)
	ds := []protocol.Disruption{
		{ID: "d1", Cause: protocol.CauseOneStopSoftware, CounterIDs: []string{}, StartedAt: t0.Add(5 * time.Minute)},
		{ID: "d2", Cause: protocol.CausePrinter, CounterIDs: []string{"q1", "q2"}, Note: "kẹt giấy", StartedAt: t0.Add(30 * time.Minute)},
		{ID: "d3", Cause: protocol.CausePower, CounterIDs: []string{}, StartedAt: t0.Add(2 * time.Hour)},
	}
	_, err = s.Update(ctx, func(tx queue.Tx) error {
		if err := tx.InsertVisit(v); err != nil {
			return err
		}
		for _, d := range ds {
			if err := tx.InsertDisruption(d, "admin"); err != nil {
				return err
			}
		}
		return tx.EndDisruption("d1", end, "admin")
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Update(ctx, func(tx queue.Tx) error { return tx.InsertVisit(v) })
	if queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("second visit record: %v, want conflict", err)
	}
	_, err = s.Update(ctx, func(tx queue.Tx) error { return tx.EndDisruption("d1", end, "admin") })
	if !queue.IsNotFound(err) {
		t.Fatalf("ending an ended disruption: %v, want not found", err)
	}
	s.Close()

	s = open()
	defer s.Close()
	got, err := s.VisitOf(ctx, r.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.FinishedAt, v.FinishedAt = got.FinishedAt.UTC(), v.FinishedAt.UTC()
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("visit read back %+v, want %+v", got, v)
	}
	if vs, err := s.Visits(ctx, fin, fin.Add(time.Second)); err != nil || len(vs) != 1 {
		t.Fatalf("visits in range: %v %v", vs, err)
	}
	if vs, err := s.Visits(ctx, fin.Add(time.Second), fin.Add(time.Hour)); err != nil || len(vs) != 0 {
		t.Fatalf("visits after: %v %v", vs, err)
	}
	ids := func(from, to time.Time) []string {
		got, err := s.Disruptions(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, d := range got {
			out = append(out, d.ID)
		}
		return out
	}
	for _, c := range []struct {
		from, to time.Duration
		want     []string
	}{
		{0, 5 * time.Minute, []string{}},                         // ends where d1 starts
		{0, 6 * time.Minute, []string{"d1"}},                     // d1 starts inside
		{40 * time.Minute, time.Hour, []string{"d2"}},            // d1 ended at 40'
		{39 * time.Minute, time.Hour, []string{"d1", "d2"}},      // both
		{3 * time.Hour, 4 * time.Hour, []string{"d2", "d3"}},     // open ones overlap later ranges
		{-time.Hour, 24 * time.Hour, []string{"d1", "d2", "d3"}}, // the whole day
	} {
		if got := ids(t0.Add(c.from), t0.Add(c.to)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("disruptions in [%v, %v): %v, want %v", c.from, c.to, got, c.want)
		}
	}
	all, _ := s.Disruptions(ctx, t0, t0.Add(24*time.Hour))
	if d := all[0]; d.EndedAt == nil || !d.EndedAt.Equal(end) || len(d.CounterIDs) != 0 || d.CounterIDs == nil {
		t.Errorf("d1 read back %+v", d)
	}
	if d := all[1]; d.EndedAt != nil || !reflect.DeepEqual(d.CounterIDs, []string{"q1", "q2"}) || d.Note != "kẹt giấy" {
		t.Errorf("d2 read back %+v", d)
	}
	l, err := s.Load(ctx, "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Disruptions) != 2 || l.Disruptions[0].ID != "d2" || l.Disruptions[1].ID != "d3" {
		t.Errorf("Load's open disruptions: %+v", l.Disruptions)
	}
}
