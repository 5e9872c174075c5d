package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestLeaseAndSyncOverHTTP: a kiosk leases numbers, "prints" them offline,
// syncs them; the printed QR codes (track URLs) lead to the tickets, a
// re-sync changes nothing, and only kiosks may lease or sync.
func TestLeaseAndSyncOverHTTP(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	kioskTok := s.DeviceToken("kiosk", "Ki-ốt 1")
	kiosk := s.Client(kioskTok)
	svcs, err := kiosk.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	svc := svcs[0]
	l, err := kiosk.Lease(ctx, protocol.LeaseRequest{ServiceID: svc.ID, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if l.From != protocol.OfflineBase+1 || l.To != l.From+2 || l.Prefix != svc.Prefix || len(l.Tickets) != 3 {
		t.Fatalf("lease %+v", l)
	}
	for _, tk := range l.Tickets {
		if !strings.HasPrefix(tk.TrackURL, s.URL+"/t/") || !strings.HasSuffix(tk.TrackURL, tk.Token) {
			t.Fatalf("track url %q", tk.TrackURL)
		}
		// Not a ticket before it is synced: pending (202, see
		// TestPendingSyncTicket).
		if got, err := kiosk.Ticket(ctx, tk.Token); err != nil || got.Status != protocol.StatusPendingSync {
			t.Fatalf("unsynced token: %+v, %v", got, err)
		}
	}
	online := s.Issue(svc.ID, false)
	now := time.Now()
	batch := []protocol.OfflineTicket{
		{LeaseID: l.ID, Number: l.From, IssuedAt: now.Add(-time.Second)},
		{LeaseID: l.ID, Number: l.From + 1, IssuedAt: now, Priority: true, Lang: "en"},
	}
	res, err := kiosk.SyncTickets(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Results {
		if r.Error != nil || r.Ticket == nil || r.Ticket.TrackURL != l.Tickets[i].TrackURL || r.Ticket.Code != l.Tickets[i].Code {
			t.Fatalf("result %d: %+v", i, r)
		}
		tk, err := s.Client("").Ticket(ctx, l.Tickets[i].Token)
		if err != nil || tk.ID != r.Ticket.ID || !tk.Offline || tk.Status != protocol.StatusWaiting {
			t.Fatalf("GET ticket by leased token: %+v, %v", tk, err)
		}
	}
	// The first offline ticket was issued before the online one: it is ahead.
	if tk, _ := s.Client("").Ticket(ctx, online.Token); tk.Ahead != 2 {
		t.Fatalf("online ticket has %d ahead, want 2 (a priority and an earlier offline ticket)", tk.Ahead)
	}
	again, err := kiosk.SyncTickets(ctx, batch)
	if err != nil || !again.Results[0].Replayed || !again.Results[1].Replayed {
		t.Fatalf("re-sync: %+v, %v", again, err)
	}
	if got, _ := kiosk.Services(ctx); got[0].Waiting != 3 {
		t.Fatalf("waiting %d, want 3", got[0].Waiting)
	}

	display := s.DeviceToken("display", "TV")
	for _, c := range []struct {
		name, token, method, path, body string
		status                          int
		code                            string
	}{
		{"admin may not lease", s.AdminToken(), "POST", "/api/v1/leases", `{"service_id":"` + svc.ID + `","count":2}`, 403, "forbidden"},
		{"display may not lease", display, "POST", "/api/v1/leases", `{"service_id":"` + svc.ID + `","count":2}`, 403, "forbidden"},
		{"anonymous sync", "", "POST", "/api/v1/tickets/sync", `{"tickets":[]}`, 401, "unauthorized"},
		{"unknown field", kioskTok, "POST", "/api/v1/leases", `{"service_id":"` + svc.ID + `","count":2,"x":1}`, 400, "bad_request"},
		{"count too big", kioskTok, "POST", "/api/v1/leases", `{"service_id":"` + svc.ID + `","count":100000}`, 400, "bad_request"},
		{"empty sync", kioskTok, "POST", "/api/v1/tickets/sync", `{"tickets":[]}`, 400, "bad_request"},
		{"sync not JSON", kioskTok, "POST", "/api/v1/tickets/sync", `{"tickets":`, 400, "bad_json"},
		{"sync bad time", kioskTok, "POST", "/api/v1/tickets/sync", `{"tickets":[{"lease_id":"x","number":1,"issued_at":"yesterday"}]}`, 400, "bad_json"},
	} {
		st, b := call(t, c.method, s.URL+c.path, c.token, c.body)
		var e protocol.Error
		mustJSON(t, b, &e)
		if st != c.status || e.Error.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, st, b, c.status, c.code)
		}
	}
	if st, _ := call(t, http.MethodGet, s.URL+"/api/v1/services", "", ""); st != 200 {
		t.Fatal("server unwell after refusals")
	}
}

// TestKioskHeartbeatSeenByAdmin: the printer state and the pending offline
// tickets a kiosk reports are in the admin's device list.
func TestKioskHeartbeatSeenByAdmin(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	kiosk := s.Client(s.DeviceToken("kiosk", "Ki-ốt sảnh"))
	if err := kiosk.Heartbeat(ctx, protocol.DeviceStatus{Printer: "paper_out", Message: "hết giấy", Pending: 4, Version: "t"}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Client(s.AdminToken()).Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Name == "Ki-ốt sảnh" {
			if d.Status == nil || d.Status.Printer != "paper_out" || d.Status.Pending != 4 || d.LastSeen == nil {
				t.Fatalf("device %+v status %+v", d, d.Status)
			}
			return
		}
	}
	t.Fatal("kiosk not listed")
}

// FuzzLeaseSyncBodies: whatever a kiosk sends to the offline endpoints, the
// answer is a success or a 4xx with a JSON error, never a 5xx.
func FuzzLeaseSyncBodies(f *testing.F) {
	for _, s := range []string{
		`{"service_id":"dat-dai","count":5}`, `{"service_id":"dat-dai","day":"2026-02-30","count":5}`,
		`{"tickets":[{"lease_id":"x","number":5001,"priority":true,"lang":"vi","issued_at":"2026-11-28T09:00:00+07:00"}]}`,
		`{"tickets":null}`, `{"count":-1}`, `[]`, `{`, "\x00",
	} {
		f.Add(s, s[0]%2 == 0)
	}
	s := servertest.Start(f, servertest.Options{NoRateLimits: true})
	tok := s.DeviceToken("kiosk", "fuzz")
	f.Fuzz(func(t *testing.T, body string, lease bool) {
		path := "/api/v1/tickets/sync"
		if lease {
			path = "/api/v1/leases"
		}
		st, b := call(t, "POST", s.URL+path, tok, body)
		if st >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, st, b)
		}
		if st >= 400 {
			var e protocol.Error
			mustJSON(t, b, &e)
			if e.Error.Code == "" {
				t.Fatalf("%q: no error code in %s", body, b)
			}
		}
	})
}
