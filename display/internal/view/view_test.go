package view

import (
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/server/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// at is a Sunday morning in Hà Nội.
var at = time.Date(2026, 11, 29, 2, 5, 0, 0, time.UTC)

// bigNames are the fields of a provincial centre, the longest real names.
var bigNames = []string{
	"Đất đai", "Tư pháp – Hộ tịch", "Đăng ký kinh doanh", "Xây dựng",
	"Sở Lao động – Thương binh và Xã hội", "Sở Nông nghiệp và Phát triển nông thôn",
	"Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)", "Sở Tài nguyên và Môi trường",
	"Sở Giao thông vận tải", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
	"Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Văn hoá, Thể thao và Du lịch",
	"Sở Khoa học và Công nghệ", "Sở Thông tin và Truyền thông", "Sở Nội vụ",
	"Ban Quản lý các khu công nghiệp", "Công an tỉnh – Xuất nhập cảnh", "Bảo hiểm xã hội",
	"Cục Thuế tỉnh", "Điện lực", "Trả kết quả", "Hướng dẫn, tiếp nhận phản ánh",
}

func fixtureBoard(counters int) protocol.Board { return fixtureCentre(counters, 4) }

// fixtureCentre is a board with counters counters (every fifth idle, the
// fourth paused, every seventh serving an offline ticket "X5001…") and
// fields fields; beyond 4 fields the names are bigNames.
func fixtureCentre(counters, fields int) protocol.Board {
	b := protocol.Board{
		Seq: 40, Epoch: "e1",
		Waiting: map[string]int{},
		Centre: &protocol.Centre{
			Name:     protocol.Text{Vi: "Trung tâm Phục vụ hành chính công tỉnh", En: "Provincial Public Service Centre"},
			TimeZone: "Asia/Ho_Chi_Minh",
			Notice:   protocol.Text{Vi: "Ưu tiên người cao tuổi, người khuyết tật.", En: "Priority for the elderly and disabled."},
		},
	}
	names := []protocol.Text{{Vi: "Đất đai", En: "Land"}, {Vi: "Tư pháp – Hộ tịch", En: "Justice – Civil status"},
		{Vi: "Đăng ký kinh doanh", En: "Business registration"}, {Vi: "Xây dựng", En: "Construction"}}
	for i := 4; i < fields; i++ {
		names = append(names, protocol.Text{Vi: bigNames[i%len(bigNames)]})
	}
	for i, n := range names[:fields] {
		id := fmt.Sprintf("s%d", i)
		b.Services = append(b.Services, protocol.Service{ID: id, Prefix: string(rune('A' + i)), Name: n, Enabled: true, Order: i})
		b.Waiting[id] = 3*i + i%4
	}
	for i := 1; i <= counters; i++ {
		c := protocol.Counter{ID: fmt.Sprintf("q%d", i), Number: i, Name: protocol.Text{Vi: fmt.Sprintf("Quầy %d", i)}, Status: protocol.CounterOpen}
		cs := protocol.CounterState{Counter: c}
		if i%5 != 0 {
			code := fmt.Sprintf("%c%03d", 'A'+(i-1)%fields, 10+i)
			if counters > 4 && i%7 == 3 {
				code = fmt.Sprintf("%c%d", 'A'+(i-1)%fields, 5000+i)
			}
			t := protocol.Ticket{ID: fmt.Sprintf("t%d", i), Code: code, Status: protocol.StatusCalled, CounterID: c.ID}
			cs.Current = &t
		}
		if i == 4 {
			cs.Counter.Status = protocol.CounterPaused
			cs.Current = nil
		}
		b.Counters = append(b.Counters, cs)
	}
	for i := min(counters, 9); i >= 1; i-- {
		cs := b.Counters[i-1]
		if cs.Current == nil {
			continue
		}
		b.Recent = append(b.Recent, protocol.Call{Ticket: *cs.Current, Counter: cs.Counter, At: at.Add(-time.Duration(i) * time.Minute), Recall: i == 2})
	}
	return b
}

func TestBuild(t *testing.T) {
	b := fixtureBoard(4)
	m := Build(b, Input{Lang: "vi", Now: at, Online: true, FlashUntil: at.Add(time.Second), FlashOn: true})
	want := Model{
		Lang: "vi", Title: "Trung tâm Phục vụ hành chính công tỉnh", Date: "Chủ nhật, 29/11/2026", Clock: "09:05",
		HeroCaption: "Mời công dân có số", HeroCode: "C013", HeroCounter: "Quầy 3", Flash: true,
		CountersTitle: "Các quầy đang phục vụ",
		Tiles: []Tile{
			{Number: "1", Label: "Quầy 1", Code: "A011"},
			{Number: "2", Label: "Quầy 2", Code: "B012"},
			{Number: "3", Label: "Quầy 3", Code: "C013", Newest: true},
			{Number: "4", Label: "Quầy 4", Code: "Tạm dừng", Paused: true},
		},
		RecentTitle:  "Số vừa gọi",
		Recent:       []Row{{Left: "B012", Right: "Quầy 2", Recall: true}, {Left: "A011", Right: "Quầy 1"}},
		WaitingTitle: "Đang chờ",
		Waiting: []Row{{Left: "A · Đất đai", Right: "0"}, {Left: "B · Tư pháp – Hộ tịch", Right: "4"},
			{Left: "C · Đăng ký kinh doanh", Right: "8"}, {Left: "D · Xây dựng", Right: "12"}},
		Notice: "Ưu tiên người cao tuổi, người khuyết tật.",
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("Build:\n got %+v\nwant %+v", m, want)
	}

	cases := []struct {
		name  string
		board protocol.Board
		in    Input
		check func(Model) string
	}{
		{"english", b, Input{Lang: "en", Now: at, Online: true}, func(m Model) string {
			if m.Date != "Sunday, 29 November 2026" || m.HeroCounter != "Counter 3" || m.HeroCaption != "Now serving number" || m.Notice != "Priority for the elderly and disabled." || m.Tiles[3].Code != "Paused" {
				return fmt.Sprintf("%+v", m)
			}
			return ""
		}},
		{"unknown language is Vietnamese", b, Input{Lang: "fr", Now: at, Online: true}, func(m Model) string {
			if m.Lang != "vi" {
				return m.Lang
			}
			return ""
		}},
		{"offline keeps the board", b, Input{Lang: "vi", Now: at}, func(m Model) string {
			if len(m.Banners) != 1 || m.Banners[0].Kind != BannerAlert || !strings.Contains(m.Banners[0].Text, "Mất kết nối máy chủ") || m.HeroCode != "C013" || len(m.Tiles) != 4 {
				return fmt.Sprintf("%+v", m)
			}
			return ""
		}},
		{"refused token", b, Input{Lang: "vi", Now: at, Refused: true}, func(m Model) string {
			if len(m.Banners) != 1 || !strings.Contains(m.Banners[0].Text, "từ chối") {
				return fmt.Sprint(m.Banners)
			}
			return ""
		}},
		{"server cannot save", b, Input{Lang: "vi", Now: at, Online: true, StorageDown: true}, func(m Model) string {
			if len(m.Banners) != 1 || m.Banners[0].Kind != BannerWarn || !strings.Contains(m.Banners[0].Text, "Máy chủ không lưu được dữ liệu") {
				return fmt.Sprint(m.Banners)
			}
			return ""
		}},
		{"offline beats cannot save", b, Input{Lang: "vi", Now: at, StorageDown: true}, func(m Model) string {
			if len(m.Banners) != 1 || m.Banners[0].Kind != BannerAlert {
				return fmt.Sprint(m.Banners)
			}
			return ""
		}},
		{"notices follow alerts", b, Input{Lang: "vi", Now: at, Notices: []string{"Hệ thống bảo trì lúc 17:00", ""}}, func(m Model) string {
			if len(m.Banners) != 2 || m.Banners[1] != (Banner{Kind: BannerNotice, Text: "Hệ thống bảo trì lúc 17:00"}) {
				return fmt.Sprint(m.Banners)
			}
			return ""
		}},
		{"blinking ends", b, Input{Lang: "vi", Now: at, Online: true, FlashUntil: at, FlashOn: true}, func(m Model) string {
			if m.Flash {
				return "still flashing"
			}
			return ""
		}},
		{"recall caption", func() protocol.Board {
			b := fixtureBoard(4)
			b.Recent[0].Recall = true
			return b
		}(), Input{Lang: "vi", Now: at, Online: true}, func(m Model) string {
			if m.HeroCaption != "Xin nhắc lại số" {
				return m.HeroCaption
			}
			return ""
		}},
		{"empty board", protocol.Board{}, Input{Lang: "vi", Now: at}, func(m Model) string {
			if m.HeroCode != "" || m.Empty == "" || m.Title == "" || len(m.Recent) != 0 || m.Clock != "02:05" {
				return fmt.Sprintf("%+v", m)
			}
			return ""
		}},
		{"closed counters hidden, unnamed fields kept", func() protocol.Board {
			b := fixtureBoard(4)
			b.Counters[0].Counter.Status = protocol.CounterClosed
			b.Counters[0].Current = nil
			b.Waiting["zz"] = 2
			return b
		}(), Input{Lang: "vi", Now: at}, func(m Model) string {
			if len(m.Tiles) != 3 || m.Tiles[0].Label != "Quầy 2" || m.Waiting[len(m.Waiting)-1] != (Row{Left: "zz", Right: "2"}) {
				return fmt.Sprintf("%+v %+v", m.Tiles, m.Waiting)
			}
			return ""
		}},
		{"recent list is bounded", fixtureBoard(30), Input{Lang: "vi", Now: at}, func(m Model) string {
			if len(m.Recent) != RecentShown-0 && len(m.Recent) > RecentShown {
				return fmt.Sprint(len(m.Recent))
			}
			if len(m.Tiles) != 30 {
				return fmt.Sprint(len(m.Tiles))
			}
			return ""
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := c.check(Build(c.board, c.in)); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestGrid(t *testing.T) {
	for _, c := range []struct {
		n                    int
		w, h                 float32
		cols, rows, pages    int
		per                  int
		minSize, wantAtLeast float32
	}{
		{0, 1000, 500, 0, 0, 0, 0, 10, 0},
		{1, 1200, 500, 1, 1, 1, 1, 10, 100},
		{4, 1200, 500, 2, 2, 1, 4, 10, 100},
		{8, 1200, 500, 3, 3, 1, 8, 10, 50},
		{30, 1200, 500, 6, 5, 1, 30, 10, 10},
		// Too many for the floor: pages, each at least the floor.
		{40, 1120, 600, 4, 4, 3, 14, 58, 58},
		{40, 1120, 600, 7, 6, 1, 40, 30, 30},
		{25, 300, 120, 1, 1, 25, 1, 58, 58},
	} {
		g := Grid(c.n, c.w, c.h, 8, 4, 2.15, c.minSize, 200)
		if g.Cols != c.cols || g.Rows != c.rows || g.Pages != c.pages || g.PerPage != c.per {
			t.Errorf("Grid(%d, %v, %v) = %+v, want %d×%d, %d pages of %d", c.n, c.w, c.h, g, c.cols, c.rows, c.pages, c.per)
		}
		if c.n > 0 && (g.Cols*g.Rows < g.PerPage || g.Pages*g.PerPage < c.n || g.Size < c.wantAtLeast) {
			t.Errorf("Grid(%d) = %+v: too small or not room for all", c.n, g)
		}
	}
}

func TestWrapAndPage(t *testing.T) {
	test.NewTempApp(t)
	lines := wrapText("Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)", 20, fyne.TextStyle{}, 300, fyne.MeasureText)
	if len(lines) < 2 || strings.Join(lines, " ") != "Bưu điện (nhận, gửi hồ sơ qua bưu chính công ích)" {
		t.Fatalf("wrapped %q", lines)
	}
	for _, l := range lines {
		if w := fyne.MeasureText(l, 20, fyne.TextStyle{}).Width; w > 300 {
			t.Errorf("line %q is %v wide", l, w)
		}
	}
	rows := []waitRow{{h: 50}, {h: 50}, {h: 100}, {h: 50}, {h: 50}}
	pages := pageRows(rows, 160)
	n := 0
	for _, p := range pages {
		sum := float32(0)
		for _, r := range p {
			sum += r.h
			n++
		}
		if sum > 160 {
			t.Errorf("page of %v px > 160", sum)
		}
	}
	if n != len(rows) || len(pages) != 3 {
		t.Errorf("%d rows on %d pages: %v", n, len(pages), pages)
	}
}

// render draws m on a test window of the given size with the display theme.
func render(t *testing.T, m Model, w, h float32) (*Board, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	th, err := NewTheme()
	if err != nil {
		t.Fatal(err)
	}
	a.Settings().SetTheme(th)
	b := NewBoard()
	win := test.NewWindow(b)
	t.Cleanup(win.Close)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	b.Set(m)
	return b, win
}

func golden(t *testing.T, name string, win fyne.Window) {
	t.Helper()
	img := win.Canvas().Capture()
	if *update {
		f, err := os.Create(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertImageMatches(t, name, img)
}

func TestBoardGolden(t *testing.T) {
	online := Input{Lang: "vi", Now: at, Online: true}
	for _, c := range []struct {
		name             string
		counters, fields int
		in               Input
		w, h             float32
	}{
		{"board-4.png", 4, 4, online, 1280, 720},
		{"board-4-flash-en.png", 4, 4, Input{Lang: "en", Now: at, Online: true, FlashUntil: at.Add(time.Second), FlashOn: true}, 1280, 720},
		{"board-8-offline.png", 8, 4, Input{Lang: "vi", Now: at}, 1280, 720},
		{"board-empty.png", 0, 4, online, 1280, 720},
		{"board-4x8-1080.png", 4, 8, online, 1920, 1080},
		{"board-32x25-1080.png", 32, 25, online, 1920, 1080},
		{"board-40x25-1080.png", 40, 25, online, 1920, 1080},
		{"board-40x25-page2-1080.png", 40, 25, Input{Lang: "vi", Now: at, Online: true, Page: 1}, 1920, 1080},
		{"board-40x25-offline-1080.png", 40, 25, Input{Lang: "vi", Now: at}, 1920, 1080},
		{"board-40x25-storage-720.png", 40, 25, Input{Lang: "vi", Now: at, Online: true, StorageDown: true}, 1280, 720},
		{"board-40x25-disruption-1080.png", 40, 25, online, 1920, 1080},
		{"board-40x25-disruption-720.png", 40, 25, online, 1280, 720},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := fixtureCentre(c.counters, c.fields)
			if strings.Contains(c.name, "disruption") {
				b.Disruptions = []protocol.Disruption{{ID: "d1", Cause: "one_stop_software", CounterIDs: []string{b.Counters[1].Counter.ID, b.Counters[4].Counter.ID}, StartedAt: at}}
			}
			_, win := render(t, Build(b, c.in), c.w, c.h)
			golden(t, c.name, win)
		})
	}
}

// texts returns the board's text objects but the scrolling notice.
func texts(b *Board) []*canvas.Text {
	var out []*canvas.Text
	for _, o := range b.r.objs {
		if tx, ok := o.(*canvas.Text); ok && tx != b.r.noticeText {
			out = append(out, tx)
		}
	}
	return out
}

// TestBoardFitsText: at both TV sizes, from 1 to 40 counters and 4 to 25
// fields, with and without banners: no text leaves the window or overlaps
// another, codes and waiting names never go below their floors, every
// counter and field is on some page, and the banner strip pushes the board
// down instead of covering it.
func TestBoardFitsText(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1920, Height: 1080}, {Width: 1280, Height: 720}} {
		for _, c := range [][2]int{{1, 4}, {4, 8}, {30, 8}, {32, 25}, {40, 25}} {
			for _, online := range []bool{true, false} {
				name := fmt.Sprintf("%v, %d counters, %d fields, online %v", size, c[0], c[1], online)
				in := Input{Lang: "vi", Now: at, Online: online, Notices: []string{"Thông báo thử"}}
				board := fixtureCentre(c[0], c[1])
				m := Build(board, in)
				b, _ := render(t, m, size.Width, size.Height)
				u := size.Height / 100
				pages := max(b.r.tilePages, b.r.waitPages, 1)
				labels, fields := map[string]bool{}, map[string]bool{}
				for p := range pages {
					m.Page = p
					b.Set(m)
					checkFrame(t, fmt.Sprintf("%s, page %d", name, p), b, m, size, u)
					for _, tx := range texts(b) {
						labels[tx.Text] = true
						fields[tx.Text] = true
					}
				}
				for _, tile := range m.Tiles {
					if !labels[tile.Label] {
						t.Errorf("%s: %s on no page", name, tile.Label)
					}
				}
				for _, w := range m.Waiting {
					// The first line of the name, wrapped or not, starts with its prefix.
					prefix, found := strings.Fields(w.Left)[0]+" · ", false
					for f := range fields {
						found = found || strings.HasPrefix(f, prefix)
					}
					if !found {
						t.Errorf("%s: waiting row %q on no page", name, w.Left)
					}
				}
			}
		}
	}
}

func checkFrame(t *testing.T, name string, b *Board, m Model, size fyne.Size, u float32) {
	t.Helper()
	txs := texts(b)
	stripEnd := 9*u + float32(len(m.Banners))*bannerH*u
	for i, tx := range txs {
		p, s := tx.Position(), tx.Size()
		if p.X < 0 || p.Y < 0 || p.X+s.Width > size.Width+0.5 || p.Y+s.Height > size.Height+0.5 {
			t.Errorf("%s: %q at %v size %v leaves the window", name, tx.Text, p, s)
		}
		inStrip := p.Y >= 9*u-0.5 && p.Y < stripEnd
		isBanner := strings.HasPrefix(tx.Text, "⚠ ") || strings.HasPrefix(tx.Text, "ℹ ")
		if inStrip != isBanner {
			t.Errorf("%s: %q at %v: the banner strip ends at %v", name, tx.Text, p, stripEnd)
		}
		for _, o := range txs[i+1:] {
			q, z := o.Position(), o.Size()
			// A text's box includes its line spacing: allow a sliver.
			if p.X+1 < q.X+z.Width && q.X+1 < p.X+s.Width && p.Y+0.12*s.Height < q.Y+z.Height && q.Y+0.12*z.Height < p.Y+s.Height {
				t.Errorf("%s: %q at %v %v overlaps %q at %v %v", name, tx.Text, p, s, o.Text, q, z)
			}
		}
		if tx.TextStyle.Bold && tx.Color == colCode && tx.Text != "" && tx.Text[0] >= 'A' && tx.Text[0] <= 'Z' && tx.TextSize < CodeFloor*u-1 && !strings.HasSuffix(tx.Text, "↻") {
			// Codes in the recent list are smaller by design; the
			// tile codes and the hero are the main codes.
			if !isRecentCode(b, tx) {
				t.Errorf("%s: code %q at %.0f px < floor %.0f", name, tx.Text, tx.TextSize, CodeFloor*u)
			}
		}
		if !tx.TextStyle.Bold && tx.Color == colText && tx.TextSize < waitFloor*u-1 {
			t.Errorf("%s: %q at %.0f px, below the floor %.0f", name, tx.Text, tx.TextSize, waitFloor*u)
		}
	}
	// The hero: the code and the arrow are apart by at least a third of
	// the code's size.
	var code, arrow *canvas.Text
	for _, tx := range txs {
		if tx.Text == m.HeroCode && code == nil {
			code = tx
		}
		if strings.HasPrefix(tx.Text, "→ ") && tx.Text == "→ "+m.HeroCounter && arrow == nil {
			arrow = tx
		}
	}
	if m.HeroCode != "" {
		if code == nil || arrow == nil {
			t.Fatalf("%s: hero code or counter missing", name)
		}
		if gap := arrow.Position().X - (code.Position().X + code.Size().Width); gap < code.TextSize/3 {
			t.Errorf("%s: hero code %q and %q only %.0f px apart", name, code.Text, arrow.Text, gap)
		}
	}
}

// isRecentCode tells whether tx is in the recent-calls list (the right
// column's upper panel).
func isRecentCode(b *Board, tx *canvas.Text) bool {
	return tx.Position().X > 0.6*b.r.size.Width && tx.TextSize < 5*b.r.size.Height/100
}

func TestNoticeScrolls(t *testing.T) {
	b, _ := render(t, Build(fixtureBoard(4), Input{Lang: "vi", Now: at, Online: true}), 1280, 720)
	x0 := b.r.noticeText.Position().X
	b.Scroll(100)
	if x := b.r.noticeText.Position().X; x != x0-100 {
		t.Fatalf("notice at %v after scrolling 100 px from %v", x, x0)
	}
	// After a whole pass it enters again from the right.
	b.Scroll(1280 + b.r.noticeTextW)
	if x := b.r.noticeText.Position().X; x != x0-100 {
		t.Fatalf("notice at %v after a whole pass, want %v", x, x0-100)
	}
	// A new model keeps the position: the text does not jump back.
	b.Set(Build(fixtureBoard(5), Input{Lang: "vi", Now: at, Online: true}))
	if x := b.r.noticeText.Position().X; x != x0-100 {
		t.Fatalf("notice jumped to %v on update", x)
	}
}

// TestBoardRepaints: every change marks the board for repainting. The GL
// driver only redraws a canvas marked dirty, and the objects a rebuild
// creates are unknown to it, so without this a real window stays frozen on
// its first frame (the test driver paints on Capture and would not notice).
func TestBoardRepaints(t *testing.T) {
	b, _ := render(t, Build(fixtureBoard(4), Input{Lang: "vi", Now: at, Online: true}), 1280, 720)
	var marked []fyne.CanvasObject
	b.repaint = func(o fyne.CanvasObject) { marked = append(marked, o) }
	b.Set(Build(fixtureBoard(5), Input{Lang: "vi", Now: at, Online: true}))
	b.Scroll(10)
	if len(marked) != 2 || marked[0] != fyne.CanvasObject(b) || marked[1] != fyne.CanvasObject(b) {
		t.Fatalf("marked %v for repainting, want the board twice", marked)
	}
}

// TestController: a call blinks for FlashFor, a snapshot does not; the
// language alternates every AlternateEvery; offline shows the mark.
func TestController(t *testing.T) {
	b, _ := render(t, Model{}, 1280, 720)
	c := NewController(b, []string{"vi", "en"}, at)
	board := fixtureBoard(4)
	c.Update(board, protocol.Event{Type: protocol.EventSnapshot}, true, at)
	if m := b.Model(); m.Flash || m.Lang != "vi" || len(m.Banners) != 0 {
		t.Fatalf("after a snapshot: flash %v lang %s banners %v", m.Flash, m.Lang, m.Banners)
	}
	c.Update(board, protocol.Event{Type: protocol.EventTicketCalled}, true, at)
	if !b.Model().Flash {
		t.Fatal("a call does not blink")
	}
	c.Tick(at.Add(BlinkEvery))
	if b.Model().Flash {
		t.Fatal("no blink phase off")
	}
	c.Tick(at.Add(2 * BlinkEvery))
	if !b.Model().Flash {
		t.Fatal("no blink phase on")
	}
	c.Tick(at.Add(FlashFor + BlinkEvery/2))
	if b.Model().Flash {
		t.Fatal("still blinking after FlashFor")
	}
	c.Tick(at.Add(AlternateEvery + time.Second))
	if b.Model().Lang != "en" {
		t.Fatal("no English after AlternateEvery")
	}
	c.Tick(at.Add(2*AlternateEvery + time.Second))
	if b.Model().Lang != "vi" {
		t.Fatal("no Vietnamese again")
	}
	c.Update(board, protocol.Event{}, false, at.Add(2*AlternateEvery+time.Second))
	if m := b.Model(); len(m.Banners) == 0 || m.HeroCode == "" {
		t.Fatalf("offline: banners %v, hero %q", m.Banners, m.HeroCode)
	}
	c.Update(board, protocol.Event{}, true, at.Add(2*AlternateEvery+time.Second))
	c.SetStorageDown(true)
	if m := b.Model(); len(m.Banners) != 1 || m.Banners[0].Kind != BannerWarn {
		t.Fatalf("storage down: banners %v", m.Banners)
	}
	c.SetStorageDown(false)
	if m := b.Model(); len(m.Banners) != 0 {
		t.Fatalf("storage back: banners %v", m.Banners)
	}
	c.SetNotices([]string{"Bảo trì hệ thống lúc 17:00"})
	if m := b.Model(); len(m.Banners) != 1 || m.Banners[0].Kind != BannerNotice {
		t.Fatalf("notice: banners %v", m.Banners)
	}
	c.SetNotices(nil)
	// Pages turn every PageEvery.
	p0 := b.Model().Page
	c.Tick(at.Add(2*AlternateEvery + time.Second + PageEvery))
	if p := b.Model().Page; p != p0+1 {
		t.Fatalf("page %d after PageEvery, want %d", p, p0+1)
	}
}

// TestControllerSkipsSameFrame: a tick that changes nothing visible does not
// rebuild the board.
func TestControllerSkipsSameFrame(t *testing.T) {
	b, _ := render(t, Model{}, 1280, 720)
	c := NewController(b, []string{"vi"}, at)
	c.Update(fixtureBoard(4), protocol.Event{Type: protocol.EventSnapshot}, true, at)
	n := 0
	b.repaint = func(fyne.CanvasObject) { n++ }
	c.Tick(at.Add(5 * time.Second)) // same minute, same page
	if n != 0 {
		t.Fatalf("%d repaints for an unchanged frame", n)
	}
	c.Tick(at.Add(time.Minute)) // the clock changes
	if n != 1 {
		t.Fatalf("%d repaints when the clock changed, want 1", n)
	}
}
