package issuer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestRetrySoonAfterServerReturns: with the default back-off, the loop
// never waits more than a few seconds between tries while the server is
// gone (the waits are recorded, not slept: the timer fires at once), the
// waits are spread (jitter), and the offline ticket syncs on the first
// try after the server is back.
func TestRetrySoonAfterServerReturns(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	pr, err := printer.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	sp, err := spool.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	down := make(chan struct{}) // closed once the loop has retried enough while the server is gone
	var failing atomic.Bool
	k, err := issuer.New(issuer.Options{Client: srv.Client(srv.DeviceToken("kiosk", "retry")), Printer: pr, Spool: sp, LeaseSize: 4, IssueTimeout: time.Second,
		After: func(d time.Duration) <-chan time.Time {
			mu.Lock()
			defer mu.Unlock()
			if failing.Load() {
				waits = append(waits, d)
				if len(waits) == 40 {
					close(down)
				}
			}
			c := make(chan time.Time, 1)
			if failing.Load() && len(waits) > 40 {
				return c // hold the loop until the server is back (kick wakes it)
			}
			c <- time.Now()
			return c
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	failing.Store(true)
	r, err := k.Issue(context.Background(), "dat-dai", false, "vi")
	if err != nil || !r.Offline {
		t.Fatalf("offline issue: %+v, %v", r, err)
	}
	states := make(chan issuer.State, 1000)
	k.OnChange(func(st issuer.State) {
		select {
		case states <- st:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-down:
	case <-time.After(20 * time.Second):
		t.Fatal("the loop did not retry")
	}
	mu.Lock()
	distinct := map[time.Duration]bool{}
	for i, d := range waits[:40] {
		if d <= 0 || d > 4*time.Second {
			t.Errorf("retry %d after %v; want (0, 4s]", i, d)
		}
		if i >= 3 && d < 2*time.Second {
			t.Errorf("retry %d after %v; want at least half of the 4 s bound", i, d)
		}
		distinct[d] = true
	}
	mu.Unlock()
	if len(distinct) < 10 {
		t.Errorf("only %d distinct waits in 40: no jitter", len(distinct))
	}
	srv.Restart()
	failing.Store(false)
	k.Kick()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case st := <-states:
			if st.Online && st.Pending == 0 {
				tk, err := srv.Client("").Ticket(context.Background(), r.Ticket.Token)
				if err != nil || tk.Code != r.Ticket.Code {
					t.Fatalf("synced ticket: %+v, %v", tk, err)
				}
				return
			}
		case <-deadline:
			t.Fatalf("not synced: %+v", k.State())
		}
	}
}

// storageFailing is a proxy in front of srv that answers every write with
// the server's "cannot store" (503 unavailable) while failing is set, as
// the server does when its storage fails; reads pass.
func storageFailing(t *testing.T, srv *servertest.Server, failing *atomic.Bool) string {
	t.Helper()
	target, _ := url.Parse(srv.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && r.Method != http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"storage error: disk I/O error"}}`))
			return
		}
		rp.ServeHTTP(w, r)
	})
	p := httptest.NewServer(h)
	t.Cleanup(p.Close)
	return p.URL
}

// TestStorageDown: a server that answers but cannot store is shown as
// such (not as unreachable), and the kiosk issues from its leases exactly
// as when the server is gone; once the server stores again the tickets
// sync, none lost.
func TestStorageDown(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	var failing atomic.Bool
	c, err := client.New(storageFailing(t, srv, &failing), srv.DeviceToken("kiosk", "Ki-ốt lưu trữ"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := newKiosk(t, c, t.TempDir(), t.TempDir())
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	var issued []issuer.Result
	r, err := k.Issue(ctx, "dat-dai", false, "vi") // the server refuses to store it
	if err != nil || !r.Offline {
		t.Fatalf("issue while the server cannot store: %+v, %v", r, err)
	}
	issued = append(issued, r)
	if st := k.State(); st.Online || !st.StorageDown {
		t.Fatalf("state %+v; want offline with StorageDown", st)
	}
	if err := k.Step(ctx); !client.IsCode(err, protocol.CodeUnavailable) {
		t.Fatalf("step while the server cannot store: %v", err)
	}
	if st := k.State(); st.Online || !st.StorageDown {
		t.Fatalf("after a step: %+v; want still StorageDown (the reads work, the writes do not)", st)
	}
	r, err = k.Issue(ctx, "tu-phap-ho-tich", true, "en")
	if err != nil || !r.Offline {
		t.Fatalf("second issue: %+v, %v", r, err)
	}
	issued = append(issued, r)
	if n := k.State().Pending; n != 2 {
		t.Fatalf("%d pending, want 2", n)
	}

	// A server that is gone is not "cannot store".
	srv.Stop()
	if err := k.Step(ctx); err == nil {
		t.Fatal("step with the server gone")
	}
	if st := k.State(); st.Online || st.StorageDown {
		t.Fatalf("server gone: %+v; want offline without StorageDown", st)
	}
	srv.Restart()
	if err := k.Step(ctx); !client.IsCode(err, protocol.CodeUnavailable) {
		t.Fatalf("step with the server back but still failing: %v", err)
	}

	failing.Store(false)
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := k.State(); !st.Online || st.StorageDown || st.Pending != 0 {
		t.Fatalf("after the storage recovered: %+v", st)
	}
	for _, r := range issued {
		tk, err := srv.Client("").Ticket(ctx, r.Ticket.Token)
		if err != nil || tk.Code != r.Ticket.Code || tk.Status != protocol.StatusWaiting {
			t.Fatalf("ticket %s after the sync: %+v, %v", r.Ticket.Code, tk, err)
		}
	}
}
