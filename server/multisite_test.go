package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/protocol"
)

// wsWatch counts the ups and downs of a websocket subscription and keeps
// its last error.
type wsWatch struct {
	mu         sync.Mutex
	ups, downs int
	lastErr    error
}

// watchWS subscribes c until ctx ends, counting its ups and downs.
func watchWS(ctx context.Context, c *client.Client) *wsWatch {
	w := &wsWatch{}
	go c.Subscribe(ctx, client.SubscribeOptions{MaxBackoff: 200 * time.Millisecond, OnState: func(up bool, err error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if up {
			w.ups++
		} else {
			w.downs++
			w.lastErr = err
		}
	}}, func(protocol.Event) error { return nil })
	return w
}

// startPostgres starts a throw-away PostgreSQL server for the test and
// stops it when the test ends.
func startPostgres(t *testing.T, ctx context.Context) *pgtest.Server {
	t.Helper()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	return pg
}

// provincePW is the province account's password in the province tests.
const provincePW = "province-pw-123"

// provinceEnv is the environment of a province server in the tests: the
// default centre's first admin password and the province's.
func provinceEnv() map[string]string {
	return map[string]string{"CIVIQ_ADMIN_PASSWORD": "default-admin-pw", "CIVIQ_PROVINCE_PASSWORD": provincePW}
}

// startProvince runs the server command with --province on url and
// returns its address once it serves.
func startProvince(t *testing.T, ctx context.Context, url string, env map[string]string) string {
	t.Helper()
	return startProvinceLog(t, ctx, url, env, io.Discard)
}

// startProvinceLog is startProvince with the server's log written to
// stderr.
func startProvinceLog(t *testing.T, ctx context.Context, url string, env map[string]string, stderr io.Writer) string {
	t.Helper()
	addr := freeAddr(t)
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	getenv := func(k string) string { return env[k] }
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--data", t.TempDir(), "--db", url, "--centre", smallCentre(t),
			"--province", "--province-poll", "200ms", "--login-rate", "-1", "--public-rate", "-1"}, getenv, pw, stderr)
		pw.Close()
	}()
	waitServing(t, pr, done)
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return addr
}

// eventLog collects what a websocket subscriber receives.
type eventLog struct {
	mu  sync.Mutex
	evs []protocol.Event
}

func (l *eventLog) add(ev protocol.Event) error {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
	return nil
}

func (l *eventLog) all() []protocol.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

// lastSeq is the seq of the last event received (a snapshot's too).
func (l *eventLog) lastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.evs) == 0 {
		return 0
	}
	return l.evs[len(l.evs)-1].Seq
}

// TestTwoCentresOnOneDatabase: two centres of a province on one
// PostgreSQL database, served by two server instances: nothing of one is
// visible or changeable from the other (tickets and numbering, events on
// the websocket, devices, users, reports; the other centre's tokens,
// ticket tokens, counter and field ids), a province admin sees and changes
// both, a province supervisor reads both and changes nothing, the
// province summary adds up to the centres' own reports, and a centre
// created on instance 1 is served by instance 2 without a restart.
func TestTwoCentresOnOneDatabase(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pg := sharedPostgres(t)
	url := pg.Database(t)
	env := provinceEnv()
	a1 := startProvince(t, ctx, url, env)
	a2 := startProvince(t, ctx, url, env)
	defer cancel() // stops both servers before the cleanups wait for them

	at := func(addr, prefix, tok string) *client.Client { return provinceClient(t, addr, prefix, tok) }
	status := func(c *client.Client, method, path string, body, out any) int {
		t.Helper()
		code, err := c.Do(ctx, method, path, body, out, nil)
		if code == 0 {
			t.Fatalf("%s %s%s: %v", method, c.BaseURL(), path, err)
		}
		return code
	}
	want := func(c *client.Client, method, path string, body, out any, code int) {
		t.Helper()
		if got := status(c, method, path, body, out); got != code {
			t.Fatalf("%s %s%s: %d, want %d", method, c.BaseURL(), path, got, code)
		}
	}

	// The province admin logs in and creates two centres on instance 1.
	var login struct {
		Token string `json:"token"`
		Role  string `json:"role"`
	}
	want(at(a1, "", ""), "POST", "/api/v1/province/login", protocol.LoginRequest{Username: "province", Password: "wrong-password"}, nil, 401)
	want(at(a1, "", ""), "POST", "/api/v1/province/login", protocol.LoginRequest{Username: "province", Password: provincePW}, &login, 200)
	if !strings.HasPrefix(login.Token, "pv.") || login.Role != "province_admin" {
		t.Fatalf("province login: %+v", login)
	}
	prov := login.Token
	adminPW := map[string]string{}
	for _, id := range []string{"huyen-a", "huyen-b"} {
		var created struct {
			Path  string `json:"path"`
			Admin struct {
				Username, Password string
			} `json:"admin"`
		}
		began := time.Now()
		want(at(a1, "", prov), "POST", "/api/v1/province/centres", map[string]string{"id": id, "name": "Huyện " + id}, &created, 201)
		t.Logf("centre %s created in %v", id, time.Since(began).Round(time.Millisecond))
		if created.Path != "/c/"+id || created.Admin.Username != "admin" || len(created.Admin.Password) < 16 {
			t.Fatalf("created %s: %+v", id, created)
		}
		adminPW[id] = created.Admin.Password
	}
	want(at(a1, "", prov), "POST", "/api/v1/province/centres", map[string]string{"id": "huyen-a", "name": "again"}, nil, 409)
	for _, bad := range []string{"default", "Huyen", "a_b", "-a", strings.Repeat("a", 33), "../x"} {
		want(at(a1, "", prov), "POST", "/api/v1/province/centres", map[string]string{"id": bad, "name": "x"}, nil, 400)
	}
	want(at(a1, "", ""), "POST", "/api/v1/province/centres", map[string]string{"id": "huyen-c", "name": "x"}, nil, 401)

	// Instance 2 serves both without a restart.
	created := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for _, id := range []string{"huyen-a", "huyen-b"} {
		for {
			var c protocol.Centre
			if code, _ := at(a2, "/c/"+id, "").Do(ctx, "GET", "/api/v1/centre", nil, &c, nil); code == 200 && c.Name.Vi == "Huyện "+id {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance 2 does not serve %s", id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("instance 2 served both within %v of their creation (poll 200 ms)", time.Since(created).Round(time.Millisecond))
	want(at(a1, "", ""), "GET", "/c/nowhere/api/v1/centre", nil, nil, 404)

	// The province admin sets both centres up through their prefixes:
	// each its own field and counter.
	setup := map[string][2]string{"huyen-a": {"dat-dai-a", "qa"}, "huyen-b": {"ho-tich-b", "qb"}}
	for id, s := range setup {
		c := at(a1, "/c/"+id, prov)
		want(c, "PUT", "/api/v1/centre", protocol.Centre{Name: protocol.Text{Vi: "Huyện " + id}, TimeZone: "Asia/Ho_Chi_Minh", ReadNumbers: protocol.ReadAsNumber, Hours: enginetest.AllDay()}, nil, 200)
		want(c, "PUT", "/api/v1/services/"+s[0], protocol.Service{ID: s[0], Prefix: "A", Name: protocol.Text{Vi: "Lĩnh vực " + id}, Enabled: true}, nil, 200)
		want(c, "PUT", "/api/v1/counters/"+s[1], protocol.Counter{ID: s[1], Number: 1, Name: protocol.Text{Vi: "Quầy 1"}, ServiceIDs: []string{s[0]}, Status: protocol.CounterOpen}, nil, 200)
	}

	// Each centre's admin logs in at its own prefix only.
	tok := map[string]string{}
	for _, id := range []string{"huyen-a", "huyen-b"} {
		r, err := at(a1, "/c/"+id, "").Login(ctx, "admin", adminPW[id])
		if err != nil {
			t.Fatalf("admin of %s: %v", id, err)
		}
		tok[id] = r.Token
	}
	if _, err := at(a1, "/c/huyen-b", "").Login(ctx, "admin", adminPW["huyen-a"]); err == nil {
		t.Fatal("huyen-a's admin password opens huyen-b")
	}
	for _, addr := range []string{a1, a2} {
		want(at(addr, "/c/huyen-b", tok["huyen-a"]), "GET", "/api/v1/users", nil, nil, 401)
		want(at(addr, "", tok["huyen-a"]), "GET", "/api/v1/users", nil, nil, 401)
		want(at(addr, "/c/huyen-a", tok["huyen-a"]), "GET", "/api/v1/users", nil, nil, 200)
		want(at(addr, "", tok["huyen-a"]), "GET", "/api/v1/province/centres", nil, nil, 401)
	}
	// Users: each centre lists its own.
	want(at(a1, "/c/huyen-a", tok["huyen-a"]), "POST", "/api/v1/users", map[string]any{"username": "canbo-a", "name": "Cán bộ A", "role": "clerk", "password": "clerk-a-password", "counter_ids": []string{"qa"}}, nil, 201)
	userNames := func(c *client.Client) []string {
		var us []struct {
			Username string `json:"username"`
		}
		want(c, "GET", "/api/v1/users", nil, &us, 200)
		var out []string
		for _, u := range us {
			out = append(out, u.Username)
		}
		slices.Sort(out)
		return out
	}
	if got := userNames(at(a2, "/c/huyen-a", prov)); !slices.Equal(got, []string{"admin", "canbo-a"}) {
		t.Fatalf("huyen-a's users seen by the province admin: %v", got)
	}
	if got := userNames(at(a2, "/c/huyen-b", tok["huyen-b"])); !slices.Equal(got, []string{"admin"}) {
		t.Fatalf("huyen-b's users: %v", got)
	}
	if _, err := at(a1, "/c/huyen-b", "").Login(ctx, "canbo-a", "clerk-a-password"); err == nil {
		t.Fatal("huyen-a's clerk logs in at huyen-b")
	}

	// Devices: a kiosk and a display per centre, valid only in theirs.
	kiosk, display := map[string]string{}, map[string]string{}
	for _, id := range []string{"huyen-a", "huyen-b"} {
		c := at(a1, "/c/"+id, tok[id])
		k, err := c.CreateDevice(ctx, protocol.RoleKiosk, "kiosk "+id)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.CreateDevice(ctx, protocol.RoleDisplay, "display "+id)
		if err != nil {
			t.Fatal(err)
		}
		kiosk[id], display[id] = k.Token, d.Token
		devs, err := c.Devices(ctx)
		if err != nil || len(devs) != 2 {
			t.Fatalf("%s devices: %d, %v", id, len(devs), err)
		}
	}

	// `server device --centre-id` registers a device in that centre only;
	// an id not in the registry is refused (and creates no schema).
	var out strings.Builder
	if err := run(ctx, []string{"device", "--db", url, "--centre-id", "huyen-b", "--kind", "kiosk", "--name", "k2"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	k2 := strings.TrimSpace(out.String())
	want(at(a1, "/c/huyen-b", k2), "GET", "/api/v1/services", nil, nil, 200)
	want(at(a1, "/c/huyen-a", k2), "POST", "/api/v1/tickets", protocol.IssueRequest{ServiceID: "dat-dai-a"}, nil, 401)
	want(at(a1, "", k2), "POST", "/api/v1/tickets", protocol.IssueRequest{ServiceID: "dat-dai"}, nil, 401)
	if err := run(ctx, []string{"device", "--db", url, "--centre-id", "huyen-x", "--kind", "kiosk", "--name", "k3"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "registry") {
		t.Fatalf("device for a centre not in the registry: %v", err)
	}

	// Displays on both instances: huyen-a on 1 and 2, huyen-b on 1; the
	// websocket is reached through the prefix of the client's base URL.
	logs := map[string]*eventLog{}
	for _, sub := range []struct{ name, addr, id string }{{"a@1", a1, "huyen-a"}, {"a@2", a2, "huyen-a"}, {"b@1", a1, "huyen-b"}} {
		l := &eventLog{}
		logs[sub.name] = l
		c := at(sub.addr, "/c/"+sub.id, display[sub.id])
		go c.Subscribe(ctx, client.SubscribeOptions{}, func(ev protocol.Event) error { return l.add(ev) })
	}
	// A display token of one centre opens no websocket of the other.
	sctx, scancel := context.WithTimeout(ctx, time.Second)
	var refusals []error
	at(a1, "/c/huyen-b", display["huyen-a"]).Subscribe(sctx, client.SubscribeOptions{MaxBackoff: 50 * time.Millisecond,
		OnState: func(up bool, err error) {
			if !up && err != nil {
				refusals = append(refusals, err)
			}
		}}, func(ev protocol.Event) error {
		t.Errorf("huyen-a's display got huyen-b's event %s", ev.Type)
		return nil
	})
	scancel()
	if len(refusals) == 0 || !strings.Contains(refusals[0].Error(), "401") {
		t.Fatalf("another centre's display token on /ws: %v", refusals)
	}

	// Tickets: both centres number from A001.
	issue := func(id, svc string) protocol.Ticket {
		t.Helper()
		tk, err := at(a1, "/c/"+id, kiosk[id]).IssueTicket(ctx, protocol.IssueRequest{ServiceID: svc}, "")
		if err != nil {
			t.Fatalf("issue at %s: %v", id, err)
		}
		return tk
	}
	ta1, ta2, tb1 := issue("huyen-a", "dat-dai-a"), issue("huyen-a", "dat-dai-a"), issue("huyen-b", "ho-tich-b")
	if ta1.Code != "A001" || ta2.Code != "A002" || tb1.Code != "A001" {
		t.Fatalf("numbers: a %s %s, b %s; each centre numbers from A001", ta1.Code, ta2.Code, tb1.Code)
	}
	if !strings.Contains(ta1.TrackURL, "/c/huyen-a/t/") || !strings.Contains(tb1.TrackURL, "/c/huyen-b/t/") {
		t.Fatalf("track URLs %q %q lack the centre's prefix", ta1.TrackURL, tb1.TrackURL)
	}
	// The phone page of the ticket's URL is served, under the prefix.
	want(at(a1, "", ""), "GET", "/c/huyen-a/api/v1/tickets/"+ta1.Token+"/view", nil, nil, 200)

	// Cross access, every kind: the other centre's kiosk, field, counter
	// and ticket ids, through this centre's prefix, on both instances.
	for _, addr := range []string{a1, a2} {
		want(at(addr, "/c/huyen-b", kiosk["huyen-a"]), "POST", "/api/v1/tickets", protocol.IssueRequest{ServiceID: "ho-tich-b"}, nil, 401)
		if code := status(at(addr, "/c/huyen-a", kiosk["huyen-a"]), "POST", "/api/v1/tickets", protocol.IssueRequest{ServiceID: "ho-tich-b"}, nil); code < 400 || code >= 500 {
			t.Fatalf("issue for the other centre's field: %d", code)
		}
		want(at(addr, "/c/huyen-a", tok["huyen-a"]), "POST", "/api/v1/counters/qb/next", nil, nil, 404)
		want(at(addr, "/c/huyen-a", tok["huyen-a"]), "PUT", "/api/v1/counters/qb/status", map[string]string{"status": "paused"}, nil, 404)
		want(at(addr, "/c/huyen-b", tok["huyen-a"]), "POST", "/api/v1/counters/qb/next", nil, nil, 401)
		want(at(addr, "/c/huyen-a", ""), "GET", "/api/v1/tickets/"+tb1.Token, nil, nil, 404)
		want(at(addr, "/c/huyen-a", ""), "GET", "/api/v1/tickets/"+tb1.Token+"/view", nil, nil, 404)
		want(at(addr, "/c/huyen-b", ""), "GET", "/api/v1/tickets/"+tb1.Token+"/view", nil, nil, 200)
		want(at(addr, "", ""), "GET", "/api/v1/tickets/"+ta1.Token+"/view", nil, nil, 404)
		want(at(addr, "/c/huyen-a", tok["huyen-a"]), "DELETE", "/api/v1/devices/nonexistent", nil, nil, 404)
	}
	var svcsA []protocol.Service
	want(at(a1, "/c/huyen-a", ""), "GET", "/api/v1/services", nil, &svcsA, 200)
	if len(svcsA) != 1 || svcsA[0].ID != "dat-dai-a" {
		t.Fatalf("huyen-a's fields: %+v", svcsA)
	}

	// The province supervisor reads both centres and changes nothing.
	want(at(a1, "", prov), "POST", "/api/v1/province/users", map[string]string{"username": "giamsat", "name": "Giám sát", "role": "province_supervisor", "password": "supervisor-pw-1"}, nil, 201)
	want(at(a1, "", prov), "POST", "/api/v1/province/users", map[string]string{"username": "x", "role": "admin", "password": "short"}, nil, 400)
	var supLogin struct {
		Token string `json:"token"`
	}
	want(at(a2, "", ""), "POST", "/api/v1/province/login", protocol.LoginRequest{Username: "giamsat", Password: "supervisor-pw-1"}, &supLogin, 200)
	sup := supLogin.Token
	today := time.Now().In(enginetest.HCM(t)).Format(time.DateOnly)
	for _, id := range []string{"huyen-a", "huyen-b"} {
		c := at(a2, "/c/"+id, sup)
		want(c, "GET", "/api/v1/board", nil, nil, 200)
		want(c, "GET", "/api/v1/waiting", nil, nil, 200)
		want(c, "GET", "/api/v1/reports?from="+today+"&to="+today, nil, nil, 200)
		want(c, "PUT", "/api/v1/services/"+setup[id][0], protocol.Service{ID: setup[id][0], Prefix: "B", Name: protocol.Text{Vi: "x"}, Enabled: true}, nil, 403)
		want(c, "POST", "/api/v1/counters/"+setup[id][1]+"/next", nil, nil, 403)
		want(c, "POST", "/api/v1/devices", map[string]string{"kind": "kiosk", "name": "x"}, nil, 403)
	}
	want(at(a2, "", sup), "POST", "/api/v1/province/centres", map[string]string{"id": "huyen-c", "name": "x"}, nil, 403)
	want(at(a2, "", sup), "POST", "/api/v1/province/users", map[string]string{"username": "y", "role": "province_admin", "password": "province-pw-999"}, nil, 403)

	// Calls: the province admin at huyen-a's counter (on instance 2), the
	// centre's admin at huyen-b's.
	for _, call := range []struct{ addr, id, tok string }{{a2, "huyen-a", prov}, {a1, "huyen-b", tok["huyen-b"]}} {
		c := at(call.addr, "/c/"+call.id, call.tok)
		tk, err := c.Next(ctx, setup[call.id][1])
		if err != nil || tk == nil || tk.Code != "A001" {
			t.Fatalf("next at %s: %+v, %v", call.id, tk, err)
		}
		if _, err := c.Done(ctx, setup[call.id][1]); err != nil {
			t.Fatal(err)
		}
	}

	// Events: each display gets its own centre's events only, and the
	// two instances' displays of huyen-a the same ones in the same order.
	boardSeq := func(addr, id string) int64 {
		b, err := at(addr, "/c/"+id, display[id]).Board(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b.Seq
	}
	seqA, seqB := boardSeq(a1, "huyen-a"), boardSeq(a1, "huyen-b")
	deadline = time.Now().Add(10 * time.Second)
	for logs["a@1"].lastSeq() < seqA || logs["a@2"].lastSeq() < seqA || logs["b@1"].lastSeq() < seqB {
		if time.Now().After(deadline) {
			t.Fatalf("displays at seqs %d %d %d, want %d %d", logs["a@1"].lastSeq(), logs["a@2"].lastSeq(), logs["b@1"].lastSeq(), seqA, seqB)
		}
		time.Sleep(20 * time.Millisecond)
	}
	issued := func(l *eventLog) (codes []string, seqs []int64) {
		for _, ev := range l.all() {
			if ev.Type == protocol.EventTicketIssued {
				data := string(ev.Data)
				if strings.Contains(data, "ho-tich-b") && l != logs["b@1"] || strings.Contains(data, "dat-dai-a") && l == logs["b@1"] {
					t.Fatalf("a display got the other centre's event: %s", data)
				}
				codes = append(codes, fmt.Sprint(strings.Count(data, `"code":"A00`)))
			}
			seqs = append(seqs, ev.Seq)
		}
		return codes, seqs
	}
	ca1, sa1 := issued(logs["a@1"])
	ca2, sa2 := issued(logs["a@2"])
	cb1, _ := issued(logs["b@1"])
	if len(ca1) != 2 || len(ca2) != 2 || len(cb1) != 1 {
		t.Fatalf("ticket.issued events: a@1 %d, a@2 %d, b@1 %d; want 2, 2, 1", len(ca1), len(ca2), len(cb1))
	}
	// Both subscribed from a snapshot, maybe at different seqs: the
	// events after the later one agree.
	from := max(sa1[0], sa2[0])
	tail := func(s []int64) []int64 {
		i, _ := slices.BinarySearch(s, from)
		return s[i:]
	}
	if !slices.Equal(tail(sa1), tail(sa2)) {
		t.Fatalf("huyen-a's displays on the two instances saw %v and %v", sa1, sa2)
	}

	// The province's view: live figures and the summary, equal to the
	// sum of the centres' own reports.
	var centres []struct {
		ID      string `json:"id"`
		Path    string `json:"path"`
		Waiting int    `json:"waiting"`
	}
	want(at(a2, "", sup), "GET", "/api/v1/province/centres", nil, &centres, 200)
	if len(centres) != 3 || centres[0].ID != "default" || centres[1].ID != "huyen-a" || centres[1].Waiting != 1 || centres[2].Waiting != 0 || centres[2].Path != "/c/huyen-b" {
		t.Fatalf("province centres: %+v", centres)
	}
	type row struct {
		Key      string   `json:"key"`
		Issued   int      `json:"issued"`
		Served   int      `json:"served"`
		WaitMean *float64 `json:"wait_mean_seconds"`
	}
	var sum struct {
		Rows  []row `json:"rows"`
		Total row   `json:"total"`
	}
	want(at(a1, "", sup), "GET", "/api/v1/province/reports/summary?from="+today+"&to="+today, nil, &sum, 200)
	var issuedSum, servedSum int
	for i, id := range []string{"default", "huyen-a", "huyen-b"} {
		r := sum.Rows[i]
		if r.Key != id {
			t.Fatalf("summary row %d is %q, want %q", i, r.Key, id)
		}
		if id != "default" {
			var own struct {
				Total row `json:"total"`
			}
			want(at(a1, "/c/"+id, tok[id]), "GET", "/api/v1/reports?from="+today+"&to="+today, nil, &own, 200)
			if own.Total.Issued != r.Issued || own.Total.Served != r.Served {
				t.Fatalf("%s: province row %+v, centre's own total %+v", id, r, own.Total)
			}
		}
		issuedSum += r.Issued
		servedSum += r.Served
	}
	if sum.Rows[1].Issued != 2 || sum.Rows[2].Issued != 1 || sum.Rows[1].Served != 1 || sum.Rows[2].Served != 1 {
		t.Fatalf("summary rows: %+v", sum.Rows)
	}
	if sum.Total.Issued != issuedSum || sum.Total.Served != servedSum || sum.Total.WaitMean == nil {
		t.Fatalf("summary total %+v, rows add up to issued %d served %d", sum.Total, issuedSum, servedSum)
	}
	want(at(a1, "", tok["huyen-a"]), "GET", "/api/v1/province/reports/summary?from="+today+"&to="+today, nil, nil, 401)
	want(at(a1, "", sup), "GET", "/api/v1/province/reports/summary?from=yesterday&to="+today, nil, nil, 400)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+a1+"/api/v1/province/reports/summary?format=csv&from="+today+"&to="+today, nil)
	req.Header.Set("Authorization", "Bearer "+sup)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(csv), "huyen-b") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("summary CSV: %d %s", resp.StatusCode, csv)
	}

	// A province session ends: its websocket in a centre closes (the
	// recheck of open credentials) and its token works nowhere.
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	w := watchWS(wctx, at(a2, "/c/huyen-b", sup))
	waitState := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			w.mu.Lock()
			done := ok()
			w.mu.Unlock()
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: ups %d downs %d, last error %v", what, w.ups, w.downs, w.lastErr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitState("the supervisor's websocket", func() bool { return w.ups == 1 })
	want(at(a1, "", sup), "POST", "/api/v1/province/logout", nil, nil, 204)
	want(at(a1, "/c/huyen-a", sup), "GET", "/api/v1/board", nil, nil, 401)
	want(at(a2, "", sup), "GET", "/api/v1/province/centres", nil, nil, 401)
	waitState("the websocket to close and stay refused", func() bool {
		return w.downs >= 2 && w.lastErr != nil && strings.Contains(w.lastErr.Error(), "401")
	})
	wcancel()

	// The pages under a prefix: their links and scripts reach the centre.
	resp, err = http.Get("http://" + a2 + "/c/huyen-a/admin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<meta name="civiq-base" content="/c/huyen-a">`) || !strings.Contains(string(page), `src="/static/base.js"`) {
		t.Fatalf("admin page under the prefix: %d\n%s", resp.StatusCode, page)
	}
	// The public waits page and its JSON under the prefix.
	resp, err = http.Get("http://" + a1 + "/c/huyen-b/waits")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `content="/c/huyen-b"`) || !strings.Contains(string(page), `href="/c/huyen-b/book"`) || !strings.Contains(string(page), "ho-tich-b") {
		t.Fatalf("waits page under the prefix: %d\n%s", resp.StatusCode, page)
	}
	// The session cookie is the centre's.
	lreq, _ := http.NewRequestWithContext(ctx, "POST", "http://"+a1+"/c/huyen-a/api/v1/login", strings.NewReader(`{"username":"admin","password":"`+adminPW["huyen-a"]+`"}`))
	lreq.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(lreq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ck := resp.Cookies(); len(ck) != 1 || ck[0].Path != "/c/huyen-a/" {
		t.Fatalf("session cookie under the prefix: %+v", ck)
	}
}
