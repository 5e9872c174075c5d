package view

import (
	"image/color"
	"math"

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
	// left (align < 0), centred (0) or right (> 0), vertically centred.
	text := func(s string, c color.Color, bold bool, size, x, y, w, h float32, align int) float32 {
		if s == "" {
			return 0
		}
		st := fyne.TextStyle{Bold: bold}
		one := fyne.MeasureText(s, 100, st).Width / 100
		sz := fitSize(one, w, size)
		if sz < 6 {
			sz = 6
		}
		o := canvas.NewText(s, c)
		o.TextStyle = st
		o.TextSize = sz
		ms := fyne.MeasureText(s, sz, st)
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
		return ms.Width
	}

	u := H / 100 // one hundredth of the height: the unit of every size
	pad := 1.2 * u
	rect(colBackground, 0, 0, W, H, 0)

	// Header: centre name, date and clock.
	headH := 11 * u
	rect(colHeader, 0, 0, W, headH, 0)
	clockW := 0.16 * W
	dateW := 0.22 * W
	text(m.Clock, colText, true, 7*u, W-pad-clockW, 0, clockW, headH, 1)
	text(m.Date, colMuted, false, 3.4*u, W-2*pad-clockW-dateW, 0, dateW, headH, 1)
	text(m.Title, colText, true, 4.2*u, 2*pad, 0, W-5*pad-clockW-dateW, headH, -1)

	// Notice line at the bottom.
	noticeH := 7 * u
	noticeY := H - noticeH
	rect(colNotice, 0, noticeY, W, noticeH, 0)
	if m.Notice != "" {
		st := fyne.TextStyle{Bold: true}
		sz := 3.8 * u
		ms := fyne.MeasureText(m.Notice, sz, st)
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
	bodyY := headH + pad
	bodyH := noticeY - pad - bodyY
	leftW := 0.64 * W
	leftX := pad
	rightX := leftX + leftW + pad
	rightW := W - rightX - pad

	// Many counters take room from the newest call, which stays the
	// biggest text on the board.
	heroH := 0.36 * bodyH
	if len(m.Tiles) > 12 {
		heroH = 0.28 * bodyH
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
		text(m.HeroCaption, heroSub, false, 4.2*u, leftX+2*pad, bodyY+0.4*pad, leftW-4*pad, capH, 0)
	}
	if m.HeroCode != "" {
		half := (leftW - 4*pad) / 2
		lineY := bodyY + capH
		lineH := heroH - capH - pad
		text(m.HeroCode, heroFg, true, 0.8*lineH, leftX+2*pad, lineY, half, lineH, 0)
		text("→ "+m.HeroCounter, heroSub, true, 0.5*lineH, leftX+2*pad+half, lineY, half, lineH, 0)
	}

	gridY := bodyY + heroH + pad
	titleH := 4.6 * u
	text(m.CountersTitle, colMuted, true, 3*u, leftX, gridY, leftW, titleH, -1)
	gridY += titleH
	gridH := noticeY - pad - gridY
	if len(m.Tiles) == 0 {
		text(m.Empty, colMuted, false, 4*u, leftX, gridY, leftW, gridH, 0)
	}
	cols, rows := Grid(len(m.Tiles), leftW, gridH)
	if cols > 0 {
		gap := 0.8 * u
		tw := (leftW - gap*float32(cols-1)) / float32(cols)
		th := (gridH - gap*float32(rows-1)) / float32(rows)
		for i, t := range m.Tiles {
			x := leftX + float32(i%cols)*(tw+gap)
			y := gridY + float32(i/cols)*(th+gap)
			bg, code := colPanel, colCode
			if t.Newest {
				bg = colNewest
			}
			if t.Paused {
				bg, code = colPaused, colMuted
			}
			rect(bg, x, y, tw, th, 0.8*u)
			ip := 0.06 * min(tw, th*2)
			labelH := 0.36 * th
			text(t.Label, colText, false, 0.7*labelH, x+ip, y+0.04*th, tw-2*ip, labelH, 0)
			codeH := th - labelH - 0.08*th
			text(t.Code, code, true, 0.85*codeH, x+ip, y+labelH, tw-2*ip, codeH, 0)
		}
	}

	// Recent calls.
	recentH := 0.54 * bodyH
	rect(colPanel, rightX, bodyY, rightW, recentH, 1.2*u)
	text(m.RecentTitle, colMuted, true, 3*u, rightX+pad, bodyY+0.3*pad, rightW-2*pad, titleH, -1)
	rowY := bodyY + titleH + 0.5*pad
	rowH := (recentH - titleH - pad) / float32(RecentShown)
	for i, row := range m.Recent {
		y := rowY + float32(i)*rowH
		if i%2 == 1 {
			rect(colBackground, rightX+0.5*pad, y, rightW-pad, rowH, 0.4*u)
		}
		half := (rightW - 3*pad) / 2
		left := row.Left
		if row.Recall {
			left += " ↻"
		}
		text(left, colCode, true, 0.7*rowH, rightX+pad, y, half, rowH, -1)
		text(row.Right, colText, false, 0.6*rowH, rightX+2*pad+half, y, half, rowH, 1)
	}

	// Waiting per field.
	waitY := bodyY + recentH + pad
	waitH := noticeY - pad - waitY
	rect(colPanel, rightX, waitY, rightW, waitH, 1.2*u)
	text(m.WaitingTitle, colMuted, true, 3*u, rightX+pad, waitY+0.3*pad, rightW-2*pad, titleH, -1)
	if n := len(m.Waiting); n > 0 {
		wy := waitY + titleH + 0.5*pad
		wh := min((waitH-titleH-pad)/float32(n), 6.5*u)
		for i, row := range m.Waiting {
			y := wy + float32(i)*wh
			numW := 0.18 * rightW
			text(row.Left, colText, false, 0.62*wh, rightX+pad, y, rightW-3*pad-numW, wh, -1)
			text(row.Right, colCode, true, 0.72*wh, rightX+rightW-pad-numW, y, numW, wh, 1)
		}
	}

	// Offline: a red band over the top of the body; the board below stays.
	if m.Offline != "" {
		bandH := 6 * u
		rect(colOffline, 0, headH, W, bandH, 0)
		text("⚠ "+m.Offline, colText, true, 3.6*u, pad, headH, W-2*pad, bandH, 0)
	}
	r.objs = objs
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
