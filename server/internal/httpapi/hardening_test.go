package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/internal/hub"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestLastAdmin: the last enabled admin can be neither demoted nor
// disabled (409 with a clear message); with a second admin it can.
func TestLastAdmin(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	admin := s.AdminToken()
	ctx := context.Background()
	me, err := s.App.Store.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"role":"clerk"}`, `{"disabled":true}`} {
		st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+me.ID, admin, body)
		if body == `{"disabled":true}` {
			if st != 422 { // disabling oneself is refused before the last-admin rule
				t.Fatalf("self-disable %d %s", st, b)
			}
			continue
		}
		if st != 409 || !strings.Contains(string(b), "last enabled admin") {
			t.Fatalf("demote the last admin: %d %s", st, b)
		}
	}
	// A second admin may disable or demote the first, but then not be
	// disabled or demoted itself.
	st, b := call(t, "POST", s.URL+"/api/v1/users", admin, `{"username":"admin2","role":"admin","password":"admin2-password"}`)
	if st != 201 {
		t.Fatalf("create admin2 %d %s", st, b)
	}
	var a2 struct{ ID string }
	mustJSON(t, b, &a2)
	lr, err := s.Client("").Login(ctx, "admin2", "admin2-password")
	if err != nil {
		t.Fatal(err)
	}
	if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+me.ID, lr.Token, `{"disabled":true}`); st != 200 {
		t.Fatalf("disable first admin %d %s", st, b)
	}
	if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+a2.ID, lr.Token, `{"role":"clerk"}`); st != 409 {
		t.Fatalf("demote the remaining admin: %d %s", st, b)
	}
	u, _ := s.App.Store.UserByName(ctx, "admin2")
	if u.Role != protocol.RoleAdmin {
		t.Fatalf("refused change was applied: %+v", u)
	}
	// Concurrent demotions of two admins: one passes at most.
	if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+me.ID, lr.Token, `{"disabled":false}`); st != 200 {
		t.Fatalf("enable %d %s", st, b)
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, id := range []string{me.ID, a2.ID} {
		wg.Go(func() {
			codes[i], _ = call(t, "PATCH", s.URL+"/api/v1/users/"+id, lr.Token, `{"role":"clerk"}`)
		})
	}
	wg.Wait()
	if codes[0] == 200 && codes[1] == 200 {
		t.Fatalf("both admins demoted concurrently: %v", codes)
	}
	us, _ := s.App.Store.Users(ctx)
	admins := 0
	for _, u := range us {
		if u.Role == protocol.RoleAdmin && !u.Disabled {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d enabled admins left, want 1 (codes %v)", admins, codes)
	}
}

// TestAdminTextRule: the same rule (no control or bidi-override
// characters, trimmed, length limits, a 400 naming the field) for centre,
// field, counter, device and user texts.
func TestAdminTextRule(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	admin := s.AdminToken()
	long := strings.Repeat("Sở Lao động – Thương binh và Xã hội ", 4) // > 120 characters
	field := func(name string) string {
		return `{"id":"dat-dai","prefix":"A","name":{"vi":` + jsonString(name) + `},"enabled":true}`
	}
	counter := func(name string) string {
		return `{"id":"q1","number":1,"name":{"vi":` + jsonString(name) + `},"service_ids":["dat-dai"],"status":"closed"}`
	}
	centre := func(name, notice string) string {
		return `{"name":{"vi":` + jsonString(name) + `},"notice":{"vi":` + jsonString(notice) + `},"timezone":"Asia/Ho_Chi_Minh"}`
	}
	device := func(name string) string { return `{"kind":"display","name":` + jsonString(name) + `}` }
	user := func(name string) string {
		return `{"username":"u` + strconv.Itoa(len(name)) + `x","role":"clerk","password":"password-123","name":` + jsonString(name) + `}`
	}
	type req struct{ method, path, body string }
	cases := []struct {
		what  string
		req   req
		field string // in the error message; "" means accepted
	}{
		{"field NUL", req{"PUT", "/api/v1/services/dat-dai", field("Đất\x00đai")}, "name.vi"},
		{"field ESC", req{"PUT", "/api/v1/services/dat-dai", field("Đất \x1b[31mđai")}, "name.vi"},
		{"field RLO", req{"PUT", "/api/v1/services/dat-dai", field("Đất \u202eiad")}, "name.vi"},
		{"field isolate", req{"PUT", "/api/v1/services/dat-dai", field("Đất \u2067đai")}, "name.vi"},
		{"field too long", req{"PUT", "/api/v1/services/dat-dai", field(long)}, "name.vi"},
		{"field blank", req{"PUT", "/api/v1/services/dat-dai", field("   ")}, "name.vi"},
		{"field fine", req{"PUT", "/api/v1/services/dat-dai", field("  Đất đai  ")}, ""},
		{"counter BEL", req{"PUT", "/api/v1/counters/q1", counter("Quầy\a1")}, "name.vi"},
		{"counter LRE", req{"PUT", "/api/v1/counters/q1", counter("Quầy \u202a1")}, "name.vi"},
		{"counter fine", req{"PUT", "/api/v1/counters/q1", counter("Quầy 1")}, ""},
		{"centre name NUL", req{"PUT", "/api/v1/centre", centre("Trung\x00tâm", "")}, "name.vi"},
		{"centre name 60000", req{"PUT", "/api/v1/centre", centre(strings.Repeat("x", 60000), "")}, "name.vi"},
		{"centre notice long", req{"PUT", "/api/v1/centre", centre("Trung tâm", strings.Repeat("Thông báo ", 60))}, "notice.vi"},
		{"centre notice RLO", req{"PUT", "/api/v1/centre", centre("Trung tâm", "Giờ \u202emở")}, "notice.vi"},
		{"centre fine", req{"PUT", "/api/v1/centre", centre("Trung tâm Hành chính công", "Mở cửa 7:30")}, ""},
		{"device ESC", req{"POST", "/api/v1/devices", device("TV\x1b")}, "name"},
		{"device too long", req{"POST", "/api/v1/devices", device(long)}, "name"},
		{"device fine", req{"POST", "/api/v1/devices", device("TV sảnh")}, ""},
		{"user RLO", req{"POST", "/api/v1/users", user("Nguyễn \u202eVăn")}, "name"},
		{"user too long", req{"POST", "/api/v1/users", user(long)}, "name"},
		{"user fine", req{"POST", "/api/v1/users", user("Nguyễn Văn Bình")}, ""},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			st, b := call(t, c.req.method, s.URL+c.req.path, admin, c.req.body)
			if c.field == "" {
				if st >= 300 {
					t.Fatalf("refused: %d %s", st, b)
				}
				if strings.Contains(string(b), `"  Đất`) {
					t.Fatalf("not trimmed: %s", b)
				}
				return
			}
			var e protocol.Error
			mustJSON(t, b, &e)
			if st != 400 || e.Error.Code != protocol.CodeBadRequest || !strings.HasPrefix(e.Error.Message, c.field+":") {
				t.Fatalf("got %d %s, want 400 with message starting %q", st, b, c.field+":")
			}
		})
	}
	// A user's name changed later follows the same rule.
	u, _ := s.App.Store.UserByName(context.Background(), "canbo1")
	if st, b := call(t, "PATCH", s.URL+"/api/v1/users/"+u.ID, admin, `{"name":"An\u0007"}`); st != 400 || !strings.Contains(string(b), `"name:`) {
		t.Fatalf("patch name %d %s", st, b)
	}
}

// TestStaticPathEscapes: paths that leave /static/ are 404, whatever their
// spelling; HTML answers carry the security headers.
func TestStaticPathEscapes(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	for _, p := range []string{
		"/static/..%2fadmin/index.html",
		"/static/..%2Fadmin%2Findex.html",
		"/static/%2e%2e/admin/index.html",
		"/static/%2e%2e%2fadmin/index.html",
		"/static/staff/..%2f..%2fadmin/index.html",
		"/static/..%5cadmin/index.html",
		"/static/staff%00.js",
	} {
		// A raw request: clients would normalise the path themselves.
		req, _ := http.NewRequest("GET", s.URL+"/", nil)
		req.URL.Opaque = p
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 && (resp.StatusCode < 300 || resp.StatusCode >= 400) {
			t.Errorf("%s: %d, want 404 (body %.80q)", p, resp.StatusCode, b)
		}
		if strings.Contains(string(b), "<html") || strings.Contains(string(b), "<!doctype") {
			t.Errorf("%s served a page", p)
		}
	}
	if st, _ := call(t, "GET", s.URL+"/static/staff/admin.js", "", ""); st != 200 {
		t.Fatalf("a real static file: %d", st)
	}
	for _, p := range []string{"/admin", "/counter", "/display", "/", "/nowhere", "/static/nothing.html"} {
		resp, err := http.Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s (%d) without %s", p, resp.StatusCode, h)
			}
		}
	}
}

// TestPhoneCapsConcurrent: concurrent opens never pass the per-ticket
// limit or the global cap; slots come back when phones leave.
func TestPhoneCapsConcurrent(t *testing.T) {
	check := func(t *testing.T, opts hub.TicketOptions, tickets, opens, want int) {
		s := servertest.Start(t, servertest.Options{NoRateLimits: true, Phones: opts})
		tokens := make([]string, tickets)
		for i := range tokens {
			tokens[i] = issueForPhone(t, s)
		}
		u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws/ticket/"
		var mu sync.Mutex
		var open []*websocket.Conn
		refused := 0
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range opens {
			wg.Go(func() {
				<-start
				ws, resp, err := websocket.DefaultDialer.Dial(u+tokens[i%tickets], nil)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					open = append(open, ws)
					return
				}
				if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
					refused++
					return
				}
				t.Errorf("dial: %v", err)
			})
		}
		close(start)
		wg.Wait()
		if len(open) != want || refused != opens-want {
			t.Fatalf("%d open, %d refused; want %d open", len(open), refused, want)
		}
		// A phone that leaves frees its slot for the next one.
		open[0].Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			ws, _, err := websocket.DefaultDialer.Dial(u+tokens[0], nil)
			if err == nil {
				ws.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("slot not released: %v", err)
			}
			// The server notices the close when it reads it; retry until then.
			time.Sleep(20 * time.Millisecond)
		}
		for _, ws := range open[1:] {
			ws.Close()
		}
	}
	t.Run("per ticket", func(t *testing.T) { check(t, hub.TicketOptions{}, 1, 40, 4) })
	t.Run("global", func(t *testing.T) { check(t, hub.TicketOptions{MaxClients: 10, MaxPerTicket: 100}, 5, 60, 10) })
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// issueForPhone issues a ticket and returns its token.
func issueForPhone(t *testing.T, s *servertest.Server) string {
	t.Helper()
	ctx := context.Background()
	k := s.Client(s.AdminToken())
	svcs, err := k.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range svcs {
		if sv.Open {
			tk, err := k.IssueTicket(ctx, protocol.IssueRequest{ServiceID: sv.ID}, "")
			if err != nil {
				t.Fatal(err)
			}
			return tk.Token
		}
	}
	// Outside opening hours: open every field all day.
	all := protocol.Hours{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		all[d] = []string{"00:00-24:00"}
	}
	c, _ := k.Centre(ctx)
	c.Hours = all
	body, _ := json.Marshal(c)
	if st, b := call(t, "PUT", s.URL+"/api/v1/centre", s.AdminToken(), string(body)); st != 200 {
		t.Fatalf("centre %d %s", st, b)
	}
	tk, err := k.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svcs[0].ID}, "")
	if err != nil {
		t.Fatal(fmt.Errorf("issue: %w", err))
	}
	return tk.Token
}
