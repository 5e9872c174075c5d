package hub

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TestCloseWaitsForDrops: a client kicked for being too slow is dropped on
// a goroutine of its own (the sender holds the client's lock); Close waits
// for that drop to finish, as it waits for readers and flushers.
func TestCloseWaitsForDrops(t *testing.T) {
	r := newRig(t, Options{SendQueue: 2, WriteTimeout: 5 * time.Second})
	r.dial(t, "") // never reads
	for deadline := time.Now().Add(5 * time.Second); r.hub.Clients() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the client did not register")
		}
	}
	// The drop of the slow client stops in its onDrop until released.
	entered, release := make(chan struct{}), make(chan struct{})
	r.hub.mu.Lock()
	for c := range r.hub.clients {
		c.onDrop = func() {
			close(entered)
			<-release
		}
	}
	r.hub.mu.Unlock()
	// Big events fill its socket, then its queue: it is kicked.
	pad := strings.Repeat("x", 256<<10)
	for s := int64(1); ; s++ {
		ev := event(s)
		ev.Data = json.RawMessage(fmt.Sprintf(`{"id":"t%d","pad":%q}`, s, pad))
		r.src.add(ev)
		r.hub.Publish([]protocol.Event{ev})
		if r.hub.Kicked() == 1 {
			break
		}
		if s > 2000 {
			t.Fatal("the slow client was never kicked")
		}
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the drop never ran")
	}
	closed := make(chan struct{})
	go func() {
		r.hub.Close()
		close(closed)
	}()
	select {
	case <-closed:
		close(release)
		t.Fatal("Close returned while a drop was still under way")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return once the drop finished")
	}
}
