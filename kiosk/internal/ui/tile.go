package ui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// Type sizes a tile may use, largest first: the title takes the largest
// at which the whole name fits the tile, never below 26 px.
var (
	titleSizes = []float32{54, 48, 44, 40, 38, 36, 34, 32, 30, 28, 26}
	subSizes   = []float32{34, 30, 28, 26, 24}
	// In large-text mode: never below 32 px (tiles are larger, and fewer
	// show on a page).
	largeTitleSizes = []float32{64, 58, 54, 48, 44, 40, 38, 36, 34, 32}
	largeSubSizes   = []float32{40, 36, 34, 32, 30}
)

// badgeSize is the side of the key number's disc at a tile's corner.
const badgeSize = 60

// tile is a large touch target: a framed box with a title and a line or
// two under it, both fitted to the box (wrapped at spaces, the type made
// smaller until every word shows). The whole box takes the tap.
type tile struct {
	widget.BaseWidget
	bg       *canvas.Rectangle
	title    string
	sub      string
	titleCol color.Color
	subCol   color.Color
	subBold  bool
	enabled  bool
	onTap    func()
	// badge is the key that chooses the tile on a numeric keypad ("1",
	// "12", "*"), shown in a disc at its top left; "" for none.
	badge string
	// badgeFill and badgeInk colour the key's disc when not the palette's.
	badgeFill, badgeInk color.Color
	pal                 palette
	// titleMax caps the title's size (0: none), so a page's tiles share one.
	titleMax float32
	// corner puts the key's disc small in the corner whatever the name's
	// length: the chooser sets it on every tile of a page when one needs
	// it, so that a page's discs have one size.
	corner bool
	// subShare is the most of the height the lines under the title take.
	subShare float32
	r        *tileRenderer // set once the tile is drawn
}

func newTile(pal palette, title, sub string, fill, edge color.Color) *tile {
	t := &tile{bg: canvas.NewRectangle(fill), title: title, sub: sub, titleCol: pal.text, subCol: pal.text, enabled: true, subShare: 0.45, pal: pal}
	t.bg.StrokeColor, t.bg.StrokeWidth, t.bg.CornerRadius = edge, 4, 18
	t.ExtendBaseWidget(t)
	return t
}

// setEnabled greys a tile that takes no tap: a dimmed box, muted title and
// the reason in red.
func (t *tile) setEnabled(on bool) {
	t.enabled = on
	if !on {
		t.bg.FillColor, t.bg.StrokeColor = t.pal.closed, t.pal.muted
		t.bg.StrokeWidth = 2
		t.titleCol, t.subCol, t.subBold = t.pal.muted, t.pal.danger, true
	}
}

// balance breaks s into two lines of similar length, at a space, when it
// is longer than max characters. Non-breaking spaces keep words together.
func balance(s string, max int) string {
	r := []rune(s)
	if len(r) <= max || strings.Contains(s, "\n") {
		return s
	}
	best := -1
	for i, c := range r {
		if c == ' ' && (best < 0 || abs(i-len(r)/2) < abs(best-len(r)/2)) {
			best = i
		}
	}
	if best < 0 {
		return s
	}
	return string(r[:best]) + "\n" + string(r[best+1:])
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

const tilePad = 18

// fitAt fits the texts into a tile of size.
func (t *tile) fitAt(size fyne.Size) (sub, title fitted, gap float32) {
	if t.corner && t.badge != "" {
		return t.fitIn(size, 0)
	}
	sub, title, gap = t.fitIn(size, t.badgeW(size))
	if t.badge != "" && title.h+gap+sub.h > size.Height-2*tilePad+1 {
		// A very long name on a narrow tile: the texts take the whole
		// width, and the key's disc shrinks into the corner.
		return t.fitIn(size, 0)
	}
	return sub, title, gap
}

// cornered tells whether the key's disc is in the corner (see fitAt).
func (t *tile) cornered(size fyne.Size) bool {
	if t.badge == "" {
		return false
	}
	if t.corner {
		return true
	}
	sub, title, gap := t.fitIn(size, t.badgeW(size))
	return title.h+gap+sub.h > size.Height-2*tilePad+1
}

func (t *tile) fitIn(size fyne.Size, bw float32) (sub, title fitted, gap float32) {
	w, h := size.Width-2*tilePad-bw, size.Height-2*tilePad
	subSizes, titleSizes := subSizes, titleSizes
	if t.pal.large {
		subSizes, titleSizes = largeSubSizes, largeTitleSizes
	}
	if t.sub != "" {
		sub = fit(t.sub, fyne.TextStyle{Bold: t.subBold}, w, h*t.subShare, subSizes)
		gap = 8
	}
	sizes := titleSizes
	if t.titleMax > 0 {
		for len(sizes) > 1 && sizes[0] > t.titleMax {
			sizes = sizes[1:]
		}
	}
	title = fit(t.title, fyne.TextStyle{Bold: true}, w, h-sub.h-gap, sizes)
	if t.sub != "" && sub.size > title.size {
		// The line under the name is never larger than the name.
		ss := subSizes
		for len(ss) > 1 && ss[0] > title.size {
			ss = ss[1:]
		}
		sub = fit(t.sub, fyne.TextStyle{Bold: t.subBold}, w, h*t.subShare, ss)
	}
	return sub, title, gap
}

// badgeW is the width the key's disc takes from the texts.
func (t *tile) badgeW(size fyne.Size) float32 {
	if t.badge == "" {
		return 0
	}
	return t.badgeSide(size) - tilePad/2 + 4
}

// badgeSide is the disc's diameter: smaller on a narrow tile (four
// columns on a 1366×768 screen), where the name needs the width.
func (t *tile) badgeSide(size fyne.Size) float32 {
	if size.Width < 360 {
		return 40
	}
	return badgeSize
}

// titleSizeAt is the largest title size that fits a tile of size.
func (t *tile) titleSizeAt(size fyne.Size) float32 {
	m := t.titleMax
	t.titleMax = 0
	_, title, _ := t.fitAt(size)
	t.titleMax = m
	return title.size
}

// Tapped implements fyne.Tappable.
func (t *tile) Tapped(*fyne.PointEvent) {
	if t.enabled && t.onTap != nil {
		t.onTap()
	}
}

// MinSize keeps every tile a comfortable touch target (at least 15 mm on
// the screens the kiosk is built for).
func (t *tile) MinSize() fyne.Size { return fyne.NewSize(200, 110) }

// CreateRenderer implements fyne.Widget.
func (t *tile) CreateRenderer() fyne.WidgetRenderer {
	t.r = &tileRenderer{t: t}
	return t.r
}

// tileRenderer draws the texts as lines of canvas.Text, laid out anew
// whenever the tile's size or words change.
type tileRenderer struct {
	t    *tile
	objs []fyne.CanvasObject
	// titleFit is the last fitted title (tests read its size).
	titleFit fitted
	key      string
}

func (r *tileRenderer) Layout(size fyne.Size) {
	t := r.t
	t.bg.Resize(size)
	const pad = tilePad
	if size.Width < 2*pad || size.Height < 2*pad {
		r.objs = nil // not laid out yet
		return
	}
	key := fmt.Sprintf("%s|%s|%v|%v|%v|%v|%s", t.title, t.sub, size, t.enabled, t.titleMax, t.corner, t.badge)
	if key == r.key && len(r.objs) > 0 {
		return
	}
	r.key = key
	bw, corner := t.badgeW(size), t.cornered(size)
	if corner {
		bw = 0
	}
	w, h := size.Width-2*pad-bw, size.Height-2*pad
	bold := fyne.TextStyle{Bold: true}
	subStyle := fyne.TextStyle{Bold: t.subBold}
	sub, title, gap := t.fitAt(size)
	r.titleFit = title
	objs := []fyne.CanvasObject{t.bg}
	y := pad + (h-title.h-gap-sub.h)/2
	add := func(f fitted, style fyne.TextStyle, col color.Color) {
		if len(f.lines) == 0 {
			return
		}
		lh := f.h / float32(len(f.lines))
		for _, l := range f.lines {
			txt := canvas.NewText(l, col)
			txt.TextSize, txt.TextStyle, txt.Alignment = f.size, style, fyne.TextAlignCenter
			placeLine(txt, pad+bw, y, w, lh)
			objs = append(objs, txt)
			y += lh
		}
	}
	add(title, bold, t.titleCol)
	y += gap
	add(sub, subStyle, t.subCol)
	if t.badge != "" {
		fill, ink := t.pal.badge, t.pal.badgeText
		if t.badgeFill != nil {
			fill, ink = t.badgeFill, t.badgeInk
		}
		disc := canvas.NewCircle(fill)
		if !t.enabled {
			disc.FillColor = t.pal.muted
		}
		disc.Move(fyne.NewPos(pad/2, pad/2))
		side := t.badgeSide(size)
		if corner {
			side = 28
			disc.Move(fyne.NewPos(2, 2))
		}
		disc.Resize(fyne.NewSize(side, side))
		num := canvas.NewText(t.badge, ink)
		if !t.enabled {
			num.Color = t.pal.closed
		}
		num.TextSize, num.TextStyle, num.Alignment = side*0.56, bold, fyne.TextAlignCenter
		if len(t.badge) > 1 {
			num.TextSize = side * 0.46
		}
		// Centred in the disc: the box's extra ascent (placeLine) is
		// above the digits, so the box rises by half of it.
		num.Move(disc.Position().SubtractXY(0, extraAscentEm*num.TextSize/2))
		num.Resize(fyne.NewSize(side, side))
		objs = append(objs, disc, num)
	}
	r.objs = objs
}

func (r *tileRenderer) MinSize() fyne.Size { return r.t.MinSize() }

func (r *tileRenderer) Refresh() {
	r.key = ""
	r.Layout(r.t.Size())
	r.t.bg.Refresh()
	canvas.Refresh(r.t)
}

func (r *tileRenderer) Objects() []fyne.CanvasObject {
	if len(r.objs) == 0 {
		return []fyne.CanvasObject{r.t.bg}
	}
	return r.objs
}

func (r *tileRenderer) Destroy() {}
