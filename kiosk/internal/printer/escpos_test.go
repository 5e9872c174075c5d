package printer

import (
	"bytes"
	"image"
	"image/color"
	"testing"
)

func TestEncodeJob(t *testing.T) {
	// 10 dots wide (2 bytes per row, padded), 3 rows:
	// row 0: dots 0 and 9; row 1: dot 7; row 2: nothing.
	img := image.NewGray(image.Rect(0, 0, 10, 3))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.SetGray(0, 0, color.Gray{})
	img.SetGray(9, 0, color.Gray{})
	img.SetGray(7, 1, color.Gray{Y: 0x40}) // dark grey prints
	img.SetGray(8, 2, color.Gray{Y: 0xc0}) // light grey does not

	got, err := EncodeJob(img, JobOptions{Cut: true, FeedLines: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x1b, '@',
		0x1d, 'v', '0', 0, 2, 0, 3, 0,
		0x80, 0x40,
		0x01, 0x00,
		0x00, 0x00,
		0x1b, 'd', 3,
		0x1d, 'V', 66, 0,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("EncodeJob =\n% x\nwant\n% x", got, want)
	}
}

func TestEncodeJobBands(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 384, 600))
	chunks, err := encodeJob(img, JobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Init, then bands of 256, 256 and 88 rows; no feed, no cut.
	if len(chunks) != 4 {
		t.Fatalf("%d chunks, want 4", len(chunks))
	}
	for i, rows := range []int{256, 256, 88} {
		c := chunks[i+1]
		if c[0] != 0x1d || c[1] != 'v' || c[2] != '0' {
			t.Fatalf("band %d starts % x", i, c[:3])
		}
		if x, y := int(c[4])|int(c[5])<<8, int(c[6])|int(c[7])<<8; x != 48 || y != rows {
			t.Errorf("band %d is %d bytes x %d rows, want 48 x %d", i, x, y, rows)
		}
		if len(c) != 8+48*rows {
			t.Errorf("band %d has %d bytes", i, len(c))
		}
	}
	chunks, _ = encodeJob(img, JobOptions{BandRows: 100000})
	if len(chunks) != 2 {
		t.Errorf("BandRows over the maximum: %d chunks, want init and one band", len(chunks))
	}
}

func TestEncodeJobTransparentAndOffset(t *testing.T) {
	// A transparent image is blank paper; bounds need not start at 0.
	img := image.NewNRGBA(image.Rect(5, 7, 13, 8))
	img.Set(5, 7, color.NRGBA{A: 0xff})           // opaque black prints
	img.Set(6, 7, color.NRGBA{A: 0x20})           // faint black does not
	img.Set(12, 7, color.NRGBA{R: 0xff, A: 0xff}) // pure red is dark enough
	got, err := EncodeJob(img, JobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x1b, '@', 0x1d, 'v', '0', 0, 1, 0, 1, 0, 0x81}; !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}

func TestEncodeJobBadImage(t *testing.T) {
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, 0, 10),
		image.Rect(0, 0, 10, 0),
		image.Rect(0, 0, MaxWidth+1, 1),
		image.Rect(0, 0, 8, MaxHeight+1),
	} {
		if _, err := EncodeJob(image.NewGray(r), JobOptions{}); ReasonOf(err) != ReasonBadImage {
			t.Errorf("%v: %v, want bad_image", r, err)
		}
	}
}
