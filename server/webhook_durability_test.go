package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// flakyReceiver is a real webhook receiver on a fixed loopback port that
// can fail, hang past the sender's timeout, go down and come back.
type flakyReceiver struct {
	t      *testing.T
	addr   string
	secret string

	mu    sync.Mutex
	mode  string // "ok", "fail", "hang"
	got   []protocol.Event
	ids   map[int64]string
	bad   []string
	srv   *http.Server
	fails int
}

func (r *flakyReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	mode := r.mode
	r.mu.Unlock()
	switch mode {
	case "fail":
		r.mu.Lock()
		r.fails++
		r.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "hang": // longer than webhook.Timeout: the sender gives up
		select {
		case <-time.After(webhook.Timeout + 2*time.Second):
		case <-req.Context().Done():
		}
		r.mu.Lock()
		r.mode = "ok"
		r.mu.Unlock()
		return
	}
	var ev protocol.Event
	err := json.Unmarshal(b, &ev)
	r.mu.Lock()
	defer r.mu.Unlock()
	id := req.Header.Get("webhook-id")
	if err == nil {
		err = webhook.Verify(r.secret, id, req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), b, time.Now(), 5*time.Minute)
	}
	if err != nil {
		r.bad = append(r.bad, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if old, ok := r.ids[ev.Seq]; ok && old != id {
		r.bad = append(r.bad, "event "+id+" came again with another webhook-id "+old)
	}
	r.ids[ev.Seq] = id
	r.got = append(r.got, ev)
	w.WriteHeader(http.StatusOK)
}

func (r *flakyReceiver) up() {
	r.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond) // the port may linger a moment after down()
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(ln)
}

func (r *flakyReceiver) down() { r.srv.Close() }

func (r *flakyReceiver) setMode(m string) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// TestWebhookKill9: a receiver that fails, times out and is down while the
// server is killed with kill -9 still gets every event, in seq order, each
// with a valid signature and one webhook-id however often it was sent.
func TestWebhookKill9(t *testing.T) {
	bin := buildServer(t)
	data := t.TempDir()
	env := []string{"CIVIQ_ADMIN_PASSWORD=" + adminPW}
	p := startServer(t, env, bin, "--addr", "127.0.0.1:0", "--data", data)
	ctx := context.Background()
	rcv := &flakyReceiver{t: t, addr: "127.0.0.1:0", mode: "ok", ids: map[int64]string{}}
	rcv.up()
	defer rcv.down()

	login := func(url string) *client.Client {
		c, _ := client.New(url, "")
		lr, err := c.Login(ctx, "admin", adminPW)
		if err != nil {
			t.Fatal(err)
		}
		return c.WithToken(lr.Token)
	}
	admin := login(p.url)
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if _, err := admin.Do(ctx, "POST", "/api/v1/webhooks", map[string]any{"url": "http://" + rcv.addr + "/civiq", "events": []string{"ticket.*"}}, &created, nil); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.secret = created.Secret
	rcv.mu.Unlock()
	issue := func(c *client.Client, n int) {
		t.Helper()
		for range n {
			if _, err := c.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai"}, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Fails with 500, then hangs past the timeout, then answers.
	rcv.setMode("fail")
	issue(admin, 3)
	waitUntil(t, 20*time.Second, func() bool { rcv.mu.Lock(); defer rcv.mu.Unlock(); return rcv.fails >= 2 })
	rcv.setMode("hang")
	issue(admin, 2)
	// Down while the server is killed.
	waitUntil(t, 40*time.Second, func() bool { rcv.mu.Lock(); defer rcv.mu.Unlock(); return rcv.mode == "ok" && len(rcv.got) >= 1 })
	rcv.down()
	issue(admin, 4)
	p.kill9()

	p = startServer(t, env, bin, "--addr", "127.0.0.1:0", "--data", data)
	admin = login(p.url)
	rcv.up()
	issue(admin, 3)

	// 12 tickets issued: wait for 12 distinct events, then compare with
	// every ticket.* event in the store, in order.
	waitUntil(t, 60*time.Second, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.ids) >= 12
	})
	p.stop(t)
	var want []int64
	s, err := sqlite.Open(ctx, filepath.Join(data, "civiq.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, 0, 1_000_000)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.HasPrefix(ev.Type, "ticket.") {
			want = append(want, ev.Seq)
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bad) > 0 {
		t.Fatalf("bad deliveries: %v", rcv.bad)
	}
	// At least once: a redelivery after the kill may repeat the events
	// not yet acknowledged in the store; without repeats, in seq order.
	var firsts []int64
	seen := map[int64]bool{}
	for _, ev := range rcv.got {
		if !seen[ev.Seq] {
			seen[ev.Seq] = true
			firsts = append(firsts, ev.Seq)
		}
	}
	if len(firsts) != len(want) {
		t.Fatalf("received %d distinct events %v, want %d %v", len(firsts), firsts, len(want), want)
	}
	for i := range want {
		if firsts[i] != want[i] {
			t.Fatalf("received %v, want %v (in order)", firsts, want)
		}
	}
	t.Logf("%d events delivered (%d requests with repeats) across fail, timeout, down and kill -9", len(want), len(rcv.got))
}

// waitUntil polls cond until it holds or the time is up.
func waitUntil(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(errors.New("condition not met in time"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
