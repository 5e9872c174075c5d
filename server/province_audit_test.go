package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

// TestProvinceAudit: every centre and account change made through the
// province API, by a real client on two instances of one PostgreSQL, is
// in the province's audit log (actor, action, subject, newest first,
// never a password); a province supervisor reads it, a centre's admin and
// no token do not; a deleted centre's entry outlives the centre; bad
// filters are refused.
func TestProvinceAudit(t *testing.T) {
	r, provPW := startProvinceRig(t)
	a1, a2 := r.a1, r.a2
	prov := r.login(a1, "province", provPW, 200)
	pc := r.at(a1, "", prov)

	var created struct {
		Admin struct{ Username, Password string } `json:"admin"`
	}
	r.want(pc, "POST", "/api/v1/province/centres", map[string]string{"id": "xa-b", "name": "Xã B"}, &created, 201)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"name": "Xã B mới"}, nil, 200)
	var sup, adm2 struct {
		ID string `json:"id"`
	}
	r.want(pc, "POST", "/api/v1/province/users", map[string]string{"username": "sup", "name": "Giám sát", "role": "province_supervisor", "password": "sup-pass-123"}, &sup, 201)
	r.want(pc, "POST", "/api/v1/province/users", map[string]string{"username": "adm2", "name": "Quản trị 2", "role": "province_admin", "password": "adm2-pass-123"}, &adm2, 201)
	a2c := r.at(a2, "", r.login(a2, "adm2", "adm2-pass-123", 200))
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"role": "province_admin"}, nil, 200)
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"role": "province_supervisor"}, nil, 200)
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"password": "sup-reset-123"}, nil, 200)
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"disabled": true}, nil, 200)
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"disabled": false}, nil, 200)
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"disabled": false}, nil, 200) // no change: no entry
	supTok := r.login(a1, "sup", "sup-reset-123", 200)
	sc := r.at(a1, "", supTok)
	r.want(sc, "POST", "/api/v1/province/password", map[string]string{"old_password": "sup-reset-123", "password": "sup-pass-456"}, nil, 204)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"disabled": true}, nil, 200)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"disabled": false}, nil, 200)
	// A centre's admin may not read the province's log.
	var centreLogin protocol.LoginResponse
	r.want(r.at(a1, "/c/xa-b", ""), "POST", "/api/v1/login", protocol.LoginRequest{Username: created.Admin.Username, Password: created.Admin.Password}, &centreLogin, 200)
	r.want(r.at(a1, "", centreLogin.Token), "GET", "/api/v1/province/audit", nil, nil, 401)
	r.want(r.at(a1, "", ""), "GET", "/api/v1/province/audit", nil, nil, 401)
	r.want(pc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"disabled": true}, nil, 200)
	r.want(pc, "DELETE", "/api/v1/province/centres/xa-b", map[string]string{"confirm": "xa-b"}, nil, 204)
	// Refused changes write nothing.
	r.want(a2c, "PATCH", "/api/v1/province/users/"+sup.ID, map[string]any{"role": "king"}, nil, 400)
	r.want(sc, "PATCH", "/api/v1/province/centres/xa-b", map[string]any{"disabled": true}, nil, 403)

	type entry struct {
		ID                                 int64
		At                                 string
		Actor, Action, Subject, Detail, IP string
	}
	want := []struct{ actor, action, subject string }{
		{"province", "centre.delete", "xa-b"},
		{"province", "centre.disable", "xa-b"},
		{"province", "centre.enable", "xa-b"},
		{"province", "centre.disable", "xa-b"},
		{"sup", "account.password", "sup"},
		{"adm2", "account.enable", "sup"},
		{"adm2", "account.disable", "sup"},
		{"adm2", "account.reset_password", "sup"},
		{"adm2", "account.role", "sup"},
		{"adm2", "account.role", "sup"},
		{"province", "account.create", "adm2"},
		{"province", "account.create", "sup"},
		{"province", "centre.rename", "xa-b"},
		{"province", "centre.create", "xa-b"},
		{"system", "account.create", "province"}, // the first province admin, at the first start
	}
	var got []entry
	r.want(r.at(a2, "", supTok), "GET", "/api/v1/province/audit", nil, &got, 200) // the supervisor reads it
	if len(got) != len(want) {
		t.Fatalf("audit: %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.Actor != w.actor || e.Action != w.action || e.Subject != w.subject || e.At == "" || (e.IP == "") != (w.actor == "system") {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
		if i > 0 && e.ID >= got[i-1].ID {
			t.Errorf("entry %d: not newest first", i)
		}
		if strings.Contains(e.Detail, "pass") {
			t.Errorf("entry %d: a password in detail: %q", i, e.Detail)
		}
	}
	if got[8].Detail != "province_admin → province_supervisor" || got[12].Detail != "Xã B mới" {
		t.Errorf("details: %q, %q", got[8].Detail, got[12].Detail)
	}

	// Filters.
	r.want(pc, "GET", "/api/v1/province/audit?kind=centre&limit=2", nil, &got, 200)
	if len(got) != 2 || got[0].Action != "centre.delete" || got[1].Action != "centre.disable" {
		t.Fatalf("kind=centre&limit=2: %+v", got)
	}
	r.want(pc, "GET", "/api/v1/province/audit?kind=account&actor=adm2", nil, &got, 200)
	if len(got) != 5 {
		t.Fatalf("kind=account&actor=adm2: %+v", got)
	}
	r.want(pc, "GET", "/api/v1/province/audit?kind=account.create", nil, &got, 200)
	if len(got) != 3 || got[0].Subject != "adm2" || got[2].Actor != "system" {
		t.Fatalf("kind=account.create: %+v", got)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "kind=centres", "kind=centre.explode"} {
		r.want(pc, "GET", "/api/v1/province/audit?"+q, nil, nil, 400)
	}

	// The CSV export, as a spreadsheet reads it.
	req, _ := http.NewRequestWithContext(r.ctx, "GET", "http://"+a1+"/api/v1/province/audit.csv?kind=centre.delete", nil)
	req.Header.Set("Authorization", "Bearer "+supTok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if res.StatusCode != 200 || !strings.HasPrefix(lines[0], "\uFEFFid,time,user,ip,action,subject,detail") || len(lines) != 2 || !strings.Contains(lines[1], ",province,") || !strings.Contains(lines[1], ",centre.delete,xa-b,") {
		t.Fatalf("audit.csv: %d %q", res.StatusCode, body)
	}
}
