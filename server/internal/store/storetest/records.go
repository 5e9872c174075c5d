package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// testLeases: offline blocks start above protocol.OfflineBase and never
// overlap, per field and day; leases round-trip and list by day.
func testLeases(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	seedConfig(t, s)
	var lasts []int
	update(t, s, func(tx queue.Tx) error {
		for _, k := range []struct {
			svc, day string
			n        int
		}{{"a", day, 10}, {"a", day, 5}, {"b", day, 3}, {"a", "2026-12-08", 2}} {
			last, err := tx.NextLeaseBlock(k.svc, k.day, k.n)
			if err != nil {
				return err
			}
			lasts = append(lasts, last-protocol.OfflineBase)
		}
		// The online numbering is separate.
		if n, err := tx.NextNumber("a", day); err != nil || n != 1 {
			return fmt.Errorf("online number after leases: %d, %v", n, err)
		}
		return nil
	})
	if fmt.Sprint(lasts) != "[10 15 3 2]" {
		t.Fatalf("lease blocks end at OfflineBase+%v, want [10 15 3 2]", lasts)
	}
	l1 := queue.LeaseRecord{ID: "l-1", Issuer: "kiosk-1", ServiceID: "a", Prefix: "A", Day: day, From: protocol.OfflineBase + 1, To: protocol.OfflineBase + 10,
		CreatedAt: t0, ExpiresAt: t0.Add(20 * time.Hour)}
	l0 := l1
	l0.ID, l0.Day = "l-0", "2026-12-06"
	l2 := l1
	l2.ID, l2.Day, l2.ServiceID = "l-2", "2026-12-08", "b"
	update(t, s, func(tx queue.Tx) error {
		for _, l := range []queue.LeaseRecord{l0, l1, l2} {
			if err := tx.InsertLease(l); err != nil {
				return err
			}
		}
		got, err := tx.Lease("l-1")
		if err != nil || got.Issuer != "kiosk-1" || got.From != l1.From || got.To != l1.To || got.Prefix != "A" || got.Day != day ||
			!got.CreatedAt.Equal(l1.CreatedAt) || !got.ExpiresAt.Equal(l1.ExpiresAt) {
			return fmt.Errorf("Lease = %+v, %v", got, err)
		}
		if _, err := tx.Lease("l-none"); !queue.IsNotFound(err) {
			return fmt.Errorf("unknown lease: %v", err)
		}
		return nil
	})
	_, err := s.Update(ctx, func(tx queue.Tx) error { return tx.InsertLease(l1) })
	wantCode(t, "second insert of a lease", err, protocol.CodeConflict)
	ls, err := s.LeasesFrom(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	slices.Sort(ids)
	if fmt.Sprint(ids) != "[l-1 l-2]" {
		t.Fatalf("LeasesFrom(%s) = %v, want [l-1 l-2]", day, ids)
	}
}

// done stores ticket id of field svc as finished (status) at counter at
// t0+min minutes.
func done(t testing.TB, s Backend, id, svc, counter, status string, n, min int) queue.TicketRecord {
	t.Helper()
	r := ticket(id, svc, n, 0, false)
	called, fin := t0.Add(time.Minute), t0.Add(time.Duration(min)*time.Minute)
	r.Status, r.CalledAt, r.FinishedAt, r.CounterID, r.ClerkID = status, &called, &fin, counter, "u-"+counter
	insert(t, s, r)
	return r
}

// testRatings: a ticket is rated once; ratings list by time, newest first,
// with their reasons; the last done ticket of a counter is found.
func testRatings(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	seedConfig(t, s)
	update(t, s, func(tx queue.Tx) error {
		if _, err := tx.LastDone("q1"); !queue.IsNotFound(err) {
			return fmt.Errorf("LastDone of a counter that finished nothing: %v", err)
		}
		return nil
	})
	if _, err := s.LastDoneAt(ctx, "q1"); !queue.IsNotFound(err) {
		t.Fatalf("LastDoneAt of a counter that finished nothing: %v", err)
	}
	done(t, s, "t-1", "a", "q1", protocol.StatusDone, 1, 10)
	done(t, s, "t-2", "a", "q1", protocol.StatusDone, 2, 20)
	done(t, s, "t-3", "a", "q1", protocol.StatusNoShow, 3, 30)
	done(t, s, "t-4", "b", "q2", protocol.StatusDone, 1, 40)
	update(t, s, func(tx queue.Tx) error {
		if got, err := tx.LastDone("q1"); err != nil || got.ID != "t-2" {
			return fmt.Errorf("LastDone(q1) = %s, %v; want t-2 (t-3 was a no-show)", got.ID, err)
		}
		return nil
	})
	if got, err := s.LastDoneAt(ctx, "q2"); err != nil || got.ID != "t-4" {
		t.Fatalf("LastDoneAt(q2) = %s, %v", got.ID, err)
	}
	r1 := protocol.Rating{TicketID: "t-1", Code: "A001", Day: day, ServiceID: "a", CounterID: "q1", ClerkID: "u-q1", Score: protocol.ScoreUnsatisfied,
		Comment: "chờ lâu quá", Reasons: []string{protocol.ReasonLongWait, protocol.ReasonAttitude}, Via: queue.ViaPhone, At: t0.Add(time.Hour)}
	r2 := protocol.Rating{TicketID: "t-2", Code: "A002", Day: day, ServiceID: "a", CounterID: "q1", ClerkID: "u-q1", Score: protocol.ScoreVerySatisfied,
		Via: queue.ViaCounter, At: t0.Add(2 * time.Hour)}
	update(t, s, func(tx queue.Tx) error {
		for _, r := range []protocol.Rating{r1, r2} {
			if err := tx.InsertRating(r); err != nil {
				return err
			}
		}
		if ok, err := tx.Rated("t-1"); err != nil || !ok {
			return fmt.Errorf("Rated(t-1) = %v, %v", ok, err)
		}
		if ok, err := tx.Rated("t-4"); err != nil || ok {
			return fmt.Errorf("Rated(t-4) = %v, %v", ok, err)
		}
		return nil
	})
	_, err := s.Update(ctx, func(tx queue.Tx) error { return tx.InsertRating(r1) })
	wantCode(t, "second rating of a ticket", err, protocol.CodeConflict)
	if ok, err := s.IsRated(ctx, "t-2"); err != nil || !ok {
		t.Fatalf("IsRated(t-2) = %v, %v", ok, err)
	}
	if ok, err := s.IsRated(ctx, "t-3"); err != nil || ok {
		t.Fatalf("IsRated(t-3) = %v, %v", ok, err)
	}
	rs, err := s.Ratings(ctx, t0, t0.Add(3*time.Hour), 10)
	if err != nil || len(rs) != 2 || rs[0].TicketID != "t-2" || rs[1].TicketID != "t-1" {
		t.Fatalf("Ratings = %+v, %v; want t-2, t-1", rs, err)
	}
	g := rs[1]
	if g.Score != r1.Score || g.Comment != r1.Comment || !slices.Equal(g.Reasons, r1.Reasons) || g.Via != r1.Via || !g.At.Equal(r1.At) ||
		g.Code != "A001" || g.Day != day || g.ServiceID != "a" || g.CounterID != "q1" || g.ClerkID != "u-q1" {
		t.Fatalf("rating read back %+v, want %+v", g, r1)
	}
	if len(rs[0].Reasons) != 0 {
		t.Fatalf("rating without reasons read back with %v", rs[0].Reasons)
	}
	// [from, to): to is excluded, and limit caps.
	if rs, err := s.Ratings(ctx, t0, t0.Add(2*time.Hour), 10); err != nil || len(rs) != 1 || rs[0].TicketID != "t-1" {
		t.Fatalf("Ratings before r2 = %+v, %v", rs, err)
	}
	if rs, err := s.Ratings(ctx, t0, t0.Add(3*time.Hour), 1); err != nil || len(rs) != 1 || rs[0].TicketID != "t-2" {
		t.Fatalf("Ratings limit 1 = %+v, %v", rs, err)
	}
}

// testVisits: a visit record is stored once per ticket and read back by
// ticket, by range and with the counter's finished tickets.
func testVisits(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	seedConfig(t, s)
	d1 := done(t, s, "t-1", "a", "q1", protocol.StatusDone, 1, 10)
	d2 := done(t, s, "t-2", "a", "q1", protocol.StatusDone, 2, 20)
	done(t, s, "t-3", "a", "q1", protocol.StatusNoShow, 3, 30)
	done(t, s, "t-4", "b", "q2", protocol.StatusDone, 1, 40)
	v1 := queue.Visit{TicketID: "t-1", Day: day, ServiceID: "a", CounterID: "q1", ClerkID: "u-q1", Outcome: protocol.OutcomeReceived,
		DossierCodes: []string{"000.00.01.H12-261207-0001", "X-2"}, Note: "thiếu bản sao", FinishedAt: *d1.FinishedAt}
	v2 := queue.Visit{TicketID: "t-2", Day: day, ServiceID: "a", CounterID: "q1", ClerkID: "u-q1", Note: "chỉ ghi chú", FinishedAt: *d2.FinishedAt}
	update(t, s, func(tx queue.Tx) error {
		for _, v := range []queue.Visit{v1, v2} {
			if err := tx.InsertVisit(v); err != nil {
				return err
			}
		}
		return nil
	})
	_, err := s.Update(ctx, func(tx queue.Tx) error { return tx.InsertVisit(v1) })
	wantCode(t, "second visit record of a ticket", err, protocol.CodeConflict)
	same := func(what string, got, want queue.Visit) {
		t.Helper()
		if !got.FinishedAt.Equal(want.FinishedAt) {
			t.Fatalf("%s finished at %v, want %v", what, got.FinishedAt, want.FinishedAt)
		}
		got.FinishedAt, want.FinishedAt = time.Time{}, time.Time{}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	got, err := s.VisitOf(ctx, "t-1")
	if err != nil {
		t.Fatal(err)
	}
	same("VisitOf(t-1)", got, v1)
	got, err = s.VisitOf(ctx, "t-2")
	if err != nil || got.DossierCodes != nil || got.Outcome != "" {
		t.Fatalf("VisitOf(t-2) = %+v, %v; want no outcome and nil codes", got, err)
	}
	same("VisitOf(t-2)", got, v2)
	if _, err := s.VisitOf(ctx, "t-4"); !queue.IsNotFound(err) {
		t.Fatalf("VisitOf a ticket without a record: %v", err)
	}
	vs, err := s.Visits(ctx, t0, t0.Add(20*time.Minute))
	if err != nil || len(vs) != 1 || vs[0].TicketID != "t-1" {
		t.Fatalf("Visits [t0, t0+20m) = %+v, %v; want t-1 only", vs, err)
	}
	vs, err = s.Visits(ctx, t0, t0.Add(time.Hour))
	if err != nil || len(vs) != 2 || vs[0].TicketID != "t-1" || vs[1].TicketID != "t-2" {
		t.Fatalf("Visits oldest first = %+v, %v", vs, err)
	}
	fin, err := s.FinishedAt(ctx, "q1", day, 10)
	if err != nil || len(fin) != 3 || fin[0].ID != "t-3" || fin[1].ID != "t-2" || fin[2].ID != "t-1" {
		t.Fatalf("FinishedAt(q1) = %+v, %v; want t-3, t-2, t-1", fin, err)
	}
	if fin[2].Outcome != v1.Outcome || !slices.Equal(fin[2].DossierCodes, v1.DossierCodes) || fin[2].Note != v1.Note || fin[1].Note != v2.Note || fin[0].Note != "" {
		t.Fatalf("FinishedAt carries the visit records: %+v", fin)
	}
	if fin, err := s.FinishedAt(ctx, "q1", day, 2); err != nil || len(fin) != 2 {
		t.Fatalf("FinishedAt limit 2 = %d tickets, %v", len(fin), err)
	}
	if fin, err := s.FinishedAt(ctx, "q1", "2026-12-08", 10); err != nil || len(fin) != 0 {
		t.Fatalf("FinishedAt of another day = %+v, %v", fin, err)
	}
}

// testDisruptions: disruptions open, end once and are listed by overlap.
func testDisruptions(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	seedConfig(t, s)
	d1 := protocol.Disruption{ID: "d-1", Cause: protocol.CausePower, CounterIDs: []string{}, Note: "mất điện", StartedAt: t0}
	d2 := protocol.Disruption{ID: "d-2", Cause: protocol.CauseNetwork, CounterIDs: []string{"q1", "q2"}, StartedAt: t0.Add(time.Hour)}
	end1 := t0.Add(30 * time.Minute)
	update(t, s, func(tx queue.Tx) error {
		for _, d := range []protocol.Disruption{d1, d2} {
			if err := tx.InsertDisruption(d, "admin"); err != nil {
				return err
			}
		}
		open, err := tx.OpenDisruptions()
		if err != nil || len(open) != 2 || open[0].ID != "d-1" || open[1].ID != "d-2" {
			return fmt.Errorf("OpenDisruptions = %+v, %v", open, err)
		}
		if err := tx.EndDisruption("d-1", end1, "admin"); err != nil {
			return err
		}
		got, err := tx.Disruption("d-1")
		if err != nil || got.EndedAt == nil || !got.EndedAt.Equal(end1) || got.Note != "mất điện" || got.Cause != protocol.CausePower ||
			got.CounterIDs == nil || len(got.CounterIDs) != 0 || !got.StartedAt.Equal(t0) {
			return fmt.Errorf("ended disruption = %+v, %v", got, err)
		}
		got, err = tx.Disruption("d-2")
		if err != nil || got.EndedAt != nil || !slices.Equal(got.CounterIDs, []string{"q1", "q2"}) {
			return fmt.Errorf("open disruption = %+v, %v", got, err)
		}
		if _, err := tx.Disruption("d-none"); !queue.IsNotFound(err) {
			return fmt.Errorf("unknown disruption: %v", err)
		}
		open, err = tx.OpenDisruptions()
		if err != nil || len(open) != 1 || open[0].ID != "d-2" {
			return fmt.Errorf("OpenDisruptions after an end = %+v, %v", open, err)
		}
		return nil
	})
	for _, id := range []string{"d-1", "d-none"} {
		_, err := s.Update(ctx, func(tx queue.Tx) error { return tx.EndDisruption(id, end1, "admin") })
		if !queue.IsNotFound(err) {
			t.Fatalf("EndDisruption(%s) of no open disruption: %v, want not found", id, err)
		}
	}
	for _, k := range []struct {
		from, to time.Duration
		want     string
	}{
		{-time.Hour, 0, "[]"},               // ends where d-1 starts
		{0, time.Minute, "[d-1]"},           // inside d-1
		{30 * time.Minute, time.Hour, "[]"}, // after d-1 ended, before d-2 started
		{10 * time.Minute, 2 * time.Hour, "[d-1 d-2]"},
		{48 * time.Hour, 49 * time.Hour, "[d-2]"}, // d-2 is still open
	} {
		ds, err := s.Disruptions(ctx, t0.Add(k.from), t0.Add(k.to))
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		if got := fmt.Sprint(ids); err != nil || (got != k.want && !(k.want == "[]" && len(ids) == 0)) {
			t.Fatalf("Disruptions(t0%+v, t0%+v) = %v, %v; want %s", k.from, k.to, ids, err, k.want)
		}
	}
	l, err := s.Load(ctx, day)
	if err != nil || len(l.Disruptions) != 1 || l.Disruptions[0].ID != "d-2" {
		t.Fatalf("Load.Disruptions = %+v, %v; want the open d-2", l.Disruptions, err)
	}
}

// testCalibration: the saved calibration replaces the previous one and
// survives a restart.
func testCalibration(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if data, seq, err := s.LoadCalibration(ctx); err != nil || data != nil || seq != 0 {
		t.Fatalf("LoadCalibration of a new store = %q, %d, %v; want nothing", data, seq, err)
	}
	if err := s.SaveCalibration(ctx, []byte(`{"v":1}`), 5, t0.Unix()); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCalibration(ctx, []byte(`{"v":2}`), 9, t0.Unix()+60); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	defer s.Close()
	if data, seq, err := s.LoadCalibration(ctx); err != nil || string(data) != `{"v":2}` || seq != 9 {
		t.Fatalf("LoadCalibration = %q, %d, %v; want the last save", data, seq, err)
	}
}
