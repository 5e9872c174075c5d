package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/kiosk/internal/app"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// bigCentre is a provincial centre's fields, the longest real names first:
// (department group, field name). "" is a field without a group.
var bigCentre = [][2]string{
	{"Công an, tư pháp, nội vụ", "Công an tỉnh – Phòng Cảnh sát quản lý hành chính về trật tự xã hội"},
	{"Hỗ trợ, bưu chính, phản ánh", "Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)"},
	{"Nông nghiệp, tài nguyên, môi trường", "Sở Nông nghiệp và Phát triển nông thôn"},
	{"Lao động, y tế, giáo dục", "Sở Lao động – Thương binh và Xã hội"},
	{"Nông nghiệp, tài nguyên, môi trường", "Sở Tài nguyên và Môi trường"},
	{"Kinh doanh, đầu tư, thuế", "Sở Kế hoạch và Đầu tư – Đăng ký kinh doanh"},
	{"Văn hóa, thông tin, khoa học", "Sở Văn hóa, Thể thao và Du lịch"},
	{"", "Trả kết quả giải quyết thủ tục hành chính"},
	{"Xây dựng, giao thông, công thương", "Sở Giao thông vận tải"},
	{"Công an, tư pháp, nội vụ", "Sở Tư pháp – Công chứng, chứng thực"},
	{"Văn hóa, thông tin, khoa học", "Sở Thông tin và Truyền thông"},
	{"Văn hóa, thông tin, khoa học", "Sở Khoa học và Công nghệ"},
	{"Lao động, y tế, giáo dục", "Sở Giáo dục và Đào tạo"},
	{"Xây dựng, giao thông, công thương", "Sở Xây dựng – Giấy phép xây dựng"},
	{"Xây dựng, giao thông, công thương", "Điện lực tỉnh (cấp điện, hợp đồng mua bán điện)"},
	{"Lao động, y tế, giáo dục", "Sở Y tế – Hành nghề y, dược"},
	{"Hỗ trợ, bưu chính, phản ánh", "Hướng dẫn, hỗ trợ nộp hồ sơ trực tuyến"},
	{"Kinh doanh, đầu tư, thuế", "Ban Quản lý các khu công nghiệp tỉnh"},
	{"Lao động, y tế, giáo dục", "Bảo hiểm xã hội – Thu, cấp sổ bảo hiểm"},
	{"Kinh doanh, đầu tư, thuế", "Sở Tài chính"},
	{"Công an, tư pháp, nội vụ", "Sở Nội vụ – Thi đua, khen thưởng"},
	{"Xây dựng, giao thông, công thương", "Sở Công Thương – An toàn thực phẩm"},
	{"Kinh doanh, đầu tư, thuế", "Cục Thuế tỉnh – Thuế đất, lệ phí trước bạ"},
	{"Văn hóa, thông tin, khoa học", "Sở Ngoại vụ"},
	{"Nông nghiệp, tài nguyên, môi trường", "Văn phòng Đăng ký đất đai"},
	{"Lao động, y tế, giáo dục", "Việc làm, bảo hiểm thất nghiệp"},
	{"Nông nghiệp, tài nguyên, môi trường", "Tài nguyên nước, khoáng sản"},
	{"Xây dựng, giao thông, công thương", "Giấy phép lái xe"},
	{"Công an, tư pháp, nội vụ", "Lý lịch tư pháp"},
	{"Lao động, y tế, giáo dục", "Thẻ bảo hiểm y tế"},
	{"Kinh doanh, đầu tư, thuế", "Dự án đầu tư"},
	{"Nông nghiệp, tài nguyên, môi trường", "Chăn nuôi, thú y"},
	{"Xây dựng, giao thông, công thương", "Nhà ở, kinh doanh bất động sản"},
	{"Lao động, y tế, giáo dục", "Khám sức khỏe, giám định y khoa"},
	{"Công an, tư pháp, nội vụ", "Cấp căn cước, định danh điện tử"},
	{"Lao động, y tế, giáo dục", "Người có công, bảo trợ xã hội"},
	{"Công an, tư pháp, nội vụ", "Hộ tịch, quốc tịch"},
	{"Kinh doanh, đầu tư, thuế", "Hóa đơn, đăng ký thuế"},
	{"Nông nghiệp, tài nguyên, môi trường", "Môi trường – Đánh giá tác động"},
	{"Hỗ trợ, bưu chính, phản ánh", "Tiếp nhận phản ánh, kiến nghị"},
}

// bigServices is the first n fields of bigCentre, open, with people waiting;
// grouped gives them their groups.
func bigServices(n int, grouped bool) []protocol.Service {
	var out []protocol.Service
	for i, f := range bigCentre[:n] {
		s := protocol.Service{ID: fmt.Sprintf("f%02d", i+1), Prefix: string(rune('A' + i%26)), Name: protocol.Text{Vi: f[1], En: f[1]},
			Open: true, Enabled: true, Waiting: (i * 7) % 13, Order: i}
		if grouped && f[0] != "" {
			s.Group = &protocol.Text{Vi: f[0], En: f[0]}
		}
		out = append(out, s)
	}
	return out
}

var screenSizes = map[string]fyne.Size{
	"landscape": fyne.NewSize(1920, 1080),
	"portrait":  fyne.NewSize(1080, 1920),
	"small":     fyne.NewSize(1366, 768),
}

// layoutRig is a kiosk UI for layout tests: no server (the fields come
// from showFields), a printer into a folder.
func layoutRig(t *testing.T, size fyne.Size) *rig {
	t.Helper()
	pr, err := printer.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	sp, err := spool.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New("http://127.0.0.1:9", "unused")
	if err != nil {
		t.Fatal(err)
	}
	k, err := app.New(app.Options{Client: c, Printer: pr, Spool: sp})
	if err != nil {
		t.Fatal(err)
	}
	k.SetFields(protocol.Centre{Name: protocol.Text{Vi: "Trung tâm Phục vụ hành chính công tỉnh (trình diễn)", En: "Provincial Public Administrative Service Centre (demo)"}}, nil)
	a := test.NewTempApp(t)
	u, err := New(a, k, Options{Idle: time.Hour, Confirm: time.Hour, Voice: nopVoice{}})
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, u.Content())
	w.Resize(size)
	return &rig{k: k, u: u, w: w}
}

// showFields puts svcs on r's home screen as the server would send them.
func (r *rig) showFields(svcs []protocol.Service) {
	st := r.k.State()
	st.Services, st.Online, st.Known = svcs, true, true
	r.u.setState(st)
}

// checkTiles fails when a shown tile's text is cut, overflows its tile or
// is smaller than 26 px, or when two shown tiles overlap, or a tile is
// smaller than a 15 mm touch target.
func checkTiles(t *testing.T, u *UI) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	v := u.home.shown()
	var boxes []fyne.Position
	var sizes []fyne.Size
	var disc fyne.Size
	for i, tl := range v.tiles {
		p, s := tl.Position(), tl.Size()
		if s.Width < 200 || s.Height < tileMinH {
			t.Errorf("tile %s is %v, under a 15 mm target", v.ids[i], s)
		}
		for j := range boxes {
			q, z := boxes[j], sizes[j]
			if p.X < q.X+z.Width && q.X < p.X+s.Width && p.Y < q.Y+z.Height && q.Y < p.Y+s.Height {
				t.Errorf("tiles %s and %s overlap", v.ids[i], v.ids[j])
			}
		}
		boxes, sizes = append(boxes, p), append(sizes, s)
		f := tl.r.titleFit
		if f.size < 26 {
			t.Errorf("tile %s: title at %v px", v.ids[i], f.size)
		}
		if got := strings.ReplaceAll(strings.Join(f.lines, " "), nbsp, " "); got != strings.Join(strings.Fields(tl.title), " ") {
			t.Errorf("tile %s shows %q, want %q", v.ids[i], got, tl.title)
		}
		for _, o := range tl.r.objs[1:] {
			if o.Position().X < 0 || o.Position().Y < 0 || o.Position().Y+o.Size().Height > s.Height+1 {
				t.Errorf("tile %s: a line at %v+%v leaves the %v tile", v.ids[i], o.Position(), o.Size(), s)
			}
		}
		if f.w > s.Width-36+1 {
			t.Errorf("tile %s: title %v wide in a %v tile", v.ids[i], f.w, s.Width)
		}
		// One size of key disc per page.
		for _, o := range tl.r.objs {
			if c, ok := o.(*canvas.Circle); ok {
				if disc == (fyne.Size{}) {
					disc = c.Size()
				} else if c.Size() != disc {
					t.Errorf("tile %s: key disc %v, another on the page is %v", v.ids[i], c.Size(), disc)
				}
			}
		}
	}
}

// TestHomeSizes: 4 to 40 fields with the longest real names, in the three
// screen sizes, with and without groups: every tile a whole, readable
// name, no overlap, large targets; the goldens show them.
func TestHomeSizes(t *testing.T) {
	goldens := map[string]bool{
		"4-landscape": true, "9-landscape": true, "9-portrait": true, "16-portrait": true, "16-small": true,
		"25-landscape": true, "25-portrait": true, "40-landscape": true, "40-portrait": true, "40-small": true,
		"25-landscape-groups": true, "40-landscape-groups": true, "40-portrait-groups": true, "40-small-groups": true,
	}
	for _, n := range []int{4, 9, 16, 25, 40} {
		for _, grouped := range []bool{false, true} {
			for _, o := range []string{"landscape", "portrait", "small"} {
				name := fmt.Sprintf("%d-%s", n, o)
				if grouped {
					name += "-groups"
				}
				t.Run(name, func(t *testing.T) {
					r := layoutRig(t, screenSizes[o])
					r.showFields(bigServices(n, grouped))
					checkTiles(t, r.u)
					if goldens[name] {
						sz := screenSizes[o]
						golden(t, r.w, fmt.Sprintf("home-%s-%dx%d.png", name, int(sz.Width), int(sz.Height)))
					}
					if *update && (n == 25 || n == 40) { // the docs' screenshots
						docShot(t, r.w, "kiosk-home-"+name+".png")
						if n == 40 && grouped {
							r.u.mu.Lock()
							first := r.u.home.shown().ids[0]
							r.u.mu.Unlock()
							if g, ok := strings.CutPrefix(first, "group:"); ok {
								test.Tap(r.u.groups[g])
								docShot(t, r.w, "kiosk-home-"+name+"-open.png")
								test.Tap(r.button(t, "group-back"))
							}
						}
					}
					reachAll(t, r, n)
				})
			}
		}
	}
}

// docShot writes a capture of w to docs/screenshots/name.
func docShot(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	writePNG(t, filepath.Join("..", "..", "..", "docs", "screenshots", name), w.Canvas().Capture())
}

// reachAll checks that every field is reachable in at most two taps from
// the home screen (a group or a page, then the field), and checks every
// screen on the way.
func reachAll(t *testing.T, r *rig, n int) {
	t.Helper()
	reachAllIn(t, r, n, 1)
}

// reachAllIn is reachAll with at most maxTaps taps before a field's own
// (large text shows fewer tiles on a page: a field may be two page turns
// away).
func reachAllIn(t *testing.T, r *rig, n, maxTaps int) {
	t.Helper()
	seen := map[string]int{} // field id -> taps to show its tile
	shown := func() view {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.home.shown()
	}
	visit := func(taps int) view {
		v := shown()
		checkTiles(t, r.u)
		for _, id := range v.ids {
			if old, ok := seen[id]; !strings.HasPrefix(id, "group:") && (!ok || taps < old) {
				seen[id] = taps
			}
		}
		return v
	}
	page := func(p int) {
		if shown().page == p {
			return
		}
		r.u.mu.Lock()
		b := r.u.buttons[fmt.Sprintf("page-%d", p+1)]
		g := r.u.nav.group
		r.u.mu.Unlock()
		if b != nil && p < 12 && b.Visible() && b.Position() != (fyne.Position{}) {
			test.Tap(b)
		} else { // more pages than buttons: the keypad's + turns them
			r.u.tapNav(nav{group: g, page: p})
		}
	}
	top := visit(0)
	for p := range top.pages {
		page(p)
		tp := 0
		if p > 0 {
			tp = 1
		}
		v := visit(tp)
		for _, id := range v.ids {
			g, ok := strings.CutPrefix(id, "group:")
			if !ok {
				continue
			}
			test.Tap(r.u.groups[g])
			gv := visit(tp + 1)
			if gv.mode != "group" {
				t.Fatalf("tap on group %s: mode %s", g, gv.mode)
			}
			for q := 1; q < gv.pages; q++ {
				page(q)
				visit(tp + 2)
			}
			test.Tap(r.button(t, "group-back"))
			page(p)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d of %d fields reachable", len(seen), n)
	}
	for id, taps := range seen {
		if taps > maxTaps {
			t.Errorf("field %s needs %d taps before its own", id, taps)
		}
	}
}
