package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// wsConn is a real websocket subscriber of /ws.
type wsConn struct {
	t *testing.T
	c *websocket.Conn
}

// dialWS opens /ws with query (token=… and more) and reads the snapshot.
func dialWS(t *testing.T, s *servertest.Server, query string) *wsConn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?"+query, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial /ws?%s: %v (HTTP %d)", query, err, status)
	}
	t.Cleanup(func() { c.Close() })
	w := &wsConn{t: t, c: c}
	if ev := w.next(); ev.Type != protocol.EventSnapshot {
		t.Fatalf("first message %s", ev.Type)
	}
	return w
}

// dialStatus is the HTTP status /ws?query is refused with (0: accepted).
func dialStatus(t *testing.T, s *servertest.Server, query string) int {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?"+query, nil)
	if err == nil {
		c.Close()
		return 0
	}
	if resp == nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func (w *wsConn) next() protocol.Event {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ev protocol.Event
	if err := w.c.ReadJSON(&ev); err != nil {
		w.t.Fatalf("read event: %v", err)
	}
	return ev
}

// await reads events until one of type typ satisfies ok, within 2 s: the
// time every admin change must take to reach the devices.
func (w *wsConn) await(typ string, ok func(json.RawMessage) bool) protocol.Event {
	w.t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		w.c.SetReadDeadline(deadline)
		var ev protocol.Event
		if err := w.c.ReadJSON(&ev); err != nil {
			w.t.Fatalf("no %s event within 2 s: %v", typ, err)
		}
		if ev.Type == typ && (ok == nil || ok(ev.Data)) {
			return ev
		}
	}
}

func counterIs(id, status string) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		var c protocol.Counter
		return json.Unmarshal(raw, &c) == nil && c.ID == id && (status == "" || c.Status == status)
	}
}

// waitAttached polls until counter id has n consoles attached: the server
// notices a closed websocket asynchronously.
func waitAttached(t *testing.T, e *queue.Engine, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.Attached(id) != n {
		if time.Now().After(deadline) {
			t.Fatalf("counter %s: %d consoles attached, want %d", id, e.Attached(id), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOpenMeansStaffed: a clerk console attaches to its counter with
// /ws?counter=; the counter stays open while it is connected (and over a
// reload), closes with a counter.updated event once the console has been
// gone for the grace, opens again when the console comes back; the board
// and the expected waits count only staffed counters.
func TestOpenMeansStaffed(t *testing.T) {
	clk := queue.NewManualClock(time.Now())
	s := servertest.Start(t, servertest.Options{Clock: clk})
	ctx := context.Background()
	e := s.App.Engine
	clerk := s.ClerkToken("canbo1") // q1
	admin := s.Client(s.AdminToken())
	watch := dialWS(t, s, "token="+s.DeviceToken("display", "TV"))

	// Every demo counter starts closed: nobody is signed in.
	b, err := admin.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range b.Counters {
		if cs.Counter.Status != protocol.CounterClosed {
			t.Fatalf("counter %s starts %s", cs.Counter.ID, cs.Counter.Status)
		}
	}
	// Tickets can still be taken in every field (each is served by some counter).
	for _, sv := range b.Services {
		if !sv.Open {
			t.Fatalf("demo field %s is closed (%s) with no clerk signed in", sv.ID, sv.ClosedReason)
		}
	}

	// Refusals: another clerk's counter, an unknown counter, a display.
	if st := dialStatus(t, s, "token="+clerk+"&counter=q2"); st != http.StatusForbidden {
		t.Fatalf("clerk of q1 attaching to q2: HTTP %d", st)
	}
	if st := dialStatus(t, s, "token="+clerk+"&counter=nope"); st != http.StatusNotFound {
		t.Fatalf("unknown counter: HTTP %d", st)
	}
	if st := dialStatus(t, s, "token="+s.DeviceToken("display", "TV 2")+"&counter=q1"); st != http.StatusForbidden {
		t.Fatalf("a display attaching to a counter: HTTP %d", st)
	}
	if n := e.Attached("q1"); n != 0 {
		t.Fatalf("refused dials left %d attachments", n)
	}

	// The console signs in: attaches, opens its counter (as counter.js does).
	con := dialWS(t, s, "token="+clerk+"&counter=q1")
	waitAttached(t, e, "q1", 1)
	if _, err := s.Client(clerk).SetCounterStatus(ctx, "q1", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	watch.await(protocol.EventCounterUpdated, counterIs("q1", protocol.CounterOpen))
	s.Issue("dat-dai", false)
	s.Issue("dat-dai", false)
	waitOf := func() *int {
		t.Helper()
		svcs, err := admin.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sv := range svcs {
			if sv.ID == "dat-dai" {
				return sv.ETANewSeconds
			}
		}
		t.Fatal("no dat-dai")
		return nil
	}
	if waitOf() == nil {
		t.Fatal("q1 staffed, yet no expected wait for dat-dai")
	}

	// A reload: the websocket goes and comes back within the grace.
	con.c.Close()
	waitAttached(t, e, "q1", 0)
	clk.Set(clk.Now().Add(queue.DefaultStaffGrace / 2))
	if err := e.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	con = dialWS(t, s, "token="+clerk+"&counter=q1")
	waitAttached(t, e, "q1", 1)
	clk.Set(clk.Now().Add(2 * queue.DefaultStaffGrace))
	if err := e.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	if cs, _ := e.Counter("q1"); cs.Counter.Status != protocol.CounterOpen {
		t.Fatalf("after a reload q1 is %s", cs.Counter.Status)
	}

	// The clerk closes the console: after the grace the counter closes,
	// every subscriber hears it, and the waits no longer count it.
	con.c.Close()
	waitAttached(t, e, "q1", 0)
	clk.Set(clk.Now().Add(queue.DefaultStaffGrace))
	if err := e.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	watch.await(protocol.EventCounterUpdated, counterIs("q1", protocol.CounterClosed))
	if w := waitOf(); w != nil {
		t.Fatalf("no counter staffed, yet an expected wait of %d s", *w)
	}

	// Back: the counter reopens by itself.
	dialWS(t, s, "token="+clerk+"&counter=q1")
	watch.await(protocol.EventCounterUpdated, counterIs("q1", protocol.CounterOpen))

	// The wire contract's next keeps working on a closed, unstaffed
	// counter: it opens it, and nothing closes it while nobody attaches.
	if _, err := admin.Next(ctx, "q3"); err != nil {
		t.Fatal(err)
	}
	watch.await(protocol.EventCounterUpdated, counterIs("q3", protocol.CounterOpen))
	clk.Set(clk.Now().Add(10 * queue.DefaultStaffGrace))
	if err := e.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	if cs, _ := e.Counter("q3"); cs.Counter.Status != protocol.CounterOpen {
		t.Fatalf("opened by next: q3 is %s", cs.Counter.Status)
	}
}

// TestFieldWithoutCounter: a field no counter serves is listed closed
// (no_counter) and refuses tickets with 422 service_closed, until a counter
// takes it or the admin lets it issue anyway; its group round-trips.
func TestFieldWithoutCounter(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	admin := s.Client(s.AdminToken())
	kiosk := s.Client(s.DeviceToken("kiosk", "Ki-ốt"))
	watch := dialWS(t, s, "token="+s.DeviceToken("display", "TV"))
	svc := protocol.Service{ID: "nong-nghiep", Prefix: "N", Name: protocol.Text{Vi: "Sở Nông nghiệp và Phát triển nông thôn", En: "Agriculture"},
		Enabled: true, Group: &protocol.Text{Vi: "Nhận hồ sơ", En: "Applications"}}
	var out protocol.Service
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/services/nong-nghiep", svc, &out, nil); err != nil {
		t.Fatal(err)
	}
	if out.Open || out.ClosedReason != protocol.ClosedNoCounter {
		t.Fatalf("PUT answer: open %v reason %q", out.Open, out.ClosedReason)
	}
	find := func() protocol.Service {
		t.Helper()
		list, err := kiosk.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sv := range list {
			if sv.ID == svc.ID {
				return sv
			}
		}
		t.Fatal("field not listed")
		return protocol.Service{}
	}
	got := find()
	if got.Open || got.ClosedReason != protocol.ClosedNoCounter || got.ETANewSeconds != nil {
		t.Fatalf("listed: open %v reason %q eta %v", got.Open, got.ClosedReason, got.ETANewSeconds)
	}
	if got.Group == nil || got.Group.Vi != "Nhận hồ sơ" || got.Group.En != "Applications" {
		t.Fatalf("group %+v", got.Group)
	}
	_, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svc.ID}, "")
	var ce *client.Error
	if !asClientError(err, &ce) || ce.Status != http.StatusUnprocessableEntity || ce.Code != protocol.CodeServiceClosed {
		t.Fatalf("issue in an unserved field: %v", err)
	}
	// A counter takes it: the field opens at once on every device.
	q8 := protocol.Counter{ID: "q8", Number: 8, Name: protocol.Text{Vi: "Quầy 8 – Trả kết quả"}, ServiceIDs: []string{"tra-ket-qua", svc.ID}, Status: protocol.CounterClosed}
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/counters/q8", q8, nil, nil); err != nil {
		t.Fatal(err)
	}
	watch.await(protocol.EventServiceUpdated, func(raw json.RawMessage) bool {
		var sv protocol.Service
		return json.Unmarshal(raw, &sv) == nil && sv.ID == svc.ID && sv.Open
	})
	if _, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svc.ID}, ""); err != nil {
		t.Fatal(err)
	}
	// The counter drops it: closed again; the admin allows unserved tickets.
	q8.ServiceIDs = []string{"tra-ket-qua"}
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/counters/q8", q8, nil, nil); err != nil {
		t.Fatal(err)
	}
	watch.await(protocol.EventServiceUpdated, func(raw json.RawMessage) bool {
		var sv protocol.Service
		return json.Unmarshal(raw, &sv) == nil && sv.ID == svc.ID && !sv.Open && sv.ClosedReason == protocol.ClosedNoCounter
	})
	svc.AcceptUnserved = true
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/services/nong-nghiep", svc, &out, nil); err != nil {
		t.Fatal(err)
	}
	if !out.Open || !out.AcceptUnserved {
		t.Fatalf("accept_unserved: %+v", out)
	}
	if _, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svc.ID}, ""); err != nil {
		t.Fatal(err)
	}
	// The board's fields carry the group too.
	b, err := admin.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range b.Services {
		if sv.ID == svc.ID && (sv.Group == nil || !sv.AcceptUnserved) {
			t.Fatalf("board service %+v", sv)
		}
	}
	// A bad group changes nothing.
	bad := svc
	bad.Group = &protocol.Text{En: "English only"}
	if st, _ := admin.Do(ctx, http.MethodPut, "/api/v1/services/nong-nghiep", bad, nil, nil); st != http.StatusBadRequest {
		t.Fatalf("group without name.vi: HTTP %d", st)
	}
	if g := find().Group; g == nil || g.Vi != "Nhận hồ sơ" {
		t.Fatalf("after a refused PUT: group %+v", g)
	}
}

// TestAdminChangesReachDevices: every admin mutation publishes its event
// to a real /ws subscriber (a display) within 2 s.
func TestAdminChangesReachDevices(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	admin := s.Client(s.AdminToken())
	watch := dialWS(t, s, "token="+s.DeviceToken("display", "TV"))
	centre, err := admin.Centre(ctx)
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	field := svcs[0]
	counters, err := admin.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := counters[0]
	named := func(want string) func(json.RawMessage) bool {
		return func(raw json.RawMessage) bool {
			var x struct {
				Name protocol.Text `json:"name"`
			}
			return json.Unmarshal(raw, &x) == nil && x.Name.Vi == want
		}
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		event  string
		ok     func(json.RawMessage) bool
	}{
		{"centre renamed", http.MethodPut, "/api/v1/centre",
			func() protocol.Centre { c := centre; c.Name.Vi = "Trung tâm mới"; return c }(),
			protocol.EventCentreUpdated, named("Trung tâm mới")},
		{"centre notice", http.MethodPut, "/api/v1/centre",
			func() protocol.Centre {
				c := centre
				c.Name.Vi = "Trung tâm mới"
				c.Notice.Vi = "Nghỉ trưa 11:30"
				return c
			}(),
			protocol.EventCentreUpdated, func(raw json.RawMessage) bool {
				var c protocol.Centre
				return json.Unmarshal(raw, &c) == nil && c.Notice.Vi == "Nghỉ trưa 11:30"
			}},
		{"field renamed", http.MethodPut, "/api/v1/services/" + field.ID,
			func() protocol.Service { f := field; f.Name.Vi = "Sở Tài nguyên và Môi trường"; return f }(),
			protocol.EventServiceUpdated, named("Sở Tài nguyên và Môi trường")},
		{"field grouped", http.MethodPut, "/api/v1/services/" + field.ID,
			func() protocol.Service {
				f := field
				f.Name.Vi = "Sở Tài nguyên và Môi trường"
				f.Group = &protocol.Text{Vi: "Nhận hồ sơ"}
				return f
			}(),
			protocol.EventServiceUpdated, func(raw json.RawMessage) bool {
				var sv protocol.Service
				return json.Unmarshal(raw, &sv) == nil && sv.Group != nil && sv.Group.Vi == "Nhận hồ sơ"
			}},
		{"field switched off", http.MethodPut, "/api/v1/services/" + field.ID,
			func() protocol.Service {
				f := field
				f.Name.Vi = "Sở Tài nguyên và Môi trường"
				f.Enabled = false
				return f
			}(),
			protocol.EventServiceUpdated, func(raw json.RawMessage) bool {
				var sv protocol.Service
				return json.Unmarshal(raw, &sv) == nil && !sv.Enabled && sv.ClosedReason == protocol.ClosedDisabled
			}},
		{"counter renamed", http.MethodPut, "/api/v1/counters/" + q.ID,
			func() protocol.Counter { c := q; c.Name.Vi = "Quầy 1 – Đất đai"; return c }(),
			protocol.EventCounterUpdated, named("Quầy 1 – Đất đai")},
		{"counter opened", http.MethodPut, "/api/v1/counters/" + q.ID + "/status",
			protocol.CounterStatusRequest{Status: protocol.CounterOpen},
			protocol.EventCounterUpdated, counterIs(q.ID, protocol.CounterOpen)},
		{"counter paused", http.MethodPut, "/api/v1/counters/" + q.ID + "/status",
			protocol.CounterStatusRequest{Status: protocol.CounterPaused},
			protocol.EventCounterUpdated, counterIs(q.ID, protocol.CounterPaused)},
	}
	for _, c := range cases {
		start := time.Now()
		if st, err := admin.Do(ctx, c.method, c.path, c.body, nil, nil); err != nil {
			t.Fatalf("%s: HTTP %d %v", c.name, st, err)
		}
		watch.await(c.event, c.ok)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: the event came after %v", c.name, d)
		}
	}
}

func asClientError(err error, out **client.Error) bool {
	ce, ok := err.(*client.Error)
	if ok {
		*out = ce
	}
	return ok
}

// TestCalibrationSurvivesRestart: after more calls than the wait ranges
// need to calibrate, and some pauses, restarting the server on the same
// data folder gives every waiting ticket exactly the estimate it had.
func TestCalibrationSurvivesRestart(t *testing.T) {
	clk := queue.NewManualClock(time.Now().Add(-3 * time.Hour))
	dir := t.TempDir()
	s := servertest.Start(t, servertest.Options{Dir: dir, Clock: clk, NoRateLimits: true})
	ctx := context.Background()
	admin := s.Client(s.AdminToken())
	tick := func(d time.Duration) { clk.Set(clk.Now().Add(d)) }
	for range 4 {
		s.Issue("dat-dai", false)
	}
	for i := range 60 {
		s.Issue("dat-dai", i%7 == 0)
		tick(40 * time.Second)
		q := []string{"q1", "q2"}[i%2] // both serve dat-dai
		if _, err := admin.Next(ctx, q); err != nil {
			t.Fatal(err)
		}
		if i%10 == 5 {
			if _, err := admin.SetCounterStatus(ctx, q, protocol.CounterPaused); err != nil {
				t.Fatal(err)
			}
			tick(3 * time.Minute)
			if _, err := admin.SetCounterStatus(ctx, q, protocol.CounterOpen); err != nil {
				t.Fatal(err)
			}
		}
		tick(time.Duration(50+i%5*20) * time.Second)
	}
	var tokens []string
	for range 3 {
		r, err := admin.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai"}, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, r.Token)
	}
	tick(time.Minute)
	estimates := func() []string {
		t.Helper()
		var out []string
		for _, tok := range tokens {
			tk, err := s.Client("").Ticket(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s ahead %d eta %d (%d–%d)", tk.Code, tk.Ahead, tk.ETASeconds, tk.ETALowSeconds, tk.ETAHighSeconds))
		}
		return out
	}
	in := s.App.Engine.ProjectionInput()
	if in.Widen == 1 || in.Pause == 0 {
		t.Fatalf("nothing calibrated: widen %v pause %v", in.Widen, in.Pause)
	}
	before := estimates()
	s.Restart()
	after := estimates()
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatalf("estimates changed across the restart:\nbefore %q\nafter  %q", before, after)
	}
	if in2 := s.App.Engine.ProjectionInput(); in2.Widen != in.Widen || in2.Pause != in.Pause {
		t.Fatalf("calibration: widen %v→%v, pause %v→%v", in.Widen, in2.Widen, in.Pause, in2.Pause)
	}
}
