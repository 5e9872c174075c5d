package client_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// deadAddr is the URL of a loopback port nothing listens on: connecting is
// refused at once, as after kill -9 of the server that was there.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// counted is a reverse proxy in front of target that counts the POSTs it
// passes on.
func counted(t *testing.T, target string) (string, *atomic.Int64) {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	var posts atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &posts
}

// unavailable is an instance whose storage is gone: it reads every request
// and answers 503 unavailable, as the server does then.
func unavailable(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"`+protocol.CodeUnavailable+`","message":"storage is unavailable"}}`)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &n
}

// dropsAfterRequest reads a whole request and closes the connection without
// an answer: the request may have been carried out.
func dropsAfterRequest(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r, err := http.ReadRequest(bufio.NewReader(c))
				if err == nil {
					io.Copy(io.Discard, r.Body)
					n.Add(1)
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), &n
}

// TestFailoverREST: a client with several addresses moves on where that is
// safe and never repeats a write that may have reached a server.
func TestFailoverREST(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	kioskTok := s.DeviceToken("kiosk", "k")
	adminTok := s.AdminToken()
	live, posts := counted(t, s.URL)
	ctx := context.Background()
	multi := func(first, tok string) *client.Client {
		c, err := client.NewMulti([]string{first, live}, tok)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	issue := func(c *client.Client, key string) error {
		_, err := c.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai"}, key)
		return err
	}

	t.Run("connection refused: any request moves, and stays moved", func(t *testing.T) {
		c := multi(deadAddr(t), adminTok)
		if _, err := c.Board(ctx); err != nil {
			t.Fatalf("GET with the first address dead: %v", err)
		}
		if c.BaseURL() != live {
			t.Fatalf("in use %s, want %s", c.BaseURL(), live)
		}
		c = multi(deadAddr(t), adminTok)
		before := posts.Load()
		if err := issue(c, ""); err != nil {
			t.Fatalf("POST without a key with the first address refusing: %v", err)
		}
		if posts.Load() != before+1 {
			t.Fatalf("%d POSTs reached the live server, want 1", posts.Load()-before)
		}
	})

	t.Run("503: reads and keyed writes move, other writes do not", func(t *testing.T) {
		bad, hits := unavailable(t)
		if _, err := multi(bad, adminTok).Board(ctx); err != nil {
			t.Fatalf("GET: %v", err)
		}
		c := multi(bad, kioskTok)
		before := posts.Load()
		if err := issue(c, "key-503"); err != nil {
			t.Fatalf("issue with an idempotency key: %v", err)
		}
		if posts.Load() != before+1 {
			t.Fatal("the keyed issue did not reach the live server")
		}
		c = multi(bad, kioskTok)
		h, before := hits.Load(), posts.Load()
		err := issue(c, "")
		if !client.IsCode(err, protocol.CodeUnavailable) || !client.IsUnreachable(err) {
			t.Fatalf("issue without a key at a 503 instance: %v, want the 503", err)
		}
		if hits.Load() != h+1 || posts.Load() != before {
			t.Fatalf("the unkeyed issue was sent %d times to the 503 instance and %d to the live one, want 1 and 0", hits.Load()-h, posts.Load()-before)
		}
		if _, err := c.Next(ctx, "q1"); !client.IsCode(err, protocol.CodeUnavailable) || posts.Load() != before {
			t.Fatalf("a clerk's next at a 503 instance: %v, and it reached the live server", err)
		}
	})

	t.Run("connection lost after the request: only repeatable requests move", func(t *testing.T) {
		drop, got := dropsAfterRequest(t)
		before := posts.Load()
		if err := issue(multi(drop, kioskTok), ""); err == nil || !client.IsUnreachable(err) {
			t.Fatalf("unkeyed issue whose answer was lost: %v, want a network error", err)
		}
		if got.Load() != 1 || posts.Load() != before {
			t.Fatalf("unkeyed issue sent %d times to the dropping instance and %d to the live one, want 1 and 0", got.Load(), posts.Load()-before)
		}
		// The same key twice: the one ticket, even though the first try
		// may have been stored by the dropping instance's database.
		c := multi(drop, kioskTok)
		tk, err := c.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai"}, "key-drop")
		if err != nil {
			t.Fatalf("keyed issue: %v", err)
		}
		again, err := c.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai"}, "key-drop")
		if err != nil || again.ID != tk.ID {
			t.Fatalf("keyed retry: %v %v, want ticket %s", again.ID, err, tk.ID)
		}
		if _, err := multi(drop, adminTok).Counters(ctx); err != nil {
			t.Fatalf("GET: %v", err)
		}
	})

	t.Run("addresses validated", func(t *testing.T) {
		for _, bad := range [][]string{nil, {"ftp://x"}, {live, "10.0.0.2:8080"}} {
			if _, err := client.NewMulti(bad, ""); err == nil {
				t.Errorf("NewMulti(%q) accepted", bad)
			}
		}
		c, err := client.New(live+"/", "")
		if err != nil || len(c.Addresses()) != 1 || c.BaseURL() != live {
			t.Fatalf("New: %v %v", c, err)
		}
	})
}

// TestFailoverSubscribe: a subscription whose address dies moves to the
// next one and resumes there with since: every event once, in order, no
// new snapshot.
func TestFailoverSubscribe(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	host := s.URL[len("http://"):]
	a, b := servertest.NewInstance(t, host), servertest.NewInstance(t, host)
	display, err := client.NewMulti([]string{a.URL(), b.URL()}, s.DeviceToken("display", "TV"))
	if err != nil {
		t.Fatal(err)
	}
	clerk := s.Client(s.ClerkToken("canbo1"))
	if _, err := clerk.SetCounterStatus(context.Background(), "q1", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := collect(ctx, display, client.SubscribeOptions{})
	snap := next(t, ch)
	if snap.Type != protocol.EventSnapshot {
		t.Fatalf("first event %s", snap.Type)
	}
	last := snap.Seq
	makeCalls(t, s, clerk, 2)
	for range 5 {
		ev := next(t, ch)
		if ev.Seq != last+1 {
			t.Fatalf("%s seq %d, want %d", ev.Type, ev.Seq, last+1)
		}
		last = ev.Seq
	}
	a.Kill()
	makeCalls(t, s, clerk, 4) // while the display is away
	want, _ := s.App.Engine.Seq()
	for last < want {
		ev := next(t, ch)
		if ev.Type == protocol.EventSnapshot || ev.Seq != last+1 {
			t.Fatalf("after the failover: %s seq %d, want seq %d", ev.Type, ev.Seq, last+1)
		}
		last = ev.Seq
	}
	quiet(t, ch)
	if display.BaseURL() != b.URL() {
		t.Fatalf("subscription on %s, want %s", display.BaseURL(), b.URL())
	}
}
