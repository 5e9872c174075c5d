package ticket

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

// style holds the sizes of one paper width, in dots (1 dot = 1/8 mm).
type style struct {
	margin int // left and right, so that nothing touches the paper edge
	gap    int // the basic vertical spacing

	centreSize float64 // heading: the centre's name
	labelSize  float64 // small captions above the field and the code
	fieldSize  float64
	codeSize   float64 // upper bound; long codes shrink to fit
	rowSize    float64
	noteSize   float64
	badgeSize  float64

	rule      int // thickness of separators
	qrTarget  int // wanted QR side (about 30 mm scans well from a phone held at arm's length)
	barHeight int
}

func styleFor(width int) style {
	s := float64(width) / Width58mm
	// Text grows slower than the paper: wider paper is for fewer wrapped
	// lines, not for shouting. The code and the QR grow with the paper.
	t := 1 + (s-1)*0.5
	return style{
		margin:     int(math.Round(12 * s)),
		gap:        int(math.Round(10 * t)),
		centreSize: 23 * t,
		labelSize:  19 * t,
		fieldSize:  28 * t,
		codeSize:   150 * s,
		rowSize:    21 * t,
		noteSize:   20 * t,
		badgeSize:  26 * t,
		rule:       2,
		qrTarget:   int(math.Round(232 * t)),
		barHeight:  int(math.Round(64 * t)),
	}
}

// threshold turns anti-aliased text into dots. Slightly above mid-grey, so
// that thin strokes of small letters survive as whole dots: thermal heads
// print a lone half-covered dot faintly or not at all.
const threshold = 0x90

// block is one horizontal band of the ticket: its height and how to draw it
// with its top at y. Laying out first and drawing after lets the image be
// allocated once at its exact height.
type block struct {
	h    int
	draw func(dst *image.Gray, top int)
}

// doc is a ticket being laid out.
type doc struct {
	width int
	st    style
	faces *faces
	lab   labels

	blocks []block
}

func (d *doc) add(h int, draw func(dst *image.Gray, top int)) {
	d.blocks = append(d.blocks, block{h: h, draw: draw})
}

func (d *doc) space(h int) { d.add(h, nil) }

// content is the width between the margins.
func (d *doc) content() int { return d.width - 2*d.st.margin }

// render draws every block and thresholds the result to black and white.
func (d *doc) render() *image.Paletted {
	h := 0
	for _, b := range d.blocks {
		h += b.h
	}
	g := image.NewGray(image.Rect(0, 0, d.width, h))
	draw.Draw(g, g.Bounds(), image.White, image.Point{}, draw.Src)
	y := 0
	for _, b := range d.blocks {
		if b.draw != nil {
			b.draw(g, y)
		}
		y += b.h
	}
	p := image.NewPaletted(g.Bounds(), Palette())
	for i, v := range g.Pix {
		if v < threshold {
			p.Pix[i] = 1
		}
	}
	return p
}

// compose lays out the whole ticket.
func (r *Renderer) compose(l Layout) (*doc, error) {
	d := &doc{width: l.Width, st: styleFor(l.Width), faces: newFaces(r), lab: labelsFor(l.Lang)}
	st := d.st

	d.space(st.gap)
	if l.Centre != "" {
		d.text(l.Centre, d.faces.bold(st.centreSize), alignCentre)
		d.space(st.gap)
		d.rule(true)
		d.space(st.gap)
	}
	if l.Field != "" {
		d.text(d.lab.field, d.faces.regular(st.labelSize), alignCentre)
		d.text(l.Field, d.faces.bold(st.fieldSize), alignCentre)
		d.space(st.gap * 2)
	}
	d.text(d.lab.number, d.faces.regular(st.labelSize), alignCentre)
	d.space(st.gap)
	d.code(l.Code)
	d.space(st.gap)
	var badges []badge
	if l.Priority {
		badges = append(badges, badge{text: d.lab.priority, filled: true})
	}
	if l.Offline {
		badges = append(badges, badge{text: d.lab.offline})
	}
	if len(badges) > 0 {
		d.space(st.gap / 2)
		d.badges(badges)
		d.space(st.gap)
	}
	d.space(st.gap)
	d.rule(false)
	d.space(st.gap)

	if l.Ahead >= 0 {
		d.row(d.lab.ahead, strconv.Itoa(l.Ahead))
	}
	if l.WaitMinutes >= 0 {
		d.row(d.lab.wait, waitText(l.Lang, l.WaitMinutes))
		if lo, hi := l.RangeMinutes[0], l.RangeMinutes[1]; hi >= 2 && hi > lo && lo >= 0 {
			d.row(d.lab.usually, rangeText(l.Lang, lo, hi))
		}
	}
	if !l.Slot.IsZero() {
		d.row(d.lab.slot, l.Slot.In(l.Location).Format("15:04"))
	}
	if !l.IssuedAt.IsZero() {
		d.row(d.lab.issued, l.IssuedAt.In(l.Location).Format(timeLayout))
	}
	d.space(st.gap * 2)
	if err := d.barcode(l.Code); err != nil {
		return nil, err
	}
	d.space(st.gap)
	d.rule(false)

	if l.TrackURL != "" {
		if err := d.qr(l.TrackURL); err != nil {
			return nil, err
		}
		d.text(d.lab.scanNote, d.faces.regular(st.noteSize), alignCentre)
		d.space(st.gap)
		d.rule(false)
	}
	d.space(st.gap)
	d.text(d.lab.callNote, d.faces.bold(st.noteSize), alignCentre)
	// Room below the last line, so that the cutter does not slice into it.
	d.space(st.gap * 3)
	return d, nil
}

// faces creates font faces on demand. Faces are not safe for concurrent
// use, so each render has its own.
type faces struct {
	r     *Renderer
	cache map[faceKey]font.Face
}

type faceKey struct {
	bold bool
	size float64
}

func newFaces(r *Renderer) *faces {
	return &faces{r: r, cache: map[faceKey]font.Face{}}
}

func (f *faces) regular(size float64) font.Face { return f.get(faceKey{false, size}) }
func (f *faces) bold(size float64) font.Face    { return f.get(faceKey{true, size}) }

func (f *faces) get(k faceKey) font.Face {
	if face, ok := f.cache[k]; ok {
		return face
	}
	src := f.r.regular
	if k.bold {
		src = f.r.bold
	}
	// Sizes are in dots, so 72 dpi makes one point one dot. NewFace fails
	// only for a nil font or a size that overflows, neither possible here.
	face, err := opentype.NewFace(src, &opentype.FaceOptions{Size: k.size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(fmt.Sprintf("ticket: font face of size %v: %v", k.size, err))
	}
	f.cache[k] = face
	return face
}
