package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// receiver is a webhook receiver that checks every signature and counts
// the deliveries of each event (by its webhook-id's seq).
type receiver struct {
	t      *testing.T
	secret string
	delay  time.Duration

	mu  sync.Mutex
	got map[string]int // webhook-id → deliveries
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	secret := rc.secret
	rc.mu.Unlock()
	id := r.Header.Get("webhook-id")
	if err := webhook.Verify(secret, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, time.Now(), time.Minute); err != nil {
		rc.t.Errorf("delivery %s: %v", id, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	time.Sleep(rc.delay)
	rc.mu.Lock()
	rc.got[id]++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) counts() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]int, len(rc.got))
	for k, v := range rc.got {
		out[k] = v
	}
	return out
}

// TestWebhooksOnceAcrossInstances: two (and three) instances on one
// database, each with its engine and webhook dispatcher, and one endpoint
// (a real HTTP receiver). A burst of events issued on both instances reaches the
// receiver exactly once each: only the instance holding the endpoint's
// lease delivers. Then the delivering instance dies mid-burst (its
// database connections close and it never releases the lease): the other
// takes over once the lease runs out and delivers the rest; nothing is
// lost, and only what the dead instance sent without storing its progress
// may come twice.
func TestWebhooksOnceAcrossInstances(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) { testWebhooksOnce(t, n) })
	}
}

func testWebhooksOnce(t *testing.T, n int) {
	ctx := context.Background()
	url := srv.Database(t)
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	const lease = 1500 * time.Millisecond
	type inst struct {
		s *postgres.Store
		e *queue.Engine
		d *webhook.Dispatcher
	}
	var insts []inst
	for i := range n {
		s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		e := startEngine(t, s, clk)
		if i == 0 {
			enginetest.Seed(t, e)
		}
		d := webhook.New(s, webhook.Options{Lease: lease, Backoff: func(int) time.Duration { return 50 * time.Millisecond },
			Log: slog.New(slog.DiscardHandler)})
		e.SetPublisher(d)
		if err := d.Start(ctx); err != nil {
			t.Fatal(err)
		}
		insts = append(insts, inst{s, e, d})
	}
	closed := make([]bool, len(insts))
	defer func() {
		for i, in := range insts {
			if !closed[i] {
				in.d.Close()
				in.s.Close()
			}
		}
	}()
	var engines []*queue.Engine
	for _, in := range insts {
		engines = append(engines, in.e)
	}
	converge(t, engines)

	rc := &receiver{t: t, got: map[string]int{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	ep, err := insts[0].d.Create(ctx, webhook.Request{URL: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = ep.Secret
	rc.mu.Unlock()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	holder := func() string {
		var owner *string
		if err := conn.QueryRow(ctx, `SELECT lease_owner FROM webhooks WHERE id = $1`, ep.ID).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		if owner == nil {
			return ""
		}
		return *owner
	}
	lastSeq := func() int64 {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT last FROM event_seq WHERE id = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The other instances learn of the endpoint (created through instance
	// 1) and find its lease held.
	time.Sleep(lease)
	if h := holder(); h != insts[0].s.Instance() {
		t.Fatalf("lease held by %q, want instance 1 (%q)", h, insts[0].s.Instance())
	}

	issue := func(n int, on []inst) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := on[i%len(on)].e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: []string{"a", "b", "c"}[i%3]}, ""); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	// waitAll waits until every event in (from, to] was delivered.
	waitAll := func(from, to int64, within time.Duration) map[string]int {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			got := rc.counts()
			missing := 0
			for seq := from + 1; seq <= to; seq++ {
				if got[webhook.MessageID(insts[1].s.Epoch(), seq)] == 0 {
					missing++
				}
			}
			if missing == 0 {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of the events %d..%d not delivered within %s", missing, from+1, to, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Normal running: a burst over both instances, each event once.
	from := ep.Cursor
	issue(120, insts)
	to := lastSeq()
	got := waitAll(from, to, 10*time.Second)
	time.Sleep(lease) // any second delivery would arrive by now
	got = rc.counts()
	for seq := from + 1; seq <= to; seq++ {
		if n := got[webhook.MessageID(insts[1].s.Epoch(), seq)]; n != 1 {
			t.Errorf("event %d delivered %d times under normal running, want once", seq, n)
		}
	}
	if len(got) != int(to-from) {
		t.Errorf("receiver got %d distinct events, want %d", len(got), to-from)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Instance 1, the one delivering, dies mid-burst: its store closes
	// under the dispatcher (connections gone, lease not released).
	rc.mu.Lock()
	rc.delay = 3 * time.Millisecond
	rc.mu.Unlock()
	from = to
	issued := make(chan struct{})
	go func() { defer close(issued); issue(300, insts[1:]) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := len(rc.counts()) - int(from-ep.Cursor)
		if n >= 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance 1 delivered only %d events of the second burst", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	killedAt := time.Now()
	insts[0].s.Close()
	insts[0].d.Close()
	closed[0] = true
	<-issued
	to = lastSeq()
	got = waitAll(from, to, 15*time.Second)
	t.Logf("second burst: %d events, all delivered %s after instance 1 died", to-from, time.Since(killedAt).Round(time.Millisecond))
	dups := 0
	for seq := from + 1; seq <= to; seq++ {
		dups += got[webhook.MessageID(insts[1].s.Epoch(), seq)] - 1
	}
	// At least once: what instance 1 sent but could not record is sent
	// again, at most one read batch.
	if dups > 100 {
		t.Errorf("%d duplicate deliveries after the takeover", dups)
	}
	t.Logf("duplicates at the takeover: %d", dups)
	if h := holder(); h == "" || h == insts[0].s.Instance() {
		t.Errorf("lease held by %q after the takeover, want a surviving instance", h)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var cursor int64
		if err := conn.QueryRow(ctx, `SELECT cursor FROM webhooks WHERE id = $1`, ep.ID).Scan(&cursor); err != nil {
			t.Fatal(err)
		}
		if cursor == to {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored cursor %d, want %d", cursor, to)
		}
	}
}
