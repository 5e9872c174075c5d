package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// provinceRig is a province on a real PostgreSQL served by two instances.
type provinceRig struct {
	t      *testing.T
	ctx    context.Context
	a1, a2 string
}

func (r provinceRig) at(addr, prefix, tok string) *client.Client {
	r.t.Helper()
	return provinceClient(r.t, addr, prefix, tok)
}

// provinceClient is a client of the province server at addr (prefix: a
// centre's path). Its requests may take a minute: creating a centre (a
// schema migrated, its admin's password hashed by a server built with the
// race detector) takes seconds on a busy machine, more than a kiosk's 10 s.
func provinceClient(t *testing.T, addr, prefix, tok string) *client.Client {
	t.Helper()
	c, err := client.New("http://"+addr+prefix, tok, client.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r provinceRig) want(c *client.Client, method, path string, body, out any, code int) {
	r.t.Helper()
	got, err := c.Do(r.ctx, method, path, body, out, nil)
	if got != code {
		r.t.Fatalf("%s %s%s: %d (%v), want %d", method, c.BaseURL(), path, got, err, code)
	}
}

func (r provinceRig) login(addr, user, pw string, code int) string {
	r.t.Helper()
	var l struct {
		Token string `json:"token"`
	}
	r.want(r.at(addr, "", ""), "POST", "/api/v1/province/login", protocol.LoginRequest{Username: user, Password: pw}, &l, code)
	return l.Token
}

// eventually polls ok for up to 10 s.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startProvinceRig(t *testing.T) (provinceRig, string) {
	ctx, cancel := context.WithCancel(context.Background())
	pg := sharedPostgres(t)
	url := pg.Database(t)
	env := provinceEnv()
	r := provinceRig{t: t, ctx: ctx}
	r.a1 = startProvince(t, ctx, url, env)
	r.a2 = startProvince(t, ctx, url, env)
	t.Cleanup(cancel) // runs before the cleanups that wait for the servers
	return r, provincePW
}

// TestProvinceAccounts: province accounts managed through the API, on
// two instances of one PostgreSQL: one's own password (the old one
// required; the other sessions end, this one stays), a province admin
// resetting, demoting, disabling and enabling another account (its
// sessions end and its open websocket in a centre closes), the last
// enabled province admin kept, a province supervisor allowed none of it,
// and bad input refused with nothing changed.
func TestProvinceAccounts(t *testing.T) {
	r, provPW := startProvinceRig(t)
	a1, a2 := r.a1, r.a2
	prov := r.login(a1, "province", provPW, 200)
	pc := r.at(a1, "", prov)
	var sup, adm2 struct {
		ID string `json:"id"`
	}
	r.want(pc, "POST", "/api/v1/province/users", map[string]string{"username": "sup", "name": "Giám sát", "role": "province_supervisor", "password": "sup-pass-123"}, &sup, 201)
	r.want(pc, "POST", "/api/v1/province/users", map[string]string{"username": "adm2", "name": "Quản trị 2", "role": "province_admin", "password": "adm2-pass-123"}, &adm2, 201)
	r.want(pc, "POST", "/api/v1/province/centres", map[string]string{"id": "xa-a", "name": "Xã A"}, nil, 201)

	var users []map[string]any
	r.want(r.at(a2, "", prov), "GET", "/api/v1/province/users", nil, &users, 200)
	if len(users) != 3 || users[0]["username"] != "adm2" || users[0]["password_hash"] != nil {
		t.Fatalf("users: %+v", users)
	}

	// A province supervisor may change only their own password.
	supTok := r.login(a2, "sup", "sup-pass-123", 200)
	sc := r.at(a1, "", supTok)
	r.want(sc, "GET", "/api/v1/province/users", nil, nil, 403)
	r.want(sc, "PATCH", "/api/v1/province/users/"+adm2.ID, map[string]any{"disabled": true}, nil, 403)
	r.want(sc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"role": "province_admin"}, nil, 403)
	r.want(sc, "PATCH", "/api/v1/province/centres/xa-a", map[string]any{"disabled": true}, nil, 403)
	r.want(r.at(a1, "", ""), "POST", "/api/v1/province/password", map[string]string{"old_password": "sup-pass-123", "password": "sup-pass-456"}, nil, 401)

	// Own password: the old one is required and checked; bad input changes nothing.
	supTok2 := r.login(a1, "sup", "sup-pass-123", 200) // a second session, ended by the change
	r.want(sc, "POST", "/api/v1/province/password", map[string]string{"old_password": "wrong-password", "password": "sup-pass-456"}, nil, 403)
	r.want(sc, "POST", "/api/v1/province/password", map[string]string{"password": "sup-pass-456"}, nil, 400)
	r.want(sc, "POST", "/api/v1/province/password", map[string]string{"old_password": "sup-pass-123", "password": "short"}, nil, 400)
	r.want(sc, "POST", "/api/v1/province/password", map[string]string{"old_password": "sup-pass-123", "password": "sup-pass-456", "role": "province_admin"}, nil, 400)
	r.login(a2, "sup", "sup-pass-123", 200)
	r.want(sc, "POST", "/api/v1/province/password", map[string]string{"old_password": "sup-pass-123", "password": "sup-pass-456"}, nil, 204)
	r.login(a2, "sup", "sup-pass-123", 401)
	r.login(a2, "sup", "sup-pass-456", 200)
	r.want(r.at(a2, "", supTok), "GET", "/api/v1/province/me", nil, nil, 200) // the session that did it stays
	r.want(r.at(a2, "", supTok2), "GET", "/api/v1/province/me", nil, nil, 401)

	// Bad changes by an admin: clear 4xx, nothing changed.
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"role": "king"}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"password": "short"}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"name": "x", "password_hash": "x"}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/users/nobody", map[string]any{"disabled": true}, nil, 404)
	r.want(r.at(a2, "", supTok), "GET", "/api/v1/province/me", nil, nil, 200)
	r.login(a1, "sup", "sup-pass-456", 200)

	// The last enabled province admin stays: not disabled, not demoted;
	// an admin does not disable themself.
	r.want(pc, "PATCH", "/api/v1/province/users/"+adm2.ID, map[string]any{"disabled": true}, nil, 200)
	var me struct {
		ID string `json:"id"`
	}
	r.want(pc, "GET", "/api/v1/province/me", nil, &me, 200)
	r.want(pc, "PATCH", "/api/v1/province/users/"+me.ID, map[string]any{"role": "province_supervisor"}, nil, 409)
	r.want(pc, "PATCH", "/api/v1/province/users/"+me.ID, map[string]any{"disabled": true}, nil, 422)
	r.want(pc, "GET", "/api/v1/province/me", nil, nil, 200)
	r.login(a1, "adm2", "adm2-pass-123", 401)
	r.want(pc, "PATCH", "/api/v1/province/users/"+adm2.ID, map[string]any{"disabled": false}, nil, 200)
	adm2Tok := r.login(a1, "adm2", "adm2-pass-123", 200)
	// With two admins, one may demote the other, and then not itself.
	r.want(r.at(a2, "", adm2Tok), "PATCH", "/api/v1/province/users/"+me.ID, map[string]any{"role": "province_supervisor"}, nil, 200)
	r.want(pc, "PATCH", "/api/v1/province/users/"+adm2.ID, map[string]any{"role": "province_supervisor"}, nil, 403) // a supervisor now
	r.want(r.at(a2, "", adm2Tok), "PATCH", "/api/v1/province/users/"+adm2.ID, map[string]any{"role": "province_supervisor"}, nil, 409)
	r.want(r.at(a2, "", adm2Tok), "PATCH", "/api/v1/province/users/"+me.ID, map[string]any{"role": "province_admin"}, nil, 200)

	// A reset ends the account's sessions everywhere.
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"password": "sup-reset-789"}, nil, 200)
	r.want(r.at(a2, "", supTok), "GET", "/api/v1/province/me", nil, nil, 401)
	r.want(r.at(a1, "/c/xa-a", supTok), "GET", "/api/v1/board", nil, nil, 401)
	r.login(a2, "sup", "sup-pass-456", 401)
	supTok = r.login(a2, "sup", "sup-reset-789", 200)

	// The centre's pages with the province account: the session handed
	// to the centre as its cookie, its role the one of the API.
	cookieReq := func(method, addr, path, ck, csrf string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(r.ctx, method, "http://"+addr+path, strings.NewReader(`{}`))
		if ck != "" {
			req.Header.Set("Cookie", "civiq_session="+ck)
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	r.want(r.at(a1, "/c/xa-a", ""), "POST", "/api/v1/province-session", nil, nil, 401)
	req, _ := http.NewRequestWithContext(r.ctx, "POST", "http://"+a1+"/c/xa-a/api/v1/province-session", nil)
	req.Header.Set("Authorization", "Bearer "+supTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Role string `json:"role"`
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&ex)
	resp.Body.Close()
	ck := resp.Cookies()
	if resp.StatusCode != 200 || len(ck) != 1 || ck[0].Path != "/c/xa-a/" || ck[0].Value != supTok || !ck[0].HttpOnly || ex.Role != "supervisor" || len(ex.CSRF) < 16 {
		t.Fatalf("province session handed to xa-a: %d %+v %+v", resp.StatusCode, ck, ex)
	}
	if code, me := cookieReq("GET", a2, "/c/xa-a/api/v1/me", supTok, ""); code != 200 || me["role"] != "supervisor" || me["kind"] != "province" || me["csrf_token"] != ex.CSRF {
		t.Fatalf("me with the province cookie on instance 2: %d %v", code, me)
	}
	if code, _ := cookieReq("POST", a1, "/c/xa-a/api/v1/province-session", supTok, ex.CSRF); code != 403 {
		t.Fatalf("province-session from the cookie: %d, want 403", code)
	}
	if code, _ := cookieReq("POST", a1, "/c/xa-a/api/v1/logout", supTok, ""); code != 403 {
		t.Fatalf("a cookie write without X-CSRF-Token: %d, want 403", code)
	}
	if code, _ := cookieReq("PUT", a1, "/c/xa-a/api/v1/centre", supTok, ex.CSRF); code != 403 {
		t.Fatalf("a province supervisor's cookie changed the centre: %d, want 403", code)
	}
	var centreLogin protocol.LoginResponse
	r.want(r.at(a1, "/c/xa-a", prov), "POST", "/api/v1/users", map[string]any{"username": "clerk1", "name": "Cán bộ", "role": "clerk", "password": "clerk-pass-123"}, nil, 201)
	r.want(r.at(a1, "/c/xa-a", ""), "POST", "/api/v1/login", protocol.LoginRequest{Username: "clerk1", Password: "clerk-pass-123"}, &centreLogin, 200)
	r.want(r.at(a1, "/c/xa-a", centreLogin.Token), "POST", "/api/v1/province-session", nil, nil, 403)
	if code, _ := cookieReq("POST", a1, "/c/xa-a/api/v1/logout", supTok, ex.CSRF); code != 204 {
		t.Fatalf("logout of the centre's page: %d", code)
	}
	r.want(r.at(a2, "", supTok), "GET", "/api/v1/province/me", nil, nil, 200) // the province session goes on

	// Disabling ends the sessions and the open websocket in a centre.
	wctx, wcancel := context.WithCancel(r.ctx)
	defer wcancel()
	w := watchWS(wctx, r.at(a2, "/c/xa-a", supTok))
	state := func(ok func() bool) func() bool {
		return func() bool { w.mu.Lock(); defer w.mu.Unlock(); return ok() }
	}
	eventually(t, "the supervisor's websocket", state(func() bool { return w.ups == 1 }))
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"disabled": true}, nil, 200)
	began := time.Now()
	r.want(r.at(a2, "/c/xa-a", supTok), "GET", "/api/v1/board", nil, nil, 401)
	if code, _ := cookieReq("GET", a1, "/c/xa-a/api/v1/me", supTok, ""); code != 401 {
		t.Fatalf("a disabled account's centre cookie: %d, want 401", code)
	}
	r.login(a1, "sup", "sup-reset-789", 401)
	eventually(t, "the websocket to close and stay refused", state(func() bool {
		return w.downs >= 2 && w.lastErr != nil && strings.Contains(w.lastErr.Error(), "401")
	}))
	t.Logf("disabled account's websocket closed in %v", time.Since(began).Round(time.Millisecond))
	wcancel()
	r.want(pc, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"disabled": false}, nil, 200)
	r.login(a1, "sup", "sup-reset-789", 200)
}

// TestProvinceCentreLifecycle: a centre renamed (the id stays) and taken
// out of service (no longer served by either instance, its data kept) and
// back, through the province API; the default centre is never out of
// service; a province supervisor changes nothing.
func TestProvinceCentreLifecycle(t *testing.T) {
	r, provPW := startProvinceRig(t)
	a1, a2 := r.a1, r.a2
	prov := r.login(a1, "province", provPW, 200)
	pc := r.at(a1, "", prov)
	r.want(pc, "POST", "/api/v1/province/users", map[string]string{"username": "sup", "name": "Giám sát", "role": "province_supervisor", "password": "sup-pass-123"}, nil, 201)
	sup := r.login(a1, "sup", "sup-pass-123", 200)
	r.want(pc, "POST", "/api/v1/province/centres", map[string]string{"id": "xa-b", "name": "Xã B"}, nil, 201)
	// Data of the centre: a user created in it by the province admin.
	r.want(r.at(a1, "/c/xa-b", prov), "POST", "/api/v1/users", map[string]any{"username": "clerk1", "name": "Cán bộ", "role": "clerk", "password": "clerk-pass-123"}, nil, 201)
	eventually(t, "instance 2 to serve xa-b", func() bool {
		code, _ := r.at(a2, "/c/xa-b", prov).Do(r.ctx, "GET", "/api/v1/board", nil, nil, nil)
		return code == 200
	})
	name := func(addr, id string) (string, bool) {
		var cs []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Disabled bool   `json:"disabled"`
		}
		r.want(r.at(addr, "", sup), "GET", "/api/v1/province/centres", nil, &cs, 200)
		for _, c := range cs {
			if c.ID == id {
				return c.Name, c.Disabled
			}
		}
		t.Fatalf("centre %s not listed: %+v", id, cs)
		return "", false
	}

	// Bad input and the supervisor: refused, nothing changed.
	r.want(r.at(a1, "", sup), "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"name": "Xã Bê"}, nil, 403)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"name": ""}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"name": strings.Repeat("x", 200)}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"id": "xa-c"}, nil, 400)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-z", map[string]any{"name": "Không có"}, nil, 404)
	r.want(pc, "PATCH", "/api/v1/province/centres/default", map[string]any{"disabled": true}, nil, 422)
	if n, off := name(a1, "xa-b"); n != "Xã B" || off {
		t.Fatalf("after refused changes: %q %v", n, off)
	}

	// Renamed: both instances show the new name, the centre's own too.
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"name": "Xã Bình An"}, nil, 200)
	eventually(t, "the new name on both instances", func() bool {
		n1, _ := name(a1, "xa-b")
		n2, _ := name(a2, "xa-b")
		return n1 == "Xã Bình An" && n2 == "Xã Bình An"
	})
	c, err := r.at(a2, "/c/xa-b", "").Centre(r.ctx)
	if err != nil || c.Name.Vi != "Xã Bình An" {
		t.Fatalf("the centre's own name: %+v %v", c.Name, err)
	}

	// Out of service: neither instance serves it (within the poll), data kept.
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"disabled": true}, nil, 200)
	began := time.Now()
	r.want(r.at(a1, "/c/xa-b", prov), "GET", "/api/v1/board", nil, nil, 404)
	eventually(t, "instance 2 to stop serving xa-b", func() bool {
		code, _ := r.at(a2, "/c/xa-b", prov).Do(r.ctx, "GET", "/api/v1/board", nil, nil, nil)
		return code == 404
	})
	t.Logf("out of service on the other instance after %v", time.Since(began).Round(time.Millisecond))
	if _, off := name(a2, "xa-b"); !off {
		t.Fatal("xa-b not listed as out of service")
	}
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"name": "Xã B mới"}, nil, 409)
	var sum struct {
		Rows []struct {
			Key string `json:"key"`
		} `json:"rows"`
	}
	today := time.Now().Format("2006-01-02")
	r.want(r.at(a2, "", sup), "GET", "/api/v1/province/reports/summary?from="+today+"&to="+today, nil, &sum, 200)
	if len(sum.Rows) != 1 || sum.Rows[0].Key != "default" {
		t.Fatalf("summary with xa-b out of service: %+v", sum.Rows)
	}
	r.want(r.at(a1, "", prov), "POST", "/api/v1/province/centres", map[string]string{"id": "xa-b", "name": "Lại"}, nil, 409)

	// Back in service, renamed at once: every instance serves it, its data kept.
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"disabled": false, "name": "Xã B mới"}, nil, 200)
	for _, addr := range []string{a1, a2} {
		eventually(t, "xa-b served again on "+addr, func() bool {
			var users []struct {
				Username string `json:"username"`
			}
			code, _ := r.at(addr, "/c/xa-b", prov).Do(r.ctx, "GET", "/api/v1/users", nil, &users, nil)
			return code == 200 && len(users) == 2 && (users[0].Username == "clerk1" || users[1].Username == "clerk1")
		})
	}
	// The new name reaches the other instance's centre through its events.
	eventually(t, "xa-b listed renamed and in service on "+a2, func() bool {
		n, off := name(a2, "xa-b")
		return n == "Xã B mới" && !off
	})
}
