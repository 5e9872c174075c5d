package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// nbsp joins words that must stay on one line ("khoảng 4 phút"): the
// wrapping below, and balance, break only at ordinary spaces.
const nbsp = "\u00a0"

// keepTogether replaces the spaces of s by non-breaking ones.
func keepTogether(s string) string { return strings.ReplaceAll(s, " ", nbsp) }

// splitWords splits s at ordinary spaces and tabs, not at non-breaking spaces
// (strings.Fields would: U+00A0 is a Unicode space).
// A dash between words stays with the word before it ("Tư pháp –" /
// "Hộ tịch", not "Tư pháp" / "– Hộ tịch").
func splitWords(s string) []string {
	s = strings.ReplaceAll(s, " – ", nbsp+"– ")
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// fitted is a text broken into lines at one size.
type fitted struct {
	size  float32
	lines []string
	// w and h are the size the lines take.
	w, h float32
}

// lineHeight is the height of one line of text at size.
// It is the pitch of the lines, from the font's own ascender: the boxes
// of the text reach extraAscentEm higher (placeLine).
func lineHeight(size float32, style fyne.TextStyle) float32 {
	return fyne.MeasureText("ẤÝgjỹ", size, style).Height - extraAscentEm*size
}

// placeLine puts t, a line of a text whose lines are lh apart, at x, y
// and width w: its box starts extraAscentEm above, where the marks of
// the capitals are drawn, so that its baseline is where the font's own
// ascender puts it.
func placeLine(t *canvas.Text, x, y, w, lh float32) {
	ex := extraAscentEm * t.TextSize
	t.Move(fyne.NewPos(x, y-ex))
	t.Resize(fyne.NewSize(w, lh+ex))
}

// measurer measures words at one size and style, each word once: a line's
// width is its words' widths plus its spaces (kerning across a space is
// nil in DejaVu). Shaping is slow, and fitting tries many line breaks.
type measurer struct {
	size   float32
	style  fyne.TextStyle
	space  float32
	widths map[string]float32
}

func newMeasurer(size float32, style fyne.TextStyle) *measurer {
	return &measurer{size: size, style: style, space: fyne.MeasureText(" ", size, style).Width, widths: map[string]float32{}}
}

func (m *measurer) width(word string) float32 {
	w, ok := m.widths[word]
	if !ok {
		w = fyne.MeasureText(word, m.size, m.style).Width
		m.widths[word] = w
	}
	return w
}

// wrap breaks text into lines no wider than maxW, at spaces (a "\n" always
// breaks). ok is false when a single word is wider than maxW; with
// breakWords such a word is cut between letters instead.
func wrap(text string, size float32, style fyne.TextStyle, maxW float32, breakWords bool) (lines []string, ok bool) {
	return newMeasurer(size, style).wrap(text, maxW, breakWords)
}

func (m *measurer) wrap(text string, maxW float32, breakWords bool) (lines []string, ok bool) {
	ok = true
	for _, para := range strings.Split(text, "\n") {
		line, lw := "", float32(0)
		for _, word := range splitWords(para) {
			ww := m.width(word)
			if line != "" && lw+m.space+ww <= maxW {
				line, lw = line+" "+word, lw+m.space+ww
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			line, lw = word, ww
			if ww > maxW {
				if !breakWords {
					ok = false
					continue
				}
				// Cut the word between letters; the last piece starts the
				// next line.
				r := []rune(word)
				for len(r) > 0 {
					n := len(r)
					for n > 1 && m.width(string(r[:n])) > maxW {
						n--
					}
					if n == len(r) {
						break
					}
					lines = append(lines, string(r[:n]))
					r = r[n:]
				}
				line, lw = string(r), m.width(string(r))
			}
		}
		if line != "" || len(lines) == 0 {
			lines = append(lines, line)
		}
	}
	return lines, ok
}

// fit finds the largest of sizes (largest first) at which text fits in
// maxW×maxH, wrapped at spaces into balanced lines. At the smallest size
// it still fits the width (cutting a word too long for a line) and gives
// the lines even if they are taller than maxH; the caller sizes its boxes
// so that this does not happen with real names.
func fit(text string, style fyne.TextStyle, maxW, maxH float32, sizes []float32) fitted {
	if maxW <= 0 || maxH <= 0 || len(sizes) == 0 {
		return fitted{}
	}
	for i, size := range sizes {
		last := i == len(sizes)-1
		m := newMeasurer(size, style)
		lines, ok := m.wrap(text, maxW, last)
		lh := lineHeight(size, style)
		if !last && (!ok || float32(len(lines))*lh > maxH) {
			continue
		}
		lines = m.balanced(text, maxW, lines, last)
		f := fitted{size: size, lines: lines, h: float32(len(lines)) * lh}
		for _, l := range lines {
			f.w = max(f.w, m.lineWidth(l))
		}
		return f
	}
	return fitted{}
}

// lineWidth is the width of a line wrap made.
func (m *measurer) lineWidth(l string) float32 {
	w := float32(0)
	for i, word := range splitWords(l) {
		if i > 0 {
			w += m.space
		}
		w += m.width(word)
	}
	return w
}

// balanced re-wraps text at the narrowest width that keeps the same number
// of lines, so a two-line name reads as two halves, not a long line and a
// lone word.
func (m *measurer) balanced(text string, maxW float32, lines []string, breakWords bool) []string {
	if len(lines) < 2 || strings.Contains(text, "\n") {
		return lines
	}
	best := m.narrowest(text, maxW, lines, breakWords)
	if alt := m.noLoneWord(text, maxW, best); alt != nil {
		return alt
	}
	return best
}

// narrowest re-wraps text at the narrowest width that keeps lines' count.
func (m *measurer) narrowest(text string, maxW float32, lines []string, breakWords bool) []string {
	lo, hi := maxW/float32(len(lines)), maxW
	best := lines
	for range 8 {
		mid := (lo + hi) / 2
		l, ok := m.wrap(text, mid, breakWords)
		if ok && len(l) <= len(lines) {
			best, hi = l, mid
		} else {
			lo = mid
		}
	}
	return best
}

// loneWordMax is the longest last word (in letters) that reads as cut off
// when alone on its line ("Xã" / "hội").
const loneWordMax = 4

// noLoneWord re-splits text into as many lines as lines when their last
// line is one short word and another split fits maxW: of those whose last
// line holds two words or more, the one with the narrowest widest line,
// and of those the most even ("binh và" / "Xã hội" rather than "binh" /
// "và Xã hội").
// It returns nil when lines are fine as they are or no such split exists
// (a word cut between letters, a name of few words).
func (m *measurer) noLoneWord(text string, maxW float32, lines []string) []string {
	k := len(lines)
	last := splitWords(lines[k-1])
	if k < 2 || len(last) != 1 || len([]rune(last[0])) > loneWordMax {
		return nil
	}
	words := splitWords(text)
	if len(words) < k+1 {
		return nil
	}
	for _, w := range words {
		if m.width(w) > maxW {
			return nil
		}
	}
	// span is the width of words[i:j] on one line.
	span := func(i, j int) float32 {
		w := float32(0)
		for x := i; x < j; x++ {
			if x > i {
				w += m.space
			}
			w += m.width(words[x])
		}
		return w
	}
	var best []string
	bestW, bestDev := maxW+1, float32(0)
	// Try every split of words into k lines (names have few words).
	var try func(from, left int, acc []string, ws []float32)
	try = func(from, left int, acc []string, ws []float32) {
		if left == 1 {
			if len(words)-from < 2 {
				return
			}
			w := span(from, len(words))
			if w > maxW {
				return
			}
			ws = append(ws, w)
			widest, dev := float32(0), float32(0)
			for _, x := range ws {
				widest = max(widest, x)
			}
			for _, x := range ws {
				dev += (widest - x) * (widest - x)
			}
			// Widths within half a pixel are the same widest line.
			if widest < bestW-0.5 || widest <= bestW+0.5 && dev < bestDev {
				bestW, bestDev = widest, dev
				best = append(append([]string(nil), acc...), strings.Join(words[from:], " "))
			}
			return
		}
		for to := from + 1; to <= len(words)-left; to++ {
			w := span(from, to)
			if w > maxW {
				break
			}
			try(to, left-1, append(acc, strings.Join(words[from:to], " ")), append(ws, w))
		}
	}
	try(0, k, nil, nil)
	return best
}
