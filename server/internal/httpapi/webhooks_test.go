package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

type received struct {
	id, ts, sig string
	body        []byte
	ev          protocol.Event
}

// receiver is a real HTTP endpoint that answers with the status fail
// returns for the n-th request (0-based), recording every request.
type receiver struct {
	mu   sync.Mutex
	got  []received
	cond *sync.Cond
	fail func(n int) int
}

func newReceiver(t *testing.T, fail func(n int) int) (*receiver, *httptest.Server) {
	r := &receiver{fail: fail}
	r.cond = sync.NewCond(&r.mu)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var ev protocol.Event
		_ = json.Unmarshal(b, &ev)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), b, ev})
		r.cond.Broadcast()
		r.mu.Unlock()
		w.WriteHeader(r.fail(n))
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

// waitFor waits until ok holds for the requests received (or fails after 20 s).
func (r *receiver) waitFor(t *testing.T, ok func([]received) bool) []received {
	t.Helper()
	deadline := time.AfterFunc(20*time.Second, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer deadline.Stop()
	start := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !ok(r.got) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("receiver: condition not met; got %d requests", len(r.got))
		}
		r.cond.Wait()
	}
	return append([]received(nil), r.got...)
}

func TestWebhooksAPI(t *testing.T) {
	s := servertest.Start(t, servertest.Options{WebhookBackoff: func(int) time.Duration { return 50 * time.Millisecond }})
	admin := s.AdminToken()
	// The first two attempts fail: the event is retried with the same id.
	rcv, srv := newReceiver(t, func(n int) int {
		if n < 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})

	for _, body := range []string{`{"url":"ftp://x"}`, `{"url":"http://x/","events":["Ticket.*"]}`, `{}`, `{"url":"http://x/","extra":1}`} {
		if st, b := call(t, "POST", s.URL+"/api/v1/webhooks", admin, body); st != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, st, b)
		}
	}
	if st, _ := call(t, "POST", s.URL+"/api/v1/webhooks", s.ClerkToken("canbo1"), `{"url":"http://x/"}`); st != http.StatusForbidden {
		t.Errorf("clerk: %d, want 403", st)
	}

	st, b := call(t, "POST", s.URL+"/api/v1/webhooks", admin, `{"url":"`+srv.URL+`/hook","events":["ticket.*"]}`)
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, b)
	}
	var created struct {
		ID, URL, Secret string
		Events          []string
	}
	mustJSON(t, b, &created)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(created.Secret, "whsec_"))
	if !strings.HasPrefix(created.Secret, "whsec_") || err != nil || len(key) != 32 || created.URL != srv.URL+"/hook" || len(created.Events) != 1 {
		t.Fatalf("created %+v", created)
	}
	// The list never shows the secret again.
	st, b = call(t, "GET", s.URL+"/api/v1/webhooks", admin, "")
	if st != 200 || strings.Contains(string(b), created.Secret) || !strings.Contains(string(b), created.ID) {
		t.Fatalf("list: %d %s", st, b)
	}

	s.Issue("dat-dai", false)                                           // ticket.issued
	if _, err := s.App.Engine.Next(t.Context(), "q1", ""); err != nil { // counter.updated (filtered out), ticket.called
		t.Fatal(err)
	}
	got := rcv.waitFor(t, func(g []received) bool { return len(g) >= 4 })
	if got[0].id != got[1].id || got[1].id != got[2].id || got[0].ev.Type != protocol.EventTicketIssued {
		t.Errorf("retries of one event must carry its id: %s %s %s (%s)", got[0].id, got[1].id, got[2].id, got[0].ev.Type)
	}
	var last int64
	for i, r := range got {
		if err := webhook.Verify(created.Secret, r.id, r.ts, r.sig, r.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
		if r.ev.Seq < last {
			t.Errorf("out of order: %d after %d", r.ev.Seq, last)
		}
		last = r.ev.Seq
		if !strings.HasPrefix(r.ev.Type, "ticket.") {
			t.Errorf("filter let %s through", r.ev.Type)
		}
	}
	if got[3].ev.Type != protocol.EventTicketCalled {
		t.Errorf("4th request %s, want ticket.called", got[3].ev.Type)
	}

	// The deliveries page lists the attempts, newest first; resend one.
	// The log is written after the receiver answered: poll until it is.
	var atts []webhook.Attempt
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		st, b = call(t, "GET", s.URL+"/api/v1/webhooks/"+created.ID+"/deliveries", admin, "")
		mustJSON(t, b, &atts)
		if len(atts) >= 4 {
			break
		}
	}
	if st != 200 || len(atts) < 4 || !atts[0].OK || atts[len(atts)-1].OK || atts[len(atts)-1].Status != 503 {
		t.Fatalf("deliveries: %d %+v", st, atts)
	}
	seq := got[0].ev.Seq
	if st, b := call(t, "POST", s.URL+"/api/v1/webhooks/"+created.ID+"/resend", admin, `{"seq":`+jsonInt(seq)+`}`); st != http.StatusAccepted {
		t.Fatalf("resend: %d %s", st, b)
	}
	got = rcv.waitFor(t, func(g []received) bool { return len(g) >= 5 })
	if got[4].ev.Seq != seq || got[4].id != got[0].id {
		t.Errorf("resent %d (%s), want %d (%s)", got[4].ev.Seq, got[4].id, seq, got[0].id)
	}
	if st, _ := call(t, "POST", s.URL+"/api/v1/webhooks/nope/resend", admin, `{"seq":1}`); st != http.StatusNotFound {
		t.Errorf("resend to unknown: %d", st)
	}

	if st, _ := call(t, "DELETE", s.URL+"/api/v1/webhooks/"+created.ID, admin, ""); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := call(t, "DELETE", s.URL+"/api/v1/webhooks/"+created.ID, admin, ""); st != http.StatusNotFound {
		t.Fatalf("delete again: %d, want 404", st)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }
