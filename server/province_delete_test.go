package main

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/protocol"
)

// logBuf is a server's log, written by its goroutines, read by the test.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProvinceDeleteCentre: a province admin deletes a centre's data
// through the API, with two server instances on one PostgreSQL: refused
// while the centre is in service (409), without the typed confirmation
// (400), for a province supervisor (403), for the default centre (422)
// and an unknown one (404), without a bearer token (401: a cookie is no
// credential here, so no CSRF); once out of service, deleted on instance
// 1 (204): its schema and registry row gone in one transaction, 404 at
// once there and within the poll on instance 2, whose websocket to it is
// closed and refused, no connection of it left, no storm in instance 2's
// log; the other centre untouched; the id created again starts empty,
// numbering at A001, on both instances; the centre brought back from the
// pg_dump taken before, as docs/DEPLOY.md says.
func TestProvinceDeleteCentre(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url := sharedPostgres(t).Database(t)
	env := provinceEnv()
	log2 := &logBuf{}
	r := provinceRig{t: t, ctx: ctx}
	r.a1 = startProvince(t, ctx, url, env)
	r.a2 = startProvinceLog(t, ctx, url, env, log2)
	t.Cleanup(cancel)
	a1, a2 := r.a1, r.a2
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}

	prov := r.login(a1, "province", provincePW, 200)
	pc := r.at(a1, "", prov)
	bin, err := pgtest.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	pgRun := func(name string, args ...string) {
		t.Helper()
		out, err := exec.CommandContext(ctx, filepath.Join(bin, name), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	r.want(pc, "POST", "/api/v1/province/users", map[string]string{"username": "sup", "name": "Giám sát", "role": "province_supervisor", "password": "sup-pass-123"}, nil, 201)
	sup := r.login(a1, "sup", "sup-pass-123", 200)
	kiosk := map[string]string{}
	create := func(addr, id string) {
		t.Helper()
		r.want(r.at(addr, "", prov), "POST", "/api/v1/province/centres", map[string]string{"id": id, "name": "Xã " + id}, nil, 201)
		c := r.at(addr, "/c/"+id, prov)
		r.want(c, "PUT", "/api/v1/centre", protocol.Centre{Name: protocol.Text{Vi: "Xã " + id}, TimeZone: "Asia/Ho_Chi_Minh", ReadNumbers: protocol.ReadAsNumber, Hours: enginetest.AllDay()}, nil, 200)
		r.want(c, "PUT", "/api/v1/services/ho-tich", protocol.Service{ID: "ho-tich", Prefix: "A", Name: protocol.Text{Vi: "Hộ tịch"}, Enabled: true}, nil, 200)
		r.want(c, "PUT", "/api/v1/counters/q1", protocol.Counter{ID: "q1", Number: 1, Name: protocol.Text{Vi: "Quầy 1"}, ServiceIDs: []string{"ho-tich"}, Status: protocol.CounterOpen}, nil, 200)
		k, err := c.CreateDevice(ctx, protocol.RoleKiosk, "kiosk "+id)
		if err != nil {
			t.Fatal(err)
		}
		kiosk[id] = k.Token
	}
	issue := func(addr, id string) protocol.Ticket {
		t.Helper()
		tk, err := r.at(addr, "/c/"+id, kiosk[id]).IssueTicket(ctx, protocol.IssueRequest{ServiceID: "ho-tich"}, "")
		if err != nil {
			t.Fatalf("issue at %s on %s: %v", id, addr, err)
		}
		return tk
	}
	create(a1, "xa-xoa")
	create(a1, "xa-giu")
	eventually(t, "instance 2 to serve both centres", func() bool {
		c1, _ := r.at(a2, "/c/xa-xoa", prov).Do(ctx, "GET", "/api/v1/board", nil, nil, nil)
		c2, _ := r.at(a2, "/c/xa-giu", prov).Do(ctx, "GET", "/api/v1/board", nil, nil, nil)
		return c1 == 200 && c2 == 200
	})
	for _, addr := range []string{a1, a2, a1} {
		issue(addr, "xa-xoa")
		issue(addr, "xa-giu")
	}
	if _, err := r.at(a2, "/c/xa-giu", prov).Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	keepTickets := count(`SELECT count(*) FROM centre_xa_giu.tickets`)
	keepEvents := count(`SELECT count(*) FROM centre_xa_giu.events`)
	if keepTickets != 3 || keepEvents == 0 || count(`SELECT count(*) FROM centre_xa_xoa.tickets`) != 3 {
		t.Fatalf("before: xa-giu %d tickets %d events", keepTickets, keepEvents)
	}

	del := func(c *client.Client, id string, body any, code int) {
		t.Helper()
		r.want(c, "DELETE", "/api/v1/province/centres/"+id, body, nil, code)
	}
	confirm := func(id string) map[string]string { return map[string]string{"confirm": id} }

	// Refused, nothing dropped: in service, no confirmation, the wrong
	// one, a supervisor, no token, the default centre, an unknown one.
	del(pc, "xa-xoa", confirm("xa-xoa"), 409)
	del(r.at(a2, "", prov), "xa-xoa", confirm("xa-xoa"), 409)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-xoa", map[string]any{"disabled": true}, nil, 200)
	del(pc, "xa-xoa", map[string]string{}, 400)
	del(pc, "xa-xoa", confirm("xa-giu"), 400)
	del(pc, "xa-xoa", confirm("XA-XOA"), 400)
	del(pc, "xa-xoa", map[string]any{"confirm": "xa-xoa", "force": true}, 400)
	del(pc, "xa-xoa", map[string]any{"confirm": 1}, 400)
	del(r.at(a2, "", sup), "xa-xoa", confirm("xa-xoa"), 403)
	del(r.at(a1, "", ""), "xa-xoa", confirm("xa-xoa"), 401)
	del(pc, "default", confirm("default"), 422)
	del(pc, "xa-khong", confirm("xa-khong"), 404)
	del(pc, "Xa_Bad", confirm("Xa_Bad"), 404)
	raw := func(addr, body string, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "DELETE", "http://"+addr+"/api/v1/province/centres/xa-xoa", strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := raw(a1, `{"confirm":`, map[string]string{"Authorization": "Bearer " + prov}); code != 400 {
		t.Fatalf("bad JSON: %d", code)
	}
	if code := raw(a1, "", map[string]string{"Authorization": "Bearer " + prov}); code != 400 {
		t.Fatalf("no body: %d", code)
	}
	// The province API reads no cookie: a page elsewhere cannot make a
	// browser delete (no CSRF to forge).
	if code := raw(a1, `{"confirm":"xa-xoa"}`, map[string]string{"Cookie": "civiq_session=" + prov}); code != 401 {
		t.Fatalf("the province token as a cookie: %d", code)
	}
	if count(`SELECT count(*) FROM centre_xa_xoa.tickets`) != 3 || count(`SELECT count(*) FROM civiq_province.centres WHERE id = 'xa-xoa'`) != 1 {
		t.Fatal("a refused deletion changed something")
	}

	// Back in service on instance 2 for a moment, with a websocket on it;
	// out of service again, then deleted on instance 1.
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-xoa", map[string]any{"disabled": false}, nil, 200)
	eventually(t, "instance 2 to serve xa-xoa again", func() bool {
		code, _ := r.at(a2, "/c/xa-xoa", prov).Do(ctx, "GET", "/api/v1/board", nil, nil, nil)
		return code == 200
	})
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	w := watchWS(wctx, r.at(a2, "/c/xa-xoa", prov))
	wsState := func(ok func() bool) func() bool {
		return func() bool { w.mu.Lock(); defer w.mu.Unlock(); return ok() }
	}
	eventually(t, "the websocket on instance 2", wsState(func() bool { return w.ups == 1 }))
	if count(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, postgres.ApplicationName("centre_xa_xoa")) == 0 {
		t.Fatal("no connection of xa-xoa seen: application_name not set")
	}
	logBefore := len(log2.String())
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-xoa", map[string]any{"disabled": true}, nil, 200)
	// The backup docs/DEPLOY.md §12 asks for first.
	dump := filepath.Join(t.TempDir(), "xa-xoa.dump")
	pgRun("pg_dump", "-n", "centre_xa_xoa", "-Fc", "-f", dump, url)
	began := time.Now()
	del(pc, "xa-xoa", confirm("xa-xoa"), 204)
	t.Logf("deleted in %v", time.Since(began).Round(time.Millisecond))
	r.want(r.at(a1, "/c/xa-xoa", prov), "GET", "/api/v1/board", nil, nil, 404)
	if n := count(`SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'centre_xa_xoa'`); n != 0 {
		t.Fatal("the schema is still there")
	}
	if n := count(`SELECT count(*) FROM civiq_province.centres WHERE id = 'xa-xoa'`); n != 0 {
		t.Fatal("the registry row is still there")
	}
	eventually(t, "instance 2 to answer 404", func() bool {
		code, _ := r.at(a2, "/c/xa-xoa", prov).Do(ctx, "GET", "/api/v1/board", nil, nil, nil)
		return code == 404
	})
	t.Logf("instance 2 answers 404 after %v (poll 200 ms)", time.Since(began).Round(time.Millisecond))
	eventually(t, "the websocket closed and refused", wsState(func() bool {
		return w.downs >= 2 && w.lastErr != nil && strings.Contains(w.lastErr.Error(), "404")
	}))
	wcancel()
	eventually(t, "no connection of xa-xoa left", func() bool {
		return count(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, postgres.ApplicationName("centre_xa_xoa")) == 0
	})
	// Listed by neither instance: the other one from its next reading of
	// the registry (it had the centre out of service, so its 404 above
	// came before that reading).
	for _, addr := range []string{a1, a2} {
		eventually(t, "the centres listed on "+addr+" without xa-xoa", func() bool {
			var listed []struct {
				ID string `json:"id"`
			}
			r.want(r.at(addr, "", sup), "GET", "/api/v1/province/centres", nil, &listed, 200)
			return len(listed) == 2 && listed[0].ID == "default" && listed[1].ID == "xa-giu"
		})
	}
	del(pc, "xa-xoa", confirm("xa-xoa"), 404)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-xoa", map[string]any{"disabled": false}, nil, 404)

	// The other centre is untouched, served by both.
	if count(`SELECT count(*) FROM centre_xa_giu.tickets`) != keepTickets || count(`SELECT count(*) FROM centre_xa_giu.events`) != keepEvents {
		t.Fatal("xa-giu's tickets or events changed")
	}
	if tk := issue(a2, "xa-giu"); tk.Code != "A004" {
		t.Fatalf("xa-giu's next ticket: %s", tk.Code)
	}

	// Instance 2's log: the centre closed, with no storm of errors.
	after := log2.String()[logBefore:]
	var bad []string
	for _, l := range strings.Split(after, "\n") {
		if strings.Contains(l, "xa-xoa") && (strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR")) || strings.Contains(strings.ToLower(l), "panic") {
			bad = append(bad, l)
		}
	}
	if len(bad) > 3 || !strings.Contains(after, `msg="centre out of service" centre=xa-xoa`) && !strings.Contains(after, `msg="centre deleted: no longer served" centre=xa-xoa`) {
		t.Fatalf("instance 2's log after the deletion: %d warnings %q\n%s", len(bad), bad, after)
	}
	t.Logf("instance 2's warnings about xa-xoa after the deletion: %d", len(bad))

	// The id is free: created again (on instance 2), it starts empty.
	oldKiosk := kiosk["xa-xoa"]
	create(a2, "xa-xoa")
	if tk := issue(a2, "xa-xoa"); tk.Code != "A001" {
		t.Fatalf("the new xa-xoa's first ticket: %s", tk.Code)
	}
	eventually(t, "instance 1 to serve the new xa-xoa", func() bool {
		b, err := r.at(a1, "/c/xa-xoa", prov).Board(ctx)
		return err == nil && b.Waiting["ho-tich"] == 1
	})

	// Brought back from the backup as docs/DEPLOY.md §12 says, once the
	// id is free: its schema restored and its registry row added again;
	// every instance serves it with its tickets.
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-xoa", map[string]any{"disabled": true}, nil, 200)
	del(r.at(a2, "", prov), "xa-xoa", confirm("xa-xoa"), 204)
	pgRun("pg_restore", "-d", url, dump)
	if _, err := db.Exec(ctx, `INSERT INTO civiq_province.centres (id, name, time_zone, created_at, ready) VALUES ('xa-xoa', 'Xã xa-xoa', 'Asia/Ho_Chi_Minh', now(), true)`); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{a1, a2} {
		eventually(t, "the restored xa-xoa on "+addr, func() bool {
			b, err := r.at(addr, "/c/xa-xoa", prov).Board(ctx)
			return err == nil && b.Waiting["ho-tich"] == 3
		})
	}
	kiosk["xa-xoa"] = oldKiosk // its devices came back with it
	if tk := issue(a1, "xa-xoa"); tk.Code != "A004" {
		t.Fatalf("the restored xa-xoa's next ticket: %s", tk.Code)
	}
}
