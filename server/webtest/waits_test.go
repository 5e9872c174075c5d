package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// seedHistory writes four weeks of called tickets for the fields, straight
// into the store (as an import of past days would): weekdays 7–16 h with a
// lunch break, Saturday mornings, busy mid-mornings, busier Mondays.
func seedHistory(t *testing.T, srv *servertest.Server, fields []string) {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(loc)
	base := map[int]int{7: 4, 8: 12, 9: 32, 10: 41, 11: 22, 13: 9, 14: 26, 15: 17, 16: 6}
	_, err := srv.App.Store.Update(context.Background(), func(tx queue.Tx) error {
		for back := 1; back <= 28; back++ {
			d := time.Date(now.Year(), now.Month(), now.Day()-back, 0, 0, 0, 0, loc)
			wd := d.Weekday()
			if wd == time.Sunday {
				continue
			}
			day := d.Format(time.DateOnly)
			for fi, f := range fields {
				n := 0
				for h, m := range base {
					if wd == time.Saturday && h > 11 {
						continue
					}
					m += fi % 5 * 3
					if wd == time.Monday {
						m += 10
					}
					if wd == time.Friday {
						m = max(m-5, 1)
					}
					for k := range 4 {
						n++
						issued := d.Add(time.Duration(h)*time.Hour + time.Duration(k*13)*time.Minute)
						called := issued.Add(time.Duration(m+k-1) * time.Minute)
						fin := called.Add(6 * time.Minute)
						id := fmt.Sprintf("hist-%s-%s-%d", f, day, n)
						r := queue.TicketRecord{
							Ticket: protocol.Ticket{ID: id, Code: queue.FormatCode("Z", n), Number: n, ServiceID: f,
								Status: protocol.StatusDone, IssuedAt: issued, CalledAt: &called, FinishedAt: &fin, CounterID: "q1", Day: day, Lang: "vi"},
							IssueServiceID: f, TokenHash: queue.HashToken("tok-" + id), IssuedBy: "history",
							FirstCalledAt: &called, FirstCounterID: "q1", ServiceStartedAt: &called,
						}
						if err := tx.InsertTicket(r); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed history: %v", err)
	}
}

func waitsJSON(t *testing.T, srv *servertest.Server) protocol.Waits {
	t.Helper()
	resp, err := http.Get(srv.URL + "/api/v1/waits")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v protocol.Waits
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// checkWaitsPage checks the rendered page against the JSON: the centre's
// name, one card per field with its count and its expected wait or
// closed words, the chart's cells, the link to /book.
func checkWaitsPage(t *testing.T, p *tab, fresh protocol.Waits) {
	t.Helper()
	p.wait(`document.querySelectorAll('#fields .field .figs').length > 0`, "the cards")
	// The view the page was rendered with (its estimates move with the
	// clock; the counts must equal the JSON fetched by the test).
	var v protocol.Waits
	if err := json.Unmarshal([]byte(eval[string](p, `document.getElementById('waits-data').textContent`)), &v); err != nil {
		t.Fatalf("the page's embedded view: %v", err)
	}
	if len(v.Services) != len(fresh.Services) {
		t.Fatalf("the page has %d fields, the JSON %d", len(v.Services), len(fresh.Services))
	}
	for i := range v.Services {
		if a, b := v.Services[i], fresh.Services[i]; a.ID != b.ID || a.Waiting != b.Waiting || a.Open != b.Open {
			t.Errorf("field %d: page %s %d waiting open %v, JSON %s %d open %v", i, a.ID, a.Waiting, a.Open, b.ID, b.Waiting, b.Open)
		}
	}
	if got := p.textOf("h1"); got != v.Centre.Name.Vi {
		t.Errorf("h1 %q, want the centre's name %q", got, v.Centre.Name.Vi)
	}
	if n := eval[int](p, `document.querySelectorAll('#fields .field').length`); n != len(v.Services) {
		t.Errorf("%d cards, want %d", n, len(v.Services))
	}
	if href := eval[string](p, `document.querySelector('a.book').getAttribute('href')`); href != "/book" {
		t.Errorf("book link %q", href)
	}
	for i, s := range v.Services {
		card := fmt.Sprintf(`document.querySelectorAll('#fields .field')[%d]`, i)
		if got := eval[string](p, card+`.querySelector('.fig .v').textContent`); got != strconv.Itoa(s.Waiting) {
			t.Errorf("%s: waiting %q, want %d", s.ID, got, s.Waiting)
		}
		state := eval[string](p, card+`.querySelector('.state').textContent`)
		if !s.Open && (s.Closed == nil || !contains(state, s.Closed.Vi)) {
			t.Errorf("%s: state %q, want the closed words %+v", s.ID, state, s.Closed)
		}
		eta := eval[string](p, card+`.querySelectorAll('.fig .v')[1].title`)
		if s.ETANewSeconds != nil && *s.ETANewSeconds >= 60 {
			want := strconv.Itoa(max(1, (*s.ETANewSeconds+30)/60)) + " phút"
			if eta != want+" · min" {
				t.Errorf("%s: expected wait %q, want %s", s.ID, eta, want)
			}
		}
	}
	// The first field's Monday 9h cell says its usual wait in minutes.
	if x := v.Services[0].UsualWait.Mon[9]; x != nil {
		title := eval[string](p, `Array.from(document.querySelectorAll('#fields .field')[0].querySelectorAll('.grid .c')).map(c => c.title).find(s => s.startsWith('T2 9h')) || ''`)
		want := fmt.Sprintf("T2 9h: ~%d phút", max(1, (*x+30)/60))
		if !contains(title, want) {
			t.Errorf("Monday 9h cell %q, want %q", title, want)
		}
	} else {
		t.Error("the seeded history gave no usual wait on Monday 9h")
	}
}

func contains(s, sub string) bool { return len(sub) > 0 && len(s) >= len(sub) && indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestWaitsPageDemoCentre: the public page of the demo centre with
// tickets waiting and four weeks of history, at phone and TV size; a new
// ticket shows on the open page at its next refresh (20–23 s) with no
// reload.
func TestWaitsPageDemoCentre(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	seedHistory(t, srv, []string{"dat-dai", "tu-phap-ho-tich", "dang-ky-kinh-doanh", "xay-dung", "lao-dong-tbxh", "tai-nguyen-moi-truong", "giao-thong-van-tai", "tra-ket-qua"})
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	for range 6 {
		srv.Issue("dat-dai", false)
	}
	for range 3 {
		srv.Issue("tu-phap-ho-tich", false)
	}
	if _, err := admin.Next(ctx, "q1"); err != nil { // q1 opens: dat-dai has an estimate
		t.Fatal(err)
	}
	sv := services(t, srv)["tra-ket-qua"]
	sv.Enabled = false
	if _, err := admin.Do(ctx, "PUT", "/api/v1/services/tra-ket-qua", sv, nil, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // the cached rendering turns over
	p := newTab(t, srv)
	v := waitsJSON(t, srv)
	p.do(chromedp.EmulateViewport(390, 844))
	p.open("/waits")
	checkWaitsPage(t, p, v)
	p.screenshot("waits-demo", 390, 844)
	p.do(chromedp.EmulateViewport(1920, 1080))
	p.open("/waits?tv=1")
	checkWaitsPage(t, p, v)
	p.screenshot("waits-demo", 1920, 1080)

	// The page follows by itself (in a tab whose timers run ten times
	// faster: the 20–23 s refresh comes after 2–2.3 s; the view checked
	// above is not re-rendered under the checks).
	f := newTab(t, srv)
	f.fastTimers(10)
	f.open("/waits")
	f.wait(`document.querySelectorAll('#fields .field .figs').length > 0`, "the cards")
	before := eval[string](f, `document.querySelectorAll('#fields .field')[0].querySelector('.fig .v').textContent`)
	srv.Issue("dat-dai", false)
	f.waitFor(`document.querySelectorAll('#fields .field')[0].querySelector('.fig .v').textContent !== `+strconv.Quote(before), "the page's next refresh", 30*time.Second)
	if got := eval[string](f, `document.querySelectorAll('#fields .field')[0].querySelector('.fig .v').textContent`); got != "6" {
		t.Errorf("after a new ticket the page says %s waiting, want 6 (5 left after the call, plus one)", got)
	}
}

// TestWaitsPage25Fields: a provincial centre of 25 fields with long
// Vietnamese names fits a phone and a 1920×1080 TV without sideways
// scrolling, every card complete.
func TestWaitsPage25Fields(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: provinceCentre(t, 25, 12, 24)})
	var ids []string
	for i := range 25 {
		ids = append(ids, fmt.Sprintf("f%02d", i+1))
	}
	seedHistory(t, srv, ids)
	admin := srv.Client(srv.AdminToken())
	for i := range 40 {
		srv.Issue(ids[i%9], false)
	}
	if _, err := admin.Next(context.Background(), "q1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	p := newTab(t, srv)
	v := waitsJSON(t, srv)
	if len(v.Services) != 25 {
		t.Fatalf("%d fields", len(v.Services))
	}
	p.do(chromedp.EmulateViewport(390, 844))
	p.open("/waits")
	checkWaitsPage(t, p, v)
	if open := eval[int](p, `document.querySelectorAll('details.heat[open]').length`); open != 0 {
		t.Errorf("on a phone %d charts are open, want them a tap away", open)
	}
	p.screenshot("waits-25-fields", 390, 844)
	// A hall TV: charts open, and the page turns by itself (25 fields do
	// not fit one screen).
	p.do(chromedp.EmulateViewport(1920, 1080))
	p.open("/waits?tv=1")
	checkWaitsPage(t, p, v)
	if open := eval[int](p, `document.querySelectorAll('details.heat[open]').length`); open != 25 {
		t.Errorf("on the TV %d charts are open, want 25", open)
	}
	p.screenshot("waits-25-fields", 1920, 1080)
	// The page turns by itself (in a tab whose timers run ten times
	// faster: the 12 s turn comes after 1.2 s).
	f := newTab(t, srv)
	f.fastTimers(10)
	f.do(chromedp.EmulateViewport(1920, 1080))
	f.open("/waits?tv=1")
	f.wait(`document.querySelectorAll('details.heat[open]').length === 25`, "the TV page's open charts")
	f.waitFor(`window.scrollY > 500`, "the TV page turning", 20*time.Second)
}
