package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// phone is a ticket-scoped websocket client that records every raw message.
type phone struct {
	t   *testing.T
	msg chan []byte
}

func dialPhone(t *testing.T, srv *servertest.Server, token string) *phone {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/ticket/" + token
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { ws.Close() })
	p := &phone{t: t, msg: make(chan []byte, 64)}
	// A reader goroutine: a read deadline would break the connection for good.
	go func() {
		defer close(p.msg)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			p.msg <- b
		}
	}()
	return p
}

// next reads one view; raw is the whole message for leak checks.
func (p *phone) next() (protocol.TicketView, string) {
	p.t.Helper()
	var b []byte
	select {
	case m, ok := <-p.msg:
		if !ok {
			p.t.Fatal("phone connection closed")
		}
		b = m
	case <-time.After(5 * time.Second):
		p.t.Fatal("phone got nothing")
	}
	var ev protocol.Event
	if err := json.Unmarshal(b, &ev); err != nil || ev.Type != protocol.EventTicketView {
		p.t.Fatalf("phone got %s (%v)", b, err)
	}
	var v protocol.TicketView
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		p.t.Fatal(err)
	}
	return v, string(b)
}

// until reads views until one has the reason.
func (p *phone) until(reason string, check func(protocol.TicketView, string)) protocol.TicketView {
	p.t.Helper()
	for range 20 {
		v, raw := p.next()
		check(v, raw)
		if v.Reason == reason {
			return v
		}
	}
	p.t.Fatalf("no %s view", reason)
	return protocol.TicketView{}
}

// quiet asserts that nothing arrives for a while.
func (p *phone) quiet(d time.Duration) {
	p.t.Helper()
	select {
	case b := <-p.msg:
		p.t.Fatalf("unexpected message %s", b)
	case <-time.After(d):
	}
}

func TestTicketWebsocketSeesOnlyItsTicket(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	clerk1 := srv.Client(srv.ClerkToken("canbo1")) // q1: dat-dai, tai-nguyen-moi-truong
	clerk3 := srv.Client(srv.ClerkToken("canbo3")) // q3: tu-phap-ho-tich

	a := srv.Issue("dat-dai", false)
	b := srv.Issue("dat-dai", false)
	c := srv.Issue("tu-phap-ho-tich", false)
	others := []protocol.Ticket{a, c}
	noLeak := func(v protocol.TicketView, raw string) {
		t.Helper()
		if v.Ticket.ID != b.ID {
			t.Fatalf("phone of %s got a view of %s", b.Code, v.Ticket.ID)
		}
		for _, o := range others {
			if strings.Contains(raw, o.ID) || strings.Contains(raw, `"`+o.Code+`"`) {
				t.Fatalf("phone of %s learnt about %s: %s", b.Code, o.Code, raw)
			}
		}
		if strings.Contains(raw, b.Token) || strings.Contains(raw, "token") {
			t.Fatalf("a view carries a token: %s", raw)
		}
	}

	p := dialPhone(t, srv, b.Token)
	v, raw := p.next()
	noLeak(v, raw)
	if v.Reason != protocol.ViewSnapshot || v.Ticket.Ahead != 1 || v.Ticket.Status != protocol.StatusWaiting || v.Service.Vi != "Đất đai" {
		t.Fatalf("snapshot %+v", v)
	}
	// Another field moves: nothing for b.
	if _, err := clerk3.Next(ctx, "q3"); err != nil {
		t.Fatal(err)
	}
	p.quiet(1500 * time.Millisecond)
	// a is called: b moves up.
	if _, err := clerk1.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	v = p.until(protocol.ViewQueue, noLeak)
	if v.Ticket.Ahead != 0 {
		t.Fatalf("after a was called: %+v", v.Ticket)
	}
	// b is called at q1 (a is finished first).
	if _, err := clerk1.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	v = p.until(protocol.ViewCalled, noLeak)
	if v.Counter == nil || v.Counter.Number != 1 || v.Ticket.Status != protocol.StatusCalled {
		t.Fatalf("called view %+v", v)
	}
	// Rating before done is refused.
	if st, body := call(t, "POST", srv.URL+"/api/v1/tickets/"+b.Token+"/rating", "", `{"score":"satisfied"}`); st != http.StatusUnprocessableEntity {
		t.Fatalf("early rating: %d %s", st, body)
	}
	if _, err := clerk1.Recall(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.until(protocol.ViewRecalled, noLeak)
	if _, err := clerk1.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	v = p.until(protocol.ViewDone, noLeak)
	if !v.CanRate || v.Rated {
		t.Fatalf("done view %+v", v)
	}
	// Bad ratings change nothing.
	for _, body := range []string{`{"score":"great"}`, `{"score":"satisfied","comment":"` + strings.Repeat("x", 501) + `"}`, `{"score":"satisfied","extra":1}`, `[`} {
		if st, _ := call(t, "POST", srv.URL+"/api/v1/tickets/"+b.Token+"/rating", "", body); st != http.StatusBadRequest {
			t.Fatalf("%s: %d", body, st)
		}
	}
	st, body := call(t, "POST", srv.URL+"/api/v1/tickets/"+b.Token+"/rating", "", `{"score":"very_satisfied","comment":"Cán bộ nhiệt tình"}`)
	if st != http.StatusCreated {
		t.Fatalf("rating: %d %s", st, body)
	}
	v = p.until(protocol.ViewRated, noLeak)
	if !v.Rated || v.CanRate {
		t.Fatalf("rated view %+v", v)
	}
	if st, body := call(t, "POST", srv.URL+"/api/v1/tickets/"+b.Token+"/rating", "", `{"score":"unsatisfied"}`); st != http.StatusConflict {
		t.Fatalf("second rating: %d %s", st, body)
	}
	// A fresh connection sees the final state.
	v, raw = dialPhone(t, srv, b.Token).next()
	noLeak(v, raw)
	if !v.Rated || v.Ticket.Status != protocol.StatusDone {
		t.Fatalf("snapshot after rating %+v", v)
	}

	// Unknown tokens get a JSON 404 and no websocket.
	st, body = call(t, "GET", srv.URL+"/ws/ticket/AAAAAAAAAAAAAAAAAAAAAAAA", "", "")
	if st != http.StatusNotFound || !strings.Contains(string(body), "not_found") {
		t.Fatalf("unknown token: %d %s", st, body)
	}
	ratings := listRatings(t, srv)
	if len(ratings) != 1 || ratings[0].TicketID != b.ID || ratings[0].Score != protocol.ScoreVerySatisfied ||
		ratings[0].CounterID != "q1" || ratings[0].ServiceID != "dat-dai" || ratings[0].ClerkID == "" || ratings[0].Comment != "Cán bộ nhiệt tình" || ratings[0].Via != "phone" {
		t.Fatalf("ratings %+v", ratings)
	}
	_ = admin
}

func listRatings(t *testing.T, srv *servertest.Server) []protocol.Rating {
	t.Helper()
	st, body := call(t, "GET", srv.URL+"/api/v1/ratings", srv.AdminToken(), "")
	if st != http.StatusOK {
		t.Fatalf("ratings: %d %s", st, body)
	}
	var out []protocol.Rating
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCounterRatingTablet(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	ctx := context.Background()
	tok1 := srv.ClerkToken("canbo1")
	clerk1 := srv.Client(tok1)
	tok3 := srv.ClerkToken("canbo3")
	display := srv.DeviceToken("display", "TV")
	events := subscribeEvents(t, srv, display)

	url := srv.URL + "/api/v1/counters/q1/rating"
	if st, _ := call(t, "GET", url, tok1, ""); st != http.StatusNoContent {
		t.Fatalf("nothing to rate yet: %d", st)
	}
	if st, _ := call(t, "POST", url, tok1, `{"score":"satisfied"}`); st != http.StatusUnprocessableEntity {
		t.Fatalf("rating with nothing done: %d", st)
	}
	tk := srv.Issue("dat-dai", true)
	if _, err := clerk1.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := call(t, "GET", url, tok1, ""); st != http.StatusNoContent {
		t.Fatalf("still being served: %d", st)
	}
	if _, err := clerk1.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	st, body := call(t, "GET", url, tok1, "")
	var pr protocol.PendingRating
	if st != http.StatusOK || json.Unmarshal(body, &pr) != nil || pr.Code != tk.Code {
		t.Fatalf("pending: %d %s", st, body)
	}
	// Roles: another counter's clerk, a display and nobody are refused.
	for _, c := range []struct {
		tok  string
		want int
	}{{tok3, http.StatusForbidden}, {display, http.StatusForbidden}, {"", http.StatusUnauthorized}} {
		if st, _ := call(t, "POST", url, c.tok, `{"score":"unsatisfied"}`); st != c.want {
			t.Fatalf("token %q: %d, want %d", c.tok, st, c.want)
		}
		if st, _ := call(t, "GET", srv.URL+"/api/v1/ratings", c.tok, ""); st == http.StatusOK {
			t.Fatalf("token %q lists ratings", c.tok)
		}
	}
	if st, body := call(t, "POST", url, tok1, `{"score":"unsatisfied","comment":"Phải chờ lâu, số điện thoại 0912345678"}`); st != http.StatusCreated {
		t.Fatalf("tablet rating: %d %s", st, body)
	}
	if st, _ := call(t, "POST", url, tok1, `{"score":"satisfied"}`); st != http.StatusConflict {
		t.Fatalf("second tablet rating: %d", st)
	}
	if st, _ := call(t, "POST", srv.URL+"/api/v1/tickets/"+tk.Token+"/rating", "", `{"score":"satisfied"}`); st != http.StatusConflict {
		t.Fatalf("phone rating after the tablet: %d", st)
	}
	if st, _ := call(t, "GET", url, tok1, ""); st != http.StatusNoContent {
		t.Fatalf("rated ticket still pending: %d", st)
	}
	// The display's event has the score but neither comment nor clerk.
	for {
		select {
		case ev := <-events:
			if ev.Type != protocol.EventTicketRated {
				continue
			}
			s := string(ev.Data)
			if strings.Contains(s, "0912345678") || strings.Contains(s, "comment") || strings.Contains(s, "clerk") || !strings.Contains(s, `"unsatisfied"`) {
				t.Fatalf("rated event %s", s)
			}
			r := listRatings(t, srv)
			if len(r) != 1 || r[0].Via != "counter" || !strings.Contains(r[0].Comment, "0912345678") {
				t.Fatalf("stored %+v", r)
			}
			return
		case <-time.After(5 * time.Second):
			t.Fatal("no ticket.rated event")
		}
	}
}

func subscribeEvents(t *testing.T, srv *servertest.Server, token string) <-chan protocol.Event {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ch := make(chan protocol.Event, 256)
	go func() {
		for {
			var ev protocol.Event
			if err := ws.ReadJSON(&ev); err != nil {
				return
			}
			ch <- ev
		}
	}()
	return ch
}

// TestTicketWebsocketFanOut follows many tickets at once: a call in one
// field sends each phone of that field one coalesced update about its own
// ticket, and nothing to the phones of other fields.
func TestTicketWebsocketFanOut(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	const perField = 60
	type follower struct {
		tk protocol.Ticket
		p  *phone
	}
	var land, civil []follower
	for range perField {
		land = append(land, follower{tk: srv.Issue("dat-dai", false)})
		civil = append(civil, follower{tk: srv.Issue("tu-phap-ho-tich", false)})
	}
	for _, fs := range [][]follower{land, civil} {
		for i := range fs {
			fs[i].p = dialPhone(t, srv, fs[i].tk.Token)
			v, _ := fs[i].p.next()
			if v.Ticket.ID != fs[i].tk.ID || v.Ticket.Ahead != i {
				t.Fatalf("snapshot of %s: %+v", fs[i].tk.Code, v.Ticket)
			}
		}
	}
	// Three calls in a burst at q3 (civil status only).
	for range 3 {
		if _, err := admin.Next(ctx, "q3"); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range civil {
		for {
			v, raw := f.p.next()
			if v.Ticket.ID != f.tk.ID || strings.Contains(raw, "token") {
				t.Fatalf("phone of %s got %s", f.tk.Code, raw)
			}
			if i < 3 && v.Ticket.Status == protocol.StatusCalled || i >= 3 && v.Ticket.Ahead == i-3 {
				break
			}
		}
	}
	for _, f := range land[:10] {
		f.p.quiet(200 * time.Millisecond)
	}
	if n := srv.App.Phones.Clients(); n != 2*perField {
		t.Fatalf("%d phones connected, want %d", n, 2*perField)
	}
	if st, body := call(t, "GET", srv.URL+"/metrics", "", ""); st != http.StatusOK || !strings.Contains(string(body), "civiq_phone_clients 120") {
		t.Fatalf("metrics lack the phone count: %d", st)
	}
}
