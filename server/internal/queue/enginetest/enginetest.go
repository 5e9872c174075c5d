// Package enginetest is the queue engine's behaviour suite: numbering,
// calling, restarts, midnight, idempotency, offline leases, staffing, visit
// records, disruptions and ratings, run through a real queue.Engine on a
// real store. Every queue.Store implementation (sqlite, postgres) runs it
// beside the storage contract suite (store/storetest).
package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// Backend is a store under test: what the engine needs, and Close.
type Backend interface {
	queue.Store
	Close() error
}

// Opener opens the same backing storage each time it is called; the suite
// closes the previous handle before reopening, to simulate a restart.
type Opener func(t *testing.T) Backend

// NewOpener returns a fresh storage (new database) and its opener.
type NewOpener func(t *testing.T) Opener

// Clock is a settable clock for tests.
type Clock = queue.ManualClock

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return queue.NewManualClock(t) }

// HCM is the default centre time zone.
func HCM(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// AllDay are opening hours covering every minute of every day.
func AllDay() protocol.Hours {
	h := protocol.Hours{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h[d] = []string{"00:00-24:00"}
	}
	return h
}

// Seed configures a small centre: fields a (A), b (B), c (C) and counters
// q1 (a, b), q2 (a), q3 (b, c), q4 (c, a).
func Seed(t testing.TB, e *queue.Engine) {
	ctx := context.Background()
	if _, err := e.PutCentre(ctx, protocol.Centre{Name: protocol.Text{Vi: "Trung tâm thử", En: "Test centre"}, TimeZone: "Asia/Ho_Chi_Minh", Hours: AllDay()}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"a", "b", "c"} {
		s := protocol.Service{ID: id, Prefix: string(rune('A' + i)), Name: protocol.Text{Vi: "Lĩnh vực " + id, En: "Field " + id}, Enabled: true, Order: i}
		if _, err := e.PutService(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for i, svcs := range [][]string{{"a", "b"}, {"a"}, {"b", "c"}, {"c", "a"}} {
		c := protocol.Counter{ID: fmt.Sprintf("q%d", i+1), Number: i + 1, Name: protocol.Text{Vi: fmt.Sprintf("Quầy %d", i+1)}, ServiceIDs: svcs, Status: protocol.CounterOpen}
		if _, err := e.PutCounter(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

func newEngine(t testing.TB, s queue.Store, clk queue.Clock) *queue.Engine {
	e := queue.New(s, clk, slog.New(slog.DiscardHandler), queue.Options{Location: HCM(t)})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// seeded opens a store with open and starts an engine on it with clock clk,
// seeded (Seed). The caller closes the store.
func seeded(t *testing.T, open Opener, clk queue.Clock) (Backend, *queue.Engine) {
	t.Helper()
	s := open(t)
	e := newEngine(t, s, clk)
	Seed(t, e)
	return s, e
}

// Run runs the engine's behaviour suite on the store newOpener makes.
func Run(t *testing.T, newOpener NewOpener) {
	t.Run("Numbering", func(t *testing.T) { testNumbering(t, newOpener(t)) })
	t.Run("ConcurrentIssueAndCall", func(t *testing.T) { testConcurrent(t, newOpener(t)) })
	t.Run("EventsSurviveRestart", func(t *testing.T) { testEventsRestart(t, newOpener(t)) })
	t.Run("MidnightReset", func(t *testing.T) { testMidnight(t, newOpener(t)) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newOpener(t)) })
	t.Run("RefusalsChangeNothing", func(t *testing.T) { testRefusals(t, newOpener(t)) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newOpener(t)) })
	t.Run("PriorityPolicy", func(t *testing.T) { testPriority(t, newOpener(t)) })
	t.Run("CounterFieldsChangedElsewhere", func(t *testing.T) { testFieldsChangedElsewhere(t, newOpener(t)) })
	runPriorityRules(t, newOpener)
	runLeases(t, newOpener)
	runStaffing(t, newOpener)
	runDataCapture(t, newOpener)
	runBookings(t, newOpener)
	runIDCap(t, newOpener)
}

func issue(t testing.TB, e *queue.Engine, svc string, prio bool) protocol.Ticket {
	t.Helper()
	r, err := e.Issue(context.Background(), "test", protocol.IssueRequest{ServiceID: svc, Priority: prio}, "")
	if err != nil {
		t.Fatalf("issue %s: %v", svc, err)
	}
	return r.Ticket
}

func testNumbering(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	var codes []string
	for _, svc := range []string{"a", "a", "b", "a", "c"} {
		codes = append(codes, issue(t, e, svc, false).Code)
	}
	want := []string{"A001", "A002", "B001", "A003", "C001"}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	if got := e.Services()[0].Waiting; got != 3 {
		t.Fatalf("waiting in a = %d, want 3", got)
	}
	if got := queue.FormatCode("A", 1000); got != "A1000" {
		t.Fatalf("FormatCode(1000) = %s", got)
	}
}

// testConcurrent: 200 concurrent issues across fields while 4 counters call
// concurrently: numbers unique and gap-free per field, every ticket called
// exactly once.
func testConcurrent(t *testing.T, open Opener) {
	s, e := seeded(t, open, queue.SystemClock{})
	defer s.Close()
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	issued := make(chan protocol.Ticket, n)
	errs := make(chan error, n+4)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: []string{"a", "b", "c"}[i%3], Priority: i%7 == 0}, "")
			if err != nil {
				errs <- err
				return
			}
			issued <- r.Ticket
		}()
	}
	var calledMu sync.Mutex
	called := map[string]string{}
	issuingDone := make(chan struct{})
	var cw sync.WaitGroup
	for c := 1; c <= 4; c++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			id := fmt.Sprintf("q%d", c)
			for {
				tk, err := e.Next(ctx, id, "clerk")
				if err != nil {
					errs <- err
					return
				}
				if tk == nil {
					select {
					case <-issuingDone:
						// Issuing finished: one more try catches the last tickets.
						tk, err = e.Next(ctx, id, "clerk")
						if err != nil {
							errs <- err
							return
						}
						if tk == nil {
							return
						}
					default:
						continue
					}
				}
				calledMu.Lock()
				if prev, dup := called[tk.ID]; dup {
					calledMu.Unlock()
					errs <- fmt.Errorf("ticket %s called at %s and %s", tk.Code, prev, id)
					return
				}
				called[tk.ID] = id
				calledMu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(issuingDone)
	cw.Wait()
	close(errs)
	close(issued)
	for err := range errs {
		t.Fatal(err)
	}
	per := map[string][]int{}
	count := 0
	for tk := range issued {
		count++
		per[tk.ServiceID] = append(per[tk.ServiceID], tk.Number)
		if _, ok := called[tk.ID]; !ok {
			t.Errorf("ticket %s never called", tk.Code)
		}
	}
	if count != n || len(called) != n {
		t.Fatalf("issued %d, called %d, want %d", count, len(called), n)
	}
	for svc, nums := range per {
		sort.Ints(nums)
		for i, v := range nums {
			if v != i+1 {
				t.Fatalf("field %s numbers %v are not 1..%d without gaps", svc, nums, len(nums))
			}
		}
	}
	// The event log agrees: every ticket called exactly once, seq strictly increasing.
	evs, err := s.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	var last int64
	for _, ev := range evs {
		if ev.Seq <= last {
			t.Fatalf("seq %d after %d", ev.Seq, last)
		}
		last = ev.Seq
		if ev.Type == protocol.EventTicketCalled {
			var c protocol.Call
			if err := json.Unmarshal(ev.Data, &c); err != nil {
				t.Fatal(err)
			}
			calls[c.Ticket.ID]++
		}
	}
	for id, k := range calls {
		if k != 1 {
			t.Fatalf("ticket %s has %d call events", id, k)
		}
	}
	if len(calls) != n {
		t.Fatalf("%d call events, want %d", len(calls), n)
	}
}

func testEventsRestart(t *testing.T, open Opener) {
	s, e := seeded(t, open, queue.SystemClock{})
	ctx := context.Background()
	tk := issue(t, e, "a", false)
	if _, err := e.Next(ctx, "q1", "clerk"); err != nil {
		t.Fatal(err)
	}
	seq, epoch := e.Seq()
	before, err := s.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(before)) != seq || before[len(before)-1].Seq != seq {
		t.Fatalf("%d events, last seq %d, engine seq %d", len(before), before[len(before)-1].Seq, seq)
	}
	board := e.Board()
	s.Close()

	s = open(t)
	defer s.Close()
	e = newEngine(t, s, queue.SystemClock{})
	seq2, epoch2 := e.Seq()
	if seq2 != seq || epoch2 != epoch {
		t.Fatalf("after restart seq/epoch %d/%s, want %d/%s", seq2, epoch2, seq, epoch)
	}

	after, err := s.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d events after restart, %d before", len(after), len(before))
	}
	for i := range after {
		if after[i].Seq != before[i].Seq || after[i].Type != before[i].Type || string(after[i].Data) != string(before[i].Data) || !after[i].At.Equal(before[i].At) {
			t.Fatalf("event %d differs after restart:\n%+v\n%+v", i, before[i], after[i])
		}
	}
	tail, err := s.Events(ctx, seq-1, 10)
	if err != nil || len(tail) != 1 || tail[0].Seq != seq {
		t.Fatalf("Events(after %d) = %v, %v", seq-1, tail, err)
	}
	board2 := e.Board()
	b1, _ := json.Marshal(board.Counters)
	b2, _ := json.Marshal(board2.Counters)
	if string(b1) != string(b2) {
		t.Fatalf("board counters differ after restart:\n%s\n%s", b1, b2)
	}
	cur, err := e.Counter("q1")
	if err != nil || cur.Current == nil || cur.Current.ID != tk.ID {
		t.Fatalf("q1 current after restart = %+v, %v", cur.Current, err)
	}
	// The reducer over the whole history reproduces the board.
	var rb protocol.Board
	for _, ev := range after {
		if rb, err = protocol.Apply(rb, ev); err != nil {
			t.Fatal(err)
		}
	}
	b3, _ := json.Marshal(rb.Counters)
	if string(b3) != string(b2) {
		t.Fatalf("reduced board differs from engine board:\n%s\n%s", b3, b2)
	}
	for id, n := range board2.Waiting {
		if rb.Waiting[id] != n {
			t.Fatalf("reduced waiting[%s] = %d, engine %d", id, rb.Waiting[id], n)
		}
	}
	// Next again: the ticket is done and nobody is left to call; the
	// counter's served count is stored all the same (it outlives a
	// restart).
	if next, err := e.Next(ctx, "q1", "clerk"); err != nil || next != nil {
		t.Fatalf("next with none waiting: %+v, %v", next, err)
	}
	s.Close()
	s = open(t)
	defer s.Close()
	e = newEngine(t, s, queue.SystemClock{})
	if cs, err := e.Counter("q1"); err != nil || cs.Counter.ServedToday != 1 || cs.Current != nil {
		t.Fatalf("q1 after the second restart: served %d, current %+v (%v); want 1 served, none current", cs.Counter.ServedToday, cs.Current, err)
	}
}

func testMidnight(t *testing.T, open Opener) {
	loc := HCM(t)
	clk := NewClock(time.Date(2026, 11, 28, 23, 58, 0, 0, loc))
	s, e := seeded(t, open, clk)
	defer s.Close()
	a1 := issue(t, e, "a", false)
	a2 := issue(t, e, "a", false)
	clk.Set(time.Date(2026, 11, 28, 23, 59, 59, 0, loc))
	a3 := issue(t, e, "a", false)
	if a1.Code != "A001" || a2.Code != "A002" || a3.Code != "A003" || a3.Day != "2026-11-28" {
		t.Fatalf("before midnight: %s %s %s (%s)", a1.Code, a2.Code, a3.Code, a3.Day)
	}
	clk.Set(time.Date(2026, 11, 29, 0, 0, 1, 0, loc))
	n1 := issue(t, e, "a", false)
	if n1.Code != "A001" || n1.Day != "2026-11-29" {
		t.Fatalf("after midnight: %s (%s), want A001 on 2026-11-29", n1.Code, n1.Day)
	}
	// Yesterday's tickets are not called today; housekeeping cancels them and
	// keeps them in history.
	if err := e.Housekeep(context.Background()); err != nil {
		t.Fatal(err)
	}
	tk, err := e.Next(context.Background(), "q1", "clerk")
	if err != nil || tk == nil || tk.ID != n1.ID {
		t.Fatalf("first call after midnight = %+v, %v; want today's A001", tk, err)
	}
	if w := e.Services()[0].Waiting; w != 0 {
		t.Fatalf("waiting after midnight = %d, want 0", w)
	}
	for _, old := range []protocol.Ticket{a1, a2, a3} {
		r, err := e.TicketByToken(context.Background(), tokenOf(t, s, e, old))
		if err != nil || r.Status != protocol.StatusCancelled {
			t.Fatalf("yesterday's %s = %+v, %v; want kept as cancelled", old.Code, r.Status, err)
		}
	}
	// Midnight in Ho Chi Minh City is 17:00 UTC: the time zone decides.
	clk.Set(time.Date(2026, 11, 29, 16, 59, 0, 0, time.UTC))
	if issue(t, e, "a", false).Day != "2026-11-29" {
		t.Fatal("16:59 UTC is still the 29th in Asia/Ho_Chi_Minh")
	}
	clk.Set(time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC))
	if tk := issue(t, e, "a", false); tk.Day != "2026-11-30" || tk.Code != "A001" {
		t.Fatalf("17:00 UTC: %s on %s, want A001 on 2026-11-30", tk.Code, tk.Day)
	}
}

// tokenOf finds a ticket's token by re-deriving it as the engine does.
func tokenOf(t testing.TB, s Backend, e *queue.Engine, tk protocol.Ticket) string {
	t.Helper()
	var secret []byte
	_, err := s.Update(context.Background(), func(tx queue.Tx) error { secret = tx.Secret(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return queue.TicketToken(secret, tk.ID)
}

func testIdempotency(t *testing.T, open Opener) {
	s, e := seeded(t, open, queue.SystemClock{})
	defer s.Close()
	ctx := context.Background()
	req := protocol.IssueRequest{ServiceID: "a"}
	r1, err := e.Issue(ctx, "kiosk-1", req, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := e.Seq()
	r2, err := e.Issue(ctx, "kiosk-1", req, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Ticket.ID != r1.Ticket.ID || r2.Token != r1.Token || !r2.Replayed {
		t.Fatalf("retry returned %s, want %s", r2.Ticket.Code, r1.Ticket.Code)
	}
	if s2, _ := e.Seq(); s2 != seq {
		t.Fatal("a replayed issue appended events")
	}
	// Same key from another kiosk is another ticket.
	r3, err := e.Issue(ctx, "kiosk-2", req, "key-1")
	if err != nil || r3.Ticket.ID == r1.Ticket.ID {
		t.Fatalf("other issuer with same key: %+v, %v", r3.Ticket, err)
	}
	// Same key, other request: conflict.
	if _, err := e.Issue(ctx, "kiosk-1", protocol.IssueRequest{ServiceID: "b"}, "key-1"); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("reused key for other field: %v, want conflict", err)
	}
}

func testRefusals(t *testing.T, open Opener) {
	loc := HCM(t)
	clk := NewClock(time.Date(2026, 11, 30, 12, 0, 0, 0, loc)) // a Monday, noon
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	svc := e.Services()[0]
	svc.DailyCap = 2
	svc.Hours = protocol.Hours{"mon": {"07:30-11:30", "13:30-17:00"}}
	if _, err := e.PutService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	seq, _ := e.Seq()
	if _, err := e.Issue(ctx, "k", protocol.IssueRequest{ServiceID: "a"}, ""); queue.CodeOf(err) != protocol.CodeOutsideHours {
		t.Fatalf("lunch break: %v, want outside_hours", err)
	}
	if s2, _ := e.Seq(); s2 != seq {
		t.Fatal("a refused issue appended events")
	}
	if sv := e.Services()[0]; sv.Open || sv.ClosedReason != protocol.ClosedOutsideHours {
		t.Fatalf("service during lunch: open=%v reason=%q", sv.Open, sv.ClosedReason)
	}
	clk.Set(time.Date(2026, 11, 30, 14, 0, 0, 0, loc))
	issue(t, e, "a", false)
	issue(t, e, "a", false)
	if _, err := e.Issue(ctx, "k", protocol.IssueRequest{ServiceID: "a"}, ""); queue.CodeOf(err) != protocol.CodeDailyCapReached {
		t.Fatalf("third ticket with cap 2: %v, want daily_cap_reached", err)
	}
	if sv := e.Services()[0]; sv.Open || sv.ClosedReason != protocol.ClosedDailyCap {
		t.Fatalf("capped service: open=%v reason=%q", sv.Open, sv.ClosedReason)
	}
	// A refusal must not consume a number: raise the cap and the next is A003.
	svc.DailyCap = 0
	if _, err := e.PutService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if tk := issue(t, e, "a", false); tk.Code != "A003" {
		t.Fatalf("after a refusal got %s, want A003 (no gap)", tk.Code)
	}
	if _, err := e.Issue(ctx, "k", protocol.IssueRequest{ServiceID: "nope"}, ""); queue.CodeOf(err) != protocol.CodeNotFound {
		t.Fatalf("unknown service: %v", err)
	}
	svc.Enabled = false
	if _, err := e.PutService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Issue(ctx, "k", protocol.IssueRequest{ServiceID: "a"}, ""); queue.CodeOf(err) != protocol.CodeServiceClosed {
		t.Fatalf("disabled service: %v", err)
	}
	if _, err := e.Recall(ctx, "q2"); queue.CodeOf(err) != protocol.CodeNoCurrentTicket {
		t.Fatalf("recall with nothing called: %v", err)
	}
	if _, err := e.Next(ctx, "q99", "x"); queue.CodeOf(err) != protocol.CodeNotFound {
		t.Fatalf("unknown counter: %v", err)
	}
}

func testLifecycle(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	a1 := issue(t, e, "a", false)
	clk.Add(time.Minute)
	c1 := issue(t, e, "c", false)
	clk.Add(time.Minute)
	c2 := issue(t, e, "c", false)
	if c2.Ahead != 1 {
		t.Fatalf("C002 ahead = %d, want 1", c2.Ahead)
	}
	tk, err := e.Next(ctx, "q1", "clerk") // q1 serves a, b
	if err != nil || tk.ID != a1.ID || tk.Status != protocol.StatusCalled || tk.CounterID != "q1" || tk.CalledAt == nil {
		t.Fatalf("next at q1 = %+v, %v", tk, err)
	}
	clk.Add(3 * time.Minute)
	re, err := e.Recall(ctx, "q1")
	if err != nil || re.ID != a1.ID || re.Recalls != 1 {
		t.Fatalf("recall = %+v, %v", re, err)
	}
	// Transfer A001 to c: it keeps its issue time, so it goes before C001.
	tr, err := e.Transfer(ctx, "q1", "c")
	if err != nil || tr.Status != protocol.StatusWaiting || tr.ServiceID != "c" || tr.FromServiceID != "a" || tr.Code != "A001" {
		t.Fatalf("transfer = %+v, %v", tr, err)
	}
	if tr.Ahead != 0 {
		t.Fatalf("transferred ticket ahead = %d, want 0 (keeps its place)", tr.Ahead)
	}
	tk, err = e.Next(ctx, "q3", "clerk") // q3 serves b, c
	if err != nil || tk.ID != a1.ID {
		t.Fatalf("next at q3 = %+v, %v; want the transferred A001", tk, err)
	}
	clk.Add(5 * time.Minute)
	done, err := e.Done(ctx, "q3")
	if err != nil || done.Status != protocol.StatusDone || done.FinishedAt == nil {
		t.Fatalf("done = %+v, %v", done, err)
	}
	if cs, _ := e.Counter("q3"); cs.Current != nil || cs.Counter.ServedToday != 1 {
		t.Fatalf("q3 after done: current %+v served %d", cs.Current, cs.Counter.ServedToday)
	}
	tk, err = e.Next(ctx, "q3", "clerk")
	if err != nil || tk.ID != c1.ID {
		t.Fatalf("next = %+v, want C001", tk)
	}
	ns, err := e.NoShow(ctx, "q3")
	if err != nil || ns.Status != protocol.StatusNoShow {
		t.Fatalf("no-show = %+v, %v", ns, err)
	}
	// Next completes a ticket still called at the counter.
	tk, _ = e.Next(ctx, "q3", "clerk")
	if tk.ID != c2.ID {
		t.Fatalf("next = %s, want C002", tk.Code)
	}
	tk, err = e.Next(ctx, "q3", "clerk")
	if err != nil || tk != nil {
		t.Fatalf("next with nobody waiting = %+v, %v; want nil", tk, err)
	}
	got, err := e.TicketByToken(ctx, tokenOf(t, s, e, c2))
	if err != nil || got.Status != protocol.StatusDone {
		t.Fatalf("C002 after next = %s, %v; want done", got.Status, err)
	}
	// Pause and resume.
	c, err := e.SetCounterStatus(ctx, "q2", protocol.CounterPaused)
	if err != nil || c.Status != protocol.CounterPaused {
		t.Fatalf("pause: %+v %v", c, err)
	}
	if cs, _ := e.Counter("q2"); cs.Counter.Status != protocol.CounterPaused {
		t.Fatal("pause not in cache")
	}
	if _, err := e.SetCounterStatus(ctx, "q2", "sleeping"); queue.CodeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("bad status: %v", err)
	}
}

func testPriority(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	r1 := issue(t, e, "a", false)
	var prio []protocol.Ticket
	for range 5 {
		clk.Add(time.Minute)
		prio = append(prio, issue(t, e, "a", true))
	}
	if prio[0].Ahead != 0 || r1.Ahead != 0 {
		t.Fatalf("ahead at issue: %d %d", prio[0].Ahead, r1.Ahead)
	}
	var order []string
	for range 6 {
		tk, err := e.Next(ctx, "q2", "clerk")
		if err != nil || tk == nil {
			t.Fatal(err)
		}
		order = append(order, tk.Code)
	}
	// Three priority tickets, then the starving regular one, then priority again.
	want := "[A002 A003 A004 A001 A005 A006]"
	if fmt.Sprint(order) != want {
		t.Fatalf("call order %v, want %s", order, want)
	}
}

// testFieldsChangedElsewhere: a call reads the candidates of the fields
// the engine's cache has the counter serve together with the counter's
// row; when the row lists other fields (changed by another instance whose
// event has not arrived yet), the call is decided on the row's fields.
func testFieldsChangedElsewhere(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	issue(t, e, "a", false)
	clk.Add(time.Minute)
	c1 := issue(t, e, "c", false)
	// q2 serves a in the cache; its row now says c, with no event.
	if _, err := s.Update(ctx, func(tx queue.Tx) error {
		c, err := tx.Counter("q2")
		if err != nil {
			return err
		}
		c.ServiceIDs = []string{"c"}
		return tx.PutCounter(c)
	}); err != nil {
		t.Fatal(err)
	}
	tk, err := e.Next(ctx, "q2", "clerk")
	if err != nil || tk == nil || tk.ID != c1.ID {
		t.Fatalf("q2 called %+v, %v; want %s of field c, which its row lists", tk, err, c1.Code)
	}
}
