package hub

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/protocol"
)

// TestFirstFramesGoFirst: an event published between a client's
// registration and the sending of its first frames (snapshot or missed
// events) reaches it after them, never before: a page or display folding
// the live event first would lose it under the snapshot.
func TestFirstFramesGoFirst(t *testing.T) {
	src := &fakeSource{}
	h := New(src, "e1", Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Serve's steps, with a Publish in the window between them.
		ws, err := h.up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := h.newClient(ws)
		h.mu.Lock()
		h.add(c)
		h.mu.Unlock()
		ev := event(1)
		src.add(ev)
		h.Publish([]protocol.Event{ev})
		snap, _ := json.Marshal(protocol.Board{Epoch: "e1", Waiting: map[string]int{}})
		e, _ := prepare(protocol.Event{Seq: 0, Epoch: "e1", Type: protocol.EventSnapshot, At: time.Now(), Data: snap})
		go h.reader(c)
		c.start([][]byte{e.frame})
	}))
	defer func() {
		srv.CloseClientConnections()
		h.Close()
		srv.Close()
	}()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if ev := read(t, ws); ev.Type != protocol.EventSnapshot {
		t.Fatalf("first message %s (seq %d), want the snapshot", ev.Type, ev.Seq)
	}
	if ev := read(t, ws); ev.Type != protocol.EventTicketIssued || ev.Seq != 1 {
		t.Fatalf("second message %s (seq %d), want the live event 1", ev.Type, ev.Seq)
	}
}
