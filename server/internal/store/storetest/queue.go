package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/protocol"
)

// t0 is the suite's reference instant, whole seconds (stores keep at least
// microseconds).
var t0 = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

const day = "2026-12-07"

// update runs fn in one transaction and fails the test on an error.
func update(t testing.TB, s Backend, fn func(tx queue.Tx) error) []protocol.Event {
	t.Helper()
	evs, err := s.Update(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// seedConfig stores a centre, fields a and b and counters q1 (a, b) and q2 (b).
func seedConfig(t testing.TB, s Backend) {
	t.Helper()
	update(t, s, func(tx queue.Tx) error {
		if err := tx.PutCentre(protocol.Centre{Name: protocol.Text{Vi: "Trung tâm", En: "Centre"}, TimeZone: "Asia/Ho_Chi_Minh"}); err != nil {
			return err
		}
		for i, id := range []string{"b", "a"} {
			if err := tx.PutService(protocol.Service{ID: id, Prefix: string(rune('B' - i)), Name: protocol.Text{Vi: "Lĩnh vực " + id}, Enabled: true}); err != nil {
				return err
			}
		}
		for _, c := range []queue.CounterRecord{
			{Counter: protocol.Counter{ID: "q2", Number: 2, ServiceIDs: []string{"b"}, Status: protocol.CounterOpen}, RegularRun: 3},
			{Counter: protocol.Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a", "b"}, Status: protocol.CounterOpen}, PriorityStreak: 2, ServedDay: day},
		} {
			if err := tx.PutCounter(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// ticket is a waiting ticket of field svc, issued at t0+min minutes.
func ticket(id, svc string, n int, min int, prio bool) queue.TicketRecord {
	at := t0.Add(time.Duration(min) * time.Minute)
	return queue.TicketRecord{
		Ticket: protocol.Ticket{ID: id, Code: queue.FormatCode(string(rune('A'+svc[0]-'a')), n), Number: n, ServiceID: svc,
			Status: protocol.StatusWaiting, Priority: prio, IssuedAt: at, Day: day, Lang: "vi"},
		IssueServiceID: svc, TokenHash: queue.HashToken("token-" + id), IssuedBy: "kiosk-1",
	}
}

func insert(t testing.TB, s Backend, recs ...queue.TicketRecord) {
	t.Helper()
	update(t, s, func(tx queue.Tx) error {
		for _, r := range recs {
			if err := tx.InsertTicket(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantCode fails unless err carries the domain code.
func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if err == nil || queue.CodeOf(err) != code {
		t.Fatalf("%s: %v, want a %s error", what, err, code)
	}
}

// sameTime compares optional instants.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// sameTicket is nil when got equals want (times compared as instants).
func sameTicket(what string, got, want queue.TicketRecord) error {
	g, w := got, want
	if !g.IssuedAt.Equal(w.IssuedAt) || !sameTime(g.CalledAt, w.CalledAt) || !sameTime(g.FinishedAt, w.FinishedAt) ||
		!sameTime(g.ServiceStartedAt, w.ServiceStartedAt) || !sameTime(g.FirstCalledAt, w.FirstCalledAt) ||
		string(g.TokenHash) != string(w.TokenHash) {
		return fmt.Errorf("%s: times or token differ:\n got %+v\nwant %+v", what, g, w)
	}
	g.IssuedAt, w.IssuedAt = time.Time{}, time.Time{}
	g.CalledAt, g.FinishedAt, g.ServiceStartedAt, g.FirstCalledAt = nil, nil, nil, nil
	w.CalledAt, w.FinishedAt, w.ServiceStartedAt, w.FirstCalledAt = nil, nil, nil, nil
	g.TokenHash, w.TokenHash = nil, nil
	if (g.Booking == nil) != (w.Booking == nil) || g.Booking != nil && !sameBooking(*g.Booking, *w.Booking) {
		return fmt.Errorf("%s: booking got %+v, want %+v", what, g.Booking, w.Booking)
	}
	g.Booking, w.Booking = nil, nil
	if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", w) {
		return fmt.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
	return nil
}

func sameBooking(a, b protocol.TicketBooking) bool {
	return a.Code == b.Code && a.SlotStart.Equal(b.SlotStart) && a.WindowFrom.Equal(b.WindowFrom) && a.WindowTo.Equal(b.WindowTo)
}

// testCommit: what an update writes is read back by the next one, by Load
// and after a restart; its events get increasing seqs, the store's epoch,
// and reach the sink once.
func testCommit(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	var sunk []protocol.Event
	var mu sync.Mutex
	s.SetSink(func(evs []protocol.Event) { mu.Lock(); sunk = append(sunk, evs...); mu.Unlock() })
	seedConfig(t, s)
	evs := update(t, s, func(tx queue.Tx) error {
		if err := tx.AppendEvent("test.one", t0, map[string]int{"n": 1}); err != nil {
			return err
		}
		return tx.AppendEvent("test.two", t0.Add(time.Second), map[string]string{"s": "hai"})
	})
	if len(evs) != 2 || evs[0].Seq <= 0 || evs[1].Seq <= evs[0].Seq || evs[0].Type != "test.one" || evs[1].Epoch != s.Epoch() || s.Epoch() == "" {
		t.Fatalf("update events %+v (epoch %q)", evs, s.Epoch())
	}
	if string(evs[0].Data) != `{"n":1}` || !evs[1].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("event data %s at %v", evs[0].Data, evs[1].At)
	}
	mu.Lock()
	got := slices.Clone(sunk)
	mu.Unlock()
	if len(got) != 2 || got[0].Seq != evs[0].Seq || got[1].Seq != evs[1].Seq {
		t.Fatalf("sink got %+v after Update returned, want the update's 2 events", got)
	}
	var secret []byte
	update(t, s, func(tx queue.Tx) error {
		secret = slices.Clone(tx.Secret())
		if tx.Epoch() != s.Epoch() {
			return fmt.Errorf("tx epoch %q, store %q", tx.Epoch(), s.Epoch())
		}
		c, err := tx.Centre()
		if err != nil || c.Name.Vi != "Trung tâm" || c.TimeZone != "Asia/Ho_Chi_Minh" {
			return fmt.Errorf("centre %+v, %v", c, err)
		}
		svcs, err := tx.Services()
		if err != nil || len(svcs) != 2 || svcs[0].ID != "a" || svcs[1].ID != "b" || svcs[0].Prefix != "A" || !svcs[0].Enabled {
			return fmt.Errorf("services by id: %+v, %v", svcs, err)
		}
		ks, err := tx.Counters()
		if err != nil || len(ks) != 2 || ks[0].ID != "q1" || ks[1].ID != "q2" {
			return fmt.Errorf("counters by number: %+v, %v", ks, err)
		}
		k, err := tx.Counter("q1")
		if err != nil || k.PriorityStreak != 2 || k.ServedDay != day || !slices.Equal(k.ServiceIDs, []string{"a", "b"}) || k.Status != protocol.CounterOpen {
			return fmt.Errorf("counter q1 %+v, %v", k, err)
		}
		if k, err := tx.Counter("q2"); err != nil || k.RegularRun != 3 || k.PriorityStreak != 0 {
			return fmt.Errorf("counter q2 %+v, %v; want regular run 3 kept", k, err)
		}
		if _, err := tx.Service("zz"); !queue.IsNotFound(err) {
			return fmt.Errorf("unknown service: %v", err)
		}
		if _, err := tx.Counter("zz"); !queue.IsNotFound(err) {
			return fmt.Errorf("unknown counter: %v", err)
		}
		return nil
	})
	// A second counter with the same number is a conflict.
	_, err := s.Update(ctx, func(tx queue.Tx) error {
		return tx.PutCounter(queue.CounterRecord{Counter: protocol.Counter{ID: "q9", Number: 1}})
	})
	wantCode(t, "duplicate counter number", err, protocol.CodeConflict)
	if len(secret) < 16 {
		t.Fatalf("secret of %d bytes", len(secret))
	}
	l, err := s.Load(ctx, day)
	if err != nil || l.Seq != evs[1].Seq || l.Epoch != s.Epoch() || string(l.Secret) != string(secret) || l.Centre.Name.Vi != "Trung tâm" ||
		len(l.Services) != 2 || len(l.Counters) != 2 || l.ServedToday["q1"] != 0 {
		t.Fatalf("Load = %+v, %v", l, err)
	}
	epoch := s.Epoch()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t)
	defer s.Close()
	if s.Epoch() != epoch {
		t.Fatalf("epoch after restart %q, want %q", s.Epoch(), epoch)
	}
	update(t, s, func(tx queue.Tx) error {
		if string(tx.Secret()) != string(secret) {
			return errors.New("the secret changed across a restart")
		}
		return nil
	})
	after, err := s.Events(ctx, 0, 100)
	if err != nil || len(after) != 2 || after[0].Seq != evs[0].Seq || after[1].Type != "test.two" || string(after[1].Data) != `{"s":"hai"}` ||
		!after[1].At.Equal(t0.Add(time.Second)) || after[0].Epoch != epoch {
		t.Fatalf("events after restart %+v, %v", after, err)
	}
	more := update(t, s, func(tx queue.Tx) error { return tx.AppendEvent("test.three", t0, nil) })
	if len(more) != 1 || more[0].Seq <= evs[1].Seq {
		t.Fatalf("event after restart %+v, want seq after %d", more, evs[1].Seq)
	}
}

// testRollback: an update whose fn fails keeps nothing, returns fn's
// error and sends nothing to the sink.
func testRollback(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	var sunk int
	var mu sync.Mutex
	s.SetSink(func(evs []protocol.Event) { mu.Lock(); sunk += len(evs); mu.Unlock() })
	seedConfig(t, s)
	before := update(t, s, func(tx queue.Tx) error { return tx.AppendEvent("test.kept", t0, nil) })
	boom := errors.New("boom")
	_, err := s.Update(ctx, func(tx queue.Tx) error {
		if err := tx.PutService(protocol.Service{ID: "c", Prefix: "C"}); err != nil {
			return err
		}
		if err := tx.PutCentre(protocol.Centre{Name: protocol.Text{Vi: "Đổi tên"}}); err != nil {
			return err
		}
		if _, err := tx.NextNumber("a", day); err != nil {
			return err
		}
		if err := tx.InsertTicket(ticket("t-lost", "a", 1, 0, false)); err != nil {
			return err
		}
		if _, err := tx.NextLeaseBlock("a", day, 10); err != nil {
			return err
		}
		if err := tx.InsertDisruption(protocol.Disruption{ID: "d-lost", Cause: protocol.CausePower, CounterIDs: []string{}, StartedAt: t0}, "admin"); err != nil {
			return err
		}
		if err := tx.AppendEvent("test.lost", t0, nil); err != nil {
			return err
		}
		// Read-your-writes inside the transaction.
		if _, err := tx.Ticket("t-lost"); err != nil {
			return fmt.Errorf("own write not visible: %w", err)
		}
		return fmt.Errorf("fn failed: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	update(t, s, func(tx queue.Tx) error {
		if _, err := tx.Service("c"); !queue.IsNotFound(err) {
			return fmt.Errorf("rolled back service: %v", err)
		}
		if c, _ := tx.Centre(); c.Name.Vi != "Trung tâm" {
			return fmt.Errorf("rolled back centre: %+v", c)
		}
		if n, err := tx.IssuedCount("a", day); err != nil || n != 0 {
			return fmt.Errorf("rolled back number: %d, %v", n, err)
		}
		if n, err := tx.NextNumber("a", day); err != nil || n != 1 {
			return fmt.Errorf("first number after a rollback: %d, %v", n, err)
		}
		if _, err := tx.Ticket("t-lost"); !queue.IsNotFound(err) {
			return fmt.Errorf("rolled back ticket: %v", err)
		}
		if last, err := tx.NextLeaseBlock("a", day, 1); err != nil || last != protocol.OfflineBase+1 {
			return fmt.Errorf("first lease block after a rollback ends at %d, %v", last, err)
		}
		if _, err := tx.Disruption("d-lost"); !queue.IsNotFound(err) {
			return fmt.Errorf("rolled back disruption: %v", err)
		}
		return nil
	})
	evs, err := s.Events(ctx, 0, 100)
	if err != nil || len(evs) != 1 || evs[0].Type != "test.kept" {
		t.Fatalf("events after a rollback %+v, %v", evs, err)
	}
	mu.Lock()
	n := sunk
	mu.Unlock()
	if n != len(before) {
		t.Fatalf("sink got %d events, want %d", n, len(before))
	}
	next := update(t, s, func(tx queue.Tx) error { return tx.AppendEvent("test.next", t0, nil) })
	if next[0].Seq <= before[0].Seq {
		t.Fatalf("seq %d after %d", next[0].Seq, before[0].Seq)
	}
}

// testNumbering: numbers count from 1 per field and day, gap-free and
// unique under concurrent updates.
func testNumbering(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	seedConfig(t, s)
	var got []int
	update(t, s, func(tx queue.Tx) error {
		for _, k := range []struct{ svc, day string }{{"a", day}, {"a", day}, {"b", day}, {"a", "2026-12-08"}, {"a", day}} {
			n, err := tx.NextNumber(k.svc, k.day)
			if err != nil {
				return err
			}
			got = append(got, n)
		}
		return nil
	})
	if fmt.Sprint(got) != "[1 2 1 1 3]" {
		t.Fatalf("numbers %v, want [1 2 1 1 3]", got)
	}
	update(t, s, func(tx queue.Tx) error {
		for _, k := range []struct {
			svc, day string
			n        int
		}{{"a", day, 3}, {"b", day, 1}, {"a", "2026-12-08", 1}, {"b", "2026-12-08", 0}} {
			if n, err := tx.IssuedCount(k.svc, k.day); err != nil || n != k.n {
				return fmt.Errorf("IssuedCount(%s, %s) = %d, %v; want %d", k.svc, k.day, n, err, k.n)
			}
		}
		return nil
	})
	const workers = 40
	var wg sync.WaitGroup
	nums := make(chan int, workers)
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			_, err := s.Update(context.Background(), func(tx queue.Tx) error {
				n, err := tx.NextNumber("b", "2026-12-09")
				if err == nil {
					nums <- n
				}
				return err
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(nums)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var all []int
	for n := range nums {
		all = append(all, n)
	}
	slices.Sort(all)
	for i, n := range all {
		if n != i+1 {
			t.Fatalf("concurrent numbers %v are not 1..%d", all, workers)
		}
	}
	if len(all) != workers {
		t.Fatalf("%d numbers, want %d", len(all), workers)
	}
}

// testEventLog: concurrent updates' events reach the sink and the log
// exactly once, in strictly increasing seq order; Events pages; FirstSeq
// and PruneEvents keep the newest events.
func testEventLog(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	if first, err := s.FirstSeq(ctx); err != nil || first != 0 {
		t.Fatalf("FirstSeq of an empty log = %d, %v", first, err)
	}
	if evs, err := s.Events(ctx, 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("Events of an empty log = %+v, %v", evs, err)
	}
	var mu sync.Mutex
	var sunk []int64
	s.SetSink(func(evs []protocol.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			sunk = append(sunk, ev.Seq)
		}
	})
	const workers, each = 20, 3
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			// Old instants, so pruning by age below may take any of them.
			_, err := s.Update(ctx, func(tx queue.Tx) error {
				for i := range each {
					if err := tx.AppendEvent("test.event", t0.Add(-48*time.Hour), map[string]int{"w": w, "i": i}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.Events(ctx, 0, 1000)
	if err != nil || len(all) != workers*each {
		t.Fatalf("%d events, %v; want %d", len(all), err, workers*each)
	}
	mu.Lock()
	got := slices.Clone(sunk)
	mu.Unlock()
	if len(got) != len(all) {
		t.Fatalf("sink got %d events, log has %d", len(got), len(all))
	}
	for i, ev := range all {
		if i > 0 && ev.Seq <= all[i-1].Seq {
			t.Fatalf("log seq %d after %d", ev.Seq, all[i-1].Seq)
		}
		if got[i] != ev.Seq {
			t.Fatalf("sink event %d has seq %d, log %d (the sink must get commit order)", i, got[i], ev.Seq)
		}
	}
	if first, err := s.FirstSeq(ctx); err != nil || first != all[0].Seq {
		t.Fatalf("FirstSeq = %d, %v; want %d", first, err, all[0].Seq)
	}
	// Paging.
	var paged []protocol.Event
	for after := int64(0); ; {
		page, err := s.Events(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			t.Fatalf("page of %d events, limit 7", len(page))
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	if len(paged) != len(all) || paged[len(paged)-1].Seq != all[len(all)-1].Seq {
		t.Fatalf("paging read %d events, want %d", len(paged), len(all))
	}
	// One fresh event; then prune everything older than a day but the 10 newest.
	fresh := update(t, s, func(tx queue.Tx) error { return tx.AppendEvent("test.fresh", t0, nil) })
	n, err := s.PruneEvents(ctx, t0.Add(-24*time.Hour), 10)
	if err != nil || n != int64(len(all)-9) {
		t.Fatalf("PruneEvents = %d, %v; want %d", n, err, len(all)-9)
	}
	kept, err := s.Events(ctx, 0, 1000)
	if err != nil || len(kept) != 10 || kept[9].Seq != fresh[0].Seq || kept[0].Seq != all[len(all)-9].Seq {
		t.Fatalf("kept %d events, %v", len(kept), err)
	}
	if first, err := s.FirstSeq(ctx); err != nil || first != kept[0].Seq {
		t.Fatalf("FirstSeq after pruning = %d, %v; want %d", first, err, kept[0].Seq)
	}
	// Nothing younger than before is pruned, whatever keep says.
	if n, err := s.PruneEvents(ctx, t0.Add(-time.Hour), 0); err != nil || n != 9 {
		t.Fatalf("second prune = %d, %v; want 9", n, err)
	}
	// Seqs are never reused, even once pruned.
	next := update(t, s, func(tx queue.Tx) error { return tx.AppendEvent("test.next", t0, nil) })
	if next[0].Seq <= fresh[0].Seq {
		t.Fatalf("seq %d after %d", next[0].Seq, fresh[0].Seq)
	}
}

// testTickets: a ticket round-trips every field, and each lookup finds
// the ticket it names.
func testTickets(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	seedConfig(t, s)
	a1 := ticket("t-a1", "a", 1, 0, false)
	a1.IdemKey = "idem-1"
	a2 := ticket("t-a2", "a", 2, 1, false)
	a3 := ticket("t-a3", "a", 3, 1, false) // same instant as a2: ties by id
	ap := ticket("t-ap", "a", 4, 2, true)
	b1 := ticket("t-b1", "b", 1, 0, false)
	old := ticket("t-old", "a", 9, -24*60, false)
	old.Day = "2026-12-06"
	insert(t, s, a1, a2, a3, ap, b1, old)
	// A failed write fails the update: the conflict is fn's error.
	_, err := s.Update(ctx, func(tx queue.Tx) error { return tx.InsertTicket(a1) })
	wantCode(t, "second insert of a ticket", err, protocol.CodeConflict)
	called := t0.Add(5 * time.Minute)
	b1c := b1
	b1c.Status, b1c.CalledAt, b1c.ServiceStartedAt, b1c.CounterID, b1c.ClerkID, b1c.Recalls = protocol.StatusCalled, &called, &called, "q2", "u-1", 1
	b1c.FirstCalledAt, b1c.FirstCounterID, b1c.FirstClerkID, b1c.FromServiceID, b1c.ServiceID = &called, "q2", "u-1", "a", "b"
	update(t, s, func(tx queue.Tx) error {
		if err := tx.UpdateTicket(b1c); err != nil {
			return err
		}
		if err := tx.UpdateTicket(ticket("t-none", "a", 1, 0, false)); !queue.IsNotFound(err) {
			return fmt.Errorf("update of an unknown ticket: %v", err)
		}
		got, err := tx.Ticket("t-a1")
		if err != nil {
			return err
		}
		if err := sameTicket("Ticket", got, a1); err != nil {
			return err
		}
		got, err = tx.Ticket("t-b1")
		if err != nil {
			return err
		}
		if err := sameTicket("updated ticket", got, b1c); err != nil {
			return err
		}
		if _, err := tx.Ticket("t-none"); !queue.IsNotFound(err) {
			return fmt.Errorf("unknown ticket: %v", err)
		}
		if got, err := tx.TicketByIdemKey("kiosk-1", "idem-1"); err != nil || got.ID != "t-a1" {
			return fmt.Errorf("TicketByIdemKey = %s, %v", got.ID, err)
		}
		if _, err := tx.TicketByIdemKey("kiosk-2", "idem-1"); !queue.IsNotFound(err) {
			return fmt.Errorf("idempotency key of another issuer: %v", err)
		}
		if got, err := tx.CurrentTicket("q2"); err != nil || got.ID != "t-b1" {
			return fmt.Errorf("CurrentTicket(q2) = %s, %v", got.ID, err)
		}
		if _, err := tx.CurrentTicket("q1"); !queue.IsNotFound(err) {
			return fmt.Errorf("CurrentTicket of an idle counter: %v", err)
		}
		if r, err := tx.ReadCall(queue.CallQuery{Counter: "q2", Day: day}); err != nil || r.Counter.ID != "q2" || r.Counter.RegularRun != 3 ||
			r.Current == nil || r.Current.ID != "t-b1" || r.Booked != nil || r.Oldest != nil {
			return fmt.Errorf("ReadCall(q2) = %+v, %v; want q2 with t-b1 and no candidates", r, err)
		}
		if r, err := tx.ReadCall(queue.CallQuery{Counter: "q1", Day: day}); err != nil || r.Counter.ID != "q1" || r.Current != nil {
			return fmt.Errorf("ReadCall of an idle counter = %+v, %v; want q1 and no ticket", r, err)
		}
		if _, err := tx.ReadCall(queue.CallQuery{Counter: "q9", Day: day}); !queue.IsNotFound(err) {
			return fmt.Errorf("ReadCall of an unknown counter: %v", err)
		}
		if r, err := tx.ReadCall(queue.CallQuery{Counter: "q2", Day: day, Booked: []string{"a", "b"}, Oldest: []queue.OldestQuery{
			{ServiceIDs: []string{"a", "b"}, Priority: true}, {ServiceIDs: []string{"b"}}, {ServiceIDs: []string{"a"}}}}); err != nil ||
			r.Current == nil || r.Current.ID != "t-b1" || len(r.Booked) != 0 || len(r.Oldest) != 3 ||
			r.Oldest[0] == nil || r.Oldest[0].ID != "t-ap" || r.Oldest[1] != nil || r.Oldest[2] == nil || r.Oldest[2].ID != "t-a1" {
			return fmt.Errorf("ReadCall(q2) with candidates = %+v, %v; want t-b1 current, t-ap, none and t-a1", r, err)
		}
		// CallCandidates answers what the reads one by one answer.
		if list, got, err := tx.CallCandidates(day, []string{"a", "b"}, []queue.OldestQuery{
			{ServiceIDs: []string{"a"}}, {ServiceIDs: []string{"a", "b"}, Priority: true}, {ServiceIDs: []string{"b"}}, {},
		}); err != nil || len(list) != 0 || len(got) != 4 || got[0] == nil || got[0].ID != "t-a1" ||
			got[1] == nil || got[1].ID != "t-ap" || got[2] != nil || got[3] != nil {
			return fmt.Errorf("CallCandidates = %v, %v, %v; want no booked ticket, t-a1, t-ap and none twice", list, got, err)
		}
		for _, k := range []struct {
			svcs []string
			prio bool
			want string
		}{{[]string{"a"}, false, "t-a1"}, {[]string{"a", "b"}, true, "t-ap"}, {[]string{"b"}, false, ""}, {nil, false, ""}} {
			got, err := tx.OldestWaiting(k.svcs, day, k.prio)
			if k.want == "" {
				if !queue.IsNotFound(err) {
					return fmt.Errorf("OldestWaiting(%v, %v) = %s, %v; want not found", k.svcs, k.prio, got.ID, err)
				}
				continue
			}
			if err != nil || got.ID != k.want {
				return fmt.Errorf("OldestWaiting(%v, %v) = %s, %v; want %s", k.svcs, k.prio, got.ID, err, k.want)
			}
		}
		// a1 leaves the queue: a2 and a3 were issued at the same instant, a2 first by id.
		a1d := a1
		a1d.Status = protocol.StatusDone
		if err := tx.UpdateTicket(a1d); err != nil {
			return err
		}
		if got, err := tx.OldestWaiting([]string{"a"}, day, false); err != nil || got.ID != "t-a2" {
			return fmt.Errorf("OldestWaiting after a1 = %s, %v; want t-a2", got.ID, err)
		}
		open, err := tx.OpenBefore(day)
		if err != nil || len(open) != 1 || open[0].ID != "t-old" {
			return fmt.Errorf("OpenBefore = %+v, %v", open, err)
		}
		if got, err := tx.TicketByNumber("a", day, 3); err != nil || got.ID != "t-a3" {
			return fmt.Errorf("TicketByNumber = %s, %v", got.ID, err)
		}
		if _, err := tx.TicketByNumber("b", day, 3); !queue.IsNotFound(err) {
			return fmt.Errorf("TicketByNumber of a free number: %v", err)
		}
		return nil
	})
	if got, err := s.TicketByTokenHash(ctx, queue.HashToken("token-t-a2")); err != nil || got.ID != "t-a2" {
		t.Fatalf("TicketByTokenHash = %s, %v", got.ID, err)
	}
	if _, err := s.TicketByTokenHash(ctx, queue.HashToken("nobody")); !queue.IsNotFound(err) {
		t.Fatalf("TicketByTokenHash of an unknown token: %v", err)
	}
	if id, err := s.TicketIDByCode(ctx, day, "A003"); err != nil || id != "t-a3" {
		t.Fatalf("TicketIDByCode = %s, %v", id, err)
	}
	update(t, s, func(tx queue.Tx) error {
		_, err := tx.NextNumber("a", day)
		return err
	})
	l, err := s.Load(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range l.Open {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	// Open: every ticket still waiting or called, of any day.
	if fmt.Sprint(ids) != "[t-a2 t-a3 t-ap t-b1 t-old]" {
		t.Fatalf("Load.Open = %v", ids)
	}
	if l.IssuedToday["a"] != 1 || l.IssuedToday["b"] != 0 {
		t.Fatalf("Load.IssuedToday = %v, want a:1 (numbers drawn with NextNumber)", l.IssuedToday)
	}
}

// testClosed: after Close an update fails with store.ErrClosed.
func testClosed(t *testing.T, open Opener) {
	s := open(t)
	seedConfig(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(context.Background(), func(tx queue.Tx) error { return nil })
	if !errors.Is(err, store.ErrClosed) || queue.CodeOf(err) != protocol.CodeUnavailable {
		t.Fatalf("Update after Close = %v, want store.ErrClosed", err)
	}
	if err := s.Health(context.Background()); queue.CodeOf(err) != protocol.CodeUnavailable {
		t.Fatalf("Health after Close = %v, want unavailable", err)
	}
	s = open(t)
	defer s.Close()
	if err := s.Health(context.Background()); err != nil {
		t.Fatalf("Health of an open store = %v", err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping = %v", err)
	}
}

// testBookings: a ticket's booking is written, updated and read back
// (Ticket, Load, after a restart); OldestWaiting never returns a booked
// ticket and WaitingBooked lists the waiting ones by issue time.
func testBookings(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	seedConfig(t, s)
	slot := t0.Add(90 * time.Minute)
	booked := func(id, svc string, n, min int, prio bool, code string) queue.TicketRecord {
		r := ticket(id, svc, n, min, prio)
		r.Booking = &protocol.TicketBooking{Code: code, SlotStart: slot, WindowFrom: slot.Add(-15 * time.Minute), WindowTo: slot.Add(10 * time.Minute)}
		return r
	}
	k1 := booked("t-k1", "a", 1, 5, false, "BK-0001")
	k2 := booked("t-k2", "b", 1, 2, true, "BK-0002")
	k3 := booked("t-k3", "a", 2, 3, false, "BK-0003")
	w1 := ticket("t-w1", "a", 3, 10, false)
	wp := ticket("t-wp", "a", 4, 11, true)
	insert(t, s, k1, k2, k3, w1, wp)
	k3d := k3
	k3d.Status = protocol.StatusCalled
	k3d.Booking = &protocol.TicketBooking{Code: "BK-0003", SlotStart: slot.Add(time.Hour), WindowFrom: slot.Add(45 * time.Minute), WindowTo: slot.Add(70 * time.Minute)}
	update(t, s, func(tx queue.Tx) error {
		if err := tx.UpdateTicket(k3d); err != nil {
			return err
		}
		for _, want := range []queue.TicketRecord{k1, k2, k3d, w1} {
			got, err := tx.Ticket(want.ID)
			if err != nil {
				return err
			}
			if err := sameTicket("booked ticket", got, want); err != nil {
				return err
			}
		}
		if got, err := tx.OldestWaiting([]string{"a", "b"}, day, false); err != nil || got.ID != "t-w1" {
			return fmt.Errorf("OldestWaiting regular = %s, %v; want the walk-in t-w1", got.ID, err)
		}
		if got, err := tx.OldestWaiting([]string{"a", "b"}, day, true); err != nil || got.ID != "t-wp" {
			return fmt.Errorf("OldestWaiting priority = %s, %v; want the walk-in t-wp", got.ID, err)
		}
		list, err := tx.WaitingBooked([]string{"a", "b"}, day)
		if err != nil {
			return err
		}
		var ids []string
		for _, r := range list {
			ids = append(ids, r.ID)
		}
		if fmt.Sprint(ids) != "[t-k2 t-k1]" {
			return fmt.Errorf("WaitingBooked = %v, want [t-k2 t-k1] (waiting only, by issue time)", ids)
		}
		if list[0].Booking == nil || list[0].Booking.Code != "BK-0002" {
			return fmt.Errorf("WaitingBooked booking = %+v", list[0].Booking)
		}
		if list, err := tx.WaitingBooked([]string{"b"}, "2026-12-08"); err != nil || len(list) != 0 {
			return fmt.Errorf("WaitingBooked of another day = %v, %v", list, err)
		}
		if list, err := tx.WaitingBooked(nil, day); err != nil || len(list) != 0 {
			return fmt.Errorf("WaitingBooked of no field = %v, %v", list, err)
		}
		both, got, err := tx.CallCandidates(day, []string{"a", "b"}, []queue.OldestQuery{
			{ServiceIDs: []string{"a", "b"}, Priority: true}, {ServiceIDs: []string{"a", "b"}}})
		if err != nil || len(both) != 2 || both[0].ID != "t-k2" || both[1].ID != "t-k1" || both[0].Booking == nil ||
			both[0].Booking.Code != "BK-0002" || len(got) != 2 || got[0] == nil || got[0].ID != "t-wp" || got[1] == nil || got[1].ID != "t-w1" {
			return fmt.Errorf("CallCandidates = %v, %v, %v; want [t-k2 t-k1], t-wp and t-w1", both, got, err)
		}
		return nil
	})
	s.Close()
	s = open(t)
	defer s.Close()
	l, err := s.Load(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range l.Open {
		for _, want := range []queue.TicketRecord{k1, k2, k3d, w1} {
			if r.ID == want.ID {
				n++
				if err := sameTicket("after a restart", r, want); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if n != 4 {
		t.Fatalf("Load.Open holds %d of the 4 tickets", n)
	}
}
