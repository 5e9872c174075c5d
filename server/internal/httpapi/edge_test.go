package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/servertest"
)

// TestTrackURLIgnoresHost: without --public-url the ticket's track_url is
// built from the address the server was reached on, never from the Host
// header; with it, from the configuration.
func TestTrackURLIgnoresHost(t *testing.T) {
	for _, public := range []string{"", "https://hcc.example.gov.vn"} {
		s := servertest.Start(t, servertest.Options{NoRateLimits: true, PublicURL: public})
		tok := issueForPhone(t, s)
		st, b := call(t, "GET", s.URL+"/api/v1/tickets/"+tok, "", "", "Host", "evil.example.com")
		var tk struct {
			TrackURL string `json:"track_url"`
		}
		mustJSON(t, b, &tk)
		want := s.URL
		if public != "" {
			want = public
		}
		if st != 200 || tk.TrackURL != want+"/t/"+tok {
			t.Fatalf("public %q: %d track_url %q, want base %q", public, st, tk.TrackURL, want)
		}
	}
}

// TestSecureCookie: the session cookie is Secure when the browser used the
// https public URL, or a trusted proxy says it used https; not otherwise
// (the LAN address over http must keep working).
func TestSecureCookie(t *testing.T) {
	login := `{"username":"admin","password":"` + servertest.AdminPassword + `"}`
	cases := []struct {
		opts   servertest.Options
		hdr    []string
		secure bool
	}{
		{servertest.Options{}, nil, false},
		{servertest.Options{}, []string{"X-Forwarded-Proto", "https"}, false}, // proxy not trusted
		{servertest.Options{TrustProxy: true}, []string{"X-Forwarded-Proto", "https"}, true},
		{servertest.Options{TrustProxy: true}, []string{"X-Forwarded-Proto", "http"}, false},
		{servertest.Options{PublicURL: "https://hcc.example.gov.vn"}, []string{"Host", "hcc.example.gov.vn"}, true},
		// The same server reached on its LAN address over http: a Secure
		// cookie would be refused by the browser.
		{servertest.Options{PublicURL: "https://hcc.example.gov.vn"}, nil, false},
	}
	for i, c := range cases {
		c.opts.NoRateLimits = true
		s := servertest.Start(t, c.opts)
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/login", strings.NewReader(login))
		for j := 0; j+1 < len(c.hdr); j += 2 {
			if c.hdr[j] == "Host" {
				req.Host = c.hdr[j+1]
				continue
			}
			req.Header.Set(c.hdr[j], c.hdr[j+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cs := resp.Cookies()
		if resp.StatusCode != 200 || len(cs) != 1 || cs[0].Secure != c.secure {
			t.Fatalf("case %d: %d cookies %+v, want Secure=%v", i, resp.StatusCode, cs, c.secure)
		}
	}
}

// TestLoginRetryAfter: the 429 of too many logins says how long until the
// next attempt is allowed (a token every 6 s at 10 a minute), not "1".
func TestLoginRetryAfter(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	var resp *http.Response
	for range 20 {
		r, err := http.Post(s.URL+"/api/v1/login", "application/json", strings.NewReader(`{"username":"admin","password":"wrong-password"}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusTooManyRequests {
			resp = r
			break
		}
	}
	if resp == nil {
		t.Fatal("never rate-limited")
	}
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 2 || n > 6 {
		t.Fatalf("Retry-After %q, want the real wait (2..6 s)", resp.Header.Get("Retry-After"))
	}
}

// TestMetricsAccess: /metrics on the main port answers loopback and private
// clients only (behind a trusted proxy, judged by X-Real-IP), and nobody
// when --metrics-addr serves it elsewhere.
func TestMetricsAccess(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	if st, _ := call(t, "GET", s.URL+"/metrics", "", ""); st != 200 {
		t.Fatalf("loopback: %d", st)
	}
	p := servertest.Start(t, servertest.Options{NoRateLimits: true, TrustProxy: true})
	for ip, want := range map[string]int{"203.0.113.9": 403, "8.8.8.8": 403, "192.168.1.20": 200, "10.0.0.5": 200, "::1": 200, "2001:db8::1": 403, "10.0.0.5, 8.8.8.8": 403, "x": 403} {
		if st, _ := call(t, "GET", p.URL+"/metrics", "", "", "X-Real-IP", ip); st != want {
			t.Errorf("from %s: %d, want %d", ip, st, want)
		}
	}
	e := servertest.Start(t, servertest.Options{NoRateLimits: true, MetricsElsewhere: true})
	if st, _ := call(t, "GET", e.URL+"/metrics", "", ""); st != 404 {
		t.Fatalf("with --metrics-addr: %d on the main port", st)
	}
}

// TestAuditBeforeAfter: field, counter and user changes record who, from
// where, and each changed field before and after; filters and the CSV
// export show them.
func TestAuditBeforeAfter(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true, TrustProxy: true})
	admin := s.AdminToken()
	ip := []string{"X-Real-IP", "192.168.10.7"}
	if st, b := call(t, "PUT", s.URL+"/api/v1/services/dat-dai", admin,
		`{"id":"dat-dai","prefix":"A","name":{"vi":"Đất đai – nhà ở","en":"Land"},"enabled":true,"target_minutes":25}`, ip...); st != 200 {
		t.Fatalf("field %d %s", st, b)
	}
	if st, b := call(t, "PUT", s.URL+"/api/v1/counters/q2", admin,
		`{"id":"q2","number":2,"name":{"vi":"Quầy số 2","en":"Counter 2"},"service_ids":["dat-dai"],"status":"closed"}`, ip...); st != 200 {
		t.Fatalf("counter %d %s", st, b)
	}
	u, _ := s.App.Store.UserByName(context.Background(), "canbo1")
	if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+u.ID, admin, `{"role":"admin","password":"new-password-1"}`, ip...); st != 200 {
		t.Fatalf("user %d %s", st, b)
	}
	change := func(e auth.AuditEntry, field string) auth.Change {
		for _, c := range e.Changes {
			if c.Field == field {
				return c
			}
		}
		t.Fatalf("%s: no change of %s in %+v", e.Action, field, e.Changes)
		return auth.Change{}
	}
	get := func(q string) []auth.AuditEntry {
		st, b := call(t, "GET", s.URL+"/api/v1/audit"+q, admin, "")
		var es []auth.AuditEntry
		mustJSON(t, b, &es)
		if st != 200 {
			t.Fatalf("audit %d %s", st, b)
		}
		return es
	}
	es := get("?kind=service")
	if len(es) != 1 || es[0].Actor != "admin" || es[0].IP != "192.168.10.7" || es[0].Subject != "dat-dai" {
		t.Fatalf("field entry %+v", es)
	}
	if c := change(es[0], "name.vi"); c.Before != "Đất đai" || c.After != "Đất đai – nhà ở" {
		t.Fatalf("name change %+v", c)
	}
	if c := change(es[0], "target_minutes"); c.Before != 20.0 || c.After != 25.0 {
		t.Fatalf("target change %+v", c)
	}
	es = get("?kind=counter.put&actor=admin")
	if len(es) != 1 || es[0].Subject != "q2" {
		t.Fatalf("counter entry %+v", es)
	}
	if c := change(es[0], "name.vi"); c.Before != "Quầy 2" || c.After != "Quầy số 2" {
		t.Fatalf("counter name %+v", c)
	}
	if c := change(es[0], "service_ids"); len(c.Before.([]any)) != 2 || len(c.After.([]any)) != 1 {
		t.Fatalf("counter fields %+v", c)
	}
	for _, c := range es[0].Changes {
		if c.Field == "number" || c.Field == "id" || c.Field == "served_today" {
			t.Fatalf("unchanged field listed: %+v", c)
		}
	}
	es = get("?kind=user")
	if len(es) != 1 || es[0].Subject != "canbo1" {
		t.Fatalf("user entry %+v", es)
	}
	if c := change(es[0], "role"); c.Before != "clerk" || c.After != "admin" {
		t.Fatalf("role %+v", c)
	}
	if c := change(es[0], "password"); c.After != "(changed)" || strings.Contains(string(mustMarshal(es[0])), "new-password-1") {
		t.Fatalf("password %+v", c)
	}
	if es := get("?actor=nobody"); len(es) != 0 {
		t.Fatalf("actor filter: %+v", es)
	}
	// CSV: UTF-8 with a BOM, one row per changed field.
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/audit.csv?kind=counter", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Fatalf("csv %d %q %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), buf.String())
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		if r[2] == "admin" && r[3] == "192.168.10.7" && r[4] == "counter.put" && r[6] == "name.vi" && r[7] == "Quầy 2" && r[8] == "Quầy số 2" {
			found = true
		}
	}
	if !found || rows[0][0] != "id" {
		t.Fatalf("csv rows %q", rows)
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
