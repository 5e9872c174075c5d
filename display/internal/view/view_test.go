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

func fixtureBoard(counters int) protocol.Board {
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
	for i, n := range names {
		id := fmt.Sprintf("s%d", i)
		b.Services = append(b.Services, protocol.Service{ID: id, Prefix: string(rune('A' + i)), Name: n, Enabled: true, Order: i})
		b.Waiting[id] = 3 * i
	}
	for i := 1; i <= counters; i++ {
		c := protocol.Counter{ID: fmt.Sprintf("q%d", i), Number: i, Name: protocol.Text{Vi: fmt.Sprintf("Quầy %d", i)}, Status: protocol.CounterOpen}
		cs := protocol.CounterState{Counter: c}
		if i%5 != 0 {
			t := protocol.Ticket{ID: fmt.Sprintf("t%d", i), Code: fmt.Sprintf("%c%03d", 'A'+(i-1)%4, 10+i), Status: protocol.StatusCalled, CounterID: c.ID}
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
		Waiting: []Row{{Left: "A · Đất đai", Right: "0"}, {Left: "B · Tư pháp – Hộ tịch", Right: "3"},
			{Left: "C · Đăng ký kinh doanh", Right: "6"}, {Left: "D · Xây dựng", Right: "9"}},
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
			if m.Offline == "" || m.HeroCode != "C013" || len(m.Tiles) != 4 {
				return fmt.Sprintf("%+v", m)
			}
			return ""
		}},
		{"refused token", b, Input{Lang: "vi", Now: at, Refused: true}, func(m Model) string {
			if !strings.Contains(m.Offline, "từ chối") {
				return m.Offline
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
		n          int
		w, h       float32
		cols, rows int
	}{
		{0, 1000, 500, 0, 0},
		{1, 1200, 500, 1, 1},
		{4, 1200, 500, 2, 2},
		{8, 1200, 500, 3, 3},
		{30, 1200, 500, 6, 5},
		{40, 1200, 500, 7, 6},
		{40, 800, 300, 7, 6},
	} {
		cols, rows := Grid(c.n, c.w, c.h)
		if cols != c.cols || rows != c.rows {
			t.Errorf("Grid(%d, %v, %v) = %d×%d, want %d×%d", c.n, c.w, c.h, cols, rows, c.cols, c.rows)
		}
		if c.n > 0 && cols*rows < c.n {
			t.Errorf("Grid(%d) has room for %d only", c.n, cols*rows)
		}
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
	for _, c := range []struct {
		name     string
		counters int
		in       Input
	}{
		{"board-4.png", 4, Input{Lang: "vi", Now: at, Online: true}},
		{"board-30.png", 30, Input{Lang: "vi", Now: at, Online: true}},
		{"board-4-flash-en.png", 4, Input{Lang: "en", Now: at, Online: true, FlashUntil: at.Add(time.Second), FlashOn: true}},
		{"board-8-offline.png", 8, Input{Lang: "vi", Now: at}},
		{"board-empty.png", 0, Input{Lang: "vi", Now: at, Online: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, win := render(t, Build(fixtureBoard(c.counters), c.in), 1280, 720)
			golden(t, c.name, win)
		})
	}
}

// TestBoardFitsText: at both TV sizes and with 40 counters, no text leaves
// its window, and ticket codes stay big enough to read across a hall.
func TestBoardFitsText(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1920, Height: 1080}, {Width: 1280, Height: 720}} {
		for _, n := range []int{1, 4, 30, 40} {
			b, _ := render(t, Build(fixtureBoard(n), Input{Lang: "vi", Now: at, Online: true}), size.Width, size.Height)
			r := b.r
			smallestCode := float32(1e9)
			for _, o := range r.objs {
				tx, ok := o.(*canvas.Text)
				if !ok || tx == r.noticeText {
					continue
				}
				p, s := tx.Position(), tx.Size()
				if p.X < 0 || p.Y < 0 || p.X+s.Width > size.Width+0.5 || p.Y+s.Height > size.Height+0.5 {
					t.Errorf("%v, %d counters: %q at %v size %v leaves the window", size, n, tx.Text, p, s)
				}
				if tx.TextStyle.Bold && tx.Color == colCode && tx.TextSize < smallestCode {
					smallestCode = tx.TextSize
				}
			}
			// 1/40 of the screen height: about 27 px at 1080p, a 7 cm
			// glyph on a 55" TV, readable at 10 m.
			if min := size.Height / 40; smallestCode < min {
				t.Errorf("%v, %d counters: smallest code text %.0f px < %.0f", size, n, smallestCode, min)
			}
		}
	}
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
	if m := b.Model(); m.Flash || m.Lang != "vi" || m.Offline != "" {
		t.Fatalf("after a snapshot: flash %v lang %s offline %q", m.Flash, m.Lang, m.Offline)
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
	if m := b.Model(); m.Offline == "" || m.HeroCode == "" {
		t.Fatalf("offline: mark %q, hero %q", m.Offline, m.HeroCode)
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
	c.Tick(at.Add(10 * time.Second)) // same minute
	if n != 0 {
		t.Fatalf("%d repaints for an unchanged frame", n)
	}
	c.Tick(at.Add(time.Minute)) // the clock changes
	if n != 1 {
		t.Fatalf("%d repaints when the clock changed, want 1", n)
	}
}
