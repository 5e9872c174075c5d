package hub

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/protocol"
)

// TestRevokeHandshakeRace: a client authenticated before a revocation whose
// handshake completes after it is refused; one authenticated after it (a
// new login) joins; Revoke with except spares the kept session.
func TestRevokeHandshakeRace(t *testing.T) {
	src := &fakeSource{}
	h := New(src, "e1", Options{})
	defer h.Close()
	var authAt time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := strings.Split(r.URL.Query().Get("keys"), ",")
		h.Serve(w, r, Request{Keys: keys, AuthAt: authAt})
	}))
	defer srv.Close()
	defer srv.CloseClientConnections()
	dial := func(keys string) (*websocket.Conn, error) {
		c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/?keys="+keys, nil)
		if err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err = c.ReadMessage() // the snapshot, or the close of a refused client
		return c, err
	}
	authAt = time.Now()
	h.Revoke("user:u1", "")
	if _, err := dial("token:a,user:u1"); err == nil {
		t.Fatal("a handshake authenticated before the revocation joined")
	}
	authAt = time.Now()
	c, err := dial("token:b,user:u1")
	if err != nil {
		t.Fatalf("a new login after the revocation: %v", err)
	}
	kept, err := dial("token:c,user:u1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := dial("token:d,user:u2")
	if err != nil {
		t.Fatal(err)
	}
	h.Revoke("user:u1", "token:c")
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("revoked client: %v", err)
	}
	if h.Clients() != 2 {
		t.Fatalf("%d clients left, want the kept session and the other user", h.Clients())
	}
	ev := event(1)
	src.add(ev)
	h.Publish([]protocol.Event{ev})
	for _, k := range []*websocket.Conn{kept, other} {
		if _, _, err := k.ReadMessage(); err != nil {
			t.Fatalf("spared client: %v", err)
		}
	}
}
