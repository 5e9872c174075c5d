package issuer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestTimedOutIssueQueuesOnce: the server stores an online ticket but its
// answer reaches the kiosk too late (a slow link), so the kiosk prints an
// offline ticket instead. When the kiosk syncs, the online ticket nobody
// holds is cancelled: the citizen is in the queue once, and no clerk calls
// a ghost.
func TestTimedOutIssueQueuesOnce(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	tok := srv.DeviceToken("kiosk", "Ki-ốt chậm")
	target, _ := url.Parse(srv.URL)
	var slow atomic.Bool
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if slow.Load() && r.Request.Method == http.MethodPost && r.Request.URL.Path == "/api/v1/tickets" {
			time.Sleep(1500 * time.Millisecond) // the server has answered 201; the kiosk gives up at 1 s
		}
		return nil
	}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()
	c, err := client.New(proxy.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	k := newKiosk(t, c, t.TempDir(), t.TempDir())
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	admin := srv.Client(srv.AdminToken())
	waiting := func() []protocol.Ticket {
		t.Helper()
		var w []protocol.Ticket
		if _, err := admin.Do(ctx, http.MethodGet, "/api/v1/waiting", nil, &w, nil); err != nil {
			t.Fatal(err)
		}
		return w
	}

	slow.Store(true)
	r, err := k.Issue(ctx, "dat-dai", false, "vi")
	if err != nil || !r.Offline {
		t.Fatalf("issue over a slow link: %+v, %v; want an offline ticket", r, err)
	}
	w := waiting()
	if len(w) != 1 || w[0].Offline {
		t.Fatalf("before the sync the server holds %+v; want the online ticket it stored", w)
	}
	ghost := w[0]

	slow.Store(false)
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := k.State(); !st.Online || st.Pending != 0 {
		t.Fatalf("after the sync: %+v", st)
	}
	w = waiting()
	if len(w) != 1 || w[0].Code != r.Ticket.Code || !w[0].Offline {
		t.Fatalf("after the sync %+v wait; want only the printed %s", w, r.Ticket.Code)
	}
	for _, x := range w {
		if x.ID == ghost.ID {
			t.Fatalf("the ticket nobody holds (%s) still waits", ghost.Code)
		}
	}
}
