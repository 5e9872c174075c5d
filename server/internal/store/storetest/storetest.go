// Package storetest is the storage contract suite: what every store.Store
// implementation (sqlite, postgres) must do, tested on the store itself:
// transactions and rollback, numbering, the event log (seq order,
// paging, FirstSeq, pruning, epoch), tickets, offline leases, ratings,
// visit records, disruptions, the wait calibration, bookings, users, sessions,
// devices, the audit log and webhook cursors. The engine's behaviour on a
// store is tested by queue/enginetest, which every store runs as well.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store"
	"github.com/civiq/civiq/server/protocol"
)

// Backend is a store under test: the whole storage contract.
type Backend = store.Store

// Opener opens the same backing storage each time it is called; the suite
// closes the previous handle before reopening, to simulate a restart.
type Opener func(t *testing.T) Backend

// NewOpener returns a fresh storage (new database) and its opener.
type NewOpener func(t *testing.T) Opener

// Run runs the storage contract suite.
func Run(t *testing.T, newOpener NewOpener) {
	for _, c := range []struct {
		name string
		test func(*testing.T, Opener)
	}{
		{"CommitAndRestart", testCommit},
		{"Rollback", testRollback},
		{"Numbering", testNumbering},
		{"EventLog", testEventLog},
		{"Tickets", testTickets},
		{"Bookings", testBookings},
		{"Leases", testLeases},
		{"Ratings", testRatings},
		{"Visits", testVisits},
		{"Disruptions", testDisruptions},
		{"Calibration", testCalibration},
		{"Appointments", testAppointments},
		{"AppointmentCapacity", testAppointmentCapacity},
		{"Auth", testAuth},
		{"Sessions", testSessions},
		{"Webhooks", testWebhooks},
		{"WebhookLease", testWebhookLease},
		{"Pairings", testPairings},
		{"Presence", testPresence},
		{"LastAdmin", testLastAdmin},
		{"UnstaffedCounter", testUnstaffedCounter},
		{"WaitSamples", testWaitSamples},
		{"Closed", testClosed},
		{"IDCards", testIDCards},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, newOpener(t)) })
	}
}

func testAuth(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	svc := auth.NewAuthority(s, queue.SystemClock{}, time.Hour, 4)
	u, err := svc.CreateUser(ctx, auth.UserInput{Username: "canbo1", Name: "Cán bộ", Role: protocol.RoleClerk, Password: "mật-khẩu-dài", CounterIDs: []string{"q1"}})
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == "mật-khẩu-dài" || len(u.PasswordHash) < 50 {
		t.Fatal("password not hashed")
	}
	if _, err := svc.CreateUser(ctx, auth.UserInput{Username: "canbo1", Role: protocol.RoleClerk, Password: "12345678"}); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("duplicate username: %v", err)
	}
	if _, _, _, err := svc.Login(ctx, "canbo1", "wrong-password"); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	tok, _, _, err := svc.Login(ctx, "canbo1", "mật-khẩu-dài")
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, tok)
	if err != nil || p.Role != protocol.RoleClerk || !p.Serves("q1") || p.Serves("q2") {
		t.Fatalf("principal %+v, %v", p, err)
	}
	if err := svc.Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, tok); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("after logout: %v", err)
	}
	d, err := svc.CreateDevice(ctx, protocol.DeviceRequest{Kind: protocol.RoleKiosk, Name: "Kiosk sảnh"})
	if err != nil || len(d.Token) < 40 {
		t.Fatalf("device %+v, %v", d, err)
	}
	p, err = svc.Authenticate(ctx, d.Token)
	if err != nil || p.Role != protocol.RoleKiosk || p.Kind != "device" {
		t.Fatalf("device principal %+v, %v", p, err)
	}
	if err := s.TouchDevice(ctx, d.ID, time.Now(), &protocol.DeviceStatus{Printer: "paper_out"}); err != nil {
		t.Fatal(err)
	}
	devs, err := s.Devices(ctx)
	if err != nil || len(devs) != 1 || devs[0].Status == nil || devs[0].Status.Printer != "paper_out" || devs[0].LastSeen == nil {
		t.Fatalf("devices %+v, %v", devs, err)
	}
	if err := svc.RevokeDevice(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, d.Token); queue.CodeOf(err) != protocol.CodeUnauthorized {
		t.Fatalf("revoked device: %v", err)
	}
	if err := s.AddAudit(ctx, auth.AuditEntry{At: time.Now(), Actor: "admin", Action: "device.create", Detail: d.ID}); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Audit(ctx, auth.AuditFilter{Limit: 10}); err != nil || len(a) != 1 || a[0].Action != "device.create" {
		t.Fatalf("audit %+v, %v", a, err)
	}
	// Changes, address and subject round-trip; filters by actor and kind.
	ch := []auth.Change{{Field: "name.vi", Before: "Quầy 2", After: "Quầy số 2"}, {Field: "service_ids", Before: []any{"a", "b"}, After: []any{"a"}}}
	for _, e := range []auth.AuditEntry{
		{At: time.Now(), Actor: "admin", Action: "counter.put", IP: "192.168.1.5", Subject: "q2", Changes: ch},
		{At: time.Now(), Actor: "quantri2", Action: "counter_x.put"}, // "counter" must not match it
		{At: time.Now(), Actor: "quantri2", Action: "user.update", Subject: "canbo1"},
	} {
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if a, err := s.Audit(ctx, auth.AuditFilter{Limit: 10, Kind: "counter"}); err != nil || len(a) != 1 || a[0].IP != "192.168.1.5" || a[0].Subject != "q2" ||
		len(a[0].Changes) != 2 || a[0].Changes[0].After != "Quầy số 2" {
		t.Fatalf("audit by kind %+v, %v", a, err)
	}
	if a, err := s.Audit(ctx, auth.AuditFilter{Limit: 10, Actor: "quantri2"}); err != nil || len(a) != 2 || a[0].Action != "user.update" || a[0].Changes == nil {
		t.Fatalf("audit by actor %+v, %v", a, err)
	}
	if a, err := s.Audit(ctx, auth.AuditFilter{Limit: 10, Actor: "admin", Kind: "user"}); err != nil || len(a) != 0 {
		t.Fatalf("audit by actor and kind %+v, %v", a, err)
	}
	// DeleteUserSessions ends every session of the user but the kept one.
	t1, _, _, err := svc.Login(ctx, "canbo1", "mật-khẩu-dài")
	if err != nil {
		t.Fatal(err)
	}
	t2, _, _, err := svc.Login(ctx, "canbo1", "mật-khẩu-dài")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUserSessions(ctx, u.ID, auth.HashToken(t2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, auth.HashToken(t1)); !queue.IsNotFound(err) {
		t.Fatalf("ended session: %v", err)
	}
	if _, err := s.Session(ctx, auth.HashToken(t2)); err != nil {
		t.Fatalf("kept session: %v", err)
	}
	if err := s.DeleteUserSessions(ctx, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, auth.HashToken(t2)); !queue.IsNotFound(err) {
		t.Fatalf("all sessions: %v", err)
	}
}
