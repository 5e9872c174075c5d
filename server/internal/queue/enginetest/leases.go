package enginetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// runLeases is the part of the contract suite for offline issuing.
func runLeases(t *testing.T, newOpener NewOpener) {
	t.Run("LeasesNeverOverlap", func(t *testing.T) { testLeaseConcurrent(t, newOpener(t)) })
	t.Run("SyncIdempotentAndOrdered", func(t *testing.T) { testSync(t, newOpener(t)) })
	t.Run("SyncValidation", func(t *testing.T) { testSyncValidation(t, newOpener(t)) })
	t.Run("OnlineRangeEndsBelowLeases", func(t *testing.T) { testOnlineRangeEnd(t, newOpener(t)) })
	t.Run("SyncCancelsReplacedOnlineTicket", func(t *testing.T) { testSyncReplaces(t, newOpener(t)) })
	t.Run("PendingTokens", func(t *testing.T) { testPendingTokens(t, newOpener(t)) })
}

func lease(t testing.TB, e *queue.Engine, issuer, svc, day string, n int) protocol.Lease {
	t.Helper()
	l, err := e.Lease(context.Background(), issuer, protocol.LeaseRequest{ServiceID: svc, Day: day, Count: n})
	if err != nil {
		t.Fatalf("lease %s for %s: %v", svc, issuer, err)
	}
	return l
}

// testLeaseConcurrent: kiosks leasing at the same time as online issuing
// get disjoint blocks above OfflineBase, and online numbers stay 1, 2, 3…
func testLeaseConcurrent(t *testing.T, open Opener) {
	s, e := seeded(t, open, queue.SystemClock{})
	defer s.Close()
	ctx := context.Background()
	const kiosks, rounds = 4, 10
	var mu sync.Mutex
	var leases []protocol.Lease
	var online []int
	var wg sync.WaitGroup
	errs := make(chan error, kiosks*rounds*2)
	for k := range kiosks {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range rounds {
				l, err := e.Lease(ctx, fmt.Sprintf("kiosk:%d", k), protocol.LeaseRequest{ServiceID: "a", Count: 5 + k})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				leases = append(leases, l)
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			for range rounds {
				r, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "a"}, "")
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				online = append(online, r.Ticket.Number)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int]string{}
	tokens := map[string]bool{}
	for _, l := range leases {
		if l.From <= protocol.OfflineBase || l.To < l.From || len(l.Tickets) != l.To-l.From+1 {
			t.Fatalf("bad lease %+v", l)
		}
		for _, tk := range l.Tickets {
			if other, dup := seen[tk.Number]; dup {
				t.Fatalf("number %d leased twice (%s and %s)", tk.Number, other, l.ID)
			}
			seen[tk.Number] = l.ID
			if tokens[tk.Token] || tk.Token == "" {
				t.Fatalf("token of %s repeated or empty", tk.Code)
			}
			tokens[tk.Token] = true
			if tk.Code != queue.FormatCode("A", tk.Number) {
				t.Fatalf("code %s for number %d", tk.Code, tk.Number)
			}
		}
	}
	// The blocks together are exactly OfflineBase+1 … OfflineBase+total.
	total := 0
	for k := range kiosks {
		total += rounds * (5 + k)
	}
	for n := protocol.OfflineBase + 1; n <= protocol.OfflineBase+total; n++ {
		if seen[n] == "" {
			t.Fatalf("number %d missing from the leased range", n)
		}
	}
	slices.Sort(online)
	for i, n := range online {
		if n != i+1 {
			t.Fatalf("online numbers %v are not 1…%d", online, len(online))
		}
	}
}

// testSync: offline tickets enter the queue by issue time, once, and their
// tokens (handed out with the lease) resolve to them.
func testSync(t *testing.T, open Opener) {
	s, clk, e := seededAt(t, open, 9)
	defer s.Close()
	loc := HCM(t)
	ctx := context.Background()
	l := lease(t, e, "kiosk:k1", "a", "", 3)
	// Online tickets at 9:00 and 9:20; offline ones at 9:10, 9:05 (priority) and 9:30.
	on1 := issue(t, e, "a", false)
	clk.Set(time.Date(2026, 11, 28, 9, 20, 0, 0, loc))
	on2 := issue(t, e, "a", false)
	clk.Set(time.Date(2026, 11, 28, 9, 40, 0, 0, loc))
	at := func(h, m int) time.Time { return time.Date(2026, 11, 28, h, m, 0, 0, loc) }
	batch := []protocol.OfflineTicket{
		{LeaseID: l.ID, Number: l.From + 1, IssuedAt: at(9, 10), Lang: "en"},
		{LeaseID: l.ID, Number: l.From, IssuedAt: at(9, 5), Priority: true},
		{LeaseID: l.ID, Number: l.From + 2, IssuedAt: at(9, 30)},
	}
	res, err := e.Sync(ctx, "kiosk:k1", batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Error != nil || r.Ticket == nil || r.Replayed {
			t.Fatalf("result %d: %+v", i, r)
		}
		if r.Number != batch[i].Number || !r.Ticket.Offline || r.Ticket.Number != batch[i].Number || r.Token != l.Tickets[r.Number-l.From].Token {
			t.Fatalf("result %d does not match its request or lease: %+v", i, r)
		}
		got, err := e.TicketByToken(ctx, l.Tickets[r.Number-l.From].Token)
		if err != nil || got.ID != r.Ticket.ID {
			t.Fatalf("leased token of %d: %+v, %v", r.Number, got, err)
		}
	}
	if res[0].Ticket.Lang != "en" || res[1].Ticket.Lang != "vi" {
		t.Fatalf("langs %s %s", res[0].Ticket.Lang, res[1].Ticket.Lang)
	}
	seq, _ := e.Seq()
	again, err := e.Sync(ctx, "kiosk:k1", batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Error != nil || !r.Replayed || r.Ticket.ID != res[i].Ticket.ID {
			t.Fatalf("re-sync %d: %+v", i, r)
		}
	}
	if s2, _ := e.Seq(); s2 != seq {
		t.Fatal("a re-sync appended events")
	}
	if w := e.Services()[0].Waiting; w != 5 {
		t.Fatalf("waiting %d, want 5", w)
	}
	// Call order: the priority ticket, then by issue time.
	want := []string{res[1].Ticket.Code, on1.Code, res[0].Ticket.Code, on2.Code, res[2].Ticket.Code}
	var got []string
	for range want {
		tk, err := e.Next(ctx, "q2", "clerk")
		if err != nil || tk == nil {
			t.Fatalf("next: %v, %v", tk, err)
		}
		got = append(got, tk.Code)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("called %v, want %v", got, want)
	}
	// The synced tickets survive a restart like any other.
	s.Close()
	s = open(t)
	e = newEngine(t, s, clk)
	if tk, err := e.TicketByToken(ctx, l.Tickets[0].Token); err != nil || !tk.Offline || tk.Code != l.Tickets[0].Code {
		t.Fatalf("after restart: %+v, %v", tk, err)
	}
	// A lease for tomorrow; its tickets are refused today (wrong day).
	tl := lease(t, e, "kiosk:k1", "a", "2026-11-29", 2)
	if tl.From != protocol.OfflineBase+1 || tl.Day != "2026-11-29" {
		t.Fatalf("tomorrow's lease %+v", tl)
	}
	r, err := e.Sync(ctx, "kiosk:k1", []protocol.OfflineTicket{{LeaseID: tl.ID, Number: tl.From, IssuedAt: at(9, 39)}})
	if err != nil || r[0].Error == nil || r[0].Error.Code != protocol.CodeUnprocessable {
		t.Fatalf("tomorrow's number today: %+v, %v", r, err)
	}
	s.Close()
}

// testSyncValidation: every bad offline ticket is refused with a code,
// changes nothing, and does not spoil the good ones of its batch.
func testSyncValidation(t *testing.T, open Opener) {
	s, _, e := seededAt(t, open, 10)
	defer s.Close()
	loc := HCM(t)
	ctx := context.Background()
	l := lease(t, e, "kiosk:k1", "b", "", 4)
	other := lease(t, e, "kiosk:k2", "b", "", 2)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 28, h, m, 0, 0, loc) }
	// Lease-request refusals first.
	for _, c := range []struct {
		name string
		req  protocol.LeaseRequest
		code string
	}{
		{"no service", protocol.LeaseRequest{Count: 5}, protocol.CodeBadRequest},
		{"unknown service", protocol.LeaseRequest{ServiceID: "zz", Count: 5}, protocol.CodeNotFound},
		{"zero count", protocol.LeaseRequest{ServiceID: "a"}, protocol.CodeBadRequest},
		{"huge count", protocol.LeaseRequest{ServiceID: "a", Count: queue.MaxLeaseCount + 1}, protocol.CodeBadRequest},
		{"bad day", protocol.LeaseRequest{ServiceID: "a", Count: 1, Day: "28/11/2026"}, protocol.CodeBadRequest},
		{"yesterday", protocol.LeaseRequest{ServiceID: "a", Count: 1, Day: "2026-11-27"}, protocol.CodeUnprocessable},
		{"in two days", protocol.LeaseRequest{ServiceID: "a", Count: 1, Day: "2026-11-30"}, protocol.CodeUnprocessable},
	} {
		if _, err := e.Lease(ctx, "kiosk:k1", c.req); queue.CodeOf(err) != c.code {
			t.Errorf("lease %s: %v, want %s", c.name, err, c.code)
		}
	}
	cases := []struct {
		name string
		tk   protocol.OfflineTicket
		code string
	}{
		{"unknown lease", protocol.OfflineTicket{LeaseID: "nope", Number: l.From, IssuedAt: at(9, 0)}, protocol.CodeNotFound},
		{"another kiosk's lease", protocol.OfflineTicket{LeaseID: other.ID, Number: other.From, IssuedAt: at(10, 0)}, protocol.CodeNotFound},
		{"number below lease", protocol.OfflineTicket{LeaseID: l.ID, Number: l.From - 1, IssuedAt: at(10, 0)}, protocol.CodeUnprocessable},
		{"number above lease", protocol.OfflineTicket{LeaseID: l.ID, Number: l.To + 1, IssuedAt: at(10, 0)}, protocol.CodeUnprocessable},
		{"online number", protocol.OfflineTicket{LeaseID: l.ID, Number: 1, IssuedAt: at(10, 0)}, protocol.CodeUnprocessable},
		{"no time", protocol.OfflineTicket{LeaseID: l.ID, Number: l.From}, protocol.CodeBadRequest},
		{"other day", protocol.OfflineTicket{LeaseID: l.ID, Number: l.From, IssuedAt: at(10, 0).AddDate(0, 0, -1)}, protocol.CodeUnprocessable},
		{"future", protocol.OfflineTicket{LeaseID: l.ID, Number: l.From, IssuedAt: at(10, 5)}, protocol.CodeUnprocessable},
		{"before the lease", protocol.OfflineTicket{LeaseID: l.ID, Number: l.From, IssuedAt: at(8, 0)}, protocol.CodeUnprocessable},
		{"bad lang", protocol.OfflineTicket{LeaseID: l.ID, Number: l.From, IssuedAt: at(10, 0), Lang: "fr"}, protocol.CodeBadRequest},
	}
	seq, _ := e.Seq()
	batch := []protocol.OfflineTicket{}
	for _, c := range cases {
		batch = append(batch, c.tk)
	}
	good := protocol.OfflineTicket{LeaseID: l.ID, Number: l.To, IssuedAt: at(10, 1)} // within the clock skew
	batch = append(batch, good)
	res, err := e.Sync(ctx, "kiosk:k1", batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if res[i].Error == nil || res[i].Error.Code != c.code || res[i].Ticket != nil {
			t.Errorf("%s: %+v, want %s", c.name, res[i], c.code)
		}
	}
	if r := res[len(cases)]; r.Error != nil || r.Ticket == nil {
		t.Fatalf("the good ticket of the batch: %+v", r)
	}
	if s2, _ := e.Seq(); s2 != seq+1 {
		t.Fatalf("seq %d → %d, want one event", seq, s2)
	}
	// The same number with other details is a conflict, not a second ticket.
	changed := good
	changed.Priority = true
	if r, err := e.Sync(ctx, "kiosk:k1", []protocol.OfflineTicket{changed}); err != nil || r[0].Error == nil || r[0].Error.Code != protocol.CodeConflict {
		t.Fatalf("changed re-sync: %+v, %v", r, err)
	}
	for _, n := range []int{0, queue.MaxSyncBatch + 1} {
		if _, err := e.Sync(ctx, "kiosk:k1", make([]protocol.OfflineTicket, n)); queue.CodeOf(err) != protocol.CodeBadRequest {
			t.Fatalf("batch of %d: %v", n, err)
		}
	}
	// Offline tickets are not subject to the online range: the 5000th
	// online ticket of a day would be refused rather than collide.
	if w := e.Services()[1].Waiting; w != 1 {
		t.Fatalf("waiting in b = %d, want 1", w)
	}
}

// testOnlineRangeEnd: online numbers stop at OfflineBase (refused as a
// daily cap) instead of running into leased numbers.
func testOnlineRangeEnd(t *testing.T, open Opener) {
	s, clk, e := seededAt(t, open, 9)
	defer s.Close()
	l := lease(t, e, "kiosk:k1", "a", "", 1)
	// Use up the online range in one transaction (5,000 issues would be slow).
	if _, err := s.Update(context.Background(), func(tx queue.Tx) error {
		for range protocol.OfflineBase - 1 {
			if _, err := tx.NextNumber("a", "2026-11-28"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if tk := issue(t, e, "a", false); tk.Number != protocol.OfflineBase {
		t.Fatalf("last online number %d", tk.Number)
	}
	if _, err := e.Issue(context.Background(), "k", protocol.IssueRequest{ServiceID: "a"}, ""); queue.CodeOf(err) != protocol.CodeDailyCapReached {
		t.Fatalf("online number past the range: %v", err)
	}
	res, err := e.Sync(context.Background(), "kiosk:k1", []protocol.OfflineTicket{{LeaseID: l.ID, Number: l.From, IssuedAt: clk.Now()}})
	if err != nil || res[0].Error != nil || res[0].Ticket.Number != protocol.OfflineBase+1 {
		t.Fatalf("leased number after the online range: %+v, %v", res, err)
	}
}

// testSyncReplaces: a kiosk timed out on an online issue that the server had
// stored, and printed an offline ticket instead; the sync of that offline
// ticket names the online request's Idempotency-Key and the stored ticket
// is cancelled, so the citizen queues once. Keys of another kiosk, of
// requests that never arrived and of tickets already called change nothing.
func testSyncReplaces(t *testing.T, open Opener) {
	s, clk, e := seededAt(t, open, 9)
	defer s.Close()
	ctx := context.Background()
	l := lease(t, e, "kiosk:k1", "a", "", 4)
	// A001 is called at once; A002 (k1) and A003 (k2) wait.
	called, err := e.Issue(ctx, "kiosk:k1", protocol.IssueRequest{ServiceID: "a"}, "key-called")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	ghost, err := e.Issue(ctx, "kiosk:k1", protocol.IssueRequest{ServiceID: "a"}, "key-ghost")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	other, err := e.Issue(ctx, "kiosk:k2", protocol.IssueRequest{ServiceID: "a"}, "key-other")
	if err != nil {
		t.Fatal(err)
	}
	if tk, err := e.Next(ctx, "q1", "clerk"); err != nil || tk == nil || tk.ID != called.Ticket.ID {
		t.Fatalf("next: %+v, %v", tk, err)
	}
	clk.Add(time.Minute)
	at := clk.Now()
	res, err := e.Sync(ctx, "kiosk:k1", []protocol.OfflineTicket{
		{LeaseID: l.ID, Number: l.From, IssuedAt: at, Replaces: "key-ghost"},
		{LeaseID: l.ID, Number: l.From + 1, IssuedAt: at, Replaces: "key-other"},  // k2's key: not k1's ticket
		{LeaseID: l.ID, Number: l.From + 2, IssuedAt: at, Replaces: "key-never"},  // never arrived
		{LeaseID: l.ID, Number: l.From + 3, IssuedAt: at, Replaces: "key-called"}, // already called
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Error != nil || r.Ticket == nil {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	status := func(id string) string {
		t.Helper()
		for _, w := range e.Waiting([]string{"a"}) {
			if w.ID == id {
				return w.Status
			}
		}
		return "not waiting"
	}
	if got := status(ghost.Ticket.ID); got != "not waiting" {
		t.Fatalf("the replaced online ticket is %s, want cancelled", got)
	}
	tk, err := e.TicketByToken(ctx, ghost.Token)
	if err != nil || tk.Status != protocol.StatusCancelled {
		t.Fatalf("replaced ticket: %+v, %v", tk, err)
	}
	if got := status(other.Ticket.ID); got != protocol.StatusWaiting {
		t.Fatalf("another kiosk's ticket is %s", got)
	}
	if tk, _ := e.TicketByToken(ctx, called.Token); tk.Status != protocol.StatusCalled {
		t.Fatalf("the called ticket became %s", tk.Status)
	}
	// A re-sync changes nothing more.
	seq, _ := e.Seq()
	if _, err := e.Sync(ctx, "kiosk:k1", []protocol.OfflineTicket{{LeaseID: l.ID, Number: l.From, IssuedAt: at, Replaces: "key-ghost"}}); err != nil {
		t.Fatal(err)
	}
	if s2, _ := e.Seq(); s2 != seq {
		t.Fatal("a re-sync appended events")
	}
	// A key too long is refused with the ticket.
	r, err := e.Sync(ctx, "kiosk:k1", []protocol.OfflineTicket{{LeaseID: l.ID, Number: l.From + 1, IssuedAt: at, Replaces: strings.Repeat("k", 201)}})
	if err != nil || r[0].Error == nil || r[0].Error.Code != protocol.CodeBadRequest {
		t.Fatalf("long replaces: %+v, %v", r, err)
	}
}

// seededAt opens a store, seeds it and starts an engine on a test clock set
// to h:00 on 28 November 2026 in Ho Chi Minh City.
func seededAt(t *testing.T, open Opener, h int) (Backend, *Clock, *queue.Engine) {
	clk := NewClock(time.Date(2026, 11, 28, h, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	return s, clk, e
}
