package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// call sends a raw request and returns status, body.
func call(t *testing.T, method, url, token, body string, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
}

// TestContractShapes walks the wire contract v1 as an outside client would,
// checking paths, statuses and field names from DESIGN.md.
func TestContractShapes(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	u := s.URL

	st, b := call(t, "GET", u+"/healthz", "", "")
	if st != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Fatalf("healthz %d %s", st, b)
	}
	st, b = call(t, "POST", u+"/api/v1/login", "", `{"username":"admin","password":"`+servertest.AdminPassword+`"}`)
	var login map[string]any
	mustJSON(t, b, &login)
	if st != 200 || login["token"] == "" || login["role"] != "admin" || login["user"] != "admin" {
		t.Fatalf("login %d %s", st, b)
	}
	admin := login["token"].(string)

	st, b = call(t, "GET", u+"/api/v1/services", "", "")
	var svcs []map[string]any
	mustJSON(t, b, &svcs)
	if st != 200 || len(svcs) != 8 {
		t.Fatalf("services %d: %d", st, len(svcs))
	}
	for _, k := range []string{"id", "prefix", "name", "open", "waiting"} {
		if _, ok := svcs[0][k]; !ok {
			t.Fatalf("service lacks %q: %v", k, svcs[0])
		}
	}
	if svcs[0]["id"] != "dat-dai" || svcs[0]["prefix"] != "A" || svcs[0]["name"].(map[string]any)["vi"] != "Đất đai" || svcs[0]["open"] != true {
		t.Fatalf("first service %v", svcs[0])
	}
	st, b = call(t, "GET", u+"/api/v1/counters", "", "")
	var counters []map[string]any
	mustJSON(t, b, &counters)
	if st != 200 || len(counters) != 8 {
		t.Fatalf("counters %d %s", st, b)
	}
	for _, k := range []string{"id", "number", "name", "service_ids", "status"} {
		if _, ok := counters[0][k]; !ok {
			t.Fatalf("counter lacks %q", k)
		}
	}
	// Every field is served by some counter in the demo centre.
	served := map[string]bool{}
	for _, c := range counters {
		for _, id := range c["service_ids"].([]any) {
			served[id.(string)] = true
		}
	}
	for _, sv := range svcs {
		if !served[sv["id"].(string)] {
			t.Fatalf("demo field %s served by no counter", sv["id"])
		}
	}

	st, b = call(t, "POST", u+"/api/v1/devices", admin, `{"kind":"kiosk","name":"Kiosk sảnh A"}`)
	var dev map[string]any
	mustJSON(t, b, &dev)
	if st != 201 || dev["kind"] != "kiosk" || dev["name"] != "Kiosk sảnh A" || dev["id"] == "" || dev["token"] == "" {
		t.Fatalf("device %d %s", st, b)
	}
	kiosk := dev["token"].(string)
	st, b = call(t, "POST", u+"/api/v1/devices", admin, `{"kind":"display","name":"TV sảnh"}`)
	mustJSON(t, b, &dev)
	display := dev["token"].(string)

	st, b = call(t, "POST", u+"/api/v1/tickets", kiosk, `{"service_id":"dat-dai","priority":false,"lang":"vi"}`)
	var tk map[string]any
	mustJSON(t, b, &tk)
	if st != 201 {
		t.Fatalf("issue %d %s", st, b)
	}
	for _, k := range []string{"id", "code", "number", "service_id", "status", "priority", "issued_at", "token", "track_url", "ahead", "eta_seconds"} {
		if _, ok := tk[k]; !ok {
			t.Fatalf("ticket lacks %q: %s", k, b)
		}
	}
	if tk["code"] != "A001" || tk["number"].(float64) != 1 || tk["status"] != "waiting" {
		t.Fatalf("ticket %s", b)
	}
	if _, err := time.Parse(time.RFC3339, tk["issued_at"].(string)); err != nil || !strings.HasSuffix(tk["issued_at"].(string), "+07:00") {
		t.Fatalf("issued_at %v is not RFC 3339 with the centre's offset", tk["issued_at"])
	}
	tok := tk["token"].(string)
	if !strings.HasSuffix(tk["track_url"].(string), "/t/"+tok) {
		t.Fatalf("track_url %v", tk["track_url"])
	}
	st, b = call(t, "GET", u+"/api/v1/tickets/"+tok, "", "")
	var tk2 map[string]any
	mustJSON(t, b, &tk2)
	if st != 200 || tk2["id"] != tk["id"] || tk2["token"] != tok {
		t.Fatalf("get ticket %d %s", st, b)
	}
	// Idempotency-Key: a retry returns the same ticket.
	st1, b1 := call(t, "POST", u+"/api/v1/tickets", kiosk, `{"service_id":"dat-dai","priority":true,"lang":"en"}`, "Idempotency-Key", "k-1")
	st2, b2 := call(t, "POST", u+"/api/v1/tickets", kiosk, `{"service_id":"dat-dai","priority":true,"lang":"en"}`, "Idempotency-Key", "k-1")
	var i1, i2 map[string]any
	mustJSON(t, b1, &i1)
	mustJSON(t, b2, &i2)
	if st1 != 201 || st2 != 201 || i1["id"] != i2["id"] || i1["code"] != "A002" {
		t.Fatalf("idempotent retry: %d %s / %d %s", st1, b1, st2, b2)
	}

	clerk := s.ClerkToken("canbo1") // counter q1 serves dat-dai
	st, b = call(t, "POST", u+"/api/v1/counters/q1/next", clerk, "")
	var called map[string]any
	mustJSON(t, b, &called)
	if st != 200 || called["code"] != "A002" || called["status"] != "called" || called["counter_id"] != "q1" || called["called_at"] == nil {
		t.Fatalf("next (priority first) %d %s", st, b)
	}
	st, b = call(t, "POST", u+"/api/v1/counters/q1/recall", clerk, "")
	if st != 200 {
		t.Fatalf("recall %d %s", st, b)
	}
	st, b = call(t, "POST", u+"/api/v1/counters/q1/transfer", clerk, `{"service_id":"tra-ket-qua"}`)
	mustJSON(t, b, &called)
	if st != 200 || called["status"] != "waiting" || called["service_id"] != "tra-ket-qua" {
		t.Fatalf("transfer %d %s", st, b)
	}
	st, b = call(t, "POST", u+"/api/v1/counters/q1/next", clerk, "")
	mustJSON(t, b, &called)
	if st != 200 || called["code"] != "A001" {
		t.Fatalf("next %d %s", st, b)
	}
	st, b = call(t, "POST", u+"/api/v1/counters/q1/no-show", clerk, "")
	mustJSON(t, b, &called)
	if st != 200 || called["status"] != "no_show" {
		t.Fatalf("no-show %d %s", st, b)
	}
	st, b = call(t, "POST", u+"/api/v1/counters/q1/next", clerk, "")
	if st != 204 || len(b) != 0 {
		t.Fatalf("next with nobody waiting: %d %s", st, b)
	}
	st, _ = call(t, "POST", u+"/api/v1/counters/q8/next", clerk, "") // canbo1 is not at q8
	if st != 403 {
		t.Fatalf("clerk at another counter: %d", st)
	}
	adminNext, b := call(t, "POST", u+"/api/v1/counters/q8/next", admin, "")
	mustJSON(t, b, &called)
	if adminNext != 200 || called["code"] != "A002" {
		t.Fatalf("admin next at q8 %d %s", adminNext, b)
	}
	st, b = call(t, "POST", u+"/api/v1/counters/q8/done", admin, "")
	mustJSON(t, b, &called)
	if st != 200 || called["status"] != "done" {
		t.Fatalf("done %d %s", st, b)
	}

	st, b = call(t, "GET", u+"/api/v1/board", display, "")
	var board map[string]any
	mustJSON(t, b, &board)
	if st != 200 {
		t.Fatalf("board %d %s", st, b)
	}
	for _, k := range []string{"seq", "epoch", "counters", "recent", "waiting"} {
		if _, ok := board[k]; !ok {
			t.Fatalf("board lacks %q", k)
		}
	}
	cs := board["counters"].([]any)[0].(map[string]any)
	if _, ok := cs["counter"]; !ok {
		t.Fatalf("board counter entry %v", cs)
	}
	if _, ok := cs["current"]; !ok {
		t.Fatalf("board counter entry lacks current: %v", cs)
	}
	recent := board["recent"].([]any)
	call0 := recent[0].(map[string]any)
	for _, k := range []string{"ticket", "counter", "at", "recall"} {
		if _, ok := call0[k]; !ok {
			t.Fatalf("call lacks %q: %v", k, call0)
		}
	}
	if bytes.Contains(b, []byte(tok)) || bytes.Contains(b, []byte(`"token"`)) {
		t.Fatal("the board leaks ticket tokens")
	}
}

// TestBadInput: every bad request gets the right 4xx JSON error and changes nothing.
func TestBadInput(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	admin := s.AdminToken()
	kiosk := s.DeviceToken("kiosk", "k")
	display := s.DeviceToken("display", "d")
	clerk := s.ClerkToken("canbo1")
	s.Issue("dat-dai", false)
	seq0, _ := s.App.Engine.Seq()
	u := s.URL
	huge := `{"service_id":"` + strings.Repeat("a", 70<<10) + `"}`
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"malformed JSON", "POST", "/api/v1/tickets", kiosk, `{"service_id":`, 400, "bad_json"},
		{"not an object", "POST", "/api/v1/tickets", kiosk, `"dat-dai"`, 400, "bad_json"},
		{"empty body", "POST", "/api/v1/tickets", kiosk, ``, 400, "bad_json"},
		{"two objects", "POST", "/api/v1/tickets", kiosk, `{"service_id":"dat-dai"}{}`, 400, "bad_json"},
		{"unknown field", "POST", "/api/v1/tickets", kiosk, `{"service_id":"dat-dai","vip":true}`, 400, "bad_request"},
		{"wrong type", "POST", "/api/v1/tickets", kiosk, `{"service_id":7}`, 400, "bad_request"},
		{"wrong type bool", "POST", "/api/v1/tickets", kiosk, `{"service_id":"dat-dai","priority":"yes"}`, 400, "bad_request"},
		{"missing service", "POST", "/api/v1/tickets", kiosk, `{"priority":true}`, 400, "bad_request"},
		{"bad lang", "POST", "/api/v1/tickets", kiosk, `{"service_id":"dat-dai","lang":"fr"}`, 400, "bad_request"},
		{"unknown service", "POST", "/api/v1/tickets", kiosk, `{"service_id":"nope"}`, 404, "not_found"},
		{"huge body", "POST", "/api/v1/tickets", kiosk, huge, 413, "too_large"},
		{"no token", "POST", "/api/v1/tickets", "", `{"service_id":"dat-dai"}`, 401, "unauthorized"},
		{"invalid token", "POST", "/api/v1/tickets", "nope-nope-nope", `{"service_id":"dat-dai"}`, 401, "unauthorized"},
		{"display issues", "POST", "/api/v1/tickets", display, `{"service_id":"dat-dai"}`, 403, "forbidden"},
		{"clerk issues", "POST", "/api/v1/tickets", clerk, `{"service_id":"dat-dai"}`, 403, "forbidden"},
		{"display calls", "POST", "/api/v1/counters/q1/next", display, ``, 403, "forbidden"},
		{"kiosk calls", "POST", "/api/v1/counters/q1/next", kiosk, ``, 403, "forbidden"},
		{"phone calls", "POST", "/api/v1/counters/q1/next", "", ``, 401, "unauthorized"},
		{"clerk other counter", "POST", "/api/v1/counters/q2/next", clerk, ``, 403, "forbidden"},
		{"unknown counter", "POST", "/api/v1/counters/q99/next", admin, ``, 404, "not_found"},
		{"next with fields", "POST", "/api/v1/counters/q1/next", clerk, `{"x":1}`, 400, "bad_request"},
		{"recall nothing", "POST", "/api/v1/counters/q1/recall", clerk, ``, 409, "no_current_ticket"},
		{"done nothing", "POST", "/api/v1/counters/q1/done", clerk, ``, 409, "no_current_ticket"},
		{"transfer unknown", "POST", "/api/v1/counters/q1/transfer", clerk, `{"service_id":"nope"}`, 409, "no_current_ticket"},
		{"transfer bad body", "POST", "/api/v1/counters/q1/transfer", clerk, `[]`, 400, "bad_json"},
		{"kiosk reads board", "GET", "/api/v1/board", kiosk, ``, 403, "forbidden"},
		{"anonymous board", "GET", "/api/v1/board", "", ``, 401, "unauthorized"},
		{"clerk creates device", "POST", "/api/v1/devices", clerk, `{"kind":"kiosk","name":"x"}`, 403, "forbidden"},
		{"bad device kind", "POST", "/api/v1/devices", admin, `{"kind":"toaster","name":"x"}`, 400, "bad_request"},
		{"device no name", "POST", "/api/v1/devices", admin, `{"kind":"kiosk","name":"  "}`, 400, "bad_request"},
		{"unknown ticket", "GET", "/api/v1/tickets/AAAAAAAAAAAAAAAAAAAAAAAA", "", ``, 404, "not_found"},
		{"odd ticket token", "GET", "/api/v1/tickets/%3Cscript%3E", "", ``, 404, "not_found"},
		{"bad login", "POST", "/api/v1/login", "", `{"username":"admin","password":"wrong"}`, 401, "unauthorized"},
		{"login missing", "POST", "/api/v1/login", "", `{"username":"admin"}`, 400, "bad_request"},
		{"clerk admin page", "GET", "/api/v1/users", clerk, ``, 403, "forbidden"},
		{"bad counter status", "PUT", "/api/v1/counters/q1/status", clerk, `{"status":"asleep"}`, 400, "bad_request"},
		{"bad service prefix", "PUT", "/api/v1/services/x", admin, `{"id":"x","prefix":"a1","name":{"vi":"X"}}`, 400, "bad_request"},
		{"bad hours", "PUT", "/api/v1/services/x", admin, `{"id":"x","prefix":"X","name":{"vi":"X"},"hours":{"mon":["17:00-08:00"]}}`, 400, "bad_request"},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", ``, 404, "not_found"},
		{"heartbeat bad printer", "POST", "/api/v1/devices/heartbeat", kiosk, `{"printer":"on fire"}`, 400, "bad_request"},
		{"ws without upgrade", "GET", "/ws", display, ``, 400, "bad_request"},
		{"ws bad since", "GET", "/ws?since=-4", display, ``, 400, "bad_request"},
		{"ws kiosk", "GET", "/ws", kiosk, ``, 403, "forbidden"},
		{"ws anonymous", "GET", "/ws", "", ``, 401, "unauthorized"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, b := call(t, c.method, u+c.path, c.token, c.body)
			var e protocol.Error
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("%d, not a JSON error: %s", st, b)
			}
			if st != c.status || e.Error.Code != c.code || e.Error.Message == "" {
				t.Fatalf("got %d %s, want %d %s", st, b, c.status, c.code)
			}
		})
	}
	if seq, _ := s.App.Engine.Seq(); seq != seq0 {
		t.Fatalf("bad input changed state: seq %d → %d", seq0, seq)
	}
	if sv := s.App.Engine.Services(); sv[0].Waiting != 1 || sv[0].IssuedToday != 1 {
		t.Fatalf("bad input changed the queue: %+v", sv[0])
	}
}

func TestRateLimits(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	got429 := false
	for range 20 {
		st, b := call(t, "POST", s.URL+"/api/v1/login", "", `{"username":"admin","password":"wrong"}`)
		if st == 429 {
			var e protocol.Error
			mustJSON(t, b, &e)
			if e.Error.Code != "rate_limited" {
				t.Fatalf("429 body %s", b)
			}
			got429 = true
			break
		}
	}
	if !got429 {
		t.Fatal("20 wrong logins from one address were never rate limited")
	}
	got429 = false
	for range 200 {
		if st, _ := call(t, "GET", s.URL+"/api/v1/tickets/AAAAAAAAAAAAAAAAAAAAAAAA", "", ""); st == 429 {
			got429 = true
			break
		}
	}
	if !got429 {
		t.Fatal("the public ticket endpoint was never rate limited")
	}
}

func TestCookieSessionNeedsCSRF(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	st, b := call(t, "POST", s.URL+"/api/v1/login", "", `{"username":"admin","password":"`+servertest.AdminPassword+`"}`)
	var lr struct {
		Token string `json:"token"`
		CSRF  string `json:"csrf_token"`
	}
	mustJSON(t, b, &lr)
	if st != 200 || lr.CSRF == "" {
		t.Fatalf("login %d %s", st, b)
	}
	do := func(csrf string) int {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/tickets", strings.NewReader(`{"service_id":"dat-dai"}`))
		req.AddCookie(&http.Cookie{Name: "civiq_session", Value: lr.Token})
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := do(""); st != 403 {
		t.Fatalf("cookie POST without CSRF header: %d, want 403", st)
	}
	if st := do("wrong"); st != 403 {
		t.Fatalf("cookie POST with wrong CSRF: %d, want 403", st)
	}
	if st := do(lr.CSRF); st != 201 {
		t.Fatalf("cookie POST with CSRF: %d, want 201", st)
	}
}

// TestTwoClerksPressNext: two counters serving the same field press Next at
// the same moment, many times: never the same ticket.
func TestTwoClerksPressNext(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	for range 40 {
		s.Issue("dat-dai", false)
	}
	c1 := s.Client(s.ClerkToken("canbo1")) // q1: dat-dai
	c2 := s.Client(s.ClerkToken("canbo2")) // q2: dat-dai
	seen := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, pair := range []struct {
		c  *client.Client
		id string
	}{{c1, "q1"}, {c2, "q2"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				tk, err := pair.c.Next(context.Background(), pair.id)
				if err != nil {
					t.Error(err)
					return
				}
				if tk == nil {
					return
				}
				mu.Lock()
				if other, dup := seen[tk.ID]; dup {
					t.Errorf("%s called at %s and %s", tk.Code, other, pair.id)
				}
				seen[tk.ID] = pair.id
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Fatalf("%d tickets called, want 40", len(seen))
	}
}

// TestWebsocketGarbageAndFlood: a client that sends garbage, oversized
// frames or a flood is closed cleanly, and the server keeps serving others.
func TestWebsocketGarbageAndFlood(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	tok := s.DeviceToken("display", "d")
	wsURL := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
	dial := func() *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(wsURL+"?token="+tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ev protocol.Event
		if err := c.ReadJSON(&ev); err != nil || ev.Type != "snapshot" {
			t.Fatalf("first message %+v %v", ev, err)
		}
		return c
	}
	// Oversized frame: closed with 1009 (message too big).
	c := dial()
	c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), 4096))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("oversized frame: %v, want close 1009", err)
	}
	c.Close()
	// Flood of small messages: closed with 1008 (policy violation).
	c = dial()
	for range 200 {
		if c.WriteMessage(websocket.TextMessage, []byte("garbage{")) != nil {
			break
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err = c.ReadMessage()
		if err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("flood: %v, want close 1008", err)
	}
	c.Close()
	// Binary garbage with a bad opcode: the connection ends, the server lives.
	raw := dial()
	raw.UnderlyingConn().Write([]byte{0x8f, 0xff, 0, 0, 0, 0, 1, 2, 3})
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := raw.ReadMessage(); err != nil {
			break
		}
	}
	raw.Close()
	c = dial()
	defer c.Close()
	s.Issue("dat-dai", false)
	var ev protocol.Event
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.ReadJSON(&ev); err != nil || ev.Type != protocol.EventTicketIssued {
		t.Fatalf("server did not keep serving: %+v %v", ev, err)
	}
	if st, _ := call(t, "GET", s.URL+"/healthz", "", ""); st != 200 {
		t.Fatal("unhealthy after websocket garbage")
	}
}

func TestMetrics(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	s.Issue("dat-dai", false)
	st, b := call(t, "GET", s.URL+"/metrics", "", "")
	if st != 200 {
		t.Fatal(st)
	}
	for _, want := range []string{`civiq_tickets_issued_total{service="dat-dai"} 1`, `civiq_waiting{service="dat-dai"} 1`, "civiq_ws_clients 0", "civiq_http_request_duration_seconds_bucket"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	_ = fmt.Sprint()
}

// TestRevokedDeviceStopsAtOnce: the token cache never outlives a revocation
// made on this server.
func TestRevokedDeviceStopsAtOnce(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	admin := s.AdminToken()
	st, b := call(t, "POST", s.URL+"/api/v1/devices", admin, `{"kind":"kiosk","name":"k"}`)
	var d map[string]any
	mustJSON(t, b, &d)
	tok := d["token"].(string)
	if st, _ := call(t, "POST", s.URL+"/api/v1/tickets", tok, `{"service_id":"dat-dai"}`); st != 201 {
		t.Fatalf("before revocation: %d", st)
	}
	if st, _ = call(t, "DELETE", s.URL+"/api/v1/devices/"+d["id"].(string), admin, ""); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if st, _ := call(t, "POST", s.URL+"/api/v1/tickets", tok, `{"service_id":"dat-dai"}`); st != 401 {
		t.Fatalf("after revocation: %d, want 401", st)
	}
}
