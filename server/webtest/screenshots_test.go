package webtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// pastClock runs behind the real clock by a settable amount, so a test can
// issue tickets "forty minutes ago" and the pages show realistic waits.
type pastClock struct {
	mu     sync.Mutex
	behind time.Duration
}

func (c *pastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(-c.behind)
}

func (c *pastClock) set(d time.Duration) {
	c.mu.Lock()
	c.behind = d
	c.mu.Unlock()
}

// busyMorning fills a server with a plausible hour of work: tickets in
// several fields issued over the last 40 minutes, counters serving, one
// paused, one closed, devices in various states.
func busyMorning(t *testing.T) (*servertest.Server, *pastClock) {
	t.Helper()
	clock := &pastClock{}
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, Clock: clock})
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	// Stay within today in the centre's zone (tickets from yesterday are cancelled).
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(loc)
	sinceMidnight := now.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc))
	span := min(40*time.Minute, sinceMidnight-time.Minute)
	fields := []string{"dat-dai", "tu-phap-ho-tich", "dat-dai", "dang-ky-kinh-doanh", "tai-nguyen-moi-truong", "lao-dong-tbxh", "dat-dai", "xay-dung", "tra-ket-qua", "tu-phap-ho-tich"}
	const tickets = 40
	for i := range tickets {
		clock.set(span - span*time.Duration(i)/tickets)
		srv.Issue(fields[i%len(fields)], i%7 == 3)
		if i%10 == 9 && i < 30 {
			for _, q := range []string{"q1", "q2", "q3", "q5", "q8"} {
				if _, err := admin.Next(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	clock.set(0)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(admin.Next(ctx, "q6"))
	must(admin.SetCounterStatus(ctx, "q4", protocol.CounterPaused))
	must(admin.SetCounterStatus(ctx, "q7", protocol.CounterClosed))
	heartbeat := func(kind, name string, st protocol.DeviceStatus) {
		t.Helper()
		if err := srv.Client(srv.DeviceToken(kind, name)).Heartbeat(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	heartbeat("kiosk", "Ki-ốt cửa chính", protocol.DeviceStatus{Printer: "ok", Version: "1.0.0"})
	heartbeat("kiosk", "Ki-ốt tầng 2", protocol.DeviceStatus{Printer: "paper_out", Message: "Hết giấy in", Pending: 3, Version: "1.0.0"})
	heartbeat("display", "TV sảnh A", protocol.DeviceStatus{Version: "1.0.0"})
	srv.DeviceToken("display", "TV sảnh B")
	return srv, clock
}

var sizes = [][2]int64{{1920, 1080}, {1366, 768}}

// TestScreenshots renders the console, the dashboard and the admin pages at
// the two common screen sizes, checks that nothing overflows, and with
// -screenshots=DIR keeps the images (docs/screenshots).
func TestScreenshots(t *testing.T) {
	srv, _ := busyMorning(t)

	clerk := newTab(t, srv)
	openConsole(clerk, "canbo1")
	clerk.press("n")
	clerk.wait(`document.querySelector('#current-code').textContent !== '' && !document.querySelector('#current').classList.contains('idle')`, "a current ticket")
	for _, s := range sizes {
		clerk.screenshot("console", s[0], s[1])
	}
	clerk.press("t")
	clerk.wait(`document.querySelector('#transfer-dialog').open`, "the transfer dialog")
	clerk.screenshot("console-transfer", 1366, 768)
	clerk.key(kb.Escape)
	clerk.wait(`!document.querySelector('#transfer-dialog').open`, "the dialog to close")
	clerk.press("p")
	clerk.waitText("#counter-status", "Tạm dừng")
	clerk.screenshot("console-paused", 1366, 768)
	clerk.press("p")
	clerk.click("[data-lang-switch]")
	clerk.waitText("#btn-next", "Call next")
	clerk.screenshot("console-english", 1366, 768)

	login := newTab(t, srv)
	login.open("/counter")
	login.wait(`document.querySelector('#login-user')`, "the login form")
	login.screenshot("console-login", 1366, 768)

	admin := newTab(t, srv)
	openAdmin(admin, "dashboard")
	admin.wait(`document.querySelector('#dash-devices tbody tr')`, "the dashboard with devices")
	// The wait a ticket issued now would get, per field (eta_new_seconds):
	// the busy morning has open counters, so some field has one.
	admin.wait(`Array.from(document.querySelectorAll('#dash-fields [data-cell="eta-new"]')).some(e => /^(~\d+ phút|gọi ngay)$/.test(e.textContent))`, "an expected wait for a new ticket")
	for _, s := range sizes {
		admin.screenshot("dashboard", s[0], s[1])
	}
	for _, v := range []string{"fields", "counters", "users", "devices", "centre", "audit"} {
		admin.open("/admin#" + v)
		admin.wait(`document.querySelector('#view-body table, #view-body form')`, v)
		for _, s := range sizes {
			admin.screenshot("admin-"+v, s[0], s[1])
		}
	}
	admin.open("/admin#fields")
	admin.wait(`document.querySelector('#fields')`, "the fields table")
	admin.click(`#fields tr[data-service="dat-dai"] .actions-cell button`)
	admin.wait(`document.querySelector('#field-dialog')`, "the field dialog")
	admin.click("#hours-own")
	admin.screenshot("admin-field-dialog", 1366, 768)
	admin.open("/admin#counters")
	admin.click(`#counters tr[data-counter="q1"] .actions-cell button`)
	admin.wait(`document.querySelector('#counter-dialog #counter-clerks')`, "the counter dialog")
	admin.screenshot("admin-counter-dialog", 1366, 768)
	admin.open("/admin#devices")
	admin.click("#device-add")
	admin.setValue("#device-kind", "display")
	admin.setValue("#device-name", "TV sảnh C")
	admin.click(".dialog button[type=submit]")
	admin.wait(`document.querySelector('#pair-qr') && document.querySelector('#pair-qr').src.startsWith('data:image/png')`, "the QR code")
	admin.screenshot("admin-device-token", 1366, 768)
}
