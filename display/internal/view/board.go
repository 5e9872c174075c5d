package view

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Board is the hall display's one widget: it draws a Model scaled to the
// window (every size is a fraction of the window, so 1280×720 and
// 1920×1080 look alike) and scrolls the notice line. Call its methods on
// the Fyne thread only (fyne.Do from other goroutines).
type Board struct {
	widget.BaseWidget
	model Model
	// notice is how far the notice has scrolled, in pixels.
	notice float32
	r      *boardRenderer

	hideCursor bool
	// repaint marks the widget for repainting (canvas.Refresh; tests
	// record it).
	repaint func(fyne.CanvasObject)
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	b := &Board{repaint: canvas.Refresh}
	b.ExtendBaseWidget(b)
	return b
}

// Set shows m.
func (b *Board) Set(m Model) {
	b.model = m
	b.Refresh()
}

// Model returns the model shown.
func (b *Board) Model() Model { return b.model }

// Scroll moves the notice line left by dx pixels; it starts again from the
// right edge when it has gone by.
func (b *Board) Scroll(dx float32) {
	b.notice += dx
	// Only the notice moves: the rest of the board is not laid out again
	// 25 times a second.
	if b.r != nil && b.r.noticeText != nil {
		b.r.placeNotice()
		b.repaint(b)
	}
}

// CreateRenderer implements fyne.Widget.
func (b *Board) CreateRenderer() fyne.WidgetRenderer {
	r := &boardRenderer{b: b}
	b.r = r
	r.build()
	return r
}

type boardRenderer struct {
	b    *Board
	objs []fyne.CanvasObject
	size fyne.Size

	noticeText  *canvas.Text
	noticeW     float32 // the window width
	noticeTextW float32 // the text's width
	noticeY     float32

	// pages of counter tiles and of waiting rows in the last layout.
	tilePages, waitPages int

	// sizes caches measured texts: a rebuild (every blink of a new call)
	// measures the same texts again, and measuring is most of its cost.
	sizes map[measureKey]fyne.Size
}

type measureKey struct {
	s    string
	size float32
	bold bool
}

// measure is fyne.MeasureText, cached.
func (r *boardRenderer) measure(s string, size float32, st fyne.TextStyle) fyne.Size {
	k := measureKey{s, size, st.Bold}
	if ms, ok := r.sizes[k]; ok {
		return ms
	}
	if r.sizes == nil || len(r.sizes) > 8192 {
		r.sizes = map[measureKey]fyne.Size{}
	}
	ms := fyne.MeasureText(s, size, st)
	r.sizes[k] = ms
	return ms
}

// placeNotice puts the notice text where its scroll offset says: it starts
// at the left margin (readable at once), moves left, and once gone enters
// again from the right edge.
func (r *boardRenderer) placeNotice() {
	span := r.noticeW + r.noticeTextW
	start := r.noticeW / 100
	if span > 0 && r.b.notice >= span {
		r.b.notice = float32(math.Mod(float64(r.b.notice), float64(span)))
	}
	x := start - r.b.notice
	if x < -r.noticeTextW {
		x += span
	}
	r.noticeText.Move(fyne.NewPos(x, r.noticeY))
}

func (r *boardRenderer) Destroy()                     {}
func (r *boardRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *boardRenderer) MinSize() fyne.Size           { return fyne.NewSize(640, 360) }

func (r *boardRenderer) Layout(s fyne.Size) {
	r.size = s
	r.build()
}

func (r *boardRenderer) Refresh() {
	r.build()
	// The objects are new, so no canvas knows them yet: refreshing the
	// widget is what marks the window for repainting.
	r.b.repaint(r.b)
}

// Sizes of the board in hundredths of the window height (u).
const (
	// CodeFloor is the smallest size of a ticket code on a counter tile:
	// 5.4u is 58 px at 1080p, a cap height of 42 px (about 27 mm on a 55"
	// TV), readable at 10 m. More counters mean more pages, never smaller codes.
	CodeFloor = 5.4
	// codeMax caps the tile codes of a small centre.
	codeMax = 10.0
	// waitFloor and waitMax bound the waiting list's names: 3u is 32 px
	// at 1080p (cap height 24 px), the smallest the list shrinks to fit a
	// long name on two lines.
	waitFloor = 3.0
	waitMax   = 3.3
	// pausedScale is the size of "Tạm dừng" on a paused tile, relative to a code.
	pausedScale = 0.6
	// bannerH is the height of one line of the banner strip.
	bannerH = 5.6
)

// build lays the whole board out again. A board has at most a few hundred
// objects and changes a few times a minute (the notice scrolls a few times
// a second), so rebuilding is simpler than patching and cheap enough.
func (r *boardRenderer) build() {
	m := r.b.model
	W, H := r.size.Width, r.size.Height
	if W <= 0 || H <= 0 {
		W, H = 1920, 1080
	}
	var objs []fyne.CanvasObject
	rect := func(c color.Color, x, y, w, h, radius float32) {
		o := canvas.NewRectangle(c)
		o.CornerRadius = radius
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, h))
		objs = append(objs, o)
	}
	// text puts s in the box (x, y, w, h), as big as fits up to size, aligned
	// left (align < 0), centred (0) or right (> 0), vertically centred. It
	// returns the size used.
	text := func(s string, c color.Color, bold bool, size, x, y, w, h float32, align int) float32 {
		if s == "" {
			return 0
		}
		st := fyne.TextStyle{Bold: bold}
		one := r.measure(s, 100, st).Width / 100
		sz := fitSize(one, w, size)
		if sz < 6 {
			sz = 6
		}
		o := canvas.NewText(s, c)
		o.TextStyle = st
		o.TextSize = sz
		ms := r.measure(s, sz, st)
		px := x
		switch {
		case align == 0:
			px = x + (w-ms.Width)/2
		case align > 0:
			px = x + w - ms.Width
		}
		o.Move(fyne.NewPos(px, y+(h-ms.Height)/2))
		o.Resize(ms)
		objs = append(objs, o)
		return sz
	}
	// pageMark draws "2/3" at the right end of a title row.
	pageMark := func(page, pages int, right, y, h float32) {
		if pages <= 1 {
			return
		}
		s := fmt.Sprintf("%d/%d", page+1, pages)
		sz := 0.5 * h
		ms := r.measure(s, sz, fyne.TextStyle{Bold: true})
		pw := ms.Width + 0.8*h
		rect(colPageMark, right-pw, y+0.12*h, pw, 0.76*h, 0.38*h)
		text(s, colOnPageMark, true, sz, right-pw, y, pw, h, 0)
	}

	u := H / 100 // one hundredth of the height: the unit of every size
	pad := 1.2 * u
	rect(colBackground, 0, 0, W, H, 0)

	// Header: centre name, date and clock.
	headH := 9 * u
	rect(colHeader, 0, 0, W, headH, 0)
	clockW := 0.13 * W
	dateW := 0.2 * W
	text(m.Clock, colText, true, 6*u, W-2*pad-clockW, 0, clockW, headH, 1)
	text(m.Date, colMuted, false, 2.8*u, W-3*pad-clockW-dateW, 0, dateW, headH, 1)
	text(m.Title, colText, true, 3.8*u, 2*pad, 0, W-6*pad-clockW-dateW, headH, -1)

	// The banner strip: the board makes room for it, nothing is covered.
	y := headH
	for _, bn := range m.Banners {
		bg, fg, icon := colBanner, colText, "ℹ "
		switch bn.Kind {
		case BannerAlert:
			bg, icon = colOffline, "⚠ "
		case BannerWarn:
			bg, fg, icon = colWarn, colOnWarn, "⚠ "
		}
		rect(bg, 0, y, W, bannerH*u, 0)
		text(icon+bn.Text, fg, true, 3.2*u, 2*pad, y, W-4*pad, bannerH*u, 0)
		y += bannerH * u
	}

	// Notice line at the bottom.
	noticeH := 6.5 * u
	noticeY := H - noticeH
	rect(colNotice, 0, noticeY, W, noticeH, 0)
	if m.Notice != "" {
		st := fyne.TextStyle{Bold: true}
		sz := 3.6 * u
		ms := r.measure(m.Notice, sz, st)
		o := canvas.NewText(m.Notice, colOnNotice)
		o.TextStyle, o.TextSize = st, sz
		o.Resize(ms)
		r.noticeText, r.noticeW, r.noticeTextW, r.noticeY = o, W, ms.Width, noticeY+(noticeH-ms.Height)/2
		r.placeNotice()
		objs = append(objs, o)
	} else {
		r.noticeText = nil
	}

	// Body: left the newest call over the counters, right the recent calls
	// over the waiting counts.
	bodyY := y + pad
	bodyH := noticeY - pad - bodyY
	leftX := pad
	leftW := 0.6 * (W - 3*pad)
	rightX := leftX + leftW + pad
	rightW := W - rightX - pad
	titleH := 4.6 * u
	titleSize := 2.8 * u

	// Many counters take room from the newest call, which stays the
	// biggest text on the board.
	heroH := 0.34 * bodyH
	if len(m.Tiles) > 12 {
		heroH = 0.22 * bodyH
	}
	heroBg, heroFg, heroSub := colPanel, colCode, colText
	if m.Flash {
		heroBg, heroFg, heroSub = colFlash, colOnFlash, colOnFlash
	}
	rect(heroBg, leftX, bodyY, leftW, heroH, 1.2*u)
	capH := 0.24 * heroH
	if m.HeroCode == "" {
		// No call yet: the greeting alone, big, in the middle.
		text(m.HeroCaption, heroSub, true, 8.4*u, leftX+2*pad, bodyY, leftW-4*pad, heroH, 0)
	} else {
		text(m.HeroCaption, heroSub, false, 3.8*u, leftX+2*pad, bodyY+0.4*pad, leftW-4*pad, capH, 0)
		// The code, a clear gap, then "→ Quầy 5" smaller: measured as one
		// group and centred, so a long code never runs into the arrow.
		lineY := bodyY + capH
		lineH := heroH - capH - pad
		counter := "→ " + m.HeroCounter
		bold := fyne.TextStyle{Bold: true}
		cw := r.measure(m.HeroCode, 100, bold).Width / 100
		kw := r.measure(counter, 100, bold).Width / 100
		const counterScale, gapEm = 0.6, 0.7
		sz := fitSize(cw+gapEm+counterScale*kw, leftW-4*pad, 0.8*lineH)
		groupW := sz * (cw + gapEm + counterScale*kw)
		gx := leftX + (leftW-groupW)/2
		text(m.HeroCode, heroFg, true, sz, gx, lineY, sz*cw+1, lineH, -1)
		text(counter, heroSub, true, counterScale*sz, gx+sz*(cw+gapEm), lineY, counterScale*sz*kw+1, lineH, -1)
	}

	// Counter tiles, paged when they do not fit at CodeFloor.
	gridY := bodyY + heroH + pad
	text(m.CountersTitle, colMuted, true, titleSize, leftX, gridY, 0.7*leftW, titleH, -1)
	gridTitleY := gridY
	gridY += titleH
	gridH := noticeY - pad - gridY
	if len(m.Tiles) == 0 {
		text(m.Empty, colMuted, false, 4*u, leftX, gridY, leftW, gridH, 0)
	}
	bold := fyne.TextStyle{Bold: true}
	// The widest code decides the tile width, at least that of a
	// five-character code ("A5002", an offline ticket) so that the grid does
	// not change when one appears.
	codeW := r.measure("A0000", 100, bold).Width / 100
	for _, t := range m.Tiles {
		w := r.measure(t.Code, 100, bold).Width / 100
		if t.Paused {
			w *= pausedScale
		}
		codeW = max(codeW, w)
	}
	gap := 0.8 * u
	// A tile is the label line (1.25 × 0.5 s), the code line (1.2 s) and
	// a little air.
	const tileAH = 2.0
	g := Grid(len(m.Tiles), leftW, gridH, gap, codeW+0.5, tileAH, CodeFloor*u, codeMax*u)
	r.tilePages, r.waitPages = g.Pages, 0
	if g.Cols > 0 {
		page := pageOf(m.Page, g.Pages)
		pageMark(page, g.Pages, leftX+leftW, gridTitleY, titleH)
		tiles := m.Tiles[min(page*g.PerPage, len(m.Tiles)):min((page+1)*g.PerPage, len(m.Tiles))]
		tw := (leftW - gap*float32(g.Cols-1)) / float32(g.Cols)
		th := (gridH - gap*float32(g.Rows-1)) / float32(g.Rows)
		s := g.Size
		ls := max(0.5*s, waitFloor*u)
		labelH, codeH := 1.25*ls, 1.2*s
		for i, t := range tiles {
			x := leftX + float32(i%g.Cols)*(tw+gap)
			y := gridY + float32(i/g.Cols)*(th+gap)
			bg, code := colPanel, colCode
			if t.Newest {
				bg = colNewest
			}
			if t.Paused {
				bg, code = colPaused, colMuted
			}
			rect(bg, x, y, tw, th, 0.8*u)
			ip := 0.25 * s
			top := y + (th-labelH-codeH)/2
			text(t.Label, colText, false, ls, x+ip, top, tw-2*ip, labelH, 0)
			cs := s
			if t.Paused {
				cs = pausedScale * s
			}
			text(t.Code, code, true, cs, x+ip, top+labelH, tw-2*ip, codeH, 0)
		}
	}

	// Recent calls: five, or four when more than six fields wait.
	rowH := 6 * u
	shown := 5
	if len(m.Waiting) > 6 {
		shown = 4
	}
	recentH := titleH + pad + float32(shown)*rowH
	shown = min(shown, len(m.Recent))
	rect(colPanel, rightX, bodyY, rightW, recentH, 1.2*u)
	text(m.RecentTitle, colMuted, true, titleSize, rightX+pad, bodyY+0.3*pad, rightW-2*pad, titleH, -1)
	rowY := bodyY + titleH + 0.5*pad
	for i, row := range m.Recent[:shown] {
		y := rowY + float32(i)*rowH
		if i%2 == 1 {
			rect(colBackground, rightX+0.5*pad, y, rightW-pad, rowH, 0.4*u)
		}
		left := row.Left
		if row.Recall {
			left += " ↻"
		}
		half := (rightW - 3*pad) / 2
		text(left, colCode, true, 4.4*u, rightX+pad, y, half, rowH, -1)
		text("→ "+row.Right, colText, false, 3.6*u, rightX+2*pad+half, y, half, rowH, 1)
	}

	// Waiting per field: names wrapped on up to two lines at a readable
	// size, paged when they do not fit.
	waitY := bodyY + recentH + pad
	waitH := noticeY - pad - waitY
	rect(colPanel, rightX, waitY, rightW, waitH, 1.2*u)
	text(m.WaitingTitle, colMuted, true, titleSize, rightX+pad, waitY+0.3*pad, 0.7*rightW, titleH, -1)
	if len(m.Waiting) > 0 {
		numW := 0.16 * rightW
		nameW := rightW - 3*pad - numW
		listY := waitY + titleH + 0.3*pad
		listH := waitH - titleH - pad
		// The biggest size that shows every row on one page, else the floor
		// and pages.
		var pages [][]waitRow
		for s := waitMax * u; ; s -= 0.1 * u {
			s = max(s, waitFloor*u)
			pages = pageRows(layoutWaiting(m.Waiting, nameW, waitFloor*u, s, 0.4*u, r.measure), listH)
			if len(pages) == 1 || s <= waitFloor*u {
				break
			}
		}
		r.waitPages = len(pages)
		page := pageOf(m.Page, len(pages))
		pageMark(page, len(pages), rightX+rightW-pad, waitY+0.3*pad, titleH)
		y := listY
		for i, wr := range pages[page] {
			if i > 0 {
				rect(colRule, rightX+pad, y, rightW-2*pad, max(1, 0.1*u), 0)
			}
			ly := y + wr.pad
			for _, line := range wr.lines {
				text(line, colText, false, wr.size, rightX+pad, ly, nameW, wr.lineH, -1)
				ly += wr.lineH
			}
			text(wr.row.Right, colCode, true, 4.2*u, rightX+rightW-pad-numW, y, numW, wr.h, 1)
			y += wr.h
		}
	}
	r.objs = objs
}

// waitRow is one laid-out row of the waiting list.
type waitRow struct {
	row         Row
	lines       []string
	size, lineH float32
	pad, h      float32
}

// layoutWaiting wraps each name in width w on at most two lines at the
// biggest size from maxS down to minS that allows it (a name that needs
// more is wrapped on more lines at minS: it is never cut).
func layoutWaiting(rows []Row, w, minS, maxS, pad float32, measure func(string, float32, fyne.TextStyle) fyne.Size) []waitRow {
	out := make([]waitRow, len(rows))
	for i, row := range rows {
		var lines []string
		s := maxS
		for ; s >= minS; s -= 0.05 * maxS {
			if lines = wrapText(row.Left, s, fyne.TextStyle{}, w, measure); len(lines) <= 2 {
				break
			}
		}
		if len(lines) > 2 {
			s = minS
			lines = wrapText(row.Left, s, fyne.TextStyle{}, w, measure)
		}
		lh := 1.2 * s
		out[i] = waitRow{row: row, lines: lines, size: s, lineH: lh, pad: pad, h: lh*float32(len(lines)) + 2*pad}
	}
	return out
}

// pageRows splits rows into pages of at most h each, filling each page
// before the next (a row taller than h gets a page of its own).
func pageRows(rows []waitRow, h float32) [][]waitRow {
	var pages [][]waitRow
	var cur []waitRow
	used := float32(0)
	for _, r := range rows {
		if len(cur) > 0 && used+r.h > h {
			pages = append(pages, cur)
			cur, used = nil, 0
		}
		cur = append(cur, r)
		used += r.h
	}
	if len(cur) > 0 {
		pages = append(pages, cur)
	}
	return pages
}

// wrapText breaks s into lines no wider than w at size (a word wider than
// w stays on a line of its own).
func wrapText(s string, size float32, st fyne.TextStyle, w float32, measure func(string, float32, fyne.TextStyle) fyne.Size) []string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for _, word := range words {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if cur != "" && measure(try, size, st).Width > w {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// HideCursor makes the mouse cursor invisible over the board (a hall TV
// has no use for it).
func (b *Board) HideCursor(hide bool) { b.hideCursor = hide }

// Cursor implements desktop.Cursorable.
func (b *Board) Cursor() desktop.Cursor {
	if b.hideCursor {
		return desktop.HiddenCursor
	}
	return desktop.DefaultCursor
}

// MouseIn implements desktop.Hoverable (the window asks Hoverable objects for their cursor).
func (b *Board) MouseIn(*desktop.MouseEvent) {}

// MouseMoved implements desktop.Hoverable.
func (b *Board) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (b *Board) MouseOut() {}
