package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// realFields are names of a provincial centre's departments and desks, the
// longest real ones included, with the group a kiosk would list them under.
var realFields = []struct{ vi, en, group, groupEn string }{
	{"Sở Lao động – Thương binh và Xã hội", "Department of Labour, Invalids and Social Affairs", "Nhận hồ sơ", "Applications"},
	{"Sở Nông nghiệp và Phát triển nông thôn", "Department of Agriculture and Rural Development", "Nhận hồ sơ", "Applications"},
	{"Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment", "Nhận hồ sơ", "Applications"},
	{"Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)", "Post office (public postal service for documents)", "Dịch vụ hỗ trợ", "Support services"},
	{"Sở Tư pháp – Hộ tịch, lý lịch tư pháp", "Department of Justice – civil status, judicial records", "Nhận hồ sơ", "Applications"},
	{"Sở Kế hoạch và Đầu tư – Đăng ký kinh doanh", "Department of Planning and Investment – business registration", "Nhận hồ sơ", "Applications"},
	{"Sở Xây dựng – Cấp phép xây dựng", "Department of Construction – building permits", "Nhận hồ sơ", "Applications"},
	{"Sở Giao thông vận tải – Giấy phép lái xe", "Department of Transport – driving licences", "Nhận hồ sơ", "Applications"},
	{"Sở Công Thương", "Department of Industry and Trade", "Nhận hồ sơ", "Applications"},
	{"Sở Y tế", "Department of Health", "Nhận hồ sơ", "Applications"},
	{"Sở Giáo dục và Đào tạo", "Department of Education and Training", "Nhận hồ sơ", "Applications"},
	{"Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism", "Nhận hồ sơ", "Applications"},
	{"Sở Khoa học và Công nghệ", "Department of Science and Technology", "Nhận hồ sơ", "Applications"},
	{"Sở Thông tin và Truyền thông", "Department of Information and Communications", "Nhận hồ sơ", "Applications"},
	{"Sở Nội vụ", "Department of Home Affairs", "Nhận hồ sơ", "Applications"},
	{"Sở Tài chính", "Department of Finance", "Nhận hồ sơ", "Applications"},
	{"Ban Dân tộc", "Ethnic Minorities Committee", "Nhận hồ sơ", "Applications"},
	{"Công an tỉnh – Xuất nhập cảnh", "Provincial Police – immigration", "Nhận hồ sơ", "Applications"},
	{"Bảo hiểm xã hội tỉnh", "Provincial Social Insurance", "Nhận hồ sơ", "Applications"},
	{"Cục Thuế tỉnh", "Provincial Tax Department", "Nhận hồ sơ", "Applications"},
	{"Ban Quản lý các khu công nghiệp", "Industrial Zones Authority", "Nhận hồ sơ", "Applications"},
	{"Điện lực tỉnh", "Provincial Power Company", "Dịch vụ hỗ trợ", "Support services"},
	{"Trả kết quả – Sở, ban, ngành", "Results return – departments", "Trả kết quả", "Results"},
	{"Trả kết quả – Đất đai", "Results return – land", "Trả kết quả", "Results"},
	{"Hướng dẫn, tiếp nhận phản ánh kiến nghị", "Guidance and feedback desk", "Dịch vụ hỗ trợ", "Support services"},
	{"Sở Ngoại vụ", "Department of Foreign Affairs", "Nhận hồ sơ", "Applications"},
	{"Thanh tra tỉnh", "Provincial Inspectorate", "Nhận hồ sơ", "Applications"},
	{"Kho bạc Nhà nước tỉnh", "Provincial State Treasury", "Nhận hồ sơ", "Applications"},
	{"Chi cục Kiểm lâm", "Forest Protection Sub-department", "Nhận hồ sơ", "Applications"},
	{"Chi cục Thú y", "Veterinary Sub-department", "Nhận hồ sơ", "Applications"},
	{"Văn phòng Đăng ký đất đai", "Land Registration Office", "Nhận hồ sơ", "Applications"},
	{"Quỹ Phát triển đất", "Land Development Fund", "Nhận hồ sơ", "Applications"},
	{"Trung tâm Dịch vụ việc làm", "Employment Service Centre", "Dịch vụ hỗ trợ", "Support services"},
	{"Liên đoàn Lao động tỉnh", "Provincial Labour Federation", "Nhận hồ sơ", "Applications"},
	{"Hội Liên hiệp Phụ nữ", "Women's Union", "Nhận hồ sơ", "Applications"},
	{"Cấp nước – Môi trường đô thị", "Water supply – urban environment", "Dịch vụ hỗ trợ", "Support services"},
	{"Ngân hàng Chính sách xã hội", "Bank for Social Policies", "Dịch vụ hỗ trợ", "Support services"},
	{"Công chứng – Chứng thực", "Notary and certification", "Nhận hồ sơ", "Applications"},
	{"Trả kết quả – Bưu chính", "Results return – by post", "Trả kết quả", "Results"},
	{"Tra cứu hồ sơ", "Application status enquiries", "Dịch vụ hỗ trợ", "Support services"},
}

// provinceCentre writes a centre file with nFields fields (realFields, grouped)
// and nCounters counters: counter q1 serves every field, the others two
// each; the fields listed in unserved are served by none and accept
// tickets all the same (a centre file refuses them otherwise). Clerks canbo1…canbo40 serve q1…q40.
func provinceCentre(t *testing.T, nFields, nCounters int, unserved ...int) string {
	t.Helper()
	type text = protocol.Text
	type svc struct {
		ID             string `json:"id"`
		Prefix         string `json:"prefix"`
		Name           text   `json:"name"`
		Group          *text  `json:"group,omitempty"`
		TargetMinutes  int    `json:"target_minutes"`
		AcceptUnserved bool   `json:"accept_unserved,omitempty"`
	}
	type user struct {
		Username   string   `json:"username"`
		Name       string   `json:"name"`
		Role       string   `json:"role"`
		CounterIDs []string `json:"counter_ids"`
	}
	skip := map[int]bool{}
	for _, i := range unserved {
		skip[i] = true
	}
	var svcs []svc
	var served []string
	for i := range nFields {
		f := realFields[i%len(realFields)]
		prefix := string(rune('A' + i%26))
		if i >= 26 {
			prefix = "A" + string(rune('A'+i-26))
		}
		s := svc{ID: fmt.Sprintf("f%02d", i+1), Prefix: prefix, Name: text{Vi: f.vi, En: f.en},
			Group: &text{Vi: f.group, En: f.groupEn}, TargetMinutes: 15 + 5*(i%4)}
		if skip[i] { // a centre file refuses an unserved field otherwise
			s.AcceptUnserved = true
		}
		if !skip[i] {
			served = append(served, s.ID)
		}
		svcs = append(svcs, s)
	}
	var counters []protocol.Counter
	var users []user
	for k := range nCounters {
		ids := served
		if k > 0 {
			ids = []string{served[k%len(served)], served[(k+7)%len(served)]}
			if ids[0] == ids[1] {
				ids = ids[:1]
			}
		}
		id := fmt.Sprintf("q%d", k+1)
		counters = append(counters, protocol.Counter{ID: id, Number: k + 1, Name: text{Vi: fmt.Sprintf("Quầy %d", k+1), En: fmt.Sprintf("Counter %d", k+1)}, ServiceIDs: ids})
		users = append(users, user{Username: fmt.Sprintf("canbo%d", k+1), Name: fmt.Sprintf("Cán bộ %d", k+1), Role: protocol.RoleClerk, CounterIDs: []string{id}})
	}
	b, err := json.Marshal(map[string]any{
		"name":     text{Vi: "Trung tâm Phục vụ hành chính công tỉnh", En: "Provincial Public Administrative Service Centre"},
		"timezone": "Asia/Ho_Chi_Minh",
		"hours": map[string][]string{"mon": {"00:00-24:00"}, "tue": {"00:00-24:00"}, "wed": {"00:00-24:00"},
			"thu": {"00:00-24:00"}, "fri": {"00:00-24:00"}, "sat": {"00:00-24:00"}, "sun": {"00:00-24:00"}},
		"services": svcs, "counters": counters, "users": users,
	})
	if err != nil {
		t.Fatal(err)
	}
	return servertest.WriteCentre(t, t.TempDir(), string(b))
}

// saveInView checks, at width×height, that the open dialog's Save button
// lies wholly inside the window and that its content scrolls inside it.
func saveInView(p *tab, dialog string, width, height int64) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(width, height))
	p.wait(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, "a frame")
	type box struct{ Top, Bottom, Inner, Scroll, Client float64 }
	b := eval[box](p, `(() => {
		const d = document.querySelector(`+jsString(dialog)+`);
		const r = d.querySelector('button[type=submit]').getBoundingClientRect();
		const sc = d.querySelector('.dialog-scroll');
		return { Top: r.top, Bottom: r.bottom, Inner: window.innerHeight, Scroll: sc.scrollHeight, Client: sc.clientHeight };
	})()`)
	if b.Top < 0 || b.Bottom > b.Inner {
		p.t.Errorf("%s at %dx%d: Save spans %.0f–%.0f px, the window is %.0f px high", dialog, width, height, b.Top, b.Bottom, b.Inner)
	}
	if b.Scroll <= b.Client {
		p.t.Errorf("%s at %dx%d: the content (%.0f px) does not scroll in its %.0f px", dialog, width, height, b.Scroll, b.Client)
	}
}

// TestCounterDialogWithFortyFields: a counter serving 40 fields, edited at
// 1440×900 and 1366×768: the list scrolls inside the dialog and Save stays
// in view, and saving works.
func TestCounterDialogWithFortyFields(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: provinceCentre(t, 40, 40)})
	p := newTab(t, srv)
	openAdmin(p, "counters")
	p.wait(`document.querySelector('#counters')`, "the counters table")
	p.click(`#counters tr[data-counter="q1"] .actions-cell button`)
	p.wait(`document.querySelectorAll('#counter-dialog #counter-fields li').length === 40 && document.querySelector('#counter-clerks')`, "the counter dialog with 40 fields")
	for _, s := range [][2]int64{{1440, 900}, {1366, 768}} {
		saveInView(p, "#counter-dialog", s[0], s[1])
		p.screenshot("admin-counter-dialog-40", s[0], s[1])
	}
	// Saving from there works: rename the counter.
	p.setValue("#counter-name-vi", "Quầy 1 – Một cửa liên thông")
	submit(p, "#counter-dialog")
	waitClosed(p, "#counter-dialog")
	cs, err := srv.App.Engine.Counter("q1")
	if err != nil || cs.Counter.Name.Vi != "Quầy 1 – Một cửa liên thông" || len(cs.Counter.ServiceIDs) != 40 {
		t.Fatalf("saved counter %+v %v", cs.Counter, err)
	}
	// The field dialog too, with the smallest window.
	p.open("/admin#fields")
	p.wait(`document.querySelector('#fields')`, "the fields table")
	p.click(`#fields tr[data-service="f01"] .actions-cell button`)
	p.wait(`document.querySelector('#field-dialog')`, "the field dialog")
	p.click("#hours-own")
	saveInView(p, "#field-dialog", 1366, 768)
}

// TestAdminCentreOf25Fields40Counters: the admin pages of a real centre's
// size: fields listed under their groups, a clear warning on the fields no
// counter serves (on the fields and the counters page), the group picked
// from suggestions in the field dialog, accept_unserved set there; the
// dashboard counts only staffed counters.
func TestAdminCentreOf25Fields40Counters(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, CentreFile: provinceCentre(t, 25, 40, 16, 24)})
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	// The admin unticks "issue tickets even without counter" on f17.
	f17 := services(t, srv)["f17"]
	f17.AcceptUnserved = false
	if _, err := admin.Do(ctx, "PUT", "/api/v1/services/f17", f17, nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		srv.Issue(fmt.Sprintf("f%02d", i%14+1), i%9 == 4)
	}
	// Twelve clerks at work (Next opens a counter), one paused.
	for k := 1; k <= 12; k++ {
		if _, err := admin.Next(ctx, fmt.Sprintf("q%d", k)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.SetCounterStatus(ctx, "q12", protocol.CounterPaused); err != nil {
		t.Fatal(err)
	}

	p := newTab(t, srv)
	openAdmin(p, "fields")
	p.wait(`document.querySelectorAll('#fields tbody tr').length === 25`, "25 fields")
	if n := eval[int](p, `document.querySelectorAll('#fields [data-warn="no-counter"]').length`); n != 2 {
		t.Errorf("%d fields warned of no counter, want 2", n)
	}
	p.waitText("#fields-unserved", "2 lĩnh vực chưa có quầy nào phục vụ")
	p.waitText(`#fields tr[data-service="f17"]`, "ki-ốt không phát số")
	p.waitText(`#fields tr[data-service="f25"]`, "ki-ốt vẫn phát số")
	p.waitText(`#fields tr[data-service="f17"]`, "chưa có quầy")
	p.waitText(`#fields tr[data-service="f01"] .field-group`, "Nhận hồ sơ")
	for _, s := range sizes {
		p.screenshot("admin-fields-25", s[0], s[1])
	}

	// The field dialog: the group is picked among the existing ones, its
	// English name follows; the field is allowed to issue without counter.
	p.click(`#fields tr[data-service="f17"] .actions-cell button`)
	p.wait(`document.querySelector('#field-dialog')`, "the field dialog")
	if opts := eval[[]string](p, `Array.from(document.querySelectorAll('#field-groups-list option')).map(o => o.value)`); strings.Join(opts, "|") != "Nhận hồ sơ|Dịch vụ hỗ trợ|Trả kết quả" {
		t.Errorf("group suggestions %q", opts)
	}
	p.setValue("#field-group-vi", "")
	p.setValue("#field-group-en", "")
	p.typeInto("#field-group-vi", "Dịch vụ hỗ trợ")
	if en := eval[string](p, `document.querySelector('#field-group-en').value`); en != "Support services" {
		t.Errorf("English group name filled as %q", en)
	}
	p.click("#field-accept-unserved")
	p.screenshot("admin-field-dialog-group", 1366, 768)
	submit(p, "#field-dialog")
	waitClosed(p, "#field-dialog")
	sv := services(t, srv)["f17"]
	if sv.Group == nil || sv.Group.Vi != "Dịch vụ hỗ trợ" || sv.Group.En != "Support services" || !sv.AcceptUnserved || !sv.Open {
		t.Fatalf("saved field %+v group %+v", sv, sv.Group)
	}
	p.waitText(`#fields tr[data-service="f17"]`, "ki-ốt vẫn phát số")
	// Moving a field keeps its group and its choice (the move re-PUTs it).
	p.click(`#fields tr[data-service="f17"] button[aria-label="Lên"]`)
	p.wait(`document.querySelector('#fields tbody tr:nth-child(16)').dataset.service === 'f17'`, "f17 one up")
	for deadline := time.Now().Add(10 * time.Second); ; {
		sv := services(t, srv)["f17"]
		if sv.Order == 160 {
			if sv.Group == nil || sv.Group.Vi != "Dịch vụ hỗ trợ" || !sv.AcceptUnserved {
				t.Fatalf("after a move: %+v group %+v", sv, sv.Group)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("f17 never moved: order %d", sv.Order)
		}
		time.Sleep(50 * time.Millisecond)
	}

	p.open("/admin#counters")
	p.wait(`document.querySelectorAll('#counters tbody tr').length === 40`, "40 counters")
	p.waitText("#counters-unserved", "2 lĩnh vực chưa có quầy nào phục vụ")
	for _, s := range sizes {
		p.screenshot("admin-counters-40", s[0], s[1])
	}

	p.open("/admin#dashboard")
	p.wait(`document.querySelector('#dash-fields') && document.querySelectorAll('#dash-counters tbody tr').length === 40`, "the dashboard")
	p.waitText("#stat-open", "11 / 40")
	if n := eval[int](p, `document.querySelectorAll('#dash-fields [data-warn="no-counter"]').length`); n != 2 {
		t.Errorf("dashboard: %d fields warned of no counter, want 2", n)
	}
	for _, s := range sizes {
		p.screenshot("dashboard-25x40", s[0], s[1])
	}
}

// TestConsoleStaffsItsCounter: a clerk signing in at the console attaches
// to the counter (the dashboard counts it open); signing out leaves it to
// close after the grace, and the dashboard follows within 2 s. Names
// changed in /admin reach the console and the dashboard at once.
func TestConsoleStaffsItsCounter(t *testing.T) {
	clock := &pastClock{}
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, Clock: clock})
	dash := newTab(t, srv)
	openAdmin(dash, "dashboard")
	dash.waitText("#stat-open", "0 / 8")

	clerk := newTab(t, srv)
	openConsole(clerk, "canbo1")
	waitAttached(t, srv, "q1", 1)
	dash.waitFor(`document.querySelector('#stat-open').textContent.includes('1 / 8')`, "1 of 8 open", 2*time.Second)

	// Live names: the counter and a field renamed in /admin.
	admin := srv.Client(srv.AdminToken())
	ctx := context.Background()
	cs, err := srv.App.Engine.Counter("q1")
	if err != nil {
		t.Fatal(err)
	}
	c := cs.Counter
	c.Name.Vi = "Quầy 1 – Đất đai, Tài nguyên"
	if _, err := admin.Do(ctx, "PUT", "/api/v1/counters/q1", c, nil, nil); err != nil {
		t.Fatal(err)
	}
	clerk.waitFor(`document.querySelector('#counter-title').textContent === 'Quầy 1 – Đất đai, Tài nguyên'`, "the console's new counter name", 2*time.Second)
	sv := services(t, srv)["dat-dai"]
	sv.Name.Vi = "Sở Tài nguyên và Môi trường – Đất đai"
	if _, err := admin.Do(ctx, "PUT", "/api/v1/services/dat-dai", sv, nil, nil); err != nil {
		t.Fatal(err)
	}
	dash.waitFor(`document.querySelector('#dash-fields tr[data-service="dat-dai"]').textContent.includes('Sở Tài nguyên và Môi trường – Đất đai')`, "the dashboard's new field name", 2*time.Second)

	// The clerk signs out: the console's websocket goes; after the grace
	// the counter closes and the dashboard says so.
	clerk.click("#logout")
	waitAttached(t, srv, "q1", 0)
	clock.set(-queue.DefaultStaffGrace)
	if err := srv.App.Engine.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	dash.waitFor(`document.querySelector('#stat-open').textContent.includes('0 / 8')`, "0 of 8 open", 2*time.Second)
}

// waitAttached polls until n consoles are attached to counter id.
func waitAttached(t *testing.T, srv *servertest.Server, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.App.Engine.Attached(id) != n {
		if time.Now().After(deadline) {
			t.Fatalf("counter %s: %d consoles attached, want %d", id, srv.App.Engine.Attached(id), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
