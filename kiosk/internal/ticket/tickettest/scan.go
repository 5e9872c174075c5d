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
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
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
