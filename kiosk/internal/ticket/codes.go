package ticket

import (
	"fmt"
	"image"
	"image/color"

	"github.com/boombuler/barcode/code128"
	qrcode "github.com/skip2/go-qrcode"
)

// Quiet zones the scanners need around the codes, in modules.
const (
	qrQuiet      = 4
	barcodeQuiet = 10
)

// qr adds the QR code of url with its quiet zone. Modules are whole dots
// (a fractional module would print as uneven bars and hurt scanning).
func (d *doc) qr(url string) error {
	// Medium error correction (15 %) survives the smudges and fading of
	// thermal paper while keeping the modules large.
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("ticket: track URL as QR code: %w", err)
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	n := len(bm)
	mod := max(1, d.st.qrTarget/n)
	// The symbol plus its quiet zone must fit across the paper.
	mod = min(mod, d.width/(n+2*qrQuiet))
	if mod < 2 {
		// One-dot modules are 0.125 mm: too small for a phone camera.
		return fmt.Errorf("ticket: track URL of %d bytes is too long for a scannable QR code", len(url))
	}
	side := n * mod
	x0 := (d.width - side) / 2
	quiet := qrQuiet * mod
	d.add(quiet+side+quiet, func(dst *image.Gray, top int) {
		y0 := top + quiet
		for y, row := range bm {
			for x, on := range row {
				if on {
					fill(dst, image.Rect(x0+x*mod, y0+y*mod, x0+(x+1)*mod, y0+(y+1)*mod))
				}
			}
		}
	})
	return nil
}

// barcode adds the ticket code as a Code128 barcode, for counters with a
// hand scanner.
func (d *doc) barcode(code string) error {
	bc, err := code128.Encode(code)
	if err != nil {
		return fmt.Errorf("ticket: code %q as barcode: %w", code, err)
	}
	n := bc.Bounds().Dx()
	// Up to 4 dots (0.5 mm) per module: wider bars do not scan better,
	// they only waste paper.
	mod := min(4, d.width/(n+2*barcodeQuiet))
	if mod < 2 {
		return fmt.Errorf("ticket: code %q is too long for a scannable barcode", code)
	}
	bars := make([]bool, n)
	for x := range n {
		bars[x] = color.GrayModel.Convert(bc.At(bc.Bounds().Min.X+x, 0)).(color.Gray).Y < 0x80
	}
	x0 := (d.width - n*mod) / 2
	h := d.st.barHeight
	d.add(h, func(dst *image.Gray, top int) {
		for x, on := range bars {
			if on {
				fill(dst, image.Rect(x0+x*mod, top, x0+(x+1)*mod, top+h))
			}
		}
	})
	return nil
}

// fill paints r black.
func fill(dst *image.Gray, r image.Rectangle) {
	r = r.Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := dst.PixOffset(r.Min.X, y)
		clear(dst.Pix[i : i+r.Dx()])
	}
}
