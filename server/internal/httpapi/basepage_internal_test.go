package httpapi

import "testing"

// TestBasePage: a page under a centre's prefix links into the prefix,
// keeps the shared /static/ files at the root, does not prefix twice, and
// loads base.js first, told the prefix.
func TestBasePage(t *testing.T) {
	in := `<html><head><link href="/static/a.css"><script src="/static/b.js"></script></head>` +
		`<a href="/admin">x</a><a href="/c/h-a/book">y</a><form action="/api/v1/login"></form><a href="https://e.vn/x">z</a></html>`
	want := `<html><head><meta name="civiq-base" content="/c/h-a"><script src="/static/base.js"></script>` +
		`<link href="/static/a.css"><script src="/static/b.js"></script></head>` +
		`<a href="/c/h-a/admin">x</a><a href="/c/h-a/book">y</a><form action="/c/h-a/api/v1/login"></form><a href="https://e.vn/x">z</a></html>`
	if got := string(basePage([]byte(in), "/c/h-a")); got != want {
		t.Fatalf("basePage:\n got %s\nwant %s", got, want)
	}
}
