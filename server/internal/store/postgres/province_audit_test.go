package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// TestProvinceAuditStore: a province schema of version 3 (no audit log)
// is brought to version 4 by the next start; an audit entry is written
// with its change and not with a change that fails (a duplicate
// username, the last admin demoted, a missing centre).
func TestProvinceAuditStore(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	openProvince(t, url).Close()
	db := conn(t, url)
	if _, err := db.Exec(ctx, `DROP TABLE civiq_province.audit; UPDATE civiq_province.civiq_schema SET version = 3`); err != nil {
		t.Fatal(err)
	}
	ps := openProvince(t, url) // the upgrade from version 3
	var v int
	if err := db.QueryRow(ctx, `SELECT version FROM civiq_province.civiq_schema`).Scan(&v); err != nil || v != 4 {
		t.Fatalf("province schema version after the upgrade: %d %v", v, err)
	}

	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e := func(action, subject string) province.AuditEntry {
		return province.AuditEntry{At: now, Actor: "province", Action: action, Subject: subject, IP: "10.0.0.1"}
	}
	u := province.User{ID: "u1", Username: "adm", Role: province.RoleAdmin, PasswordHash: "x", Created: now}
	if err := ps.CreateUser(ctx, u, e(province.ActionAccountCreate, "adm")); err != nil {
		t.Fatal(err)
	}
	if err := ps.CreateUser(ctx, u, e(province.ActionAccountCreate, "adm-again")); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("duplicate user: %v", err)
	}
	_, err := ps.UpdateUser(ctx, "u1", nil, func(u *province.User) (bool, []province.AuditEntry, error) {
		u.Role = province.RoleSupervisor
		return false, []province.AuditEntry{e(province.ActionAccountRole, "adm-demoted")}, nil
	})
	if queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("the last admin demoted: %v", err)
	}
	if _, err := ps.UpdateCentre(ctx, "none", nil, nil, e(province.ActionCentreRename, "none")); !queue.IsNotFound(err) {
		t.Fatalf("missing centre: %v", err)
	}
	c := province.Centre{ID: "xa-a", Name: "Xã A", TimeZone: "Asia/Ho_Chi_Minh", Created: now}
	if err := ps.ReserveCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := ps.CentreReady(ctx, c.ID, e(province.ActionCentreCreate, "xa-a")); err != nil {
		t.Fatal(err)
	}
	off, on := true, false
	if _, err := ps.UpdateCentre(ctx, c.ID, nil, &on, e(province.ActionCentreEnable, "xa-a")); err != nil { // in service already: no entry
		t.Fatal(err)
	}
	if _, err := ps.UpdateCentre(ctx, c.ID, nil, &off, e(province.ActionCentreDisable, "xa-a")); err != nil {
		t.Fatal(err)
	}
	if err := ps.DeleteCentre(ctx, c.ID, e(province.ActionCentreDelete, "xa-a")); err != nil {
		t.Fatal(err)
	}
	got, err := ps.Audit(ctx, province.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"centre.delete xa-a", "centre.disable xa-a", "centre.create xa-a", "account.create adm"}
	if len(got) != len(want) {
		t.Fatalf("audit: %+v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].Action+" "+got[i].Subject != w || got[i].IP != "10.0.0.1" || !got[i].At.Equal(now) {
			t.Errorf("entry %d: %+v, want %s", i, got[i], w)
		}
	}
	if got, _ := ps.Audit(ctx, province.AuditFilter{Limit: 10, Kind: "account", Actor: "province"}); len(got) != 1 {
		t.Errorf("kind=account: %+v", got)
	}
	if got, _ := ps.Audit(ctx, province.AuditFilter{Limit: 10, Actor: "someone"}); len(got) != 0 {
		t.Errorf("actor=someone: %+v", got)
	}
}
