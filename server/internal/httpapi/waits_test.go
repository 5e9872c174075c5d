package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

var ict = time.FixedZone("ICT", 7*3600)

// getWaits fetches the public JSON with no credentials.
func getWaits(t *testing.T, url string) (protocol.Waits, []byte, *http.Response) {
	t.Helper()
	resp, err := http.Get(url + "/api/v1/waits")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/waits: %d %s", resp.StatusCode, b)
	}
	var v protocol.Waits
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v, b, resp
}

func putService(t *testing.T, admin *client.Client, sv protocol.Service) {
	t.Helper()
	if _, err := admin.Do(context.Background(), "PUT", "/api/v1/services/"+sv.ID, sv, nil, nil); err != nil {
		t.Fatalf("put %s: %v", sv.ID, err)
	}
}

// TestWaitsLive: with tickets waiting, the public JSON gives each field's
// count and the same expected wait for a newcomer as GET
// /api/v1/services (the kiosk's), says in plain words why a closed field
// is closed, and carries no token, ticket id or person.
func TestWaitsLive(t *testing.T) {
	clock := queue.NewManualClock(time.Date(2026, 12, 7, 10, 0, 0, 0, ict)) // frozen: both estimates at one instant
	s := servertest.Start(t, servertest.Options{Clock: clock, NoRateLimits: true})
	ctx := context.Background()
	admin := s.Client(s.AdminToken())
	for range 4 {
		s.Issue("dat-dai", false)
	}
	s.Issue("dat-dai", true)
	s.Issue("tu-phap-ho-tich", false)
	if _, err := admin.Next(ctx, "q1"); err != nil { // q1 opens, calls the priority ticket
		t.Fatal(err)
	}
	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]protocol.Service{}
	for _, sv := range svcs {
		byID[sv.ID] = sv
	}
	// Three ways to be closed.
	capped := byID["xay-dung"]
	capped.DailyCap = 1
	putService(t, admin, capped)
	s.Issue("xay-dung", false)
	night := byID["giao-thong-van-tai"]
	night.Hours = protocol.Hours{"mon": {"01:00-02:00"}}
	putService(t, admin, night)
	off := byID["tra-ket-qua"]
	off.Enabled = false
	putService(t, admin, off)

	want, err := s.Client("").Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, raw, resp := getWaits(t, s.URL)
	if v.Centre.Name.Vi == "" || v.Today != "mon" || v.Hour != 10 || v.BookURL != "/book" || v.RefreshSeconds < 15 || v.RefreshSeconds > 30 {
		t.Errorf("header: %+v", v)
	}
	if len(v.Services) != len(want) {
		t.Fatalf("%d fields, want %d", len(v.Services), len(want))
	}
	for i, w := range want {
		g := v.Services[i]
		if g.ID != w.ID || g.Waiting != w.Waiting || g.Open != w.Open || g.ClosedReason != w.ClosedReason {
			t.Errorf("field %d: %+v, services says %+v", i, g, w)
		}
		switch {
		case (g.ETANewSeconds == nil) != (w.ETANewSeconds == nil):
			t.Errorf("%s: eta %v, services %v", g.ID, g.ETANewSeconds, w.ETANewSeconds)
		case g.ETANewSeconds != nil && *g.ETANewSeconds != *w.ETANewSeconds:
			t.Errorf("%s: eta %d, services %d", g.ID, *g.ETANewSeconds, *w.ETANewSeconds)
		}
		if g.Open != (g.Closed == nil) {
			t.Errorf("%s: open %v with closed words %+v", g.ID, g.Open, g.Closed)
		}
		if len(g.UsualWait.Mon) != 24 || len(g.UsualWait.Sun) != 24 {
			t.Errorf("%s: usual wait has %d/%d hours", g.ID, len(g.UsualWait.Mon), len(g.UsualWait.Sun))
		}
	}
	got := map[string]protocol.WaitsService{}
	for _, g := range v.Services {
		got[g.ID] = g
	}
	if d := got["dat-dai"]; d.Waiting != 4 || d.ETANewSeconds == nil || *d.ETANewSeconds <= 0 || !d.Open {
		t.Errorf("dat-dai: %+v, want 4 waiting, open, a wait", d)
	}
	if d := got["tu-phap-ho-tich"]; d.Waiting != 1 || d.ETANewSeconds != nil {
		t.Errorf("tu-phap-ho-tich (no open counter): %+v", d)
	}
	for id, c := range map[string]struct{ reason, vi string }{
		"xay-dung":           {protocol.ClosedDailyCap, "Đã hết số thứ tự hôm nay"},
		"giao-thong-van-tai": {protocol.ClosedOutsideHours, "Ngoài giờ làm việc"},
		"tra-ket-qua":        {protocol.ClosedDisabled, "Tạm ngừng tiếp nhận"},
	} {
		g := got[id]
		if g.Open || g.ClosedReason != c.reason || g.Closed == nil || g.Closed.Vi != c.vi || g.Closed.En == "" || g.ETANewSeconds != nil {
			t.Errorf("%s: %+v closed %+v, want closed %s (%q)", id, g, g.Closed, c.reason, c.vi)
		}
	}
	// No personal data: no ticket, token, clerk or device in it.
	for _, bad := range []string{"token", "\"ticket", "\"code\"", "track_url", "clerk", "canbo", "Nguyễn", "counter_id", "issued_by", "A001", "A002"} {
		if strings.Contains(string(raw), bad) {
			t.Errorf("the public JSON contains %q", bad)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control %q", cc)
	}

	// The page carries the centre's name, the view and the link to /book.
	pr, err := http.Get(s.URL + "/waits")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(pr.Body)
	pr.Body.Close()
	if pr.StatusCode != 200 || !strings.HasPrefix(pr.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /waits: %d %s", pr.StatusCode, pr.Header.Get("Content-Type"))
	}
	for _, want := range []string{v.Centre.Name.Vi, `href="/book"`, "Đất đai", "Ngoài giờ làm việc", `id="waits-data"`, "/static/waits/waits.js"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{"token", "A001", "canbo"} {
		if strings.Contains(string(page), bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
}

// TestWaitsUsualFromHistory: the usual wait by weekday and hour is the
// median wait of the tickets issued then in the past days' history (today
// left out), per field; an hour with fewer than three tickets has none.
func TestWaitsUsualFromHistory(t *testing.T) {
	mon := time.Date(2026, 11, 30, 9, 5, 0, 0, ict) // a Monday, a week ago
	clock := queue.NewManualClock(mon)
	s := servertest.Start(t, servertest.Options{Clock: clock, NoRateLimits: true, SessionTTL: 60 * 24 * time.Hour})
	ctx := context.Background()
	admin := s.Client(s.AdminToken())
	// Monday 9h: three tickets of dat-dai wait 10, 20 and 40 minutes
	// (median 20), two of xay-dung (too few for a value).
	for range 3 {
		s.Issue("dat-dai", false)
	}
	for range 2 {
		s.Issue("xay-dung", false)
	}
	for _, at := range []struct {
		min     int
		counter string
	}{{10, "q1"}, {20, "q1"}, {40, "q1"}, {10, "q6"}, {12, "q6"}} {
		clock.Set(mon.Add(time.Duration(at.min) * time.Minute))
		if tk, err := admin.Next(ctx, at.counter); err != nil || tk == nil {
			t.Fatalf("next at %s: %v %v", at.counter, tk, err)
		}
	}
	// Tuesday 14h: three tickets of dat-dai called at once (median 0),
	// then today (Monday a week later) three more at 9h that must not count.
	tue := time.Date(2026, 12, 1, 14, 0, 0, 0, ict)
	clock.Set(tue)
	for range 3 {
		s.Issue("dat-dai", false)
		if _, err := admin.Next(ctx, "q1"); err != nil {
			t.Fatal(err)
		}
	}
	today := time.Date(2026, 12, 7, 9, 0, 0, 0, ict)
	clock.Set(today)
	for range 3 {
		s.Issue("dat-dai", false)
	}
	clock.Set(today.Add(50 * time.Minute))
	for range 3 {
		if _, err := admin.Next(ctx, "q2"); err != nil {
			t.Fatal(err)
		}
	}

	v, _, _ := getWaits(t, s.URL)
	if v.History.From != "2026-09-14" || v.History.To != "2026-12-06" || v.History.MinTickets != 3 {
		t.Errorf("history %+v", v.History)
	}
	var dat, xay protocol.WaitsService
	for _, g := range v.Services {
		switch g.ID {
		case "dat-dai":
			dat = g
		case "xay-dung":
			xay = g
		}
	}
	at := func(hours []*int, h int) string {
		if hours[h] == nil {
			return "null"
		}
		return strconv.Itoa(*hours[h])
	}
	if got := at(dat.UsualWait.Mon, 9); got != "1200" {
		t.Errorf("dat-dai Monday 9h: %s, want 1200 (the median of 10, 20, 40 min; today's 50 min left out)", got)
	}
	if got := at(dat.UsualWait.Tue, 14); got != "0" {
		t.Errorf("dat-dai Tuesday 14h: %s, want 0", got)
	}
	n := 0
	for d := range 7 {
		for h, x := range *dat.UsualWait.Day(d) {
			if x != nil {
				n++
				_ = h
			}
		}
		for h, x := range *xay.UsualWait.Day(d) {
			if x != nil {
				t.Errorf("xay-dung day %d %dh: %d from two tickets", d, h, *x)
			}
		}
	}
	if n != 2 {
		t.Errorf("dat-dai has %d hours with a value, want 2", n)
	}
}

// TestWaitsCacheAndETag: the JSON and the page are served from one
// rendering per interval with a strong ETag: If-None-Match answers 304,
// and a change is visible within the interval (2 s).
func TestWaitsCacheAndETag(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	for _, path := range []string{"/api/v1/waits", "/waits"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tag := resp.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}(-gz)?"$`).MatchString(tag) {
			t.Fatalf("%s: ETag %q", path, tag)
		}
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("If-None-Match", tag)
		r2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r2.Body)
		r2.Body.Close()
		if r2.StatusCode != http.StatusNotModified || len(b) != 0 || r2.Header.Get("ETag") != tag {
			t.Fatalf("%s with If-None-Match: %d, %d bytes, ETag %q", path, r2.StatusCode, len(b), r2.Header.Get("ETag"))
		}
	}
	// gzip, for whoever takes it (Go's client asks and decompresses by
	// itself unless the header is set by hand): the same document.
	_, plain, _ := getWaits(t, s.URL)
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/waits", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	gr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(gr.Body)
	if err != nil || gr.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip answer: %v, Content-Encoding %q", err, gr.Header.Get("Content-Encoding"))
	}
	unz, _ := io.ReadAll(zr)
	gr.Body.Close()
	if !bytes.Equal(unz, plain) {
		t.Fatalf("the gzip answer differs from the plain one")
	}
	if gt := gr.Header.Get("ETag"); gt == "" || gt == resp0Tag(t, s.URL) {
		t.Fatalf("gzip and plain share ETag %q", gt)
	}

	before, _, r := getWaits(t, s.URL)
	tag := r.Header.Get("ETag")
	waiting := func(v protocol.Waits) int {
		for _, g := range v.Services {
			if g.ID == "dang-ky-kinh-doanh" {
				return g.Waiting
			}
		}
		return -1
	}
	s.Issue("dang-ky-kinh-doanh", false)
	start := time.Now()
	for {
		v, _, r := getWaits(t, s.URL)
		if waiting(v) == waiting(before)+1 {
			if r.Header.Get("ETag") == tag {
				t.Fatal("the view changed, its ETag did not")
			}
			break
		}
		if time.Since(start) > 2500*time.Millisecond {
			t.Fatalf("the new ticket is not visible after %s (waiting %d)", time.Since(start), waiting(v))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resp0Tag is the ETag of the plain (identity) JSON.
func resp0Tag(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/waits", nil)
	req.Header.Set("Accept-Encoding", "identity")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.Header.Get("Content-Encoding") != "" {
		t.Fatalf("identity asked, %q given", r.Header.Get("Content-Encoding"))
	}
	return r.Header.Get("ETag")
}

// TestWaitsRateLimit: one address asking too fast gets 429 with
// Retry-After, as JSON from the API and as plain words from the page;
// another address is not affected.
func TestWaitsRateLimit(t *testing.T) {
	s := servertest.Start(t, servertest.Options{TrustProxy: true}) // X-Real-IP names the client
	get := func(path, ip string) *http.Response {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("X-Real-IP", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	limited := map[string]bool{}
	for i := range 200 {
		path := []string{"/api/v1/waits", "/waits"}[i%2]
		resp := get(path, "203.0.113.7")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			continue
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
			t.Fatalf("%s: Retry-After %q", path, resp.Header.Get("Retry-After"))
		}
		if path == "/api/v1/waits" && !strings.Contains(string(b), `"code":"rate_limited"`) {
			t.Fatalf("API 429 body: %s", b)
		}
		if path == "/waits" && !strings.Contains(string(b), "Quá nhiều yêu cầu") {
			t.Fatalf("page 429 body: %s", b)
		}
		limited[path] = true
	}
	if !limited["/api/v1/waits"] || !limited["/waits"] {
		t.Fatalf("200 requests at once from one address were never limited on both: %v", limited)
	}
	resp := get("/api/v1/waits", "203.0.113.8")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
}
