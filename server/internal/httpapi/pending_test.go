package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestPendingSyncTicket: the token of a leased number whose ticket the
// kiosk printed offline and has not synced is answered 202 with status
// pending_sync (the contract's GET and the phone's /view), its ticket
// websocket opens on that view and turns into the waiting ticket, with its
// place, the moment the sync lands. Unknown tokens stay 404; after the sync
// the token answers 200 like any ticket.
func TestPendingSyncTicket(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	kiosk := s.Client(s.DeviceToken("kiosk", "Ki-ốt 1"))
	s.Issue("dat-dai", false) // one ahead, issued online before
	l, err := kiosk.Lease(ctx, protocol.LeaseRequest{ServiceID: "dat-dai", Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	lt := l.Tickets[1]

	st, body := call(t, "GET", s.URL+"/api/v1/tickets/"+lt.Token, "", "")
	var tk protocol.Ticket
	mustJSON(t, body, &tk)
	if st != http.StatusAccepted || tk.Status != protocol.StatusPendingSync || tk.Code != lt.Code || tk.Number != lt.Number ||
		tk.ServiceID != "dat-dai" || tk.Day != l.Day || !tk.Offline || tk.Token != lt.Token || tk.TrackURL != s.URL+"/t/"+lt.Token || tk.Ahead != -1 {
		t.Fatalf("GET pending ticket: %d %s", st, body)
	}
	st, body = call(t, "GET", s.URL+"/api/v1/tickets/"+lt.Token+"/view", "", "")
	var v protocol.TicketView
	mustJSON(t, body, &v)
	if st != http.StatusAccepted || v.Reason != protocol.ViewPendingSync || v.Ticket.Status != protocol.StatusPendingSync ||
		v.Ticket.Code != lt.Code || v.Service.Vi != "Đất đai" || v.Ticket.Token != "" {
		t.Fatalf("GET pending view: %d %s", st, body)
	}
	for _, path := range []string{"/api/v1/tickets/AAAAAAAAAAAAAAAAAAAAAAAA", "/api/v1/tickets/AAAAAAAAAAAAAAAAAAAAAAAA/view"} {
		if st, body := call(t, "GET", s.URL+path, "", ""); st != http.StatusNotFound {
			t.Fatalf("GET %s: %d %s", path, st, body)
		}
	}

	p := dialPhone(t, s, lt.Token)
	first, _ := p.next()
	if first.Reason != protocol.ViewPendingSync || first.Ticket.Code != lt.Code {
		t.Fatalf("first view %+v", first)
	}
	// Another citizen's offline ticket synced does not reach this phone.
	res, err := kiosk.SyncTickets(ctx, []protocol.OfflineTicket{{LeaseID: l.ID, Number: l.Tickets[0].Number, IssuedAt: time.Now()}})
	if err != nil || res.Results[0].Error != nil {
		t.Fatalf("sync other: %+v %v", res, err)
	}
	p.quiet(700 * time.Millisecond)

	res, err = kiosk.SyncTickets(ctx, []protocol.OfflineTicket{{LeaseID: l.ID, Number: lt.Number, IssuedAt: time.Now(), Lang: "en"}})
	if err != nil || res.Results[0].Error != nil {
		t.Fatalf("sync: %+v %v", res, err)
	}
	synced := p.until(protocol.ViewSynced, func(v protocol.TicketView, raw string) {})
	if synced.Ticket.Status != protocol.StatusWaiting || synced.Ticket.Ahead != 2 || synced.Ticket.ETASeconds < 0 ||
		synced.Ticket.Lang != "en" || synced.Service.Vi != "Đất đai" || synced.Ticket.ID != first.Ticket.ID {
		b, _ := json.Marshal(synced)
		t.Fatalf("synced view %s", b)
	}
	st, body = call(t, "GET", s.URL+"/api/v1/tickets/"+lt.Token, "", "")
	mustJSON(t, body, &tk)
	if st != http.StatusOK || tk.Status != protocol.StatusWaiting || tk.Ahead != 2 {
		t.Fatalf("GET synced ticket: %d %s", st, body)
	}

	// A new lease is recognised at once, also after a restart (the index
	// is rebuilt from the stored leases).
	s.Restart()
	l2, err := kiosk.Lease(ctx, protocol.LeaseRequest{ServiceID: "tu-phap-ho-tich", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{l2.Tickets[0].Token, l.Tickets[2].Token} {
		if st, body := call(t, "GET", s.URL+"/api/v1/tickets/"+tok+"/view", "", ""); st != http.StatusAccepted {
			t.Fatalf("after restart: %d %s", st, body)
		}
	}
}
