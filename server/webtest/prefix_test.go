package webtest

import (
	"strings"
	"testing"

	"github.com/civiq/civiq/server/servertest"
)

// TestConsoleUnderCentrePrefix: a centre served under /c/{centre}/ (one
// centre of a province): the clerk console signs in, goes live on the
// websocket and calls, every request of the page going through the
// prefix (the session cookie's path is the prefix, so a request that
// missed it would be refused), and the ticket's phone page link carries
// the prefix.
func TestConsoleUnderCentrePrefix(t *testing.T) {
	const base = "/c/huyen-a"
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, BasePath: base})
	a1 := srv.Issue("dat-dai", false)
	if !strings.Contains(a1.TrackURL, base+"/t/") {
		t.Fatalf("track URL %q lacks the prefix", a1.TrackURL)
	}
	p := newTab(t, srv)
	p.base = srv.URL + base
	openConsole(p, "canbo1")
	p.waitText("#waiting-list", a1.Code)
	p.press("n")
	p.waitText("#current-code", a1.Code)
	if got := currentCode(t, srv, "q1"); got != a1.Code {
		t.Fatalf("board shows %q at q1, want %s", got, a1.Code)
	}
	// Every API request and the websocket went through the prefix; the
	// shared scripts were loaded once, from /static/.
	bad := eval[[]string](p, `performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
		.filter(u => u !== '/favicon.ico' && !u.startsWith('/static/') && !u.startsWith(`+jsString(base+"/")+`))`)
	if len(bad) > 0 {
		t.Fatalf("requests outside the prefix: %v", bad)
	}
	api := eval[int](p, `performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname.startsWith(`+jsString(base+"/api/v1/")+`)).length`)
	if api == 0 {
		t.Fatal("no API request went through the prefix")
	}
	if got := eval[string](p, `window.CIVIQ_BASE`); got != base {
		t.Fatalf("CIVIQ_BASE %q", got)
	}
	// The phone page of the ticket, opened from its printed URL.
	tp := newTab(t, srv)
	tp.base = srv.URL
	tp.open(strings.TrimPrefix(a1.TrackURL, srv.URL))
	tp.waitText("body", a1.Code)
}
