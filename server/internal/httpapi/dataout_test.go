package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// events subscribes to /ws as the admin.
func events(t *testing.T, srv *servertest.Server) <-chan protocol.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := make(chan protocol.Event, 1000)
	go srv.Client(srv.AdminToken()).Subscribe(ctx, client.SubscribeOptions{MaxBackoff: time.Second}, func(ev protocol.Event) error {
		ch <- ev
		return nil
	})
	return ch
}

func waitFor(t *testing.T, ch <-chan protocol.Event, typ string) protocol.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

// TestVisitRecordAPI: POST /counters/{id}/done with and without a visit
// record, as DATA-OUT.md fixes it.
func TestVisitRecordAPI(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	u := srv.URL
	clerk := srv.ClerkToken("canbo1") // q1: dat-dai
	evs := events(t, srv)
	waitFor(t, evs, protocol.EventSnapshot)
	tk := srv.Issue("dat-dai", false)
	srv.Issue("dat-dai", false)
	if st, b := call(t, "POST", u+"/api/v1/counters/q1/next", clerk, ""); st != 200 {
		t.Fatalf("next %d %s", st, b)
	}
	for _, c := range []struct {
		body string
		st   int
	}{
		{`{"outcome":"accepted"}`, 400},
		{`{"outcome":"received","dossier_codes":[""]}`, 400},
		{`{"outcome":"received","dossier_codes":["` + strings.Repeat("9", 65) + `"]}`, 400},
		{`{"outcome":"received","dossier_codes":["a\u0001b"]}`, 400},
		{`{"outcome":"received","dossier_codes":[` + strings.Repeat(`"x",`, 20) + `"y"]}`, 400},
		{`{"outcome":"guided","note":"` + strings.Repeat("ê", 501) + `"}`, 400},
		{`{"outcome":"guided","extra":1}`, 400},
		{`{"outcome":7}`, 400},
		{`{"outcome":"guided"`, 400},
	} {
		st, b := call(t, "POST", u+"/api/v1/counters/q1/done", clerk, c.body)
		var e protocol.Error
		mustJSON(t, b, &e)
		if st != c.st || e.Error.Code == "" {
			t.Errorf("%s: %d %s, want %d", c.body, st, b, c.st)
		}
	}
	var state protocol.CounterState
	_, b := call(t, "GET", u+"/api/v1/counters/q1", clerk, "")
	mustJSON(t, b, &state)
	if state.Current == nil || state.Current.ID != tk.ID {
		t.Fatalf("a refused record changed the counter: %s", b)
	}
	ph := dialPhone(t, srv, tk.Token)
	ph.next() // the snapshot
	st, b := call(t, "POST", u+"/api/v1/counters/q1/done", clerk,
		`{"outcome":"supplement","dossier_codes":["000.00.12.H29-261207-0001","000.00.12.H29-261207-0002"],"note":"Thiếu giấy ủy quyền"}`)
	var done map[string]any
	mustJSON(t, b, &done)
	if st != 200 || done["status"] != "done" || done["outcome"] != "supplement" || len(done["dossier_codes"].([]any)) != 2 || done["note"] != "Thiếu giấy ủy quyền" {
		t.Fatalf("done with a record: %d %s", st, b)
	}
	ev := waitFor(t, evs, protocol.EventTicketDone)
	var data map[string]any
	mustJSON(t, ev.Data, &data)
	if data["outcome"] != "supplement" || len(data["dossier_codes"].([]any)) != 2 || data["note"] != "Thiếu giấy ủy quyền" {
		t.Fatalf("ticket.done data %s", ev.Data)
	}
	// The citizen's own ticket shows the outcome, never the note: live...
	v := ph.until(protocol.ViewDone, func(_ protocol.TicketView, raw string) {
		if strings.Contains(raw, "ủy quyền") || strings.Contains(raw, `"note"`) {
			t.Fatalf("the phone's websocket got the clerk's note: %s", raw)
		}
	})
	if v.Ticket.Outcome != protocol.OutcomeSupplement {
		t.Fatalf("phone's done view %+v", v.Ticket)
	}
	// ... and on request.
	st, b = call(t, "GET", u+"/api/v1/tickets/"+tk.Token+"/view", "", "")
	if st != 200 || !strings.Contains(string(b), `"outcome":"supplement"`) || strings.Contains(string(b), "ủy quyền") || strings.Contains(string(b), `"note"`) {
		t.Fatalf("phone view %d %s", st, b)
	}
	st, b = call(t, "GET", u+"/api/v1/tickets/"+tk.Token, "", "")
	if st != 200 || strings.Contains(string(b), `"note"`) {
		t.Fatalf("phone ticket %d %s", st, b)
	}
	// An empty body is today's done: no record keys.
	if st, b := call(t, "POST", u+"/api/v1/counters/q1/next", clerk, ""); st != 200 {
		t.Fatalf("next %d %s", st, b)
	}
	for _, body := range []string{"", "{}"} {
		if body == "{}" {
			srv.Issue("dat-dai", false)
			call(t, "POST", u+"/api/v1/counters/q1/next", clerk, "")
		}
		st, b = call(t, "POST", u+"/api/v1/counters/q1/done", clerk, body)
		if st != 200 || strings.Contains(string(b), "outcome") || strings.Contains(string(b), "dossier_codes") {
			t.Fatalf("done with body %q: %d %s", body, st, b)
		}
	}
	// The counter's visits today, newest first, with the record.
	st, b = call(t, "GET", u+"/api/v1/counters/q1/visits", clerk, "")
	var hist []protocol.Ticket
	mustJSON(t, b, &hist)
	if st != 200 || len(hist) != 3 || hist[2].ID != tk.ID || hist[2].Outcome != protocol.OutcomeSupplement || len(hist[2].DossierCodes) != 2 ||
		hist[2].Note != "Thiếu giấy ủy quyền" || hist[0].Outcome != "" || hist[0].Status != protocol.StatusDone {
		t.Fatalf("visits %d %s", st, b)
	}
	if st, b := call(t, "GET", u+"/api/v1/counters/q1/visits?limit=1", clerk, ""); st != 200 || strings.Count(string(b), `"id"`) != 1 {
		t.Fatalf("limit 1: %d %s", st, b)
	}
	if st, _ := call(t, "GET", u+"/api/v1/counters/q1/visits?limit=0", clerk, ""); st != 400 {
		t.Fatalf("limit 0: %d", st)
	}
	if st, _ := call(t, "GET", u+"/api/v1/counters/q2/visits", clerk, ""); st != 403 {
		t.Fatalf("another counter's visits: %d", st)
	}
}

// TestDisruptionsAPI: who may start and end disruptions, the validation,
// the events, the board and the phone's notice, and the listing.
func TestDisruptionsAPI(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	u := srv.URL
	ctx := context.Background()
	admin := srv.AdminToken()
	clerk := srv.ClerkToken("canbo1") // q1
	if _, err := srv.Client(admin).Do(ctx, "POST", "/api/v1/users", map[string]any{"username": "giamdoc", "role": "supervisor", "password": "giam-doc-2026"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	sup, err := srv.Client("").Login(ctx, "giamdoc", "giam-doc-2026")
	if err != nil {
		t.Fatal(err)
	}
	evs := events(t, srv)
	waitFor(t, evs, protocol.EventSnapshot)
	tk := srv.Issue("dat-dai", false) // served at q1
	ph := dialPhone(t, srv, tk.Token)
	if v, _ := ph.next(); v.Disruptions != nil {
		t.Fatalf("first view has disruptions %+v", v.Disruptions)
	}

	for _, c := range []struct {
		who, body string
		st        int
		code      string
	}{
		{sup.Token, `{"cause":"network","counter_ids":["q1"]}`, 403, "forbidden"},
		{clerk, `{"cause":"network"}`, 403, "forbidden"},                      // the whole centre
		{clerk, `{"cause":"network","counter_ids":["q2"]}`, 403, "forbidden"}, // not theirs
		{clerk, `{"cause":"flood","counter_ids":["q1"]}`, 400, "bad_request"},
		{clerk, `{"counter_ids":["q1"]}`, 400, "bad_request"},
		{clerk, `{"cause":"network","counter_ids":["q1"],"note":"` + strings.Repeat("x", 501) + `"}`, 400, "bad_request"},
		{admin, `{"cause":"network","counter_ids":["q1","q1"]}`, 400, "bad_request"},
		{admin, `{"cause":"network","counter_ids":["q99"]}`, 422, "unprocessable"},
		{admin, `{"cause":"network","counters":["q1"]}`, 400, "bad_request"},
		{admin, `not json`, 400, "bad_json"},
		{"", `{"cause":"network"}`, 401, "unauthorized"},
	} {
		st, b := call(t, "POST", u+"/api/v1/disruptions", c.who, c.body)
		var e protocol.Error
		mustJSON(t, b, &e)
		if st != c.st || e.Error.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.body, st, b, c.st, c.code)
		}
	}
	st, b := call(t, "GET", u+"/api/v1/disruptions", sup.Token, "")
	if st != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("refused requests left disruptions: %d %s", st, b)
	}

	st, b = call(t, "POST", u+"/api/v1/disruptions", clerk, `{"cause":"printer","counter_ids":["q1"],"note":"Kẹt giấy"}`)
	var atQ1 map[string]any
	mustJSON(t, b, &atQ1)
	if st != 201 || atQ1["cause"] != "printer" || atQ1["note"] != "Kẹt giấy" || atQ1["started_at"] == nil || atQ1["id"] == "" {
		t.Fatalf("clerk starts: %d %s", st, b)
	}
	if _, ok := atQ1["ended_at"]; ok {
		t.Fatalf("an open disruption has ended_at: %s", b)
	}
	if st, b := call(t, "POST", u+"/api/v1/disruptions", clerk, `{"cause":"printer","counter_ids":["q1"]}`); st != 409 {
		t.Fatalf("the same again: %d %s", st, b)
	}
	ev := waitFor(t, evs, protocol.EventDisruptionStarted)
	var d protocol.Disruption
	mustJSON(t, ev.Data, &d)
	if d.ID != atQ1["id"] || d.Cause != protocol.CausePrinter {
		t.Fatalf("disruption.started %s", ev.Data)
	}
	v := ph.until(protocol.ViewQueue, func(protocol.TicketView, string) {})
	if len(v.Disruptions) != 1 || v.Disruptions[0].Note != "" || v.Disruptions[0].Cause != protocol.CausePrinter {
		t.Fatalf("phone view during the disruption %+v", v.Disruptions)
	}

	st, b = call(t, "POST", u+"/api/v1/disruptions", admin, `{"cause":"one_stop_software"}`)
	var whole map[string]any
	mustJSON(t, b, &whole)
	if st != 201 || whole["counter_ids"] == nil || len(whole["counter_ids"].([]any)) != 0 {
		t.Fatalf("admin, whole centre: %d %s", st, b)
	}
	var board protocol.Board
	if _, err := srv.Client(sup.Token).Do(ctx, "GET", "/api/v1/board", nil, &board, nil); err != nil || len(board.Disruptions) != 2 {
		t.Fatalf("supervisor's board: %+v %v", board.Disruptions, err)
	}
	wholeID := whole["id"].(string)
	for _, c := range []struct {
		who, id string
		st      int
	}{
		{sup.Token, wholeID, 403},
		{clerk, wholeID, 403}, // a clerk does not end a centre-wide one
		{admin, "nope", 404},
	} {
		if st, b := call(t, "POST", u+"/api/v1/disruptions/"+c.id+"/end", c.who, ""); st != c.st {
			t.Errorf("end %s: %d %s, want %d", c.id, st, b, c.st)
		}
	}
	st, b = call(t, "POST", u+"/api/v1/disruptions/"+atQ1["id"].(string)+"/end", clerk, "")
	var ended map[string]any
	mustJSON(t, b, &ended)
	if st != 200 || ended["ended_at"] == nil {
		t.Fatalf("clerk ends theirs: %d %s", st, b)
	}
	if st, _ := call(t, "POST", u+"/api/v1/disruptions/"+atQ1["id"].(string)+"/end", clerk, ""); st != 409 {
		t.Fatalf("ending twice: %d", st)
	}
	waitFor(t, evs, protocol.EventDisruptionEnded)
	if st, b := call(t, "POST", u+"/api/v1/disruptions/"+wholeID+"/end", admin, ""); st != 200 {
		t.Fatalf("admin ends: %d %s", st, b)
	}
	for {
		v := ph.until(protocol.ViewQueue, func(protocol.TicketView, string) {})
		if v.Disruptions == nil {
			break // the notice goes when the last one ends
		}
	}

	// Listing: supervisor and admin; both overlap today.
	today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
	st, b = call(t, "GET", u+"/api/v1/disruptions?from="+today+"&to="+today, sup.Token, "")
	var list []map[string]any
	mustJSON(t, b, &list)
	if st != 200 || len(list) != 2 {
		t.Fatalf("list %d %s", st, b)
	}
	for _, x := range list {
		for _, k := range []string{"id", "cause", "counter_ids", "note", "started_at", "ended_at", "minutes", "citizens_waiting"} {
			if _, ok := x[k]; !ok {
				t.Fatalf("listed disruption lacks %q: %v", k, x)
			}
		}
		// The dat-dai ticket, never called, waited through both (q1 serves
		// dat-dai); both lasted well under a minute.
		if x["citizens_waiting"] != float64(1) || x["minutes"].(float64) < 0 || x["minutes"].(float64) > 1 {
			t.Errorf("disruption %v: minutes %v, citizens_waiting %v, want 0–1 and 1", x["id"], x["minutes"], x["citizens_waiting"])
		}
	}
	st, b = call(t, "GET", u+"/api/v1/disruptions?from=2020-01-01&to=2020-01-31", admin, "")
	if st != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("old range %d %s", st, b)
	}
	for _, q := range []string{"from=yesterday", "to=2026-13-01", "from=2026-12-02&to=2026-12-01"} {
		if st, b := call(t, "GET", u+"/api/v1/disruptions?"+q, admin, ""); st != 400 {
			t.Errorf("%s: %d %s", q, st, b)
		}
	}
	if st, _ := call(t, "GET", u+"/api/v1/disruptions", clerk, ""); st != 403 {
		t.Errorf("clerk lists: %d", st)
	}
}
