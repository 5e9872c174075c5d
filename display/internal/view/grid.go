package view

import "math"

// TileGrid is how the counter tiles are laid out: cols×rows tiles a page,
// Pages pages, the ticket code drawn at Size.
type TileGrid struct {
	Cols, Rows, Pages int
	// PerPage is how many tiles a page shows (the last may show fewer).
	PerPage int
	Size    float32
}

// Grid lays out n counter tiles in a w×h area with gap between tiles. A
// tile drawn with its code at size s needs s·aw wide and s·ah high; the
// code is at most maxS and never below minS, the floor that keeps it
// readable across the hall. The grid giving the biggest code wins; when n
// tiles cannot all be shown at minS, they are spread evenly over the
// fewest pages that can, so the text never shrinks below the floor.
func Grid(n int, w, h, gap, aw, ah, minS, maxS float32) TileGrid {
	if n <= 0 || w <= 0 || h <= 0 || aw <= 0 || ah <= 0 {
		return TileGrid{}
	}
	g := bestGrid(n, w, h, gap, aw, ah, maxS)
	if g.Size >= minS {
		g.Pages, g.PerPage = 1, n
		return g
	}
	// How many tiles of the floor size fit.
	cols := max(1, int((w+gap)/(minS*aw+gap)))
	rows := max(1, int((h+gap)/(minS*ah+gap)))
	pages := (n + cols*rows - 1) / (cols * rows)
	per := (n + pages - 1) / pages
	g = bestGrid(per, w, h, gap, aw, ah, maxS)
	if g.Size < minS {
		g = TileGrid{Cols: cols, Rows: (per + cols - 1) / cols, Size: minS}
	}
	g.Pages, g.PerPage = pages, per
	return g
}

func bestGrid(n int, w, h, gap, aw, ah, maxS float32) TileGrid {
	var best TileGrid
	best.Size = -1
	for c := 1; c <= n; c++ {
		r := (n + c - 1) / c
		tw := (w - gap*float32(c-1)) / float32(c)
		th := (h - gap*float32(r-1)) / float32(r)
		s := min(tw/aw, th/ah, maxS)
		if s > best.Size+0.5 {
			best = TileGrid{Cols: c, Rows: r, Size: s}
		}
	}
	return best
}

// pageOf returns which of pages to show at page counter p.
func pageOf(p, pages int) int {
	if pages <= 1 {
		return 0
	}
	return ((p % pages) + pages) % pages
}

// fitSize returns the font size at which a text of width measured at size 1
// fits in maxW, capped at maxSize.
func fitSize(widthAt1, maxW, maxSize float32) float32 {
	if widthAt1 <= 0 {
		return maxSize
	}
	return float32(math.Floor(float64(min(maxSize, maxW/widthAt1))))
}
