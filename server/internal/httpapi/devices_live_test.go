package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// next reads the next message of the socket, failing after 5 s.
func (l *liveSocket) next() protocol.Event {
	l.t.Helper()
	l.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ev protocol.Event
	if err := l.ws.ReadJSON(&ev); err != nil {
		l.t.Fatalf("read: %v", err)
	}
	return ev
}

// deviceChange reads the next message and checks it is device.updated
// about id with the change, carrying the seq of the last event.
func (l *liveSocket) deviceChange(s *servertest.Server, id, change string) {
	l.t.Helper()
	ev := l.next()
	if ev.Type != protocol.EventDeviceUpdated {
		l.t.Fatalf("got %s, want %s", ev.Type, protocol.EventDeviceUpdated)
	}
	var ch protocol.DeviceChange
	if err := json.Unmarshal(ev.Data, &ch); err != nil || ch.ID != id || ch.Change != change {
		l.t.Fatalf("data %s (%v), want id %s change %s", ev.Data, err, id, change)
	}
	if seq, _ := s.App.Engine.Seq(); ev.Seq != seq {
		l.t.Fatalf("device.updated seq %d, want the last event's %d", ev.Seq, seq)
	}
}

// TestDeviceUpdatedReachesAdminsOnly: creating and revoking a device and a
// heartbeat that changes its status send device.updated to admin and
// supervisor websockets at once; a heartbeat that changes nothing sends
// nothing; displays and clerks never receive it.
func TestDeviceUpdatedReachesAdminsOnly(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NoRateLimits: true})
	ctx := context.Background()
	admin := s.AdminToken()
	var u map[string]any
	if _, err := s.Client(admin).Do(ctx, "POST", "/api/v1/users", map[string]any{"username": "giamdoc", "name": "Giám đốc", "role": "supervisor", "password": "giam-doc-2026"}, &u, nil); err != nil {
		t.Fatalf("create supervisor: %v", err)
	}
	login, err := s.Client("").Login(ctx, "giamdoc", "giam-doc-2026")
	if err != nil {
		t.Fatal(err)
	}
	display := openSocket(t, s, s.DeviceToken(protocol.RoleDisplay, "TV sảnh"))
	clerk := openSocket(t, s, s.ClerkToken("canbo1"))
	watchers := []*liveSocket{openSocket(t, s, admin), openSocket(t, s, login.Token)}

	d, err := s.Client(admin).CreateDevice(ctx, protocol.RoleKiosk, "Kiosk tầng 1")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range watchers {
		w.deviceChange(s, d.ID, protocol.DeviceCreated)
	}
	kiosk := s.Client(d.Token)
	beat := func(printer string) {
		t.Helper()
		if err := kiosk.Heartbeat(ctx, protocol.DeviceStatus{Printer: printer, Version: "1.0"}); err != nil {
			t.Fatal(err)
		}
	}
	beat("ok") // the first heartbeat: the device is online
	for _, w := range watchers {
		w.deviceChange(s, d.ID, protocol.DeviceStatusChanged)
	}
	beat("ok") // nothing changed: no message
	beat("paper_out")
	for _, w := range watchers {
		w.deviceChange(s, d.ID, protocol.DeviceStatusChanged)
	}
	beat("paper_out")
	if st, b := call(t, "DELETE", s.URL+"/api/v1/devices/"+d.ID, admin, ""); st != 204 {
		t.Fatalf("revoke %d %s", st, b)
	}
	for _, w := range watchers {
		w.deviceChange(s, d.ID, protocol.DeviceRevoked)
	}
	// A board event after all that: it is the first thing the display and
	// the clerk receive.
	if st, b := call(t, "PUT", s.URL+"/api/v1/counters/q3/status", admin, `{"status":"paused"}`); st != 200 {
		t.Fatalf("pause %d %s", st, b)
	}
	for _, w := range []*liveSocket{display, clerk} {
		if ev := w.next(); ev.Type != protocol.EventCounterUpdated {
			t.Fatalf("display or clerk got %s first, want %s", ev.Type, protocol.EventCounterUpdated)
		}
	}
	for _, w := range watchers {
		if ev := w.next(); ev.Type != protocol.EventCounterUpdated {
			t.Fatalf("admin got %s, want %s", ev.Type, protocol.EventCounterUpdated)
		}
	}
}
