package printer

import (
	"fmt"
	"image"
	"image/color"
)

// ESC/POS control bytes.
const (
	esc = 0x1b
	gs  = 0x1d
	dle = 0x10
	eot = 0x04
)

// Status requests: the n of DLE EOT n, a real-time command every ESC/POS
// printer answers with one byte, even while offline.
const (
	// RequestPrinter asks for the printer status (bit 3: offline).
	RequestPrinter byte = 1
	// RequestOffline asks why the printer is offline (cover, paper end, error).
	RequestOffline byte = 2
	// RequestError asks for the error cause (cutter, unrecoverable).
	RequestError byte = 3
	// RequestPaper asks for the roll paper sensor (near end, end).
	RequestPaper byte = 4
)

// statusRequest is DLE EOT n.
func statusRequest(n byte) []byte { return []byte{dle, eot, n} }

// Limits of the images EncodeJob accepts.
const (
	// MaxWidth is the widest image in dots; the widest thermal printers
	// (112 mm paper) have 832 dots, so anything wider is a mistake.
	MaxWidth = 4096
	// MaxHeight is the tallest image in dots (2 m of paper), so that a
	// runaway image cannot empty the roll.
	MaxHeight = 16000
	// MaxBandRows is the most rows one GS v 0 command may carry; the
	// command allows 2303 at most, and small buffers prefer far fewer.
	MaxBandRows = 2048
)

// JobOptions say how EncodeJob frames an image.
type JobOptions struct {
	// BandRows is the most rows per raster command (default 256): printers
	// with small receive buffers choke on one command for a whole ticket.
	BandRows int
	// FeedLines is how many text lines to feed after the image (ESC d n),
	// to move the ticket past the tear bar of printers without a cutter.
	FeedLines int
	// Cut ends the job with a partial cut (GS V 66 0), which first feeds
	// the paper to the cutter, so the whole ticket comes out.
	Cut bool
}

// DefaultBandRows is the default of JobOptions.BandRows.
const DefaultBandRows = 256

// EncodeJob returns the ESC/POS bytes that print img: an init (ESC @), the
// image as raster bands (GS v 0), the feed and the cut. Dots darker than
// mid-grey print black; transparent dots are paper.
func EncodeJob(img image.Image, o JobOptions) ([]byte, error) {
	chunks, err := encodeJob(img, o)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// encodeJob returns the job in chunks (init, each band, the end) so that a
// sender can bound each write by its own timeout.
func encodeJob(img image.Image, o JobOptions) ([][]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > MaxWidth || h > MaxHeight {
		return nil, &Error{Op: "print", Reason: ReasonBadImage,
			Err: fmt.Errorf("image of %dx%d dots: want 1 to %d wide and 1 to %d tall", w, h, MaxWidth, MaxHeight)}
	}
	band := o.BandRows
	if band <= 0 {
		band = DefaultBandRows
	}
	band = min(band, MaxBandRows)

	chunks := [][]byte{{esc, '@'}}
	rowBytes := (w + 7) / 8
	for y0 := 0; y0 < h; y0 += band {
		rows := min(band, h-y0)
		c := make([]byte, 8, 8+rowBytes*rows)
		// GS v 0 m xL xH yL yH: m=0 is normal size; x counts bytes per row.
		copy(c, []byte{gs, 'v', '0', 0, byte(rowBytes), byte(rowBytes >> 8), byte(rows), byte(rows >> 8)})
		for y := y0; y < y0+rows; y++ {
			c = appendRow(c, img, b.Min.Y+y, rowBytes)
		}
		chunks = append(chunks, c)
	}
	var end []byte
	if o.FeedLines > 0 {
		end = append(end, esc, 'd', byte(min(o.FeedLines, 255)))
	}
	if o.Cut {
		end = append(end, gs, 'V', 66, 0)
	}
	if len(end) > 0 {
		chunks = append(chunks, end)
	}
	return chunks, nil
}

// appendRow packs one row of img, most significant bit leftmost, 1 = black.
// Rows are padded to whole bytes with white.
func appendRow(dst []byte, img image.Image, y, rowBytes int) []byte {
	b := img.Bounds()
	for i := range rowBytes {
		var v byte
		for bit := range 8 {
			x := b.Min.X + i*8 + bit
			if x < b.Max.X && dark(img, x, y) {
				v |= 0x80 >> bit
			}
		}
		dst = append(dst, v)
	}
	return dst
}

// dark tells whether a dot prints: its luminance, composited over white
// paper, is below half.
func dark(img image.Image, x, y int) bool {
	r, g, b, a := img.At(x, y).RGBA()
	// Colours are alpha-premultiplied, so adding the missing alpha
	// composites over white.
	r, g, b = r+0xffff-a, g+0xffff-a, b+0xffff-a
	lum := (19595*r + 38470*g + 7471*b + 1<<15) >> 16
	return lum < 0x8000
}

// bwPalette is white (index 0, no dot) and black (index 1, a dot).
func bwPalette() color.Palette {
	return color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0}}
}
