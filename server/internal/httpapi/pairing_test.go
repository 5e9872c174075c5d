package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// shiftClock is the real clock moved forward by the test.
type shiftClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftClock) add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// newPairingCode asks for a code as the admin page does.
func newPairingCode(t *testing.T, srv *servertest.Server, kind, name string) protocol.PairingCode {
	t.Helper()
	st, b := call(t, "POST", srv.URL+"/api/v1/devices/pairing", srv.AdminToken(), fmt.Sprintf(`{"kind":%q,"name":%q}`, kind, name))
	if st != http.StatusCreated {
		t.Fatalf("pairing code: %d %s", st, b)
	}
	var pc protocol.PairingCode
	mustJSON(t, b, &pc)
	if len(pc.Code) != 8 || pc.Kind != kind || pc.Name != name || pc.ExpiresAt.Before(time.Now().Add(9*time.Minute)) {
		t.Fatalf("pairing code %+v", pc)
	}
	return pc
}

// TestPairing: an admin's one-time code is traded once for a working
// device token; a second use, an expired code and a wrong code are
// refused; guessing is rate limited.
func TestPairing(t *testing.T) {
	clock := &shiftClock{}
	srv := servertest.Start(t, servertest.Options{Clock: clock})
	ctx := context.Background()

	pc := newPairingCode(t, srv, protocol.RoleKiosk, "Ki-ốt sảnh")
	// Typed with a space, as the admin page shows it.
	st, b := call(t, "POST", srv.URL+"/api/v1/pair", "", fmt.Sprintf(`{"code":"%s %s"}`, pc.Code[:4], pc.Code[4:]))
	if st != http.StatusCreated {
		t.Fatalf("pair: %d %s", st, b)
	}
	var d protocol.Device
	mustJSON(t, b, &d)
	if d.Token == "" || d.Kind != protocol.RoleKiosk || d.Name != "Ki-ốt sảnh" {
		t.Fatalf("paired device %+v", d)
	}
	// The token works: the kiosk can issue a ticket and heartbeat.
	if _, err := srv.Client(d.Token).IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai", Lang: protocol.LangVI}, ""); err != nil {
		t.Fatalf("issue with the paired token: %v", err)
	}
	// The admin's device list has it.
	st, b = call(t, "GET", srv.URL+"/api/v1/devices", srv.AdminToken(), "")
	var ds []protocol.Device
	mustJSON(t, b, &ds)
	found := false
	for _, x := range ds {
		found = found || (x.ID == d.ID && x.Token == "")
	}
	if st != 200 || !found {
		t.Fatalf("device list %d: %s", st, b)
	}

	// Single use.
	st, b = call(t, "POST", srv.URL+"/api/v1/pair", "", fmt.Sprintf(`{"code":%q}`, pc.Code))
	if st != http.StatusUnauthorized {
		t.Fatalf("second use: %d %s", st, b)
	}

	// Expired after 10 minutes.
	old := newPairingCode(t, srv, protocol.RoleDisplay, "Màn hình sảnh")
	clock.add(10*time.Minute + time.Second)
	st, b = call(t, "POST", srv.URL+"/api/v1/pair", "", fmt.Sprintf(`{"code":%q}`, old.Code))
	if st != http.StatusUnauthorized {
		t.Fatalf("expired code: %d %s", st, b)
	}

	// Malformed codes are a 400; wrong ones a 401, then a 429.
	for _, body := range []string{`{"code":"12ab5678"}`, `{"code":"123"}`, `{}`} {
		if st, b := call(t, "POST", srv.URL+"/api/v1/pair", "", body); st != http.StatusBadRequest {
			t.Errorf("%s: %d %s", body, st, b)
		}
	}
	live := newPairingCode(t, srv, protocol.RoleKiosk, "Ki-ốt 2")
	wrong := "00000000"
	if wrong == live.Code {
		wrong = "00000001"
	}
	limited := false
	for range 20 {
		st, b := call(t, "POST", srv.URL+"/api/v1/pair", "", fmt.Sprintf(`{"code":%q}`, wrong))
		if st == http.StatusTooManyRequests {
			var e protocol.Error
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != protocol.CodeRateLimited {
				t.Fatalf("429 body %s", b)
			}
			limited = true
			break
		}
		if st != http.StatusUnauthorized {
			t.Fatalf("wrong code: %d %s", st, b)
		}
	}
	if !limited {
		t.Fatal("20 wrong codes from one address were never rate limited")
	}

	// Only an admin makes codes; bad requests are refused.
	if st, _ := call(t, "POST", srv.URL+"/api/v1/devices/pairing", srv.DeviceToken("kiosk", "k"), `{"kind":"kiosk","name":"x"}`); st != http.StatusForbidden {
		t.Errorf("a kiosk made a pairing code: %d", st)
	}
	for _, body := range []string{`{"kind":"clerk","name":"x"}`, `{"kind":"kiosk","name":"  "}`} {
		if st, b := call(t, "POST", srv.URL+"/api/v1/devices/pairing", srv.AdminToken(), body); st != http.StatusBadRequest {
			t.Errorf("%s: %d %s", body, st, b)
		}
	}
}
