package webtest

import (
	"context"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TestDashboardDevicesLive: a device created, a kiosk printer running out
// of paper and a revoked device show on the open admin dashboard within
// 2 s (device.updated on /ws), well before its slow poll; the devices view
// follows the same way.
func TestDashboardDevicesLive(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	p := newTab(t, srv)
	openAdmin(p, "dashboard")
	p.wait(`document.querySelector('#stat-devices')`, "the dashboard")

	d, err := admin.CreateDevice(ctx, protocol.RoleKiosk, "Kiosk sảnh tầng 1")
	if err != nil {
		t.Fatal(err)
	}
	row := `document.querySelector('#dash-devices tr[data-device="` + d.ID + `"]')`
	p.waitFor(row, "the new kiosk on the dashboard", 2*time.Second)
	if got := p.textOf(`#dash-devices tr[data-device="` + d.ID + `"] .health`); got == "" {
		t.Fatal("no health shown for the new kiosk")
	}

	kiosk := srv.Client(d.Token)
	if err := kiosk.Heartbeat(ctx, protocol.DeviceStatus{Printer: "ok"}); err != nil {
		t.Fatal(err)
	}
	p.waitFor(row+`.querySelector('.health').dataset.health === 'ok'`, "the kiosk online", 2*time.Second)
	if err := kiosk.Heartbeat(ctx, protocol.DeviceStatus{Printer: "paper_out"}); err != nil {
		t.Fatal(err)
	}
	p.waitFor(row+`.querySelector('.health').dataset.health === 'fault'`, "the printer fault on the dashboard", 2*time.Second)

	if _, err := admin.Do(ctx, "DELETE", "/api/v1/devices/"+d.ID, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.waitFor(`!`+row, "the revoked kiosk gone from the dashboard", 2*time.Second)

	// The devices view: a new display shows within 2 s, and its revocation.
	p.open("/admin#devices")
	p.wait(`document.querySelector('#devices') && document.querySelector('#conn').dataset.state === 'live'`, "the devices view")
	d2, err := admin.CreateDevice(ctx, protocol.RoleDisplay, "TV phòng chờ")
	if err != nil {
		t.Fatal(err)
	}
	row2 := `document.querySelector('#devices tr[data-device="` + d2.ID + `"]')`
	p.waitFor(row2, "the new display in the devices view", 2*time.Second)
	if _, err := admin.Do(ctx, "DELETE", "/api/v1/devices/"+d2.ID, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.waitFor(row2+`.querySelector('.health').dataset.health === 'revoked'`, "the revoked display in the devices view", 2*time.Second)
}
