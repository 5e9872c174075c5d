package hub

import (
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// TestCloseWhileClientsConnect: pages reconnect all the time, so handshakes
// finish while the server stops (http.Server.Shutdown does not wait for
// hijacked connections). Close must neither race with them (run with -race)
// nor leave a client registered after it returned.
func TestCloseWhileClientsConnect(t *testing.T) {
	r := newRig(t, Options{})
	r.publish(1, 3)
	url := "ws" + strings.TrimPrefix(r.srv.URL, "http") + "/?"
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			query := ""
			if i%2 == 1 {
				query = "since=1&epoch=e1" // the resume path
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, _, err := websocket.DefaultDialer.Dial(url+query, nil)
				if err == nil {
					c.Close()
				}
			}
		}()
	}
	// Let handshakes get going, then close in the middle of them.
	for r.hub.Clients() == 0 {
		runtime.Gosched()
	}
	r.hub.Close()
	close(stop)
	wg.Wait()
	if n := r.hub.Clients(); n != 0 {
		t.Errorf("%d clients registered after Close", n)
	}
}
