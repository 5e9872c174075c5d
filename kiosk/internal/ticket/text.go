package ticket

import (
	"image"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

type align int

const (
	alignLeft align = iota
	alignCentre
	alignRight
)

// line is one line of text measured for drawing. Heights and widths cover
// both the font's metrics and the ink of the actual glyphs, because stacked
// Vietnamese marks ("Ấ", "Ộ") rise above the font's ascent and must not be
// cut off by the line above or the top of the paper.
type line struct {
	text    string
	face    font.Face
	ascent  int // dots above the baseline
	descent int // dots below the baseline
	width   int // dots from the leftmost ink or origin to the rightmost ink or advance
	offX    int // where the origin is, from the left of width
}

func measure(face font.Face, s string) line {
	b, adv := font.BoundString(face, s)
	m := face.Metrics()
	l := line{
		text:    s,
		face:    face,
		ascent:  max(m.Ascent.Ceil(), (-b.Min.Y).Ceil()),
		descent: max(m.Descent.Ceil(), b.Max.Y.Ceil()),
	}
	left := min(0, b.Min.X.Floor())
	right := max(adv.Ceil(), b.Max.X.Ceil())
	l.width = right - left
	l.offX = -left
	return l
}

// height is the line's full height.
func (l line) height() int { return l.ascent + l.descent }

// drawAt draws the line with the left of its box at x and its baseline at y.
func (l line) drawAt(dst draw.Image, src image.Image, x, baseline int) {
	dr := font.Drawer{Dst: dst, Src: src, Face: l.face, Dot: fixed.P(x+l.offX, baseline)}
	dr.DrawString(l.text)
}

// x returns the left of a box of width w aligned within the content area.
func (d *doc) x(w int, a align) int {
	switch a {
	case alignCentre:
		return d.st.margin + (d.content()-w)/2
	case alignRight:
		return d.width - d.st.margin - w
	default:
		return d.st.margin
	}
}

// text adds s, wrapped to the content width, one block per line.
func (d *doc) text(s string, face font.Face, a align) {
	lines := wrap(face, s, d.content())
	if a == alignCentre && len(lines) > 1 {
		lines = balance(face, s, d.content(), len(lines))
	}
	for _, ln := range lines {
		d.line(ln, a)
	}
}

// balance wraps s into n lines of similar length, the narrowest width that
// still needs only n lines. Greedy wrapping of a centred heading leaves a
// lone word on the last line ("... lượt của / bạn"), which looks like a
// mistake on a printed ticket.
func balance(face font.Face, s string, w, n int) []line {
	lo, hi := w/n, w // hi always wraps into n lines
	for lo < hi {
		mid := (lo + hi) / 2
		if len(wrap(face, s, mid)) <= n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return wrap(face, s, hi)
}

func (d *doc) line(ln line, a align) {
	x := d.x(ln.width, a)
	d.add(ln.height(), func(dst *image.Gray, top int) {
		ln.drawAt(dst, image.Black, x, top+ln.ascent)
	})
}

// wrap breaks s into lines no wider than w: at spaces where it can, inside
// a word only when the word alone is too wide (a long name is better broken
// than clipped). Newlines in s are kept.
func wrap(face font.Face, s string, w int) []line {
	var out []line
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			if cur != "" {
				if l := measure(face, cur+" "+word); l.width <= w {
					cur = l.text
					continue
				}
				out = append(out, measure(face, cur))
				cur = ""
			}
			for _, part := range breakWord(face, word, w) {
				if cur != "" {
					out = append(out, measure(face, cur))
				}
				cur = part
			}
		}
		if cur != "" {
			out = append(out, measure(face, cur))
		}
	}
	return out
}

// breakWord splits a word wider than w into pieces that fit; every piece
// has at least one character, so even an absurdly narrow width terminates.
func breakWord(face font.Face, word string, w int) []string {
	if measure(face, word).width <= w {
		return []string{word}
	}
	var parts []string
	runes := []rune(word)
	for len(runes) > 0 {
		n := 1
		for n < len(runes) && measure(face, string(runes[:n+1])).width <= w {
			n++
		}
		parts = append(parts, string(runes[:n]))
		runes = runes[n:]
	}
	return parts
}

// row adds "label ........ value", the value in bold on the right. When both
// do not fit on one line the label goes on its own line(s) and the value
// below it on the right.
func (d *doc) row(label, value string) {
	lf, vf := d.faces.regular(d.st.rowSize), d.faces.bold(d.st.rowSize)
	l, v := measure(lf, label), measure(vf, value)
	space := d.st.gap * 2
	if l.width+space+v.width <= d.content() {
		asc, desc := max(l.ascent, v.ascent), max(l.descent, v.descent)
		lx, vx := d.x(l.width, alignLeft), d.x(v.width, alignRight)
		d.add(asc+desc+d.st.gap/2, func(dst *image.Gray, top int) {
			l.drawAt(dst, image.Black, lx, top+asc)
			v.drawAt(dst, image.Black, vx, top+asc)
		})
		return
	}
	d.text(label, lf, alignLeft)
	d.text(value, vf, alignRight)
	d.space(d.st.gap / 2)
}

// rule adds a horizontal separator: solid under the heading, dashed like a
// tear-off line elsewhere.
func (d *doc) rule(solid bool) {
	x0, x1, t := d.st.margin, d.width-d.st.margin, d.st.rule
	d.add(t, func(dst *image.Gray, top int) {
		for x := x0; x < x1; x++ {
			if !solid && x%12 >= 8 {
				continue
			}
			for y := top; y < top+t; y++ {
				dst.Pix[dst.PixOffset(x, y)] = 0
			}
		}
	})
}

// code adds the ticket code in the largest bold size that fits the width.
// Only the ink counts here, so the big digits sit tight between the caption
// and what follows.
func (d *doc) code(code string) {
	size := d.st.codeSize
	var l line
	for {
		face := d.faces.bold(size)
		l = measure(face, code)
		// Leave some air at the sides: a code from edge to edge looks cramped.
		if l.width <= d.content()*92/100 || size <= d.st.rowSize {
			break
		}
		// Shrink in proportion, a little more to converge in a step or two.
		size = max(d.st.rowSize, size*float64(d.content())/float64(l.width)*0.9)
	}
	if l.width > d.content() {
		// An absurdly long code: wrap it rather than clip it.
		d.text(code, l.face, alignCentre)
		return
	}
	b, _ := font.BoundString(l.face, code)
	asc, desc := (-b.Min.Y).Ceil(), max(0, b.Max.Y.Ceil())
	x := d.x(l.width, alignCentre)
	d.add(asc+desc, func(dst *image.Gray, top int) {
		l.drawAt(dst, image.Black, x, top+asc)
	})
}

// badge is a boxed mark such as "ƯU TIÊN".
type badge struct {
	text   string
	filled bool // white on black, for the mark that matters most
}

// badges adds the marks side by side, or one under the other when the
// paper is too narrow for all of them.
func (d *doc) badges(bs []badge) {
	face := d.faces.bold(d.st.badgeSize)
	padX, padY, border, gapX := d.st.gap*3/2, d.st.gap*2/3, 3, d.st.gap*2
	type box struct {
		badge
		l    line
		w, h int
	}
	boxes := make([]box, 0, len(bs))
	total := 0
	for _, b := range bs {
		l := measure(face, b.text)
		w := min(l.width+2*padX, d.content())
		boxes = append(boxes, box{badge: b, l: l, w: w, h: l.height() + 2*padY})
		total += w
	}
	total += gapX * (len(boxes) - 1)
	drawBox := func(dst *image.Gray, b box, x, top int) {
		r := image.Rect(x, top, x+b.w, top+b.h)
		src := image.Black
		if b.filled {
			fillRounded(dst, r, d.st.gap/2, 0)
			src = image.White
		} else {
			fillRounded(dst, r, d.st.gap/2, 0)
			fillRounded(dst, r.Inset(border), d.st.gap/2-border, 0xff)
		}
		b.l.drawAt(dst, src, x+(b.w-b.l.width)/2, top+padY+b.l.ascent)
	}
	if total <= d.content() {
		h := 0
		for _, b := range boxes {
			h = max(h, b.h)
		}
		x0 := d.x(total, alignCentre)
		d.add(h, func(dst *image.Gray, top int) {
			x := x0
			for _, b := range boxes {
				drawBox(dst, b, x, top+(h-b.h)/2)
				x += b.w + gapX
			}
		})
		return
	}
	for i, b := range boxes {
		if i > 0 {
			d.space(d.st.gap)
		}
		x := d.x(b.w, alignCentre)
		d.add(b.h, func(dst *image.Gray, top int) { drawBox(dst, b, x, top) })
	}
}

// fillRounded fills r with grey level v, with corners of radius rad.
func fillRounded(dst *image.Gray, r image.Rectangle, rad int, v uint8) {
	rad = max(0, min(rad, r.Dx()/2, r.Dy()/2))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			// Distance from the nearest corner centre, for pixels in a corner square.
			cx := min(max(x, r.Min.X+rad), r.Max.X-1-rad)
			cy := min(max(y, r.Min.Y+rad), r.Max.Y-1-rad)
			dx, dy := x-cx, y-cy
			if dx*dx+dy*dy > rad*rad {
				continue
			}
			if (image.Point{x, y}).In(dst.Rect) {
				dst.Pix[dst.PixOffset(x, y)] = v
			}
		}
	}
}
