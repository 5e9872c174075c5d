package webtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// balancer stands for a load balancer in front of server instances: it
// forwards TCP, notes the request line of every connection, and drop ends
// every open connection while it keeps accepting new ones — what the page
// sees when the instance behind its connection dies (nginx or HAProxy
// close the client side; the next connection goes to a live instance).
type balancer struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns []net.Conn
	lines []string
}

func newBalancer(t *testing.T, target string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, target: target}
	go b.serve()
	t.Cleanup(func() { ln.Close(); b.drop() })
	return b
}

func (b *balancer) URL() string { return "http://" + b.ln.Addr().String() }

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			r := bufio.NewReader(c)
			line, err := r.ReadString('\n')
			if err != nil {
				c.Close()
				return
			}
			s, err := net.Dial("tcp", b.target)
			if err != nil {
				c.Close()
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c, s)
			b.lines = append(b.lines, strings.TrimSpace(line))
			b.mu.Unlock()
			go func() {
				io.WriteString(s, line)
				io.Copy(s, r)
				s.Close()
			}()
			io.Copy(c, s)
			c.Close()
		}()
	}
}

// drop closes every connection open now.
func (b *balancer) drop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
	b.conns = nil
}

// wsLines are the request lines of the websocket connections so far.
func (b *balancer) wsLines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		if strings.HasPrefix(l, "GET /ws?") || strings.HasPrefix(l, "GET /ws ") {
			out = append(out, l)
		}
	}
	return out
}

// TestPageResumesThroughBalancer: the web hall display, opened through a
// load balancer, loses its websocket as when its instance dies; calls are
// made meanwhile. The page reconnects through the same address by itself
// with since and the epoch of the board it holds (no new snapshot), and
// shows every call it missed. The clerk console and the admin pages use
// the same connection code (static/staff/live.js).
func TestPageResumesThroughBalancer(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clerk := srv.Client(srv.ClerkToken("canbo1"))
	lb := newBalancer(t, strings.TrimPrefix(srv.URL, "http://"))
	p := newTab(t, srv)
	p.base = lb.URL()
	openDisplay(p)
	srv.Issue("dat-dai", false)
	tk, err := clerk.Next(ctx, "q1")
	if err != nil {
		t.Fatal(err)
	}
	waitHero(p, tk.Code, 1, 5*time.Second)
	seq, epoch := srv.App.Engine.Seq()
	p.wait(fmt.Sprintf(`civiqDisplay.board.seq === %d`, seq), "the page at the server's seq")
	before := len(lb.wsLines())

	lb.drop()
	var missed []string
	for range 3 {
		srv.Issue("dat-dai", false)
		tk, err := clerk.Next(ctx, "q1")
		if err != nil {
			t.Fatal(err)
		}
		missed = append(missed, tk.Code)
	}
	last, _ := srv.App.Engine.Seq()
	waitHero(p, missed[len(missed)-1], 1, 15*time.Second)
	p.wait(fmt.Sprintf(`civiqDisplay.board.seq === %d`, last), "the page at the server's seq after the reconnect")
	recent := eval[[]string](p, `civiqDisplay.board.recent.map(r => r.ticket.code)`)
	for _, code := range missed {
		if !slices.Contains(recent, code) {
			t.Errorf("missed call %s not on the page's board: recent %v", code, recent)
		}
	}
	lines := lb.wsLines()
	if len(lines) <= before {
		t.Fatalf("no new websocket through the balancer: %q", lines)
	}
	u, err := url.ParseRequestURI(strings.Fields(lines[before])[1])
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := strconv.ParseInt(u.Query().Get("since"), 10, 64); got != seq || u.Query().Get("epoch") != epoch {
		t.Fatalf("the page reconnected with %q, want since=%d and epoch=%s", lines[before], seq, epoch)
	}
}
