package webtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestBookPage books a time on /book as a citizen on a phone: field, day
// (a holiday and a weekday without bookings refused), slot (a full one
// refused), optional phone, then the code and its QR code; then cancels it
// with the code and the phone. Screenshots: docs/screenshots/book-*.png.
func TestBookPage(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(hcm)
	day := func(n int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+n, 0, 0, 0, 0, hcm)
	}
	tomorrow, holiday, closed := day(1), day(2), day(3)
	keys := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	days := map[string]protocol.BookingDay{}
	for i, k := range keys {
		if time.Weekday(i) != closed.Weekday() {
			days[k] = protocol.BookingDay{Starts: []string{"08:00", "09:00", "10:00", "14:00", "15:30"}, Capacity: 2}
		}
	}
	if _, err := admin.Do(ctx, "PUT", "/api/v1/bookings/settings/dat-dai", protocol.BookingSettings{Enabled: true, DaysAhead: 4, Days: days}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Do(ctx, "PUT", "/api/v1/holidays", []protocol.Holiday{{Day: holiday.Format(time.DateOnly), Name: "Nghỉ bù"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	at := func(hh, mm int) time.Time {
		return tomorrow.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	// 09:00 has one place left, 10:00 none.
	for _, start := range []time.Time{at(9, 0), at(10, 0), at(10, 0)} {
		if _, err := admin.Do(ctx, "POST", "/api/v1/bookings", protocol.BookingRequest{ServiceID: "dat-dai", Start: start}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}

	p := newTab(t, srv)
	p.do(chromedp.EmulateViewport(phoneW, phoneH))
	p.open("/book")
	p.waitText("h1", "Đặt lịch hẹn")
	p.wait(`!!document.querySelector('[data-service="dat-dai"]')`, "the fields")
	if n := eval[int](p, `document.querySelectorAll('[data-service]').length`); n != 1 {
		t.Errorf("%d fields offered, want only the one taking bookings", n)
	}
	p.screenshot("book-fields", phoneW, phoneH)
	p.click(`[data-service="dat-dai"]`)
	p.wait(fmt.Sprintf(`!!document.querySelector('[data-day="%s"]')`, tomorrow.Format(time.DateOnly)), "the days")
	for _, d := range []struct {
		day  time.Time
		why  string
		open bool
	}{{tomorrow, "", true}, {holiday, "Ngày nghỉ", false}, {closed, "Không nhận lịch", false}} {
		sel := fmt.Sprintf(`[data-day="%s"]`, d.day.Format(time.DateOnly))
		if dis := eval[bool](p, `document.querySelector('`+sel+`').disabled`); dis == d.open {
			t.Errorf("day %s disabled=%v", d.day.Format(time.DateOnly), dis)
		}
		if d.why != "" && !strings.Contains(p.textOf(sel), d.why) {
			t.Errorf("day %s shows %q, want %q", d.day.Format(time.DateOnly), p.textOf(sel), d.why)
		}
	}
	if n := eval[int](p, `document.querySelectorAll('[data-day]').length`); n != 5 {
		t.Errorf("%d days offered, want today and 4 ahead", n)
	}
	p.screenshot("book-days", phoneW, phoneH)
	p.click(fmt.Sprintf(`[data-day="%s"]`, tomorrow.Format(time.DateOnly)))
	p.wait(`!!document.querySelector('[data-slot="09:00"]')`, "the slots")
	p.waitText(`[data-slot="09:00"]`, "còn 1 chỗ")
	p.waitText(`[data-slot="10:00"]`, "hết chỗ")
	if !eval[bool](p, `document.querySelector('[data-slot="10:00"]').disabled`) {
		t.Error("a full slot can be picked")
	}
	p.screenshot("book-slots", phoneW, phoneH)
	p.click(`[data-slot="09:00"]`)
	p.typeInto("#phone", "0912 345 678")
	p.screenshot("book-phone", phoneW, phoneH)
	p.click("#confirm")
	p.wait(`!!document.querySelector('#booking-code')`, "the booking code")
	code := strings.TrimSpace(p.textOf("#booking-code"))
	if len(code) != 6 {
		t.Fatalf("booking code %q", code)
	}
	p.wait(`(() => { const i = document.querySelector('img.qr'); return i && i.complete && i.naturalWidth > 100 })()`, "the QR code image")
	if txt := p.text(); strings.Contains(txt, "0912") || strings.Contains(txt, "345 678") || !strings.Contains(txt, "08:45") || !strings.Contains(txt, "09:10") {
		t.Errorf("the booking page shows the phone number or misses the window 08:45–09:10:\n%s", txt)
	}
	p.screenshot("book-done", phoneW, phoneH)
	// "Save as image" serves the QR code as a PNG attachment.
	href := eval[string](p, `document.querySelector('#save-qr').href`)
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Content-Disposition"), code) {
		t.Errorf("save link %s: %d %v", href, resp.StatusCode, resp.Header)
	}
	var list []protocol.Booking
	if _, err := admin.Do(ctx, "GET", "/api/v1/bookings?day="+tomorrow.Format(time.DateOnly), nil, &list, nil); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range list {
		if b.Code == code {
			found = b.HasPhone && b.Status == protocol.BookingBooked && b.SlotStart.Equal(at(9, 0))
		}
	}
	if !found || len(list) != 4 {
		t.Fatalf("stored bookings %+v, want %s at 09:00 with a phone among 4", list, code)
	}

	// Cancel: the phone is needed, then it works.
	p.open("/book")
	p.click("#cancel-open")
	p.typeInto("#cancel-code", strings.ToLower(code))
	p.typeInto("#cancel-phone", "0900000000")
	p.click("#cancel-go")
	p.waitText("#error", "không khớp")
	p.typeInto("#cancel-phone", "+84912345678")
	p.click("#cancel-go")
	p.waitText("#cancel-done", code)
	p.screenshot("book-cancel", phoneW, phoneH)
	if _, err := admin.Do(ctx, "GET", "/api/v1/bookings?day="+tomorrow.Format(time.DateOnly), nil, &list, nil); err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.Code == code && b.Status != protocol.BookingCancelled {
			t.Errorf("after cancel: %+v", b)
		}
	}
	// English.
	p.click("#lang-switch")
	p.waitText("h1", "Cancel a booking")
}

// TestBookAdmin: the admin's bookings view lists the day's bookings with
// their state and figures, and saves a field's settings and the holidays.
func TestBookAdmin(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(hcm)
	// A slot 5 minutes from now (today), so the kiosk can check it in.
	start := now.Add(5 * time.Minute).Truncate(time.Minute)
	days := map[string]protocol.BookingDay{}
	for _, k := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		days[k] = protocol.BookingDay{Starts: []string{start.Format("15:04")}, Capacity: 3}
	}
	if _, err := admin.Do(ctx, "PUT", "/api/v1/bookings/settings/dat-dai", protocol.BookingSettings{Enabled: true, DaysAhead: 1, Days: days}, nil, nil); err != nil {
		t.Fatal(err)
	}
	var a, b protocol.Booking
	for _, out := range []*protocol.Booking{&a, &b} {
		if _, err := admin.Do(ctx, "POST", "/api/v1/bookings", protocol.BookingRequest{ServiceID: "dat-dai", Start: start}, out, nil); err != nil {
			t.Fatal(err)
		}
	}
	kiosk := srv.Client(srv.DeviceToken("kiosk", "Ki-ốt 1"))
	in, err := kiosk.CheckInBooking(ctx, strings.ToLower(a.Code), "vi")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := kiosk.CheckInBooking(ctx, a.Code, "vi"); err != nil || !again.Replayed || again.Ticket.ID != in.Ticket.ID {
		t.Fatalf("second check-in: %+v %v", again, err)
	}
	if !in.Booked || in.Ticket.Booking == nil || in.Ticket.Booking.Code != a.Code || in.Ticket.Token == "" {
		t.Fatalf("check-in: %+v", in)
	}

	p := newTab(t, srv)
	p.open("/admin#bookings")
	p.login("admin", servertest.AdminPassword)
	p.wait(`!!document.querySelector('#bk-list')`, "the bookings table")
	if d := eval[string](p, `document.querySelector('#bk-day').value`); d != now.Format(time.DateOnly) {
		t.Errorf("day picker %q, want today %s", d, now.Format(time.DateOnly))
	}
	p.waitText(fmt.Sprintf(`#bk-list tr[data-code="%s"]`, a.Code), "Đã lấy số")
	p.waitText(fmt.Sprintf(`#bk-list tr[data-code="%s"]`, a.Code), in.Ticket.Code)
	p.waitText(fmt.Sprintf(`#bk-list tr[data-code="%s"]`, b.Code), "Đã đặt")
	p.waitText("#bk-stats", "2 lịch, 1 đã lấy số, 0 không đến")
	p.screenshot("admin-bookings", 1366, 768)
	// The reports carry the figures per field for their range.
	p.open("/admin?r#reports")
	p.wait(`!!document.querySelector('#rep-bk-table tr[data-service="dat-dai"]')`, "the bookings section of the reports")
	if got := eval[[]string](p, `[...document.querySelectorAll('#rep-bk-table tr[data-service="dat-dai"] td')].map(td => td.textContent)`); strings.Join(got, ",") != "2,1,0,0" {
		t.Errorf("report figures of dat-dai: %v, want 2 bookings, 1 checked in, 0 no-shows, 0 cancelled", got)
	}
	p.open("/admin?b#bookings")
	p.wait(`!!document.querySelector('#bk-list')`, "the bookings table again")
	// Settings of another field: enable it with 4 places on Mondays by 30 minutes.
	form := `form.bk-settings[data-service="tu-phap-ho-tich"]`
	if eval[bool](p, `document.querySelector('details[data-service="tu-phap-ho-tich"]').open`) {
		t.Error("the settings of a field without bookings are unfolded")
	}
	p.click(`details[data-service="tu-phap-ho-tich"] summary`)
	eval[bool](p, `(() => { const f = document.querySelector('`+form+`'); f.querySelector('input[type=checkbox]').checked = true;
		const row = f.querySelectorAll('tbody tr')[0].querySelectorAll('input'); row[1].value = '30'; row[2].value = '4'; return true })()`)
	p.click(form + ` button[type=submit]`)
	p.waitText(form+` .msg`, "Đã lưu")
	var sets []protocol.BookingSettings
	if _, err := admin.Do(ctx, "GET", "/api/v1/bookings/settings", nil, &sets, nil); err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, s := range sets {
		if s.ServiceID == "tu-phap-ho-tich" {
			ok = s.Enabled && s.Days["mon"].SlotMinutes == 30 && s.Days["mon"].Capacity == 4 && len(s.Days) == 1 && s.WindowBefore == 15
		}
	}
	if !ok {
		t.Errorf("settings after saving the form: %+v", sets)
	}
	p.setValue("#bk-holidays", "2027-01-01 Tết Dương lịch\n2027-04-30")
	p.click("#bk-holidays-save")
	p.waitText("#bk-holidays-form .msg", "Đã lưu")
	var hs []protocol.Holiday
	if _, err := admin.Do(ctx, "GET", "/api/v1/holidays", nil, &hs, nil); err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].Name != "Tết Dương lịch" || hs[1].Day != "2027-04-30" {
		t.Errorf("holidays %+v", hs)
	}
	// An integration token is listed among the devices, not monitored
	// (it sends no heartbeat).
	srv.DeviceToken("integration", "Một cửa điện tử")
	p.open("/admin?d#devices")
	p.wait(`[...document.querySelectorAll('#devices tbody tr')].some(tr => tr.textContent.includes('Một cửa điện tử'))`, "the integration device")
	row := eval[string](p, `[...document.querySelectorAll('#devices tbody tr')].find(tr => tr.textContent.includes('Một cửa điện tử')).textContent`)
	if !strings.Contains(row, "Phần mềm liên thông") || !strings.Contains(row, "Không theo dõi") {
		t.Errorf("integration device row %q", row)
	}
}
