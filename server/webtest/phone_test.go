package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// phoneSize is a common phone viewport (iPhone 12–15).
const phoneW, phoneH = 390, 844

// fakeVibrate records vibration requests (headless Chromium has no motor).
const fakeVibrate = `(() => { window.__vib = []; navigator.vibrate = (p) => { window.__vib.push(p); return true; }; return true; })()`

func ratings(t *testing.T, srv *servertest.Server) []protocol.Rating {
	t.Helper()
	var out []protocol.Rating
	if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), "GET", "/api/v1/ratings", nil, &out, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

func rateByToken(t *testing.T, srv *servertest.Server, token, body string) int {
	t.Helper()
	resp, err := http.Post(srv.URL+"/api/v1/tickets/"+token+"/rating", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestPhonePage follows a ticket on the phone page from issue to call to
// rating, as a citizen sees it, and keeps the screenshots.
func TestPhonePage(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	for range 3 {
		srv.Issue("dat-dai", false)
	}
	if _, err := admin.Next(ctx, "q2"); err != nil { // q2 busy with the first
		t.Fatal(err)
	}
	mine := srv.Issue("dat-dai", false)
	srv.Issue("dat-dai", false) // after mine: must not count

	p := newTab(t, srv)
	p.open("/t/" + mine.Token)
	p.waitText("#code", mine.Code)
	p.waitText("#ahead", "2")
	p.waitText("#field", "Đất đai")
	p.wait(`document.querySelector('#live') && document.querySelector('#live').classList.contains('on')`, "the live mark")
	if eta := p.textOf("#eta"); !strings.Contains(eta, "phút") {
		t.Errorf("expected wait %q", eta)
	}
	// "expected call at HH:MM" is the hall's time (Asia/Ho_Chi_Minh), not
	// the browser's (this Chromium runs in UTC, seven hours apart).
	at := eval[string](p, `(document.body.innerText.match(/lúc (\d\d:\d\d)/) || [])[1] || ''`)
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	want := time.Now().In(hcm).Add(time.Duration(mine.ETASeconds) * time.Second)
	if got, err := time.ParseInLocation("15:04", at, hcm); err != nil {
		t.Errorf("expected call time %q: %v", at, err)
	} else if d := (got.Hour()*60 + got.Minute()) - (want.Hour()*60 + want.Minute()); d < -15 || d > 15 {
		t.Errorf("expected call at %s, want about %s (the centre's clock)", at, want.Format("15:04"))
	}
	// The range 8 in 10 are called in, around the estimate, in minutes.
	if !(mine.ETALowSeconds < mine.ETASeconds && mine.ETASeconds < mine.ETAHighSeconds) {
		t.Fatalf("issue answer: range %d–%d s around %d s", mine.ETALowSeconds, mine.ETAHighSeconds, mine.ETASeconds)
	}
	rng := p.textOf("#eta-range")
	hi := (mine.ETAHighSeconds + 59) / 60
	if !strings.HasPrefix(rng, "thường") || !(strings.Contains(rng, fmt.Sprintf("%d phút", hi)) || strings.Contains(rng, fmt.Sprintf("%d phút", hi-1)) || strings.Contains(rng, fmt.Sprintf("–%d ", hi)) || strings.Contains(rng, fmt.Sprintf("–%d ", hi-1))) {
		t.Errorf("range %q, want up to about %d phút (eta_high_seconds %d)", rng, hi, mine.ETAHighSeconds)
	}
	p.screenshot("phone-waiting", phoneW, phoneH)

	// English and back.
	p.click("#lang-switch")
	p.waitText(".stat .label", "People before you")
	p.click("#lang-switch")
	p.waitText(".stat .label", "Số người trước bạn")

	// The queue moves: live, without a reload.
	eval[bool](p, fakeVibrate)
	if _, err := admin.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#ahead", "1")
	if _, err := admin.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#ahead", "0")
	if n := eval[int](p, `window.__vib.length`); n != 0 {
		t.Fatalf("vibrated %d times before the call", n)
	}
	called, err := admin.Next(ctx, "q1")
	if err != nil || called == nil || called.ID != mine.ID {
		t.Fatalf("next: %+v %v", called, err)
	}
	p.waitText("#turn", "Đến lượt bạn")
	p.waitText("#go", "Mời đến Quầy 1")
	p.wait(`window.__vib.length === 1`, "a vibration")
	p.screenshot("phone-called", phoneW, phoneH)

	if _, err := admin.Recall(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#recall", "Gọi lại lần 1")
	p.wait(`window.__vib.length === 2`, "a second vibration on recall")
	p.screenshot("phone-recalled", phoneW, phoneH)

	if st := rateByToken(t, srv, mine.Token, `{"score":"satisfied"}`); st != http.StatusUnprocessableEntity {
		t.Fatalf("rating while called: %d", st)
	}
	if _, err := admin.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.wait(`document.querySelector('#rating-form')`, "the rating form")
	p.screenshot("phone-rating", phoneW, phoneH)
	p.click("#rate-send")
	p.waitText(".rating .msg", "Vui lòng chọn")
	p.click(".score-very_satisfied")
	p.typeInto("#rate-comment", "Cán bộ hướng dẫn tận tình")
	p.click("#rate-send")
	p.waitText("#title", "Cảm ơn bạn đã đánh giá")
	p.screenshot("phone-thanks", phoneW, phoneH)

	if st := rateByToken(t, srv, mine.Token, `{"score":"unsatisfied"}`); st != http.StatusConflict {
		t.Fatalf("second rating: %d, want 409", st)
	}
	r := ratings(t, srv)
	if len(r) != 1 || r[0].TicketID != mine.ID || r[0].Score != protocol.ScoreVerySatisfied || r[0].Comment != "Cán bộ hướng dẫn tận tình" || r[0].CounterID != "q1" {
		t.Fatalf("stored ratings %+v", r)
	}
	// A reload shows the thanks, not the form again.
	p.open("/t/" + mine.Token)
	p.waitText("#title", "Cảm ơn bạn đã đánh giá")
}

func TestPhonePageNoShowTransferUnknown(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	tk := srv.Issue("dat-dai", true)

	p := newTab(t, srv)
	p.open("/t/" + tk.Token)
	p.waitText("#code", tk.Code)
	p.waitText(".badge", "Ưu tiên")
	if _, err := admin.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#turn", "Đến lượt bạn")
	if _, err := admin.Transfer(ctx, "q1", "xay-dung"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#transferred", "Xây dựng")
	p.waitText("#field", "Xây dựng")
	p.screenshot("phone-transferred", phoneW, phoneH)
	if _, err := admin.Next(ctx, "q6"); err != nil { // q6 serves xay-dung
		t.Fatal(err)
	}
	p.waitText("#go", "Quầy 6")
	if _, err := admin.NoShow(ctx, "q6"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#title", "không có mặt")
	p.screenshot("phone-noshow", phoneW, phoneH)
	if st := rateByToken(t, srv, tk.Token, `{"score":"satisfied"}`); st != http.StatusUnprocessableEntity {
		t.Fatalf("rating a no-show: %d", st)
	}

	u := newTab(t, srv)
	u.open("/t/AAAAAAAAAAAAAAAAAAAAAAAA")
	u.waitText("#title", "Không tìm thấy phiếu")
	u.open("/t/%3Cscript%3E")
	u.waitText("#title", "Không tìm thấy phiếu")
	u.screenshot("phone-unknown", phoneW, phoneH)
}

// TestRateTablet is the counter-side form for citizens without a phone.
func TestRateTablet(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clerk := srv.Client(srv.ClerkToken("canbo1"))

	other := newTab(t, srv)
	srv.ClerkToken("canbo3")
	other.open("/rate/q1")
	other.login("canbo3", servertest.ClerkPassword("canbo3"))
	other.waitText("#title", "không phục vụ quầy này")

	p := newTab(t, srv)
	// The tablet's own 8 s thanks, eight times sooner (1 s): the idle
	// screen still comes back by the page's timer alone.
	p.fastTimer(8*time.Second, 8)
	p.open("/rate/q1")
	p.login("canbo1", servertest.ClerkPassword("canbo1"))
	p.waitText("#title", "Đánh giá mức độ hài lòng")
	p.waitText("#counter-name", "Quầy 1")
	p.screenshot("phone-rate-tablet-idle", 1280, 800)

	tk := srv.Issue("tai-nguyen-moi-truong", false)
	if _, err := clerk.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.waitText("#for", tk.Code)
	p.waitText("#for", "Tài nguyên môi trường")
	p.screenshot("phone-rate-tablet", 1280, 800)
	p.click(".score-unsatisfied")
	p.click("#rate-send")
	p.waitText("#title", "Cảm ơn")
	r := ratings(t, srv)
	if len(r) != 1 || r[0].TicketID != tk.ID || r[0].Via != "counter" || r[0].Score != protocol.ScoreUnsatisfied {
		b, _ := json.Marshal(r)
		t.Fatalf("ratings %s", b)
	}
	// The thanks give way to the idle screen; the rated ticket is not offered again.
	p.waitFor(`document.querySelector('#title').textContent.includes('Đánh giá mức độ hài lòng')`, "the idle screen", 15*time.Second)
}

// TestPhonePagePendingSync: a kiosk printed a ticket from its lease while
// the server was unreachable; the citizen scans the QR code before the
// kiosk synced it. The page says so kindly instead of "not found", and
// shows the place in the queue by itself, without a reload, when the sync
// lands. The ticket was taken in English: the page switches to English
// then, the centre's name included.
func TestPhonePagePendingSync(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	kiosk := srv.Client(srv.DeviceToken("kiosk", "Ki-ốt 1"))
	srv.Issue("dat-dai", false)
	l, err := kiosk.Lease(ctx, protocol.LeaseRequest{ServiceID: "dat-dai", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	lt := l.Tickets[0]

	p := newTab(t, srv)
	p.open("/t/" + lt.Token)
	p.waitText("#title", "Phiếu được in khi mất kết nối, đang đồng bộ…")
	p.waitText("#code", lt.Code)
	p.waitText("#field", "Đất đai")
	p.waitText("#centre-name", "Trung tâm Phục vụ hành chính công")
	p.wait(`document.querySelector('#live') && document.querySelector('#live').classList.contains('on')`, "the live mark")
	if strings.Contains(p.text(), "Không tìm thấy") || strings.Contains(p.text(), "xoá") {
		t.Fatalf("pending ticket page says not found:\n%s", p.text())
	}
	p.screenshot("phone-pending-sync", phoneW, phoneH)
	// In English (another phone: a choice made here would be kept).
	en := newTab(t, srv)
	en.open("/t/" + l.Tickets[1].Token)
	en.waitText("#title", "Phiếu được in khi mất kết nối")
	en.click("#lang-switch")
	en.waitText("#title", "This ticket was printed while offline; syncing…")
	en.waitText("#centre-name", "Provincial Public Administrative Service Centre (demo)")

	eval[bool](p, `(window.__sameDocument = true)`)
	res, err := kiosk.SyncTickets(ctx, []protocol.OfflineTicket{{LeaseID: l.ID, Number: lt.Number, IssuedAt: time.Now(), Lang: "en"}})
	if err != nil || res.Results[0].Error != nil {
		t.Fatalf("sync: %+v %v", res, err)
	}
	p.waitText("#ahead", "1")
	p.waitText(".stat .label", "People before you")
	p.waitText("#centre-name", "Provincial Public Administrative Service Centre (demo)")
	p.waitText("#field", "Land")
	if !eval[bool](p, `window.__sameDocument === true`) {
		t.Fatal("the page was reloaded")
	}
	p.screenshot("phone-waiting-en", phoneW, phoneH)
	// The citizen's own choice wins over the ticket's language.
	p.click("#lang-switch")
	p.waitText(".stat .label", "Số người trước bạn")
	p.waitText("#centre-name", "Trung tâm Phục vụ hành chính công")
}

// TestPhonePageCentreRenamed: a centre renamed in /admin heads an open phone
// page within 2 s, without a reload (centre.updated on the ticket websocket).
func TestPhonePageCentreRenamed(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	tk := srv.Issue("dat-dai", false)
	p := newTab(t, srv)
	p.open("/t/" + tk.Token)
	p.waitText("#code", tk.Code)
	p.waitText("#centre-name", "Trung tâm Phục vụ hành chính công")
	p.wait(`document.querySelector('#live') && document.querySelector('#live').classList.contains('on')`, "the live mark")
	eval[bool](p, `(window.__sameDocument = true)`)

	c, err := admin.Centre(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Name = protocol.Text{Vi: "Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh", En: "Bac Ninh Public Administrative Service Centre"}
	if _, err := admin.Do(ctx, "PUT", "/api/v1/centre", c, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.waitFor(`document.querySelector('#centre-name').textContent === 'Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh'`, "the new centre name on the phone page", 2*time.Second)
	p.click("#lang-switch")
	p.waitText("#centre-name", "Bac Ninh Public Administrative Service Centre")
	if !eval[bool](p, `window.__sameDocument === true`) {
		t.Fatal("the page was reloaded")
	}
	p.waitText("#code", tk.Code) // the ticket is still shown
}
