package issuer_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/servertest"
)

// instance forwards TCP to a server until kill: then its port refuses and
// its connections end, as when a server instance dies.
type instance struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newInstance(t *testing.T, target string) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			in.mu.Lock()
			in.conns = append(in.conns, c, s)
			in.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(in.kill)
	return in
}

func (in *instance) kill() {
	in.ln.Close()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, c := range in.conns {
		c.Close()
	}
	in.conns = nil
}

// TestIssueMovesToTheNextServer: a kiosk given two server addresses keeps
// issuing online when the one it used dies: the issue (which carries an
// idempotency key) goes to the next address; nothing is issued offline and
// no ticket twice.
func TestIssueMovesToTheNextServer(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	first := newInstance(t, srv.URL[len("http://"):])
	c, err := client.NewMulti([]string{"http://" + first.ln.Addr().String(), srv.URL}, srv.DeviceToken("kiosk", "Ki-ốt 1"))
	if err != nil {
		t.Fatal(err)
	}
	k := newKiosk(t, c, t.TempDir(), t.TempDir())
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := k.Issue(ctx, "dat-dai", false, "vi")
	if err != nil || r.Offline || r.Ticket.Code != "A001" {
		t.Fatalf("issue on the first address: %+v, %v", r, err)
	}
	first.kill()
	r, err = k.Issue(ctx, "dat-dai", false, "vi")
	if err != nil || r.Offline || r.Ticket.Code != "A002" {
		t.Fatalf("issue after the first address died: %+v, %v (want A002, online)", r, err)
	}
	if !k.State().Online {
		t.Fatal("the kiosk went offline though the second address answers")
	}
	if err := k.Step(ctx); err != nil || !k.State().Online {
		t.Fatalf("the kiosk's poll after the failover: %v, online %v", err, k.State().Online)
	}
	if w := srv.App.Engine.Waiting([]string{"dat-dai"}); len(w) != 2 {
		t.Fatalf("%d tickets waiting on the server, want 2", len(w))
	}
}
