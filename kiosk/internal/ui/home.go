package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/server/protocol"
)

// nav is where the citizen is on the home screen: an opened group (by
// key, "" for the first screen) and a page. It outlives the redraws of a
// live update, so a rename does not throw the citizen back.
type nav struct {
	group string
	page  int
}

func (n nav) home() bool { return n == nav{} }

// groupKey is the key a field's group is known by ("" for none).
func groupKey(s protocol.Service) string {
	if s.Group == nil {
		return ""
	}
	return strings.TrimSpace(s.Group.Vi)
}

// Sizes of the home screen's parts, in Fyne units.
const (
	gridGap   = 16
	tileMinW  = 310 // a long name in three lines of 28–30 px; 4 columns at 1366
	tileMinH  = 150 // far above 15 mm (60 units on a 15.6" 1366×768 screen)
	maxCols   = 4
	maxRows   = 8
	barHeight = 96
	headH     = 68 // also the height of Back: ≥ 15 mm at 0.25 mm/unit
)

// chooser is the field choice of the home screen (and of the priority
// choice): a heading, the tiles and, when they do not fit, the way to the
// others. What it shows depends on its size, so it decides in Layout:
//
//   - every field fits: all fields, one tap to a ticket;
//   - they do not, and fields have groups: the groups (and the fields that
//     have none) first; a tap opens a group's fields;
//   - they do not and no field has a group: pages, with large "Trang
//     trước / Trang sau" buttons and a button per page, so any page is one
//     tap away.
type chooser struct {
	widget.BaseWidget
	pal     palette
	w       words
	title   string
	fields  []*tile
	ids     []string
	groups  map[string]*tile // group tiles by key
	gname   map[string]string
	fgroup  []string // group key of each field
	nav     *nav
	bottom  fyne.CanvasObject // the priority button, or Back on the priority choice
	listen  fyne.CanvasObject // "Nghe hướng dẫn", right of bottom (nil: none)
	booking fyne.CanvasObject // "Tôi đã đặt lịch", between bottom and listen (nil: none)

	back, prev, next *widget.Button
	pageBtns         []*widget.Button
	onNav            func(nav) // a tap on back, a page or a group

	r *chooserRenderer
}

// view is what the chooser shows at one size.
type view struct {
	mode  string // "all", "groups", "group" or "pages"
	tiles []*tile
	ids   []string // shown tiles: field ids, or "group:<key>"
	page  int
	pages int
	cols  int
	rows  int
	bar   bool
}

func (c *chooser) CreateRenderer() fyne.WidgetRenderer {
	pageText := canvas.NewText("", c.pal.text)
	pageText.TextStyle.Bold = true
	pageText.TextSize = sizeText * c.pal.scale()
	pageText.Alignment = fyne.TextAlignCenter
	c.r = &chooserRenderer{c: c, pageText: pageText}
	return c.r
}

// hasGroups tells whether any field has a group.
func (c *chooser) hasGroups() bool {
	for _, g := range c.fgroup {
		if g != "" {
			return true
		}
	}
	return false
}

// alone tells whether the field at i stands on its own on the first
// screen: it has no group, or is its group's only field (a group tile
// would only add a tap).
func (c *chooser) alone(i int) bool {
	g := c.fgroup[i]
	if g == "" {
		return true
	}
	for j, h := range c.fgroup {
		if j != i && h == g {
			return false
		}
	}
	return true
}

// capacity is how many tiles of at least tileMinW×tileMinH fit in w×h.
// On a portrait screen tiles are wider (two columns): the tall grid has
// room for rows, and long names read better in fewer lines.
// Large text takes larger tiles: fewer on a page.
func capacity(w, h float32, large bool) (cols, rows int) {
	minW, minH := float32(tileMinW), float32(tileMinH)
	if h > w {
		minW = 440
	}
	if large {
		minW, minH = minW*1.25, minH*1.3
	}
	cols = min(max(int((w+gridGap)/(minW+gridGap)), 1), maxCols)
	rows = min(max(int((h+gridGap)/(minH+gridGap)), 1), maxRows)
	return cols, rows
}

// gridDims picks columns and rows for n tiles in w×h, within the given
// maximums: tiles about 1.8 times as wide as high, few empty cells.
func gridDims(n int, w, h float32, mc, mr int) (cols, rows int) {
	best := math.Inf(1)
	cols, rows = mc, mr
	for c := 1; c <= mc; c++ {
		r := (n + c - 1) / c
		if r > mr || r < 1 {
			continue
		}
		tw := (w - gridGap*float32(c-1)) / float32(c)
		th := (h - gridGap*float32(r-1)) / float32(r)
		score := math.Abs(math.Log(float64(tw/th)/1.8)) + 2*float64(c*r-n)/float64(n)
		if score < best {
			best, cols, rows = score, c, r
		}
	}
	return cols, rows
}

// plan decides what shows at size (the grid area w×h without a page bar)
// and keeps the nav valid for it.
func (c *chooser) plan(w, h float32) view {
	n := len(c.fields)
	mc, mr := capacity(w, h, c.pal.large)
	all := func() ([]*tile, []string) { return c.fields, c.ids }
	v := view{mode: "all"}
	var tiles []*tile
	var ids []string
	switch {
	case n <= mc*mr:
		tiles, ids = all()
		*c.nav = nav{}
	case c.hasGroups() && c.nav.group != "" && c.groups[c.nav.group] != nil:
		v.mode = "group"
		for i, t := range c.fields {
			if c.fgroup[i] == c.nav.group {
				tiles, ids = append(tiles, t), append(ids, c.ids[i])
			}
		}
	case c.hasGroups():
		v.mode = "groups"
		c.nav.group = ""
		seen := map[string]bool{}
		for i, t := range c.fields {
			g := c.fgroup[i]
			switch {
			case c.alone(i):
				tiles, ids = append(tiles, t), append(ids, c.ids[i])
			case !seen[g]:
				seen[g] = true
				tiles, ids = append(tiles, c.groups[g]), append(ids, "group:"+g)
			}
		}
	default:
		v.mode = "pages"
		c.nav.group = ""
		tiles, ids = all()
	}
	per := mc * mr
	if len(tiles) > per {
		v.bar = true
		mc, mr = capacity(w, h-barHeight-gridGap, c.pal.large)
		per = mc * mr
	}
	v.pages = max((len(tiles)+per-1)/per, 1)
	c.nav.page = min(max(c.nav.page, 0), v.pages-1)
	v.page = c.nav.page
	lo, hi := v.page*per, min((v.page+1)*per, len(tiles))
	v.tiles, v.ids = tiles[lo:hi], ids[lo:hi]
	gh := h
	if v.bar {
		gh -= barHeight + gridGap
	}
	v.cols, v.rows = gridDims(min(len(tiles), per), w, gh, mc, mr)
	return v
}

type chooserRenderer struct {
	c        *chooser
	pageText *canvas.Text
	objs     []fyne.CanvasObject
	last     view
}

func (r *chooserRenderer) Layout(size fyne.Size) {
	c := r.c
	bottomH := min(max(size.Height*0.11, 96), 150)
	foot := bottomH // the height of the buttons under the tiles
	// A portrait screen with the booking button: two rows, the booking
	// and Listen buttons side by side above the full-width priority one,
	// so that none of the three is squeezed.
	twoRows := c.booking != nil && size.Height > size.Width
	rowH := max(bottomH*0.75, 96)
	if twoRows {
		foot = 2*rowH + gridGap
	}
	hh := float32(headH)
	gridH := size.Height - hh - gridGap - foot - gridGap
	v := c.plan(size.Width, gridH)
	if v.bar && v.mode != "group" && size.Height < 800 {
		// A short screen: the page bar says where the citizen is, and the
		// heading's room goes to a row of tiles.
		hh = 0
		gridH = size.Height - foot - gridGap
		v = c.plan(size.Width, gridH)
	}
	r.last = v
	objs := []fyne.CanvasObject{}

	// The heading: what to choose, or the opened group with Back.
	left := float32(0)
	if v.mode == "group" {
		bw := min(300, size.Width/4)
		c.back.Move(fyne.NewPos(0, 0))
		c.back.Resize(fyne.NewSize(bw, headH))
		objs = append(objs, c.back)
		left = bw + gridGap
	}
	heading := c.title
	if v.mode == "group" {
		heading = c.gname[c.nav.group]
	}
	if hh == 0 {
		heading = ""
	}
	hf := fit(heading, fyne.TextStyle{Bold: true}, size.Width-left, headH, []float32{sizeSubhead, 32, 28, 26, 24})
	lh := hf.h / float32(max(len(hf.lines), 1))
	y := (headH - hf.h) / 2
	for _, l := range hf.lines {
		t := canvas.NewText(l, c.pal.text)
		t.TextSize, t.TextStyle, t.Alignment = hf.size, fyne.TextStyle{Bold: true}, fyne.TextAlignCenter
		placeLine(t, left, y, size.Width-left, lh)
		objs = append(objs, t)
		y += lh
	}

	// The tiles.
	top := hh + gridGap
	if hh == 0 {
		top = 0
	}
	gh := gridH
	if v.bar {
		gh -= barHeight + gridGap
	}
	tw := (size.Width - gridGap*float32(v.cols-1)) / float32(v.cols)
	th := (gh - gridGap*float32(v.rows-1)) / float32(v.rows)
	th = min(th, max(tw*0.7, tileMinH)) // a few fields: not towering tiles
	// One title size for the page (the largest at which every name fits
	// its tile), so that the tiles read as a set.
	// Each shown tile carries its key on a numeric keypad: 1, 2, … in
	// reading order.
	for i, t := range v.tiles {
		t.badge = strconv.Itoa(i + 1)
	}
	// One size of key disc too: if a long name pushes one tile's disc
	// into its corner, every disc of the page goes there.
	corner := false
	for _, t := range v.tiles {
		was := t.corner
		t.corner = false
		corner = corner || t.cornered(fyne.NewSize(tw, th))
		t.corner = was
	}
	cornerChanged := map[*tile]bool{}
	for _, t := range v.tiles {
		cornerChanged[t] = t.corner != corner
		t.corner = corner
	}
	ts := float32(100)
	for _, t := range v.tiles {
		ts = min(ts, t.titleSizeAt(fyne.NewSize(tw, th)))
	}
	for i, t := range v.tiles {
		col, row := i%v.cols, i/v.cols
		sz := fyne.NewSize(tw, th)
		redo := (t.titleMax != ts || cornerChanged[t] || t.r == nil || t.r.key == "" || !strings.HasSuffix(t.r.key, "|"+t.badge)) && t.Size() == sz // else Resize lays it out
		t.titleMax = ts
		t.Move(fyne.NewPos(float32(col)*(tw+gridGap), top+float32(row)*(th+gridGap)))
		t.Resize(sz)
		if redo {
			t.Refresh()
		}
		objs = append(objs, t)
	}

	// The page bar.
	if v.bar {
		y := top + gh + gridGap
		lw := max(fyne.MeasureText(c.prev.Text, sizeText*c.pal.scale(), fyne.TextStyle{Bold: true}).Width, fyne.MeasureText(c.next.Text, sizeText*c.pal.scale(), fyne.TextStyle{Bold: true}).Width)
		bw := max(min(360, size.Width/5), lw+56)
		c.prev.Move(fyne.NewPos(0, y))
		c.prev.Resize(fyne.NewSize(bw, barHeight))
		c.next.Move(fyne.NewPos(size.Width-bw, y))
		c.next.Resize(fyne.NewSize(bw, barHeight))
		if v.page == 0 {
			c.prev.Disable()
		} else {
			c.prev.Enable()
		}
		if v.page == v.pages-1 {
			c.next.Disable()
		} else {
			c.next.Enable()
		}
		objs = append(objs, c.prev, c.next)
		mid := size.Width - 2*bw - 2*gridGap
		r.pageText.Text = fmt.Sprintf(c.w.Page, v.page+1, v.pages)
		tw := fyne.MeasureText(r.pageText.Text, r.pageText.TextSize, r.pageText.TextStyle).Width + 24
		const pw = 76
		need := tw + float32(v.pages)*(pw+10)
		x := bw + gridGap + (mid-need)/2
		if need > mid || v.pages > len(c.pageBtns) {
			x = bw + gridGap + (mid-tw)/2
			need = 0
		}
		r.pageText.Move(fyne.NewPos(x, y))
		r.pageText.Resize(fyne.NewSize(tw, barHeight))
		objs = append(objs, r.pageText)
		if need > 0 {
			x += tw
			for i := range v.pages {
				b := c.pageBtns[i]
				b.Importance = widget.MediumImportance
				if i == v.page {
					b.Importance = widget.HighImportance
				}
				b.Move(fyne.NewPos(x, y+6))
				b.Resize(fyne.NewSize(pw, barHeight-12))
				b.Refresh()
				objs = append(objs, b)
				x += pw + 10
			}
		}
	}

	// The priority button (or Back on the priority choice).
	bw := size.Width
	if twoRows {
		half := (size.Width - gridGap) / 2
		y := size.Height - foot
		c.booking.Move(fyne.NewPos(0, y))
		c.booking.Resize(fyne.NewSize(half, rowH))
		objs = append(objs, c.booking)
		if c.listen != nil {
			c.listen.Move(fyne.NewPos(half+gridGap, y))
			c.listen.Resize(fyne.NewSize(half, rowH))
			objs = append(objs, c.listen)
		}
		if c.bottom != nil {
			c.bottom.Move(fyne.NewPos(0, size.Height-rowH))
			c.bottom.Resize(fyne.NewSize(size.Width, rowH))
			objs = append(objs, c.bottom)
		}
		r.objs = objs
		return
	}
	if c.listen != nil {
		// Wide enough for its icon and words (the button does not wrap),
		// never more than half the row.
		lw := min(max(size.Width*0.26, c.listen.MinSize().Width+24), 460, size.Width/2)
		bw = size.Width - lw - gridGap
		c.listen.Move(fyne.NewPos(bw+gridGap, size.Height-bottomH))
		c.listen.Resize(fyne.NewSize(lw, bottomH))
		objs = append(objs, c.listen)
	}
	if c.booking != nil {
		// Between the priority button and Listen: a third of what is
		// left at most, wide enough for "Tôi đã đặt lịch" on two lines.
		kw := min(max(size.Width*0.22, 300), 420, bw/2)
		c.booking.Move(fyne.NewPos(bw-kw, size.Height-bottomH))
		c.booking.Resize(fyne.NewSize(kw, bottomH))
		objs = append(objs, c.booking)
		bw -= kw + gridGap
	}
	if c.bottom != nil {
		c.bottom.Move(fyne.NewPos(0, size.Height-bottomH))
		if _, isTile := c.bottom.(*tile); isTile {
			c.bottom.Resize(fyne.NewSize(bw, bottomH))
		} else if (size.Width+c.bottom.MinSize().Width)/2 > bw {
			// Back, centred on the screen, would run under Listen (a
			// portrait screen): centred in the room left of it instead.
			c.bottom.Resize(fyne.NewSize(bw, bottomH))
		} else {
			c.bottom.Resize(fyne.NewSize(size.Width, bottomH))
		}
		objs = append(objs, c.bottom)
	}
	r.objs = objs
}

func (r *chooserRenderer) MinSize() fyne.Size {
	return fyne.NewSize(tileMinW, headH+tileMinH+barHeight+96+3*gridGap)
}

func (r *chooserRenderer) Refresh() {
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chooserRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *chooserRenderer) Destroy() {}

// shown is what the chooser shows now (for tests): the mode, the ids of
// the tiles, the page and the number of pages.
func (c *chooser) shown() view {
	if c.r == nil {
		return view{}
	}
	return c.r.last
}

// newChooser builds the tiles' container; the UI fills in the tiles.
func newChooser(pal palette, w words, title string, n *nav, onNav func(nav)) *chooser {
	c := &chooser{pal: pal, w: w, title: title, nav: n, groups: map[string]*tile{}, gname: map[string]string{}, onNav: onNav}
	c.back = widget.NewButton(w.Back, func() { c.onNav(nav{}) })
	c.back.Importance = widget.HighImportance
	c.prev = widget.NewButton(w.PrevPage, func() { c.onNav(nav{group: c.nav.group, page: c.nav.page - 1}) })
	c.next = widget.NewButton(w.NextPage, func() { c.onNav(nav{group: c.nav.group, page: c.nav.page + 1}) })
	c.prev.Importance, c.next.Importance = widget.HighImportance, widget.HighImportance
	for i := range 12 {
		c.pageBtns = append(c.pageBtns, widget.NewButton(fmt.Sprint(i+1), func() { c.onNav(nav{group: c.nav.group, page: i}) }))
	}
	c.ExtendBaseWidget(c)
	return c
}

// addField adds a field's tile.
func (c *chooser) addField(id, group string, t *tile) {
	c.fields, c.ids, c.fgroup = append(c.fields, t), append(c.ids, id), append(c.fgroup, group)
}

// addGroup adds a group's tile (once per key).
func (c *chooser) addGroup(key, name string, t *tile) {
	c.groups[key], c.gname[key] = t, name
}
