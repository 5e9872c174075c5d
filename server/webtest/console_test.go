package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// startServer starts a test server without login rate limits (the tests
// sign in many times from 127.0.0.1).
func startServer(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{NoRateLimits: true})
}

// openConsole signs a demo clerk in at /counter in p and waits for the live
// console (the clerks of the demo centre serve one counter each).
func openConsole(p *tab, clerk string) {
	p.t.Helper()
	p.srv.ClerkToken(clerk) // sets the known password
	p.open("/counter")
	p.login(clerk, servertest.ClerkPassword(clerk))
	waitLive(p)
}

func waitLive(p *tab) {
	p.t.Helper()
	p.wait(`!document.querySelector('#console').hidden && document.querySelector('#conn').dataset.state === 'live'`, "the live console")
}

// subscribe collects the server's events as a websocket client would.
func subscribe(t *testing.T, srv *servertest.Server) <-chan protocol.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := make(chan protocol.Event, 1000)
	c := srv.Client(srv.AdminToken())
	go c.Subscribe(ctx, client.SubscribeOptions{MaxBackoff: time.Second}, func(ev protocol.Event) error {
		ch <- ev
		return nil
	})
	return ch
}

// waitEvent reads events until one of type typ matches (match may be nil).
func waitEvent(t *testing.T, ch <-chan protocol.Event, typ string, match func(protocol.Event) bool) protocol.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Type == typ && (match == nil || match(ev)) {
				return ev
			}
		case <-deadline:
			t.Fatalf("timed out waiting for a %s event", typ)
		}
	}
}

func callOf(t *testing.T, ev protocol.Event) protocol.Call {
	t.Helper()
	var c protocol.Call
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func ticketOf(t *testing.T, ev protocol.Event) protocol.Ticket {
	t.Helper()
	var tk protocol.Ticket
	if err := json.Unmarshal(ev.Data, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

// board is the server's board (what the displays show).
func board(t *testing.T, srv *servertest.Server) protocol.Board {
	t.Helper()
	b, err := srv.Client(srv.AdminToken()).Board(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func counterState(t *testing.T, b protocol.Board, id string) protocol.CounterState {
	t.Helper()
	for _, cs := range b.Counters {
		if cs.Counter.ID == id {
			return cs
		}
	}
	t.Fatalf("no counter %s on the board", id)
	return protocol.CounterState{}
}

func currentCode(t *testing.T, srv *servertest.Server, counter string) string {
	t.Helper()
	if cur := counterState(t, board(t, srv), counter).Current; cur != nil {
		return cur.Code
	}
	return ""
}

// TestConsoleServes walks a clerk's day with the keyboard: call, recall,
// transfer, no-show, done, nobody waiting, pause and resume; each step shows
// on the page, on the board snapshot and on a websocket subscriber.
func TestConsoleServes(t *testing.T) {
	srv := startServer(t)
	events := subscribe(t, srv)
	a1 := srv.Issue("dat-dai", false)
	f1 := srv.Issue("tai-nguyen-moi-truong", false)
	p := newTab(t, srv)
	openConsole(p, "canbo1")
	p.waitText("#waiting-list", a1.Code)
	p.waitText("#waiting-list", f1.Code)
	p.waitText("#waiting-total", "2")

	// N: next.
	p.press("n")
	p.waitText("#current-code", a1.Code)
	p.waitText("#current-field", "Đất đai")
	call := callOf(t, waitEvent(t, events, protocol.EventTicketCalled, nil))
	if call.Ticket.Code != a1.Code || call.Counter.ID != "q1" {
		t.Fatalf("called %s at %s, want %s at q1", call.Ticket.Code, call.Counter.ID, a1.Code)
	}
	if got := currentCode(t, srv, "q1"); got != a1.Code {
		t.Fatalf("board shows %q at q1, want %s", got, a1.Code)
	}
	p.wait(`!document.querySelector('#waiting-list').textContent.includes(`+jsString(a1.Code)+`)`, "the called ticket to leave the waiting list")

	// R: recall.
	p.press("r")
	waitEvent(t, events, protocol.EventTicketRecalled, nil)
	p.waitText("#current-meta", "Đã gọi lại 1 lần")

	// T: transfer to Tư pháp – Hộ tịch, chosen with the mouse.
	p.press("t")
	p.wait(`document.querySelector('#transfer-dialog').open`, "the transfer dialog")
	p.click(`#transfer-list [data-service="tu-phap-ho-tich"]`)
	tr := ticketOf(t, waitEvent(t, events, protocol.EventTicketTransferred, nil))
	if tr.ServiceID != "tu-phap-ho-tich" || tr.Code != a1.Code || tr.Status != protocol.StatusWaiting {
		t.Fatalf("transferred %+v", tr)
	}
	p.waitText("#current-code", "Chưa gọi số nào")
	p.waitText("#msg", "Đã chuyển số "+a1.Code)

	// N then K: no-show.
	p.press("n")
	p.waitText("#current-code", f1.Code)
	p.press("k")
	ns := ticketOf(t, waitEvent(t, events, protocol.EventTicketNoShow, nil))
	if ns.Code != f1.Code {
		t.Fatalf("no-show of %s, want %s", ns.Code, f1.Code)
	}
	p.waitText("#current-code", "Chưa gọi số nào")

	// Nobody waits in q1's fields now.
	p.press("n")
	p.waitText("#msg", "Không có ai đang chờ")

	// N then D: done, and the day's count goes up.
	a2 := srv.Issue("dat-dai", true)
	p.waitText("#waiting-list", a2.Code)
	p.waitText("#waiting-list", "Ưu tiên")
	p.press("n")
	p.waitText("#current-code", a2.Code)
	p.waitText("#current-field", "Ưu tiên")
	p.press("d")
	waitEvent(t, events, protocol.EventTicketDone, nil)
	p.waitText("#served-today", "1")
	if cs := counterState(t, board(t, srv), "q1"); cs.Current != nil || cs.Counter.ServedToday != 1 {
		t.Fatalf("q1 after done: current %v, served %d", cs.Current, cs.Counter.ServedToday)
	}

	// P: pause and resume.
	p.press("p")
	waitEvent(t, events, protocol.EventCounterUpdated, func(ev protocol.Event) bool { return counterOfEvent(t, ev).Status == protocol.CounterPaused })
	p.waitText("#counter-status", "Tạm dừng")
	p.waitText("#status-banner", "tạm dừng")
	if st := counterState(t, board(t, srv), "q1").Counter.Status; st != protocol.CounterPaused {
		t.Fatalf("q1 is %s, want paused", st)
	}
	p.press("p")
	p.waitText("#counter-status", "Đang mở")

	// A clerk cannot act for a counter that is not theirs: the server says
	// 403 and the page would show it; here straight through the page's API.
	status := eval[int](p, `fetch('/api/v1/counters/q3/next', {method: 'POST', headers: {'X-CSRF-Token': 'x'}}).then(r => r.status)`)
	if status != http.StatusForbidden {
		t.Errorf("next at another clerk's counter: %d, want 403", status)
	}
}

func counterOfEvent(t *testing.T, ev protocol.Event) protocol.Counter {
	t.Helper()
	var c protocol.Counter
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// TestConsoleDoubleClick: a double click (and a bouncing key) calls one
// ticket, not two: the buttons are disabled while an action is in flight.
func TestConsoleDoubleClick(t *testing.T) {
	srv := startServer(t)
	events := subscribe(t, srv)
	for range 3 {
		srv.Issue("dat-dai", false)
	}
	p := newTab(t, srv)
	openConsole(p, "canbo1")
	p.waitText("#waiting-total", "3")
	eval[chromedp.Void](p, `(() => { const b = document.querySelector('#btn-next'); b.click(); b.click(); b.click(); })()`)
	p.wait(`document.querySelector('#current-code').textContent === 'A001'`, "A001")
	p.wait(`!document.querySelector('#btn-next').disabled`, "the buttons to come back")
	// Two key presses in the same instant.
	p.wait(`(document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n', bubbles: true})), document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n', bubbles: true})), true)`, "two key presses")
	p.wait(`document.querySelector('#current-code').textContent === 'A002'`, "A002")
	p.wait(`!document.querySelector('#btn-next').disabled`, "the buttons to come back")
	calls := 0
	drain := time.After(500 * time.Millisecond)
loop:
	for {
		select {
		case ev := <-events:
			if ev.Type == protocol.EventTicketCalled {
				calls++
			}
		case <-drain:
			break loop
		}
	}
	if calls != 2 {
		t.Errorf("%d calls for two double presses, want 2", calls)
	}
	if w := board(t, srv).Waiting["dat-dai"]; w != 1 {
		t.Errorf("%d still waiting, want 1", w)
	}
}

// TestConsoleTwoTabsAndTwoClerks: two tabs of one clerk and two clerks of
// counters sharing a field press Next at the same moment; every press calls
// a different ticket and every page ends up showing the true state.
func TestConsoleTwoTabsAndTwoClerks(t *testing.T) {
	srv := startServer(t)
	events := subscribe(t, srv)
	for range 6 {
		srv.Issue("dat-dai", false)
	}
	tab1 := newTab(t, srv)
	openConsole(tab1, "canbo1")
	tab2 := tab1.sibling() // same cookies: no second login
	tab2.open("/counter")
	waitLive(tab2)
	other := newTab(t, srv) // canbo2 serves q2, which also serves Đất đai
	openConsole(other, "canbo2")

	pressAll := func(tabs ...*tab) {
		var wg sync.WaitGroup
		for _, p := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				eval[chromedp.Void](p, `document.querySelector('#btn-next').click()`)
			}()
		}
		wg.Wait()
	}
	called := func(n int) []protocol.Call {
		var out []protocol.Call
		for len(out) < n {
			out = append(out, callOf(t, waitEvent(t, events, protocol.EventTicketCalled, nil)))
		}
		return out
	}

	// Two tabs of the same counter.
	pressAll(tab1, tab2)
	cs := called(2)
	if cs[0].Ticket.ID == cs[1].Ticket.ID {
		t.Fatalf("both tabs called %s", cs[0].Ticket.Code)
	}
	// The second press completed the first ticket; both tabs show the second.
	want := cs[1].Ticket.Code
	if got := currentCode(t, srv, "q1"); got != want {
		t.Fatalf("board shows %s at q1, want %s", got, want)
	}
	for _, p := range []*tab{tab1, tab2} {
		p.wait(`document.querySelector('#current-code').textContent === `+jsString(want), "both tabs to show "+want)
	}

	// Two clerks at two counters.
	pressAll(tab1, other)
	cs = called(2)
	if cs[0].Ticket.ID == cs[1].Ticket.ID || cs[0].Counter.ID == cs[1].Counter.ID {
		t.Fatalf("calls %s@%s and %s@%s", cs[0].Ticket.Code, cs[0].Counter.ID, cs[1].Ticket.Code, cs[1].Counter.ID)
	}
	b := board(t, srv)
	q1, q2 := counterState(t, b, "q1").Current, counterState(t, b, "q2").Current
	if q1 == nil || q2 == nil || q1.ID == q2.ID {
		t.Fatalf("q1 serves %v, q2 serves %v", q1, q2)
	}
	for _, pc := range []struct {
		p    *tab
		code string
	}{{tab1, q1.Code}, {tab2, q1.Code}, {other, q2.Code}} {
		pc.p.wait(`document.querySelector('#current-code').textContent === `+jsString(pc.code), "the page to show "+pc.code)
	}
}

// TestConsoleRecoversAfterRestart: the server goes away while a clerk
// works; the page says so, refuses to pretend, reconnects by itself when the
// server is back and shows the true current ticket, including a call made
// while it was disconnected.
func TestConsoleRecoversAfterRestart(t *testing.T) {
	srv := startServer(t)
	a1 := srv.Issue("dat-dai", false)
	a2 := srv.Issue("dat-dai", false)
	p := newTab(t, srv)
	openConsole(p, "canbo1")
	p.press("n")
	p.waitText("#current-code", a1.Code)

	srv.Stop()
	p.wait(`document.querySelector('#conn').dataset.state !== 'live'`, "the page to notice the server is gone")
	p.wait(`!document.querySelector('#offline-banner').hidden`, "the offline banner")
	p.press("n")
	p.wait(`document.querySelector('#msg').classList.contains('error') && document.querySelector('#msg').textContent.includes('Không kết nối được máy chủ')`, "a clear error for the failed action")
	p.waitText("#current-code", a1.Code) // nothing invented

	srv.Restart()
	// Another tab (here: the API as admin) calls the next ticket at q1
	// while this page is still reconnecting.
	if _, err := srv.Client(srv.AdminToken()).Next(context.Background(), "q1"); err != nil {
		t.Fatal(err)
	}
	p.waitFor(`document.querySelector('#current-code').textContent === `+jsString(a2.Code), "the page to show the true current ticket after the restart", 20*time.Second)
	p.wait(`document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#offline-banner').hidden`, "the live mark")
	// "Cannot reach the server" is gone next to the green mark: an error from
	// before the restart must not outlive the reconnection.
	p.wait(`document.querySelector('#msg').hidden || !document.querySelector('#msg').textContent.includes('Không kết nối được máy chủ')`, "the network error to clear on reconnection")
	if strings.Contains(p.text(), "Không kết nối được máy chủ") {
		t.Fatalf("the network error stays after reconnecting:\n%s", p.text())
	}
	p.waitText("#served-today", "1")
	p.screenshot("console-reconnected", 1366, 768)

	// And it keeps working.
	p.press("d")
	p.waitText("#current-code", "Chưa gọi số nào")
	if got := currentCode(t, srv, "q1"); got != "" {
		t.Errorf("q1 still serves %s", got)
	}
}

// TestConsoleLanguage: the English switch changes the labels and sticks
// across a reload.
func TestConsoleLanguage(t *testing.T) {
	srv := startServer(t)
	p := newTab(t, srv)
	openConsole(p, "canbo1")
	p.waitText("#btn-next", "Gọi số tiếp")
	p.click("[data-lang-switch]")
	p.waitText("#btn-next", "Call next")
	p.waitText("#current-code", "No ticket called")
	p.open("/counter")
	waitLive(p)
	p.waitText("#btn-next", "Call next")
	if lang := eval[string](p, `document.documentElement.lang`); lang != "en" {
		t.Errorf("html lang %q, want en", lang)
	}
}

// press waits until the console has no action in flight (a key pressed
// meanwhile is ignored on purpose) and presses key.
func (p *tab) press(key string) {
	p.t.Helper()
	p.wait(`document.querySelector('#actions').getAttribute('aria-busy') !== 'true'`, "the console to be idle")
	p.key(key)
}

// TestConsoleSessionEnds: when the clerk's session stops working (here the
// account is disabled), the next action brings back the login form with a
// reason, and signing in again returns to the same counter.
func TestConsoleSessionEnds(t *testing.T) {
	srv := startServer(t)
	a1 := srv.Issue("dat-dai", false)
	p := newTab(t, srv)
	openConsole(p, "canbo1")
	admin := srv.Client(srv.AdminToken())
	var u struct {
		ID string `json:"id"`
	}
	for name, user := range users(t, srv) {
		if name == "canbo1" {
			u.ID = user.ID
		}
	}
	if _, err := admin.Do(context.Background(), "PATCH", "/api/v1/users/"+u.ID, map[string]bool{"disabled": true}, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.press("n")
	p.waitText("#login-error", "Phiên đăng nhập đã hết hạn")
	if eval[bool](p, `!document.querySelector('#console').hidden`) {
		t.Error("the console stays visible without a session")
	}
	if got := currentCode(t, srv, "q1"); got != "" {
		t.Fatalf("a disabled clerk called %s", got)
	}
	if _, err := admin.Do(context.Background(), "PATCH", "/api/v1/users/"+u.ID, map[string]bool{"disabled": false}, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.login("canbo1", servertest.ClerkPassword("canbo1"))
	waitLive(p)
	p.press("n")
	p.waitText("#current-code", a1.Code)
}

// TestConsoleNetworkCut: the network between the clerk's PC and the server
// goes silent (no connection closes, nothing arrives). The page notices
// through its watchdog, says it is offline, and once the network is back
// shows the call another tab made meanwhile.
func TestConsoleNetworkCut(t *testing.T) {
	srv := startServer(t)
	a1 := srv.Issue("dat-dai", false)
	a2 := srv.Issue("dat-dai", false)
	cut := newCutProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	p := newTab(t, srv)
	p.base = cut.URL()
	openConsole(p, "canbo1")
	p.press("n")
	p.waitText("#current-code", a1.Code)

	cut.freeze(true)
	if _, err := srv.Client(srv.AdminToken()).Next(context.Background(), "q1"); err != nil {
		t.Fatal(err)
	}
	// The watchdog runs every 15 s and when the tab becomes visible; the
	// latter makes the test quicker.
	eval[chromedp.Void](p, `document.dispatchEvent(new Event('visibilitychange'))`)
	p.waitFor(`document.querySelector('#conn').dataset.state !== 'live' && !document.querySelector('#offline-banner').hidden`, "the page to notice the silent network", 20*time.Second)
	p.waitText("#current-code", a1.Code) // it shows what it knows, nothing invented

	cut.freeze(false)
	p.waitFor(`document.querySelector('#current-code').textContent === `+jsString(a2.Code), "the call made during the cut", 30*time.Second)
	p.wait(`document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#offline-banner').hidden`, "the live mark")
}

// TestConsolePicker: a clerk with two counters chooses one; choosing a closed
// counter opens it; "change counter" goes back to the choice.
func TestConsolePicker(t *testing.T) {
	srv := startServer(t)
	if _, err := srv.Client(srv.AdminToken()).SetCounterStatus(context.Background(), "q8", protocol.CounterClosed); err != nil {
		t.Fatal(err)
	}
	srv.ClerkToken("canbo8") // serves q8 and q1
	p := newTab(t, srv)
	p.open("/counter")
	p.login("canbo8", servertest.ClerkPassword("canbo8"))
	p.wait(`document.querySelectorAll('#picker [data-counter]').length === 2`, "the choice of two counters")
	p.waitText(`#picker [data-counter="q8"]`, "Trả kết quả")
	p.click(`#picker [data-counter="q8"]`)
	waitLive(p)
	p.waitText("#counter-title", "Quầy 8")
	p.waitText("#counter-status", "Đang mở")
	if st := counterState(t, board(t, srv), "q8").Counter.Status; st != protocol.CounterOpen {
		t.Errorf("q8 is %s after the clerk chose it, want open", st)
	}
	if h := eval[string](p, `location.hash`); h != "#q8" {
		t.Errorf("address fragment %q, want #q8", h)
	}
	p.click("#change-counter")
	p.wait(`document.querySelectorAll('#picker [data-counter]').length === 2 && document.querySelector('#console').hidden && document.querySelector('#offline-banner').hidden`, "the choice again")
	p.click(`#picker [data-counter="q1"]`)
	waitLive(p)
	p.waitText("#counter-title", "Quầy 1")
}
