package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestBookingAPI: the public booking API with its per-address limit, the
// integration token, the QR image, the check-in refusals and their
// statuses, and a holiday closing the kiosk.
func TestBookingAPI(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	admin := srv.AdminToken()
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(hcm)
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, hcm)
	day := tomorrow.Format(time.DateOnly)
	slot := func(hh int) string { return tomorrow.Add(time.Duration(hh) * time.Hour).Format(time.RFC3339) }
	days := map[string]protocol.BookingDay{}
	for _, k := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		days[k] = protocol.BookingDay{Starts: []string{"08:00", "09:00", "10:00"}, Capacity: 10}
	}
	body, _ := json.Marshal(protocol.BookingSettings{Enabled: true, DaysAhead: 2, Days: days})
	if st, b := call(t, "PUT", srv.URL+"/api/v1/bookings/settings/dat-dai", admin, string(body)); st != 200 {
		t.Fatalf("settings: %d %s", st, b)
	}
	if st, b := call(t, "PUT", srv.URL+"/api/v1/bookings/settings/nope", admin, string(body)); st != 404 {
		t.Errorf("settings of an unknown field: %d %s", st, b)
	}
	if st, b := call(t, "PUT", srv.URL+"/api/v1/bookings/settings/dat-dai", admin, `{"days_ahead": 99}`); st != 400 {
		t.Errorf("bad settings: %d %s", st, b)
	}
	// Slots, anonymously.
	st, b := call(t, "GET", srv.URL+"/api/v1/bookings/slots?service_id=dat-dai&day="+day, "", "")
	var slots []protocol.Slot
	mustJSON(t, b, &slots)
	if st != 200 || len(slots) != 3 || slots[0].Free != 10 {
		t.Fatalf("slots: %d %s", st, b)
	}
	for q, want := range map[string]int{"service_id=dat-dai&day=tomorrow": 400, "service_id=nope&day=" + day: 404, "service_id=tu-phap-ho-tich&day=" + day: 422} {
		if st, b := call(t, "GET", srv.URL+"/api/v1/bookings/slots?"+q, "", ""); st != want {
			t.Errorf("slots?%s: %d %s, want %d", q, st, b, want)
		}
	}
	// Five anonymous bookings from one address pass, the sixth is limited.
	var codes []string
	for i := range 6 {
		st, b := call(t, "POST", srv.URL+"/api/v1/bookings", "", fmt.Sprintf(`{"service_id":"dat-dai","start":%q,"phone":"09123456%02d"}`, slot(8), i))
		if i < 5 {
			var bk protocol.Booking
			mustJSON(t, b, &bk)
			if st != 201 || bk.Status != protocol.BookingBooked || !bk.HasPhone || bk.CreatedBy != "public" || strings.Contains(string(b), "0912") {
				t.Fatalf("booking %d: %d %s", i, st, b)
			}
			codes = append(codes, bk.Code)
		} else if st != 429 {
			t.Errorf("sixth booking from one address: %d %s, want 429", st, b)
		}
	}
	// The integration books and cancels without the phone; it reads nothing else.
	integ := srv.DeviceToken("integration", "Một cửa điện tử")
	st, b = call(t, "POST", srv.URL+"/api/v1/bookings", integ, fmt.Sprintf(`{"service_id":"dat-dai","start":%q,"phone":"0987000111"}`, slot(9)))
	var ib protocol.Booking
	mustJSON(t, b, &ib)
	if st != 201 || !strings.HasPrefix(ib.CreatedBy, "device:") {
		t.Fatalf("integration booking: %d %s", st, b)
	}
	if st, b := call(t, "POST", srv.URL+"/api/v1/bookings/cancel", integ, fmt.Sprintf(`{"code":%q}`, codes[0])); st != 200 || !strings.Contains(string(b), `"cancelled"`) {
		t.Errorf("integration cancel without the phone: %d %s", st, b)
	}
	for _, r := range []string{"GET /api/v1/bookings", "GET /api/v1/board", "POST /api/v1/tickets"} {
		m, p, _ := strings.Cut(r, " ")
		if st, _ := call(t, m, srv.URL+p, integ, "{}"); st != 403 {
			t.Errorf("integration %s: %d, want 403", r, st)
		}
	}
	// The same phone twice for the field and day: 409 (through the integration, not limited).
	if st, b := call(t, "POST", srv.URL+"/api/v1/bookings", integ, fmt.Sprintf(`{"service_id":"dat-dai","start":%q,"phone":"+84 987 000 111"}`, slot(10))); st != 409 || !strings.Contains(string(b), protocol.CodePhoneBooked) {
		t.Errorf("second booking of a phone: %d %s", st, b)
	}
	// QR image of a code.
	if st, b := call(t, "GET", srv.URL+"/api/v1/bookings/"+codes[1]+"/qr.png", "", ""); st != 200 || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("qr: %d", st)
	}
	if st, _ := call(t, "GET", srv.URL+"/api/v1/bookings/0O1IL/qr.png", "", ""); st != 404 {
		t.Errorf("qr of a malformed code: %d", st)
	}
	// Check-in refusals at the kiosk.
	kiosk := srv.DeviceToken("kiosk", "Ki-ốt 1")
	for code, want := range map[string]struct {
		st   int
		code string
	}{codes[1]: {422, protocol.CodeBookingOtherDay}, codes[0]: {409, protocol.CodeBookingCancelled}, "ACDEFH": {404, protocol.CodeNotFound}} {
		st, b := call(t, "POST", srv.URL+"/api/v1/bookings/checkin", kiosk, fmt.Sprintf(`{"code":%q}`, code))
		if st != want.st || !strings.Contains(string(b), want.code) {
			t.Errorf("check-in %s: %d %s, want %d %s", code, st, b, want.st, want.code)
		}
	}
	// The admin's list and figures never show a phone number.
	st, b = call(t, "GET", srv.URL+"/api/v1/bookings?day="+day, admin, "")
	if st != 200 || strings.Contains(string(b), "0912") || strings.Contains(string(b), `"phone"`) || strings.Count(string(b), `"code"`) != 6 {
		t.Errorf("bookings list: %d %s", st, b)
	}
	st, b = call(t, "GET", srv.URL+"/api/v1/bookings/stats?from="+day+"&to="+day, admin, "")
	var stats []protocol.BookingStat
	mustJSON(t, b, &stats)
	if st != 200 || len(stats) != 1 || stats[0].Booked != 6 || stats[0].Cancelled != 1 {
		t.Errorf("stats: %d %s", st, b)
	}
	// A holiday today closes the kiosk.
	if st, b := call(t, "PUT", srv.URL+"/api/v1/holidays", admin, fmt.Sprintf(`[{"day":%q,"name":"Nghỉ"}]`, now.Format(time.DateOnly))); st != 200 {
		t.Fatalf("holidays: %d %s", st, b)
	}
	if st, b := call(t, "POST", srv.URL+"/api/v1/tickets", kiosk, `{"service_id":"dat-dai"}`); st != 422 || !strings.Contains(string(b), protocol.CodeServiceClosed) {
		t.Errorf("kiosk ticket on a holiday: %d %s", st, b)
	}
	if st, b := call(t, "PUT", srv.URL+"/api/v1/holidays", admin, `[{"day":"31/12/2026"}]`); st != 400 {
		t.Errorf("bad holiday: %d %s", st, b)
	}
}
