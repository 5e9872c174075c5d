package webtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// xssName is a field name that runs script if any page puts it into HTML.
const xssName = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`

func openAdmin(p *tab, view string) {
	p.t.Helper()
	p.open("/admin#" + view)
	p.login("admin", servertest.AdminPassword)
	p.wait(`!document.querySelector('#admin').hidden && document.querySelector('#conn').dataset.state === 'live'`, "the admin page")
}

// noXSS checks that nothing injected ran and no element was injected.
func noXSS(p *tab) {
	p.t.Helper()
	if ran := eval[bool](p, `window.__xss !== undefined`); ran {
		p.t.Errorf("injected script ran on %s", eval[string](p, `location.pathname`))
	}
	if n := eval[int](p, `document.querySelectorAll('img[src="x"], script:not([src])').length`); n != 0 {
		p.t.Errorf("%d injected elements on %s", n, eval[string](p, `location.pathname`))
	}
}

func services(t *testing.T, srv *servertest.Server) map[string]protocol.Service {
	t.Helper()
	list, err := srv.Client("").Services(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]protocol.Service{}
	for _, s := range list {
		out[s.ID] = s
	}
	return out
}

type userView struct {
	ID         string   `json:"id"`
	Username   string   `json:"username"`
	Role       string   `json:"role"`
	CounterIDs []string `json:"counter_ids"`
	Disabled   bool     `json:"disabled"`
}

func users(t *testing.T, srv *servertest.Server) map[string]userView {
	t.Helper()
	var list []userView
	if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), "GET", "/api/v1/users", nil, &list, nil); err != nil {
		t.Fatal(err)
	}
	out := map[string]userView{}
	for _, u := range list {
		out[u.Username] = u
	}
	return out
}

func submit(p *tab, dialog string) {
	p.t.Helper()
	p.click(dialog + " button[type=submit]")
}

func waitClosed(p *tab, dialog string) {
	p.t.Helper()
	p.wait(`!document.querySelector(`+jsString(dialog)+`)`, dialog+" to close")
}

// TestAdminFieldsCountersDevices: an admin creates fields (one named like
// an injection attack, one with its own hours and a lunch break), gives a
// counter a new field and clerk, and registers a kiosk: every change reaches
// the API, the events and the other pages at once, and the hostile name is
// shown as text everywhere.
func TestAdminFieldsCountersDevices(t *testing.T) {
	srv := startServer(t)
	events := subscribe(t, srv)
	p := newTab(t, srv)
	openAdmin(p, "fields")
	p.wait(`document.querySelector('#fields')`, "the fields table")

	// A bad value is explained and nothing is sent.
	p.click("#field-add")
	p.setValue("#field-name-vi", "Thử")
	p.setValue("#field-prefix", "1")
	submit(p, "#field-dialog")
	p.waitText("#field-dialog .msg.error", "chữ in hoa")
	p.click("#field-dialog .dialog-actions button[type=button]")
	waitClosed(p, "#field-dialog")
	if _, ok := services(t, srv)["thu"]; ok {
		t.Fatal("an invalid field was saved")
	}

	// The hostile name.
	p.click("#field-add")
	p.setValue("#field-name-vi", xssName)
	p.setValue("#field-id", "xss-test")
	p.setValue("#field-name-en", "Script test")
	p.setValue("#field-prefix", "k") // the page upper-cases it
	p.setValue("#field-cap", "50")
	p.setValue("#field-target", "25")
	submit(p, "#field-dialog")
	waitClosed(p, "#field-dialog")
	waitEvent(t, events, protocol.EventServiceUpdated, func(ev protocol.Event) bool { return strings.Contains(string(ev.Data), `"xss-test"`) })
	s, ok := services(t, srv)["xss-test"]
	if !ok || s.Name.Vi != xssName || s.Prefix != "K" || s.DailyCap != 50 || s.TargetMinutes != 25 || !s.Enabled {
		t.Fatalf("GET /api/v1/services has %+v", s)
	}
	p.waitText(`#fields tr[data-service="xss-test"]`, xssName)
	noXSS(p)

	// Own hours with a lunch break, Monday to Friday, Saturday morning.
	p.click("#field-add")
	p.setValue("#field-name-vi", "Hộ tịch lưu động")
	if id := eval[string](p, `document.querySelector('#field-id').value`); id != "ho-tich-luu-dong" {
		t.Errorf("suggested id %q", id)
	}
	p.setValue("#field-prefix", "L")
	p.click("#hours-own")
	p.setHours("#field-dialog", "mon", true, "07:30", "11:30", "13:30", "17:00")
	p.click(`#field-dialog .hours-editor > button`) // copy Monday to Tuesday–Friday
	p.setHours("#field-dialog", "sat", true, "07:30", "25:00")
	p.setHours("#field-dialog", "sun", false)
	submit(p, "#field-dialog")
	p.waitText("#field-dialog .msg.error", "Thứ Bảy")
	p.setHours("#field-dialog", "sat", true, "07:30", "11:00")
	submit(p, "#field-dialog")
	waitClosed(p, "#field-dialog")
	week := []string{"07:30-11:30", "13:30-17:00"}
	want := protocol.Hours{"mon": week, "tue": week, "wed": week, "thu": week, "fri": week, "sat": {"07:30-11:00"}}
	got := services(t, srv)["ho-tich-luu-dong"].Hours
	if len(got) != len(want) {
		t.Fatalf("hours %v, want %v", got, want)
	}
	for d, w := range want {
		if !slices.Equal(got[d], w) {
			t.Fatalf("hours %v, want %v", got, w)
		}
	}
	p.waitText(`#fields tr[data-service="ho-tich-luu-dong"]`, "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00")

	// Priority rule: interleave 1 priority : N regular; N out of range is
	// explained and nothing is sent.
	p.click(`#fields tr[data-service="ho-tich-luu-dong"] .actions-cell button`)
	p.wait(`document.querySelector('#field-dialog #field-rule')`, "the field dialog")
	if v := eval[string](p, `document.querySelector('#field-rule').value`); v != "strict" {
		t.Errorf("a new field's rule shows %q, want strict", v)
	}
	p.wait(`document.querySelector('#field-every').closest('.field').hidden`, "N hidden under the strict rule")
	p.setValue("#field-rule", "interleave")
	p.wait(`!document.querySelector('#field-every').closest('.field').hidden`, "N shown under interleave")
	p.setValue("#field-every", "25")
	submit(p, "#field-dialog")
	p.waitText("#field-dialog .msg.error", "từ 1 đến 20")
	if s := services(t, srv)["ho-tich-luu-dong"]; s.Rule() != protocol.PriorityStrict || s.PriorityEvery != 0 {
		t.Fatalf("a refused rule was saved: %q %d", s.PriorityRule, s.PriorityEvery)
	}
	p.setValue("#field-every", "3")
	submit(p, "#field-dialog")
	waitClosed(p, "#field-dialog")
	if s := services(t, srv)["ho-tich-luu-dong"]; s.PriorityRule != protocol.PriorityInterleave || s.PriorityEvery != 3 {
		t.Fatalf("rule saved as %q %d, want interleave 3", s.PriorityRule, s.PriorityEvery)
	}
	p.waitText(`#fields tr[data-service="ho-tich-luu-dong"] .field-rule`, "xen kẽ 1 ưu tiên : 3 thường")

	// Kiosk order: the last field moves up one place.
	before := services(t, srv)
	p.click(`#fields tbody tr:last-child button[aria-label="Lên"]`)
	p.wait(`!document.querySelector('#fields tbody tr:last-child button[aria-label="Lên"]').disabled && document.querySelector('#fields tbody tr:last-child').dataset.service !== 'ho-tich-luu-dong'`, "the move")
	list, _ := srv.Client("").Services(context.Background())
	if list[len(list)-2].ID != "ho-tich-luu-dong" || len(list) != len(before) {
		t.Errorf("kiosk order after the move: %v", ids(list))
	}
	// The move re-saved the field's whole definition: its rule with it.
	if s := services(t, srv)["ho-tich-luu-dong"]; s.PriorityRule != protocol.PriorityInterleave || s.PriorityEvery != 3 {
		t.Errorf("after the move the rule is %q %d, want interleave 3", s.PriorityRule, s.PriorityEvery)
	}

	// Counter 1 gets the new field first, and clerk canbo3 too.
	p.open("/admin#counters")
	p.wait(`document.querySelector('#counters')`, "the counters table")
	p.click(`#counters tr[data-counter="q1"] .actions-cell button`)
	p.wait(`document.querySelector('#counter-dialog #counter-clerks')`, "the counter dialog")
	p.setValue("#counter-field-add", "xss-test")
	p.click(`#counter-fields li[data-service="xss-test"] button[aria-label="Lên"]`)
	p.click(`#counter-fields li[data-service="xss-test"] button[aria-label="Lên"]`)
	p.click(`#counter-clerks input[data-user="canbo3"]`)
	submit(p, "#counter-dialog")
	waitClosed(p, "#counter-dialog")
	cs := counterState(t, board(t, srv), "q1").Counter
	if !slices.Equal(cs.ServiceIDs, []string{"xss-test", "dat-dai", "tai-nguyen-moi-truong"}) {
		t.Errorf("q1 serves %v", cs.ServiceIDs)
	}
	if u := users(t, srv)["canbo3"]; !slices.Contains(u.CounterIDs, "q1") || !slices.Contains(u.CounterIDs, "q3") {
		t.Errorf("canbo3 serves %v, want q3 and q1", u.CounterIDs)
	}
	p.waitText(`#counters tr[data-counter="q1"]`, "K · "+xssName)
	p.waitText(`#counters tr[data-counter="q1"]`, "Lê Văn Cường")
	noXSS(p)

	// The clerk's console shows the name as text too.
	k1 := srv.Issue("xss-test", false)
	clerk := newTab(t, srv)
	openConsole(clerk, "canbo1")
	clerk.waitText("#waiting-list", k1.Code)
	clerk.waitText("#field-counts", xssName)
	clerk.press("n")
	clerk.waitText("#current-code", k1.Code)
	clerk.waitText("#current-field", xssName)
	noXSS(clerk)

	// A kiosk: token shown once with a QR code of the pairing address.
	p.open("/admin#devices")
	p.click("#device-add")
	p.setValue("#device-kind", "kiosk")
	p.setValue("#device-name", "Ki-ốt sảnh A")
	p.click(".dialog button[type=submit]")
	p.wait(`document.querySelector('#device-token') && document.querySelector('#pair-qr').src.startsWith('data:image/png')`, "the token and its QR code")
	token := p.textOf("#device-token")
	pairURL := p.textOf("#pair-url")
	if !strings.Contains(pairURL, "token="+token) || !strings.Contains(pairURL, "kind=kiosk") {
		t.Errorf("pairing address %q lacks the token", pairURL)
	}
	if got := qrText(t, eval[string](p, `document.querySelector('#pair-qr').src`)); got != pairURL {
		t.Errorf("QR code holds %q, want %q", got, pairURL)
	}
	kiosk := srv.Client(token)
	if err := kiosk.Heartbeat(context.Background(), protocol.DeviceStatus{Printer: "paper_out", Pending: 2, Version: "1.2.3"}); err != nil {
		t.Fatalf("the new token does not work: %v", err)
	}
	if _, err := kiosk.IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "xss-test"}, ""); err != nil {
		t.Fatalf("the kiosk cannot issue in the new field: %v", err)
	}
	p.click("#token-dialog ~ .dialog-actions button")
	p.do(chromedp.Reload())
	p.wait(`document.querySelector('#devices')`, "the devices table")
	row := `#devices tbody tr:first-child`
	p.waitText(row, "Ki-ốt sảnh A")
	p.waitText(row, "Hết giấy")
	p.waitText(row, "1.2.3")
	if strings.Contains(p.text(), token) {
		t.Error("the token is still on the page after its dialog closed")
	}
	p.click(row + " .btn-danger")
	p.click(".dialog button[type=submit]")
	p.waitText(row, "Đã thu hồi")
	if err := kiosk.Heartbeat(context.Background(), protocol.DeviceStatus{}); !client.IsCode(err, protocol.CodeUnauthorized) {
		t.Errorf("a revoked token still works: %v", err)
	}

	// The dashboard, live: a ticket issued now shows without a reload.
	p.open("/admin#dashboard")
	p.wait(`document.querySelector('#dash-fields tr[data-service="xss-test"]')`, "the dashboard")
	p.waitText(`#dash-fields tr[data-service="xss-test"]`, xssName)
	n0 := board(t, srv).Waiting["xss-test"]
	srv.Issue("xss-test", false)
	p.wait(`document.querySelector('#dash-fields tr[data-service="xss-test"] [data-cell="waiting"]').textContent === `+jsString(itoa(n0+1)), "the live waiting count")
	noXSS(p)

	// The audit log names every change, as text.
	p.open("/admin#audit")
	p.wait(`document.querySelector('#audit')`, "the audit log")
	for _, s := range []string{"service.put", "counter.put", "user.update", "device.create", "device.revoke", "<script>window.__xss=2</script>"} { // details quote names Go-style
		p.waitText("#audit", s)
	}
	noXSS(p)

	// The new field shows on the web display too, as text.
	d := newTab(t, srv)
	d.open("/display?token=" + srv.DeviceToken("display", "TV sảnh"))
	d.waitText("body", xssName)
	noXSS(d)
}

func itoa(n int) string { return strconv.Itoa(n) }

func fmtInt(n int) string { return strconv.Itoa(n) }

func ids(list []protocol.Service) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

// qrText decodes the QR code of a data:image/png URL.
func qrText(t *testing.T, dataURL string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(dataURL, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code: %v", err)
	}
	return res.GetText()
}

// TestAdminUsersAndCentre: create a clerk with a generated password, reset
// it, disable and enable the account; change the centre's notice, reading
// and hours.
func TestAdminUsersAndCentre(t *testing.T) {
	srv := startServer(t)
	events := subscribe(t, srv)
	p := newTab(t, srv)
	openAdmin(p, "users")
	p.wait(`document.querySelector('#users')`, "the users table")
	if eval[bool](p, `!!document.querySelector('#users tr[data-user="admin"] [data-act="disable"]')`) {
		t.Error("the admin is offered to disable their own account")
	}

	login := func(user, pass string) error {
		_, err := srv.Client("").Login(context.Background(), user, pass)
		return err
	}

	p.click("#user-add")
	p.setValue("#user-username", "canbo9")
	p.setValue("#user-name", "Đỗ Văn Chín")
	p.click("#user-dialog .dialog-body > div > div > button") // generate a password
	pass := eval[string](p, `document.querySelector('#user-password').value`)
	if len(pass) < 8 {
		t.Fatalf("generated password %q", pass)
	}
	p.click(`#user-dialog input[data-counter="q2"]`)
	submit(p, "#user-dialog")
	waitClosed(p, "#user-dialog")
	p.waitText(`#users tr[data-user="canbo9"]`, "Quầy 2")
	if err := login("canbo9", pass); err != nil {
		t.Fatalf("the new clerk cannot sign in: %v", err)
	}
	if u := users(t, srv)["canbo9"]; !slices.Equal(u.CounterIDs, []string{"q2"}) {
		t.Errorf("canbo9 serves %v", u.CounterIDs)
	}

	// Reset: a typo is caught, then the new password works and the old does not.
	p.click(`#users tr[data-user="canbo9"] [data-act="reset"]`)
	p.setValue("#reset-password", "mat-khau-moi-1")
	p.setValue("#reset-password2", "mat-khau-moi-2")
	submit(p, "#reset-dialog")
	p.waitText("#reset-dialog .msg.error", "không khớp")
	p.setValue("#reset-password2", "mat-khau-moi-1")
	submit(p, "#reset-dialog")
	waitClosed(p, "#reset-dialog")
	p.waitText("#flash", "Đã đặt mật khẩu mới")
	if err := login("canbo9", "mat-khau-moi-1"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if err := login("canbo9", pass); err == nil {
		t.Error("the old password still works")
	}

	// Disable (after a confirmation), then enable.
	p.click(`#users tr[data-user="canbo9"] [data-act="disable"]`)
	p.click(".dialog button[type=submit]")
	p.waitText(`#users tr[data-user="canbo9"]`, "Đã khoá")
	if err := login("canbo9", "mat-khau-moi-1"); err == nil {
		t.Error("a disabled account can sign in")
	}
	p.click(`#users tr[data-user="canbo9"] [data-act="disable"]`)
	p.waitText(`#users tr[data-user="canbo9"]`, "Đang hoạt động")
	if err := login("canbo9", "mat-khau-moi-1"); err != nil {
		t.Errorf("an enabled account cannot sign in: %v", err)
	}

	// Centre settings.
	p.open("/admin#centre")
	p.wait(`document.querySelector('#centre-form')`, "the centre form")
	p.setValue("#centre-tz", "Mars/Olympus")
	p.click("#centre-save")
	p.waitText("#centre-msg", "Múi giờ không hợp lệ")
	p.setValue("#centre-tz", "Asia/Ho_Chi_Minh")
	p.setValue("#centre-notice-vi", "Hôm nay nghỉ trưa từ 11:30 đến 13:30")
	p.click("#read-digits")
	p.setHours("#centre-form", "sun", false)
	p.click("#centre-save")
	p.waitText("#centre-msg", "Đã lưu")
	ev := waitEvent(t, events, protocol.EventCentreUpdated, nil)
	var c protocol.Centre
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Notice.Vi != "Hôm nay nghỉ trưa từ 11:30 đến 13:30" || c.ReadNumbers != protocol.ReadAsDigits || len(c.Hours["sun"]) != 0 || len(c.Hours["mon"]) == 0 {
		t.Errorf("centre after the save: %+v", c)
	}
}

// TestClerkCannotAdmin: a clerk who opens /admin is told no, and the server
// refuses every admin request from the clerk's session (403), with or
// without the CSRF token.
func TestClerkCannotAdmin(t *testing.T) {
	srv := startServer(t)
	srv.ClerkToken("canbo1")
	p := newTab(t, srv)
	p.open("/admin")
	p.login("canbo1", servertest.ClerkPassword("canbo1"))
	p.waitText("#denied-msg", "không có quyền quản trị")
	if !eval[bool](p, `document.querySelector('#admin').hidden`) {
		t.Error("the admin page is shown to a clerk")
	}
	csrf := eval[string](p, `fetch('/api/v1/me').then(r => r.json()).then(m => m.csrf_token)`)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v1/users", ""},
		{"POST", "/api/v1/users", `{"username":"evil","role":"admin","password":"12345678"}`},
		{"PATCH", "/api/v1/users/x", `{"disabled":true}`},
		{"PUT", "/api/v1/services/dat-dai", `{"id":"dat-dai","prefix":"A","name":{"vi":"x"},"enabled":false}`},
		{"PUT", "/api/v1/counters/q1", `{"id":"q1","number":1,"name":{"vi":"x"},"status":"open"}`},
		{"PUT", "/api/v1/centre", `{"name":{"vi":"x"}}`},
		{"GET", "/api/v1/devices", ""},
		{"POST", "/api/v1/devices", `{"kind":"kiosk","name":"x"}`},
		{"DELETE", "/api/v1/devices/x", ""},
		{"GET", "/api/v1/audit", ""},
		{"GET", "/api/v1/waiting", ""},
		{"POST", "/api/v1/qr", `{"text":"x"}`},
	} {
		js := `fetch(` + jsString(r.path) + `, {method: ` + jsString(r.method) + `, headers: {'X-CSRF-Token': ` + jsString(csrf) + `, 'Content-Type': 'application/json'}` +
			map[bool]string{true: `, body: ` + jsString(r.body), false: ``}[r.body != ""] + `}).then(r => r.status)`
		if st := eval[int](p, js); st != http.StatusForbidden {
			t.Errorf("clerk session %s %s: %d, want 403", r.method, r.path, st)
		}
	}
	// Without the CSRF token the clerk's own actions are refused too.
	srv.Issue("dat-dai", false)
	if st := eval[int](p, `fetch('/api/v1/counters/q1/next', {method: 'POST'}).then(r => r.status)`); st != http.StatusForbidden {
		t.Errorf("next without X-CSRF-Token: %d, want 403", st)
	}
	if got := currentCode(t, srv, "q1"); got != "" {
		t.Errorf("a request without CSRF token called %s", got)
	}
}

// TestLoginErrors: wrong passwords get a clear message, and the server's
// login rate limit shows as such.
func TestLoginErrors(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{}) // with the real login limits
	p := newTab(t, srv)
	p.open("/counter")
	p.wait(`document.querySelector('#login-user')`, "the login form")
	p.setValue("#login-user", "canbo1")
	for i := range 10 {
		p.setValue("#login-password", "sai-mat-khau-"+fmtInt(i))
		p.click("#login-submit")
		p.wait(`!document.querySelector('#login-submit').disabled && !document.querySelector('#login-error').hidden`, "the answer")
		msg := p.textOf("#login-error")
		if strings.Contains(msg, "quá nhiều lần") {
			return
		}
		if !strings.Contains(msg, "Sai tên đăng nhập hoặc mật khẩu") {
			t.Fatalf("attempt %d: message %q", i, msg)
		}
	}
	t.Fatal("ten wrong passwords in a row were never rate-limited")
}

// TestHomePage: the home page links the pages and names the centre.
func TestHomePage(t *testing.T) {
	srv := startServer(t)
	p := newTab(t, srv)
	p.open("/")
	p.waitText("#centre-name", "Trung tâm Phục vụ hành chính công")
	for _, href := range []string{"/counter", "/admin", "/display"} {
		if !eval[bool](p, `!!document.querySelector('a[href=`+jsString(href)+`]')`) {
			t.Errorf("no link to %s", href)
		}
	}
	// Control: the harness notices what the CSP blocks, so a page with an
	// inline script would fail its tests.
	eval[chromedp.Void](p, `(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.appendChild(s); })()`)
	p.wait(`window.__inline === undefined`, "the inline script to stay blocked")
	deadline := time.Now().Add(5 * time.Second)
	for {
		notes := p.takeNotes()
		if len(notes) > 0 && strings.Contains(notes[0], "script-src") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the blocked inline script was not reported: %v", notes)
		}
		time.Sleep(50 * time.Millisecond)
	}

	p.click("#link-counter")
	p.wait(`location.pathname === '/counter' && document.querySelector('#login-user')`, "the console's login")
}

// setHours sets one weekday row of an hours editor under scope: open or
// closed, and up to four times (shift 1 start and end, shift 2 start and end).
func (p *tab) setHours(scope, day string, open bool, times ...string) {
	p.t.Helper()
	times = append(times, "", "", "", "")[:4]
	js, _ := json.Marshal(map[string]any{"row": scope + ` tr[data-day="` + day + `"]`, "open": open, "times": times})
	eval[chromedp.Void](p, `(() => {
		const a = `+string(js)+`;
		const row = document.querySelector(a.row);
		const box = row.querySelector('th input');
		if (box.checked !== a.open) box.click();
		row.querySelectorAll('td input').forEach((el, i) => { el.value = a.times[i]; });
	})()`)
}
