package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/civiq/civiq/server/protocol"
)

// fakeSource holds a stored history and a board at its last seq.
type fakeSource struct {
	mu    sync.Mutex
	evs   []protocol.Event
	first int64 // oldest kept seq
}

func (f *fakeSource) add(ev protocol.Event) {
	f.mu.Lock()
	f.evs = append(f.evs, ev)
	f.mu.Unlock()
}

func (f *fakeSource) Board() protocol.Board {
	f.mu.Lock()
	defer f.mu.Unlock()
	var seq int64
	if n := len(f.evs); n > 0 {
		seq = f.evs[n-1].Seq
	}
	return protocol.Board{Seq: seq, Epoch: "e1", Waiting: map[string]int{}}
}

func (f *fakeSource) Events(_ context.Context, after int64, limit int) ([]protocol.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []protocol.Event
	for _, ev := range f.evs {
		if ev.Seq > after && ev.Seq >= f.first && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (f *fakeSource) FirstSeq(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.evs) == 0 {
		return 0, nil
	}
	return max(f.first, f.evs[0].Seq), nil
}

func event(seq int64) protocol.Event {
	return protocol.Event{Seq: seq, Epoch: "e1", Type: protocol.EventTicketIssued, At: time.Unix(seq, 0),
		Data: json.RawMessage(fmt.Sprintf(`{"id":"t%d","code":"A%03d","service_id":"a","status":"waiting"}`, seq, seq))}
}

type rig struct {
	src *fakeSource
	hub *Hub
	srv *httptest.Server
}

func newRig(t *testing.T, opts Options) *rig {
	t.Helper()
	src := &fakeSource{}
	h := New(src, "e1", opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Request
		if v := r.URL.Query().Get("since"); v != "" {
			n, _ := strconv.ParseInt(v, 10, 64)
			req.Since = &n
		}
		req.Epoch = r.URL.Query().Get("epoch")
		h.Serve(w, r, req)
	}))
	r := &rig{src: src, hub: h, srv: srv}
	t.Cleanup(func() {
		srv.CloseClientConnections()
		h.Close()
		srv.Close()
	})
	return r
}

// publish stores and publishes events from..to.
func (r *rig) publish(from, to int64) {
	var evs []protocol.Event
	for s := from; s <= to; s++ {
		ev := event(s)
		r.src.add(ev)
		evs = append(evs, ev)
	}
	r.hub.Publish(evs)
}

func (r *rig) dial(t *testing.T, query string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(r.srv.URL, "http")+"/?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) protocol.Event {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ev protocol.Event
	if err := c.ReadJSON(&ev); err != nil {
		t.Fatalf("read: %v", err)
	}
	return ev
}

func readSeqs(t *testing.T, c *websocket.Conn, n int) []int64 {
	t.Helper()
	var out []int64
	for range n {
		ev := read(t, c)
		if ev.Type == protocol.EventSnapshot {
			t.Fatalf("got a snapshot, want events (so far %v)", out)
		}
		out = append(out, ev.Seq)
	}
	return out
}

func seqRange(from, to int64) string {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return fmt.Sprint(s)
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSnapshotThenLive(t *testing.T) {
	r := newRig(t, Options{})
	r.publish(1, 3)
	c := r.dial(t, "")
	if ev := read(t, c); ev.Type != protocol.EventSnapshot || ev.Seq != 3 || ev.Epoch != "e1" {
		t.Fatalf("first message %+v", ev)
	}
	r.publish(4, 6)
	if got := fmt.Sprint(readSeqs(t, c, 3)); got != seqRange(4, 6) {
		t.Fatalf("live %s", got)
	}
}

func TestResumeFromRingAndStore(t *testing.T) {
	r := newRig(t, Options{RingSize: 4})
	r.publish(1, 20)
	// From the ring.
	c := r.dial(t, "since=17&epoch=e1")
	if got := fmt.Sprint(readSeqs(t, c, 3)); got != seqRange(18, 20) {
		t.Fatalf("from ring: %s", got)
	}
	// Older than the ring: from the store, then the ring, then live, no duplicates.
	c2 := r.dial(t, "since=2")
	if got := fmt.Sprint(readSeqs(t, c2, 18)); got != seqRange(3, 20) {
		t.Fatalf("from store: %s", got)
	}
	r.publish(21, 22)
	if got := fmt.Sprint(readSeqs(t, c2, 2)); got != seqRange(21, 22) {
		t.Fatalf("live after resume: %s", got)
	}
	// Up to date: nothing first, then live.
	c3 := r.dial(t, "since=22&epoch=e1")
	r.publish(23, 23)
	if got := fmt.Sprint(readSeqs(t, c3, 1)); got != "[23]" {
		t.Fatalf("up to date: %s", got)
	}
}

func TestSnapshotWhenHistoryGone(t *testing.T) {
	r := newRig(t, Options{RingSize: 4})
	r.publish(1, 20)
	r.src.mu.Lock()
	r.src.first = 10 // pruned
	r.src.mu.Unlock()
	for _, q := range []string{"since=2", "since=5&epoch=e1", "since=18&epoch=other", "since=99"} {
		c := r.dial(t, q)
		if ev := read(t, c); ev.Type != protocol.EventSnapshot || ev.Seq != 20 {
			t.Fatalf("%s: first message %s seq %d, want snapshot at 20", q, ev.Type, ev.Seq)
		}
	}
}

// TestSlowClientDoesNotDelayOthers: a client that never reads is
// disconnected once its queue is full; Publish never blocks and the others
// get every event.
func TestSlowClientDoesNotDelayOthers(t *testing.T) {
	r := newRig(t, Options{SendQueue: 8, WriteTimeout: time.Second})
	slow := r.dial(t, "") // never reads after this
	fast := r.dial(t, "")
	read(t, fast) // snapshot
	got := make(chan int64)
	go func() {
		defer close(got)
		for {
			fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			var ev protocol.Event
			if err := fast.ReadJSON(&ev); err != nil {
				t.Logf("fast client: %v", err)
				return
			}
			got <- ev.Seq
		}
	}()
	// Big events fill the slow client's socket buffers, then its queue. The
	// fast client keeps up, as real displays do between calls.
	pad := strings.Repeat("x", 64<<10)
	var seqs []int64
	for s := int64(1); s <= 300; s++ {
		ev := event(s)
		ev.Data = json.RawMessage(fmt.Sprintf(`{"id":"t%d","pad":%q}`, s, pad))
		r.src.add(ev)
		start := time.Now()
		r.hub.Publish([]protocol.Event{ev})
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("Publish blocked for %v", d)
		}
		seq, ok := <-got
		if !ok {
			t.Fatalf("fast client lost after %v", seqs)
		}
		seqs = append(seqs, seq)
	}
	if fmt.Sprint(seqs) != seqRange(1, 300) {
		t.Fatalf("fast client got %v", seqs)
	}
	if r.hub.Kicked() != 1 {
		t.Fatalf("kicked %d clients, want the slow one", r.hub.Kicked())
	}
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	var err error
	for err == nil {
		_, _, err = slow.ReadMessage()
	}
	if r.hub.Clients() != 1 {
		t.Fatalf("%d clients left, want 1", r.hub.Clients())
	}
}

// TestDeadPeerIsDetected: a client that stops answering pings is dropped.
func TestDeadPeerIsDetected(t *testing.T) {
	r := newRig(t, Options{PingInterval: 50 * time.Millisecond, PongWait: 200 * time.Millisecond})
	r.dial(t, "") // never reads, so never answers a ping
	deadline := time.Now().Add(5 * time.Second)
	for r.hub.Clients() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a condition, bounded
	}
	for r.hub.Clients() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("dead peer still registered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloseDisconnectsEveryone(t *testing.T) {
	r := newRig(t, Options{})
	var cs []*websocket.Conn
	for range 5 {
		c := r.dial(t, "")
		read(t, c)
		cs = append(cs, c)
	}
	r.hub.Close()
	for _, c := range cs {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("after Close: %v, want 1001 going away", err)
		}
	}
}
