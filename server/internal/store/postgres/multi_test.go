package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// recorder is an engine publisher that keeps every event it is given.
type recorder struct {
	mu  sync.Mutex
	evs []protocol.Event
}

func (r *recorder) Publish(evs []protocol.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, evs...)
	r.mu.Unlock()
}

func (r *recorder) events() []protocol.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

func startEngine(t *testing.T, s queue.Store, clk queue.Clock) *queue.Engine {
	t.Helper()
	e := queue.New(s, clk, slog.New(slog.DiscardHandler), queue.Options{Location: enginetest.HCM(t)})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// instances are server instances on one database.
type instances struct {
	url     string            // the database
	clk     *enginetest.Clock // every engine's clock, at 9:00 on 28 November 2026 to start with
	stores  []*postgres.Store
	engines []*queue.Engine
}

// startInstances opens n stores on a new database of the test server, as n
// server instances would, each with an engine on one test clock. The first
// engine is seeded (enginetest.Seed, then more if not nil) before the next
// store opens. The stores close when the test ends.
func startInstances(t *testing.T, n int, opts postgres.Options, more func(*queue.Engine)) instances {
	t.Helper()
	in := instances{url: srv.Database(t), clk: enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))}
	for i := range n {
		s, err := postgres.Open(context.Background(), in.url, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		in.stores = append(in.stores, s)
		e := startEngine(t, s, in.clk)
		if i == 0 {
			enginetest.Seed(t, e)
			if more != nil {
				more(e)
			}
		}
		in.engines = append(in.engines, e)
	}
	return in
}

// TestInstancesShareOneDatabase: engines on separate stores (as separate
// server instances would be) on one database, 200 tickets issued
// concurrently over them while clerks at every counter call on each of
// them: numbers unique and gap-free per field, no ticket called twice,
// every ticket served, and every instance is handed the same events in the
// same gap-free seq order.
func TestInstancesShareOneDatabase(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) { testInstances(t, n) })
	}
}

func testInstances(t *testing.T, n int) {
	ctx := context.Background()
	// No poll within the test: only NOTIFY wakes an instance for the
	// events of the others.
	in := startInstances(t, n, postgres.Options{MaxConns: 8, PollEvery: time.Hour}, nil)
	engines := in.engines
	var recs []*recorder
	// The instances started before the seeding learn it from the events.
	converge(t, engines)
	start, _ := engines[0].Seq()
	for _, e := range engines {
		r := &recorder{}
		e.SetPublisher(r)
		recs = append(recs, r)
	}

	const tickets = 200
	counters := []string{"q1", "q2", "q3", "q4"}
	issued := make([]protocol.Ticket, tickets)
	var issuing sync.WaitGroup
	errs := make(chan error, tickets+64)
	for i := range tickets {
		issuing.Add(1)
		go func() {
			defer issuing.Done()
			e := engines[i%n]
			r, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: []string{"a", "b", "c"}[i%3], Priority: i%7 == 0}, "")
			if err != nil {
				errs <- fmt.Errorf("issue %d on instance %d: %w", i, i%n+1, err)
				return
			}
			issued[i] = r.Ticket
		}()
	}
	doneIssuing := make(chan struct{})
	go func() { issuing.Wait(); close(doneIssuing) }()
	var calling sync.WaitGroup
	callsBy := make([]int, n)
	var callsMu sync.Mutex
	for ei, e := range engines {
		for _, q := range counters {
			calling.Add(1)
			go func() {
				defer calling.Done()
				for {
					finished := false
					select {
					case <-doneIssuing:
						finished = true
					default:
					}
					tk, err := e.Next(ctx, q, fmt.Sprintf("clerk-%s-%d", q, ei))
					if err != nil {
						errs <- fmt.Errorf("next at %s on instance %d: %w", q, ei+1, err)
						return
					}
					if tk != nil {
						callsMu.Lock()
						callsBy[ei]++
						callsMu.Unlock()
					}
					// Once every ticket is issued, a call that finds none
					// means the queue is empty (and the current ticket done).
					if tk == nil && finished {
						return
					}
				}
			}()
		}
	}
	calling.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// Unique, gap-free numbers per field.
	numbers := map[string][]int{}
	codes := map[string]bool{}
	for _, tk := range issued {
		numbers[tk.ServiceID] = append(numbers[tk.ServiceID], tk.Number)
		if codes[tk.Code] {
			t.Errorf("code %s issued twice", tk.Code)
		}
		codes[tk.Code] = true
	}
	for svc, ns := range numbers {
		slices.Sort(ns)
		for i, x := range ns {
			if x != i+1 {
				t.Fatalf("field %s numbers are not 1..%d without gaps: %v", svc, len(ns), ns)
			}
		}
	}
	for i, c := range callsBy {
		t.Logf("instance %d called %d tickets", i+1, c)
	}
	// The last events of each instance reach the others through NOTIFY.
	converge(t, engines)
	// Every instance was handed the same events, in gap-free seq order.
	want := recs[0].events()
	for i, r := range recs {
		got := r.events()
		if len(got) != len(want) {
			t.Fatalf("instance %d got %d events, instance 1 %d", i+1, len(got), len(want))
		}
		for j, ev := range got {
			if ev.Seq != start+int64(j)+1 {
				t.Fatalf("instance %d: event %d has seq %d, want %d (gap or duplicate)", i+1, j, ev.Seq, start+int64(j)+1)
			}
			if ev.Type != want[j].Type || string(ev.Data) != string(want[j].Data) || !ev.At.Equal(want[j].At) || ev.At.Format(time.RFC3339Nano) != want[j].At.Format(time.RFC3339Nano) {
				t.Fatalf("instance %d: event seq %d differs from instance 1's:\n%s %s %s\n%s %s %s", i+1, ev.Seq,
					ev.Type, ev.At, ev.Data, want[j].Type, want[j].At, want[j].Data)
			}
		}
	}
	// Each ticket called exactly once, every one of them.
	called := map[string]int{}
	for _, ev := range want {
		if ev.Type == protocol.EventTicketCalled {
			var c protocol.Call
			if err := json.Unmarshal(ev.Data, &c); err != nil {
				t.Fatal(err)
			}
			called[c.Ticket.Code]++
		}
	}
	for code := range codes {
		if called[code] != 1 {
			t.Errorf("ticket %s called %d times", code, called[code])
		}
	}
	if len(called) != tickets {
		t.Errorf("%d tickets called, want %d", len(called), tickets)
	}
	// The caches agree: nobody waits, on any instance.
	for i, e := range engines {
		if w := e.Waiting([]string{"a", "b", "c"}); len(w) != 0 {
			t.Errorf("instance %d still shows %d waiting", i+1, len(w))
		}
	}
}

// converge waits until every engine has applied the same last event.
func converge(t *testing.T, engines []*queue.Engine) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		first, _ := engines[0].Seq()
		same := true
		for _, e := range engines[1:] {
			if s, _ := e.Seq(); s != first {
				same = false
			}
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			var seqs []int64
			for _, e := range engines {
				s, _ := e.Seq()
				seqs = append(seqs, s)
			}
			t.Fatalf("instances did not converge within 2 s: seqs %v", seqs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPollWithoutNotifications: an instance that hears no notification
// (they can be lost with a connection) still receives the other
// instance's events, through the periodic poll, in order.
func TestPollWithoutNotifications(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	s1 := open(t, url)
	defer s1.Close()
	e1 := startEngine(t, s1, clk)
	enginetest.Seed(t, e1)
	s2, err := postgres.OpenDeaf(ctx, url, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	e2 := startEngine(t, s2, clk)
	rec := &recorder{}
	start, _ := e2.Seq()
	e2.SetPublisher(rec)
	for range 5 {
		if _, err := e1.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "a"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	converge(t, []*queue.Engine{e1, e2})
	evs := rec.events()
	if len(evs) != 5 {
		t.Fatalf("the deaf instance got %d events, want 5", len(evs))
	}
	for i, ev := range evs {
		if ev.Seq != start+int64(i)+1 || ev.Type != protocol.EventTicketIssued {
			t.Fatalf("event %d: seq %d type %s", i, ev.Seq, ev.Type)
		}
	}
}
