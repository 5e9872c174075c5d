package view

import "math"

// Grid returns the columns and rows that lay out n counter tiles in a w×h
// area with the biggest tiles of a readable shape. A tile shows a counter
// label over a ticket code, so it reads best about twice as wide as high;
// the choice maximises the tile height a code can use, with tiles no
// narrower than that shape allows. Up to 40 counters still get text a
// viewer can read from across the hall at 1920×1080.
func Grid(n int, w, h float32) (cols, rows int) {
	if n <= 0 || w <= 0 || h <= 0 {
		return 0, 0
	}
	best := float32(-1)
	for c := 1; c <= n; c++ {
		r := (n + c - 1) / c
		tw, th := w/float32(c), h/float32(r)
		// The text height a tile can use is limited by its height and,
		// through the code's width (about 2.2 em for "A012"), by its width.
		usable := min(th, tw/2.2)
		if usable > best+0.5 {
			best, cols, rows = usable, c, r
		}
	}
	return cols, rows
}

// fitSize returns the font size at which a text of width measured at size 1
// fits in maxW, capped at maxSize.
func fitSize(widthAt1, maxW, maxSize float32) float32 {
	if widthAt1 <= 0 {
		return maxSize
	}
	return float32(math.Floor(float64(min(maxSize, maxW/widthAt1))))
}
