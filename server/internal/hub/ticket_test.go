package hub

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/protocol"
)

// queueState is a tiny queue for the ticket hub: the estimates it serves
// change when the test says so, as the engine's do when events commit.
type queueState struct {
	mu    sync.Mutex
	est   map[string]Estimate
	calls int // Estimates calls, to see the coalescing
	dis   map[string][]protocol.Disruption
}

func (q *queueState) Estimates() map[string]Estimate {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	out := map[string]Estimate{}
	for k, v := range q.est {
		out[k] = v
	}
	return out
}

func (q *queueState) FieldCounts(f string) (int, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, e := range q.est {
		if e.ServiceID == f {
			n++
		}
	}
	return n, 1
}

func (q *queueState) ServiceName(f string) protocol.Text { return protocol.Text{Vi: f} }

func (q *queueState) Disruptions(f string) []protocol.Disruption {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dis[f]
}

func ticketEvent(t *testing.T, seq int64, typ string, v any) protocol.Event {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.Event{Seq: seq, Epoch: "e1", Type: typ, At: time.Now(), Data: b}
}

func TestTicketHub(t *testing.T) {
	q := &queueState{est: map[string]Estimate{"x": {ServiceID: "a"}, "y": {ServiceID: "a", Ahead: 1, ETASeconds: 300, ETALowSeconds: 120, ETAHighSeconds: 540}, "z": {ServiceID: "b"}}}
	th := NewTicketHub(q, "e1", TicketOptions{Coalesce: 50 * time.Millisecond, MaxPerTicket: 1})
	defer th.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/")
		e := q.Estimates()[id]
		_ = th.Subscribe(w, r, id, 0, func() (protocol.TicketView, error) {
			v := protocol.TicketView{Reason: protocol.ViewSnapshot, Ticket: protocol.Ticket{ID: id, ServiceID: e.ServiceID,
				Status: protocol.StatusWaiting, Ahead: e.Ahead, ETASeconds: e.ETASeconds}}
			v.Waiting, v.OpenCounters = q.FieldCounts(e.ServiceID)
			return v, nil
		})
	}))
	defer srv.Close()
	dial := func(id string) (<-chan protocol.TicketView, *websocket.Conn) {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/"+id, nil)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan protocol.TicketView, 16)
		go func() {
			defer close(ch)
			for {
				var ev protocol.Event
				if err := ws.ReadJSON(&ev); err != nil {
					return
				}
				var v protocol.TicketView
				json.Unmarshal(ev.Data, &v)
				ch <- v
			}
		}()
		return ch, ws
	}
	next := func(ch <-chan protocol.TicketView) protocol.TicketView {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-time.After(3 * time.Second):
			t.Fatal("no view")
		}
		return protocol.TicketView{}
	}
	none := func(ch <-chan protocol.TicketView) {
		t.Helper()
		select {
		case v := <-ch:
			t.Fatalf("unexpected view %+v", v)
		case <-time.After(300 * time.Millisecond):
		}
	}
	x, wx := dial("x")
	y, _ := dial("y")
	z, _ := dial("z")
	for _, c := range []struct {
		ch <-chan protocol.TicketView
		id string
	}{{x, "x"}, {y, "y"}, {z, "z"}} {
		if v := next(c.ch); v.Reason != protocol.ViewSnapshot || v.Ticket.ID != c.id {
			t.Fatalf("snapshot %+v", v)
		}
	}
	// A second phone on x is over the per-ticket limit.
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/x", nil); err == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second phone on x: %v", err)
	}

	// x is called: x hears it, y moves up (one coalesced pass for a burst), z hears nothing.
	q.mu.Lock()
	delete(q.est, "x")
	q.est["y"] = Estimate{ServiceID: "a", ETASeconds: 120, ETALowSeconds: 60, ETAHighSeconds: 240}
	before := q.calls
	q.mu.Unlock()
	call := protocol.Call{Ticket: protocol.Ticket{ID: "x", ServiceID: "a", Status: protocol.StatusCalled}, Counter: protocol.Counter{ID: "q1", Number: 5}}
	th.Publish([]protocol.Event{ticketEvent(t, 1, protocol.EventTicketCalled, call)})
	th.Publish([]protocol.Event{ticketEvent(t, 2, protocol.EventCounterUpdated, protocol.Counter{ID: "q1", ServiceIDs: []string{"a"}})})
	th.Publish([]protocol.Event{ticketEvent(t, 3, protocol.EventCounterUpdated, protocol.Counter{ID: "q2", ServiceIDs: []string{"a"}})})
	if v := next(x); v.Reason != protocol.ViewCalled || v.Counter == nil || v.Counter.Number != 5 {
		t.Fatalf("x: %+v", v)
	}
	if v := next(y); v.Reason != protocol.ViewQueue || v.Ticket.Ahead != 0 || v.Ticket.ID != "y" ||
		v.Ticket.ETASeconds != 120 || v.Ticket.ETALowSeconds != 60 || v.Ticket.ETAHighSeconds != 240 {
		t.Fatalf("y: %+v", v)
	}
	none(y)
	none(z)
	q.mu.Lock()
	passes := q.calls - before
	q.mu.Unlock()
	if passes > 2 {
		t.Fatalf("%d estimate passes for a burst of 3 events", passes)
	}
	// An unchanged estimate sends nothing.
	th.Publish([]protocol.Event{ticketEvent(t, 4, protocol.EventCounterUpdated, protocol.Counter{ID: "q1", ServiceIDs: []string{"a", "b"}})})
	none(y)
	none(z)
	// A phone that leaves is forgotten; Close ends the rest (goleak checks).
	wx.Close()
	for range x {
	}
	for deadline := time.Now().Add(3 * time.Second); th.Clients() != 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients after one left", th.Clients())
		}
	}
}
