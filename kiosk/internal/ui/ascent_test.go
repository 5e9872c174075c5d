package ui

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// inkTop is the first row of img, inside r, with a dark pixel (-1: none).
func inkTop(img image.Image, r image.Rectangle) int {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray); g.Y < 128 {
				return y
			}
		}
	}
	return -1
}

// TestMarksAboveCapitalsNotClipped renders capitals with stacked marks
// (the priority button's "SỐ") in the kiosk's fonts, both weights, at the
// sizes the kiosk uses, and checks that their ink starts below the top of
// the text's box (a clipped mark starts right at it) and rises above a
// plain capital's (the mark is drawn).
func TestMarksAboveCapitalsNotClipped(t *testing.T) {
	a := test.NewTempApp(t)
	th, err := newTheme(normalPalette())
	if err != nil {
		t.Fatal(err)
	}
	a.Settings().SetTheme(th)
	// top renders text alone and returns the first row of its ink and
	// the top of its box.
	top := func(text string, bold bool, size float32) (ink, box int) {
		txt := canvas.NewText(text, color.Black)
		txt.TextStyle.Bold, txt.TextSize = bold, size
		w := test.NewTempWindow(t, container.NewWithoutLayout(txt))
		const y = 40
		// The window holds the text with a margin, no more: each capture
		// paints every pixel of it.
		m := txt.MinSize()
		w.Resize(fyne.NewSize(m.Width+40, y+m.Height+40))
		txt.Move(fyne.NewPos(10, y))
		txt.Resize(m)
		img := w.Canvas().Capture()
		return inkTop(img, img.Bounds()), y
	}
	for _, bold := range []bool{false, true} {
		for _, size := range []float32{24, 30, 54, 200} {
			mt, y := top("SỐ ẨỄỖẴ", bold, size)
			pt, _ := top("SO AEOA", bold, size)
			if mt <= y {
				t.Errorf("bold %v, %v px: the marks' ink starts at row %d, the box's top is %d: clipped", bold, size, mt, y)
			}
			if pt-mt < int(size/8) {
				t.Errorf("bold %v, %v px: marked capitals start at row %d, plain ones at %d: no marks drawn?", bold, size, mt, pt)
			}
		}
	}
}
