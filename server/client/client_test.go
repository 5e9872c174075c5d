package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// collector subscribes and forwards events to a channel.
func collect(ctx context.Context, c *client.Client, opts client.SubscribeOptions) <-chan protocol.Event {
	ch := make(chan protocol.Event, 1000)
	go func() {
		c.Subscribe(ctx, opts, func(ev protocol.Event) error {
			ch <- ev
			return nil
		})
		close(ch)
	}()
	return ch
}

func next(t *testing.T, ch <-chan protocol.Event) protocol.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("subscription ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return protocol.Event{}
}

func quiet(t *testing.T, ch <-chan protocol.Event) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %s seq %d", ev.Type, ev.Seq)
	case <-time.After(300 * time.Millisecond):
	}
}

// makeCalls issues and calls n tickets at q1; each produces issued + called
// (+ done for the previous) events.
func makeCalls(t *testing.T, s *servertest.Server, clerk *client.Client, n int) {
	t.Helper()
	for range n {
		s.Issue("dat-dai", false)
		if _, err := clerk.Next(context.Background(), "q1"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResume: a subscriber disconnects, N calls happen, it reconnects with
// since: exactly the missed events, in order; then the same across a server
// restart.
func TestResume(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	display := s.Client(s.DeviceToken("display", "TV"))
	clerk := s.Client(s.ClerkToken("canbo1"))
	// Counters start closed (open means staffed): the clerk opens q1
	// first, so each call below makes only ticket events.
	if _, err := clerk.SetCounterStatus(context.Background(), "q1", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := collect(ctx, display, client.SubscribeOptions{})
	snap := next(t, ch)
	if snap.Type != protocol.EventSnapshot {
		t.Fatalf("first event %s", snap.Type)
	}
	makeCalls(t, s, clerk, 2)
	var last protocol.Event
	for range 5 { // issued, called, issued, done, called
		last = next(t, ch)
	}
	if last.Type != protocol.EventTicketCalled {
		t.Fatalf("last event %s", last.Type)
	}
	cancel()
	for range ch {
	}

	const n = 5
	seqBefore, _ := s.App.Engine.Seq()
	makeCalls(t, s, clerk, n)
	seqAfter, epoch := s.App.Engine.Seq()
	missed := int(seqAfter - seqBefore)
	if missed != 3*n {
		t.Fatalf("%d events for %d calls", missed, n)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	ch = collect(ctx, display, client.SubscribeOptions{Since: last.Seq, Epoch: epoch})
	var calls int
	for i := range missed {
		ev := next(t, ch)
		if ev.Seq != last.Seq+int64(i)+1 || ev.Type == protocol.EventSnapshot {
			t.Fatalf("event %d: %s seq %d, want seq %d", i, ev.Type, ev.Seq, last.Seq+int64(i)+1)
		}
		if ev.Type == protocol.EventTicketCalled {
			calls++
		}
	}
	if calls != n {
		t.Fatalf("%d calls among the missed events, want %d", calls, n)
	}
	quiet(t, ch)

	// Across a restart: the subscription reconnects by itself and resumes.
	lastSeq := seqAfter
	s.Restart()
	makeCalls(t, s, clerk, 2)
	for i := range 6 {
		ev := next(t, ch)
		if ev.Seq != lastSeq+1 || ev.Epoch != epoch || ev.Type == protocol.EventSnapshot {
			t.Fatalf("after restart event %d: %s seq %d epoch %s, want seq %d epoch %s", i, ev.Type, ev.Seq, ev.Epoch, lastSeq+1, epoch)
		}
		lastSeq = ev.Seq
	}
	quiet(t, ch)
}

// TestBoardFromEvents: a display that applies the events it receives keeps
// exactly the server's board.
func TestBoardFromEvents(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	display := s.Client(s.DeviceToken("display", "TV"))
	admin := s.Client(s.AdminToken())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := collect(ctx, display, client.SubscribeOptions{})
	var b protocol.Board
	var err error
	apply := func() {
		b, err = protocol.Apply(b, next(t, ch))
		if err != nil {
			t.Fatal(err)
		}
	}
	apply()
	svcs := []string{"dat-dai", "tu-phap-ho-tich", "xay-dung", "tra-ket-qua"}
	for i := range 12 {
		s.Issue(svcs[i%4], i%5 == 0)
	}
	steps := []func() (*protocol.Ticket, error){
		func() (*protocol.Ticket, error) { return admin.Next(ctx, "q1") },
		func() (*protocol.Ticket, error) { return admin.Next(ctx, "q2") },
		func() (*protocol.Ticket, error) { return admin.Recall(ctx, "q2") },
		func() (*protocol.Ticket, error) { return admin.Transfer(ctx, "q1", "tra-ket-qua") },
		func() (*protocol.Ticket, error) { return admin.Next(ctx, "q8") },
		func() (*protocol.Ticket, error) { return admin.Done(ctx, "q8") },
		func() (*protocol.Ticket, error) { return admin.Next(ctx, "q3") },
		func() (*protocol.Ticket, error) { return admin.NoShow(ctx, "q3") },
		func() (*protocol.Ticket, error) { return admin.Next(ctx, "q6") },
		func() (*protocol.Ticket, error) { return admin.Next(ctx, "q6") },
	}
	for i, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if _, err := admin.SetCounterStatus(ctx, "q5", protocol.CounterPaused); err != nil {
		t.Fatal(err)
	}
	want, err := display.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for b.Seq < want.Seq {
		apply()
	}
	if got, exp := fmt.Sprint(b.Waiting), fmt.Sprint(want.Waiting); got != exp {
		t.Fatalf("waiting %s, server %s", got, exp)
	}
	for i, cs := range want.Counters {
		g := b.Counters[i]
		if g.Counter.ID != cs.Counter.ID || g.Counter.Status != cs.Counter.Status || g.Counter.ServedToday != cs.Counter.ServedToday ||
			(g.Current == nil) != (cs.Current == nil) || g.Current != nil && g.Current.ID != cs.Current.ID {
			t.Fatalf("counter %s: reduced %+v current %v, server %+v current %v", cs.Counter.ID, g.Counter, g.Current, cs.Counter, cs.Current)
		}
	}
	if len(b.Recent) != len(want.Recent) || b.Recent[0].Ticket.ID != want.Recent[0].Ticket.ID || b.Recent[0].Recall != want.Recent[0].Recall {
		t.Fatalf("recent calls differ: %d vs %d", len(b.Recent), len(want.Recent))
	}
}

func TestClientErrors(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := s.Client(s.DeviceToken("kiosk", "k"))
	_, err := c.IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "nope"}, "")
	if !client.IsCode(err, protocol.CodeNotFound) || client.IsUnreachable(err) {
		t.Fatalf("unknown service: %v", err)
	}
	tk, err := c.IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "dat-dai"}, "same")
	if err != nil {
		t.Fatal(err)
	}
	tk2, err := c.IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "dat-dai"}, "same")
	if err != nil || tk2.ID != tk.ID {
		t.Fatalf("idempotent retry: %v %v", tk2.ID, err)
	}
	got, err := s.Client("").Ticket(context.Background(), tk.Token)
	if err != nil || got.ID != tk.ID {
		t.Fatalf("ticket by token: %v", err)
	}
	s.Stop()
	if _, err := c.Services(context.Background()); !client.IsUnreachable(err) {
		t.Fatalf("stopped server: %v, want unreachable", err)
	}
}
