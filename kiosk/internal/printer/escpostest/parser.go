// Package escpostest provides a fake ESC/POS network printer for tests: it
// listens on a loopback port, reads the byte stream back into job images,
// and answers status requests as told (paper out, cover open, silence...).
//
// Its parser is written from the ESC/POS reference independently of
// package printer's encoder, so that a mistake in one is caught by the
// other rather than mirrored.
package escpostest

import (
	"fmt"
	"image"
	"image/color"
)

// Job is one printed ticket: everything between two cuts.
type Job struct {
	// Image is the raster bands stitched top to bottom, black dots black;
	// nil when the job had no image.
	Image *image.Gray
	// Bands counts the raster commands (GS v 0) of the job.
	Bands int
	// Inits counts ESC @ in the job.
	Inits int
	// FeedLines sums the lines fed by ESC d.
	FeedLines int
	// FeedDots sums the dots fed by ESC J.
	FeedDots int
	// Cut is true when a cut ended the job, false when the stream ended
	// first (a ticket left hanging in the printer).
	Cut bool
	// Text holds bytes printed as text. CiviQ prints only images, so
	// anything here is a bug.
	Text []byte
	// Errors lists malformed or unknown commands met in the job.
	Errors []string
}

// Limits that keep a hostile or corrupt stream from exhausting memory:
// larger rasters are skipped (and reported), not stored.
const (
	maxJobRasterBytes = 2 << 20
	maxText           = 64 << 10
	maxErrors         = 100
)

// band is one raster command's data, packed as sent.
type band struct {
	rowBytes, rows int
	data           []byte
}

// Parser turns an ESC/POS byte stream into jobs. Feed it with Write in
// chunks of any size; the result does not depend on where the chunks
// split. A Parser is not safe for concurrent use.
type Parser struct {
	// OnStatus, if set, is called for each status request DLE EOT n.
	OnStatus func(n byte)
	// OnJob, if set, is called for each finished job.
	OnJob func(Job)

	buf   []byte // bytes of an incomplete command
	skip  int    // bytes of an oversized raster still to discard
	jobs  []Job
	cur   Job
	bands []band
	size  int // raster bytes stored in bands
}

// Write parses p. It never fails: errors in the stream are recorded in the
// job they occur in.
func (ps *Parser) Write(p []byte) (int, error) {
	n := len(p)
	if ps.skip > 0 {
		k := min(ps.skip, len(p))
		ps.skip -= k
		p = p[k:]
	}
	ps.buf = append(ps.buf, p...)
	i := 0
	for i < len(ps.buf) {
		used := ps.step(ps.buf[i:])
		if used == 0 {
			break // an incomplete command: wait for more bytes
		}
		i += used
		if ps.skip > 0 {
			// step consumed a raster header whose data is too large to
			// keep; drop what has arrived of it.
			k := min(ps.skip, len(ps.buf)-i)
			ps.skip -= k
			i += k
		}
	}
	// Keep the remainder at the start of the buffer so it does not grow.
	ps.buf = append(ps.buf[:0], ps.buf[i:]...)
	return n, nil
}

// Flush ends the stream: a job that was not cut is finished as such.
func (ps *Parser) Flush() {
	if len(ps.buf) > 0 {
		ps.errorf("stream ends inside a command (% x)", ps.buf[:min(len(ps.buf), 8)])
		ps.buf = ps.buf[:0]
	}
	if len(ps.bands) > 0 || len(ps.cur.Text) > 0 || len(ps.cur.Errors) > 0 {
		ps.finish(false)
	}
	ps.cur = Job{}
}

// Jobs returns the finished jobs.
func (ps *Parser) Jobs() []Job { return append([]Job(nil), ps.jobs...) }

// step parses one command at the start of b and returns its length, or 0
// when b holds only part of it.
func (ps *Parser) step(b []byte) int {
	switch b[0] {
	case 0x1b: // ESC
		return ps.esc(b)
	case 0x1d: // GS
		return ps.gs(b)
	case 0x10: // DLE
		if len(b) < 3 {
			return 0
		}
		if b[1] != 0x04 {
			ps.errorf("unknown real-time command DLE 0x%02x", b[1])
			return 2
		}
		if ps.OnStatus != nil {
			ps.OnStatus(b[2])
		}
		return 3
	case '\n':
		ps.text('\n')
		return 1
	case '\r':
		return 1
	}
	if b[0] < 0x20 || b[0] == 0x7f {
		ps.errorf("unexpected control byte 0x%02x", b[0])
		return 1
	}
	ps.text(b[0])
	return 1
}

// escArgs is the number of argument bytes of ESC commands with fixed
// length, the common ones a mis-built stream might carry.
func escArgs(c byte) (int, bool) {
	switch c {
	case '@', '2', '<':
		return 0, true
	case 'd', 'J', 'a', 'E', '!', '-', 'M', 't', 'R', 'G', '3', '{', 'V', 'r', 'e':
		return 1, true
	case 'p':
		return 3, true
	}
	return 0, false
}

func (ps *Parser) esc(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	n, ok := escArgs(b[1])
	if !ok {
		ps.errorf("unknown command ESC 0x%02x", b[1])
		return 2
	}
	if len(b) < 2+n {
		return 0
	}
	switch b[1] {
	case '@':
		ps.cur.Inits++
	case 'd':
		ps.cur.FeedLines += int(b[2])
	case 'J':
		ps.cur.FeedDots += int(b[2])
	}
	return 2 + n
}

func (ps *Parser) gs(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case 'v':
		return ps.raster(b)
	case 'V':
		if len(b) < 3 {
			return 0
		}
		n := 3
		switch b[2] {
		case 0, 1, 48, 49:
		case 65, 66, 97, 98, 103, 104:
			n = 4 // these take a feed amount
		default:
			ps.errorf("unknown cut mode GS V %d", b[2])
			return 3
		}
		if len(b) < n {
			return 0
		}
		ps.finish(true)
		return n
	case '!', 'a', 'B', 'b', 'H', 'f', 'h', 'w':
		if len(b) < 3 {
			return 0
		}
		return 3
	case 'L', 'W':
		if len(b) < 4 {
			return 0
		}
		return 4
	}
	ps.errorf("unknown command GS 0x%02x", b[1])
	return 2
}

// raster parses GS v 0 m xL xH yL yH d1...dk.
func (ps *Parser) raster(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	if b[2] != '0' && b[2] != 0 {
		ps.errorf("unknown command GS v 0x%02x", b[2])
		return 3
	}
	if len(b) < 8 {
		return 0
	}
	m := b[3]
	rowBytes := int(b[4]) | int(b[5])<<8
	rows := int(b[6]) | int(b[7])<<8
	k := rowBytes * rows
	if ps.size+k > maxJobRasterBytes {
		ps.errorf("raster of %dx%d bytes over the job limit: skipped", rowBytes, rows)
		ps.skip = k
		return 8
	}
	if len(b) < 8+k {
		return 0 // nothing recorded yet: this is called again when more arrives
	}
	if m != 0 && m != 48 {
		ps.errorf("raster mode %d (scaled): stitched unscaled", m)
	}
	if k > 0 {
		ps.bands = append(ps.bands, band{rowBytes: rowBytes, rows: rows, data: append([]byte(nil), b[8:8+k]...)})
		ps.size += k
	}
	ps.cur.Bands++
	return 8 + k
}

func (ps *Parser) text(c byte) {
	if len(ps.cur.Text) < maxText {
		ps.cur.Text = append(ps.cur.Text, c)
	}
}

func (ps *Parser) errorf(format string, args ...any) {
	if len(ps.cur.Errors) < maxErrors {
		ps.cur.Errors = append(ps.cur.Errors, fmt.Sprintf(format, args...))
	}
}

// finish ends the current job, stitching its bands into one image.
func (ps *Parser) finish(cut bool) {
	j := ps.cur
	j.Cut = cut
	j.Image = stitch(ps.bands)
	ps.cur, ps.bands, ps.size = Job{}, nil, 0
	ps.jobs = append(ps.jobs, j)
	if ps.OnJob != nil {
		ps.OnJob(j)
	}
}

// stitch draws bands one under the other; the image is as wide as the
// widest band.
func stitch(bands []band) *image.Gray {
	if len(bands) == 0 {
		return nil
	}
	w, h := 0, 0
	for _, b := range bands {
		w, h = max(w, b.rowBytes*8), h+b.rows
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	y0 := 0
	for _, b := range bands {
		for y := range b.rows {
			row := b.data[y*b.rowBytes : (y+1)*b.rowBytes]
			for x := range b.rowBytes * 8 {
				if row[x/8]&(0x80>>(x%8)) != 0 {
					img.SetGray(x, y0+y, color.Gray{Y: 0})
				}
			}
		}
		y0 += b.rows
	}
	return img
}
