// Package tickettest reads rendered tickets back the way a citizen's phone
// and a counter's hand scanner do, for tests of the kiosk and its printers.
// It is imported only by tests, so the decoders never ship in the kiosk.
package tickettest

import (
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ScanQR returns the text of the QR code in img.
func ScanQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("tickettest: %w", err)
	}
	// gozxing samples the grid from the finder patterns and, with modules
	// of 2 dots (58 mm paper), misreads about 1 valid ticket in 100 (found
	// over 600 random track URLs; a phone's camera sees the symbol larger).
	// The same image enlarged 3× decodes every one of them, so a miss of
	// the first pass is the reader's, and the second pass judges the print.
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		if big, e := gozxing.NewBinaryBitmapFromImage(upscale(img, 3)); e == nil {
			if r2, e2 := qrcode.NewQRCodeReader().Decode(big, nil); e2 == nil {
				res, err = r2, nil
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("tickettest: decode QR code: %w", err)
	}
	return res.GetText(), nil
}

// ScanBarcode returns the text of the Code128 barcode in img.
func ScanBarcode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("tickettest: %w", err)
	}
	// TRY_HARDER scans every row: the barcode is a thin band across a tall
	// image, which the default sampling of a few middle rows misses.
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := oned.NewCode128Reader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("tickettest: decode Code128 barcode: %w", err)
	}
	return res.GetText(), nil
}

// upscale returns img enlarged k times, each pixel a k×k block.
func upscale(img image.Image, k int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}
