package webtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/protocol"
)

// provinceCentres are 40 centres of a province as they are named, the
// longest real kinds included (a district's centre, a town's, a ward's
// one-stop desk).
var provinceCentres = []struct{ id, name string }{
	{"tuy-phuoc", "Trung tâm Phục vụ hành chính công huyện Tuy Phước"},
	{"an-nhon", "Trung tâm Phục vụ hành chính công thị xã An Nhơn"},
	{"hoai-nhon", "Trung tâm Phục vụ hành chính công thị xã Hoài Nhơn"},
	{"phu-cat", "Trung tâm Phục vụ hành chính công huyện Phù Cát"},
	{"phu-my", "Trung tâm Phục vụ hành chính công huyện Phù Mỹ"},
	{"tay-son", "Trung tâm Phục vụ hành chính công huyện Tây Sơn"},
	{"vinh-thanh", "Trung tâm Phục vụ hành chính công huyện Vĩnh Thạnh"},
	{"van-canh", "Trung tâm Phục vụ hành chính công huyện Vân Canh"},
	{"an-lao", "Trung tâm Phục vụ hành chính công huyện An Lão"},
	{"hoai-an", "Trung tâm Phục vụ hành chính công huyện Hoài Ân"},
	{"quy-nhon", "Trung tâm Phục vụ hành chính công thành phố Quy Nhơn"},
	{"nhon-phu", "Bộ phận Một cửa UBND phường Nhơn Phú, thành phố Quy Nhơn"},
	{"ghenh-rang", "Bộ phận Một cửa UBND phường Ghềnh Ráng, thành phố Quy Nhơn"},
	{"tran-quang-dieu", "Bộ phận Một cửa UBND phường Trần Quang Diệu, thành phố Quy Nhơn"},
	{"nhon-hai", "Bộ phận Một cửa UBND xã Nhơn Hải, thành phố Quy Nhơn"},
	{"phuoc-loc", "Bộ phận Một cửa UBND xã Phước Lộc, huyện Tuy Phước"},
	{"dieu-tri", "Bộ phận Một cửa UBND thị trấn Diêu Trì, huyện Tuy Phước"},
	{"binh-dinh", "Bộ phận Một cửa UBND phường Bình Định, thị xã An Nhơn"},
	{"nhon-loc", "Bộ phận Một cửa UBND xã Nhơn Lộc, thị xã An Nhơn"},
	{"tam-quan", "Bộ phận Một cửa UBND phường Tam Quan, thị xã Hoài Nhơn"},
	{"bong-son", "Bộ phận Một cửa UBND phường Bồng Sơn, thị xã Hoài Nhơn"},
	{"ngo-may", "Bộ phận Một cửa UBND thị trấn Ngô Mây, huyện Phù Cát"},
	{"cat-tien", "Bộ phận Một cửa UBND xã Cát Tiến, huyện Phù Cát"},
	{"binh-duong-pm", "Bộ phận Một cửa UBND thị trấn Bình Dương, huyện Phù Mỹ"},
	{"my-thanh", "Bộ phận Một cửa UBND xã Mỹ Thành, huyện Phù Mỹ"},
	{"phu-phong", "Bộ phận Một cửa UBND thị trấn Phú Phong, huyện Tây Sơn"},
	{"tay-giang", "Bộ phận Một cửa UBND xã Tây Giang, huyện Tây Sơn"},
	{"vinh-thanh-tt", "Bộ phận Một cửa UBND thị trấn Vĩnh Thạnh, huyện Vĩnh Thạnh"},
	{"van-canh-tt", "Bộ phận Một cửa UBND thị trấn Vân Canh, huyện Vân Canh"},
	{"an-lao-tt", "Bộ phận Một cửa UBND thị trấn An Lão, huyện An Lão"},
	{"tang-bat-ho", "Bộ phận Một cửa UBND thị trấn Tăng Bạt Hổ, huyện Hoài Ân"},
	{"an-hao", "Bộ phận Một cửa UBND xã Ân Hảo Đông, huyện Hoài Ân"},
	{"so-tnmt", "Văn phòng Đăng ký đất đai tỉnh – Chi nhánh Quy Nhơn"},
	{"vpdk-an-nhon", "Văn phòng Đăng ký đất đai tỉnh – Chi nhánh An Nhơn"},
	{"vpdk-hoai-nhon", "Văn phòng Đăng ký đất đai tỉnh – Chi nhánh Hoài Nhơn"},
	{"bhxh-quy-nhon", "Bảo hiểm xã hội thành phố Quy Nhơn – Bộ phận tiếp nhận hồ sơ"},
	{"thue-quy-nhon", "Chi cục Thuế khu vực Quy Nhơn – Tuy Phước"},
	{"cong-an-tinh", "Công an tỉnh – Phòng Quản lý xuất nhập cảnh"},
	{"kbnn-tinh", "Kho bạc Nhà nước tỉnh – Phòng Giao dịch"},
	{"tt-tinh", "Trung tâm Phục vụ hành chính công tỉnh – Cơ sở 2"},
}

// TestProvinceOf40Centres: the province page of a province of 40 centres
// with long names and live figures, and the range report across them, at
// the common screen sizes: the page is no wider than the window, every
// name is shown whole (wrapped, never cut), every centre's row and the
// report's total can be scrolled to, and the column heads stay in view
// while the 40 rows scroll under them.
func TestProvinceOf40Centres(t *testing.T) {
	ctx := context.Background()
	pv, ts, _ := provinceServer(t)
	for i, c := range provinceCentres {
		if _, err := pv.CreateCentre(ctx, province.Centre{ID: c.id, Name: c.name, TimeZone: "Asia/Ho_Chi_Minh", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		e := pv.App(c.id).Engine
		if _, err := e.PutCentre(ctx, protocol.Centre{Name: protocol.Text{Vi: c.name}, TimeZone: "Asia/Ho_Chi_Minh", ReadNumbers: protocol.ReadAsNumber, Hours: enginetest.AllDay()}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.PutService(ctx, protocol.Service{ID: "dat-dai", Prefix: "A", Name: protocol.Text{Vi: "Đất đai"}, Enabled: true, TargetMinutes: 15}); err != nil {
			t.Fatal(err)
		}
		counters := 3 + i%6
		for k := 1; k <= counters; k++ {
			if _, err := e.PutCounter(ctx, protocol.Counter{ID: fmt.Sprintf("q%d", k), Number: k, Name: protocol.Text{Vi: fmt.Sprintf("Quầy %d", k)}, ServiceIDs: []string{"dat-dai"}, Status: protocol.CounterOpen}); err != nil {
				t.Fatal(err)
			}
		}
		for range 4 + (i*7)%23 {
			if _, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "dat-dai"}, ""); err != nil {
				t.Fatal(err)
			}
		}
		// Some served and done, one called at each of the first counters.
		for k := 1; k <= 1+i%3; k++ {
			for range 2 {
				if _, err := e.Next(ctx, fmt.Sprintf("q%d", k), "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	p := provinceSignIn(t, ts)
	p.wait(`document.querySelectorAll('#centres tbody tr').length === 41`, "the 41 centres (40 and the default)")
	p.wait(`document.querySelectorAll('#report tbody tr').length === 42`, "the report's 41 rows and its total")
	p.waitText("#totals", "41")
	for _, lang := range []string{"vi", "en"} {
		if lang == "en" {
			p.click("#lang")
			p.waitText("#report", "Province")
		}
		for _, s := range [][2]int64{{1920, 1080}, {1366, 768}} {
			name := "province-40"
			if lang == "en" {
				name += "-en"
			}
			p.screenshot(name, s[0], s[1])
			provinceLayoutHolds(t, p, fmt.Sprintf("%s at %dx%d", name, s[0], s[1]))
		}
	}
}

// provinceLayoutHolds checks the province page as it is shown now: no
// centre's name is cut (every name cell shows its whole text) or runs over
// the next column; each table's rows scroll in a frame no taller than the
// window, under their column heads, which stay in view (a row in the
// middle scrolled to shows them at the frame's top); the report's total
// stays in view at the frame's foot; the last centre and the report can
// be scrolled into the window.
func provinceLayoutHolds(t *testing.T, p *tab, what string) {
	t.Helper()
	if cut := eval[[]string](p, `Array.from(document.querySelectorAll('#centres tbody td:first-child, #centres tbody td:first-child *, #report tbody td:first-child')).filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map(e => e.textContent)`); len(cut) > 0 {
		t.Errorf("%s: names cut: %q", what, cut)
	}
	if over := eval[[]string](p, `Array.from(document.querySelectorAll('#centres tbody tr, #report tbody tr')).filter(tr => tr.cells[0].getBoundingClientRect().right > tr.cells[1].getBoundingClientRect().left + 1).map(tr => tr.cells[0].textContent)`); len(over) > 0 {
		t.Errorf("%s: names over the next column: %q", what, over)
	}
	frameHolds(t, p, what, "#centres")
	frameHolds(t, p, what, "#report")
	for _, sel := range []string{"#centres tbody tr:last-child", "#report"} {
		eval[chromedp.Void](p, fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: 'end'})`, sel))
		if in := eval[bool](p, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return r.height > 0 && r.bottom > 0 && r.top < window.innerHeight })()`, sel)); !in {
			t.Errorf("%s: %s cannot be scrolled into the window", what, sel)
		}
	}
	eval[chromedp.Void](p, `for (const f of document.querySelectorAll('.list-frame')) f.scrollTop = 0; window.scrollTo(0, 0)`)
}

// frameHolds checks a long table shown in its frame (list-frame): the frame
// is no taller than the window; scrolled to the 20th row, the column heads
// stay at the frame's top and the row shows between them and the frame's
// foot; a total row, if any, stays at the foot. The frame is scrolled back
// to its top afterwards.
func frameHolds(t *testing.T, p *tab, what, tbl string) {
	t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`document.querySelector('%s tbody tr:nth-child(20)').scrollIntoView({block: 'center'})`, tbl))
	p.wait(`new Promise(r => requestAnimationFrame(() => r(true)))`, "a frame")
	type box struct {
		Frame, Head, Row, Total [2]float64
		HasTotal                bool
	}
	b := eval[box](p, fmt.Sprintf(`(() => {
		const tbl = document.querySelector(%q), frame = tbl.parentElement, total = tbl.querySelector('tr.total');
		const tb = e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; };
		return {frame: tb(frame), head: tb(tbl.tHead.rows[0].cells[0]), row: tb(tbl.tBodies[0].rows[19]), total: total ? tb(total.cells[0]) : [0, 0], hasTotal: !!total};
	})()`, tbl))
	switch {
	case b.Frame[1]-b.Frame[0] > float64(eval[int](p, `window.innerHeight`))+1:
		t.Errorf("%s: %s's frame is %.0f px tall, more than the window", what, tbl, b.Frame[1]-b.Frame[0])
	case b.Head[0] < b.Frame[0]-1 || b.Head[0] > b.Frame[0]+1:
		t.Errorf("%s: %s scrolled to its 20th row: the column heads are at %.0f, the frame's top at %.0f", what, tbl, b.Head[0], b.Frame[0])
	case b.Row[0] < b.Head[1]-1 || b.Row[1] > b.Frame[1]+1:
		t.Errorf("%s: %s's 20th row scrolled to is at %.0f–%.0f, not between the heads (%.0f) and the frame's foot (%.0f)", what, tbl, b.Row[0], b.Row[1], b.Head[1], b.Frame[1])
	case b.HasTotal && (b.Total[1] < b.Frame[1]-2 || b.Total[1] > b.Frame[1]+1):
		t.Errorf("%s: %s's total is at %.0f–%.0f, not at the frame's foot (%.0f)", what, tbl, b.Total[0], b.Total[1], b.Frame[1])
	}
	eval[chromedp.Void](p, fmt.Sprintf(`document.querySelector(%q).parentElement.scrollTop = 0`, tbl))
}
