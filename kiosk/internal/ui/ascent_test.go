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
	for _, bold := range []bool{false, true} {
		for _, size := range []float32{24, 30, 54, 200} {
			marked := canvas.NewText("SỐ ẨỄỖẴ", color.Black)
			plain := canvas.NewText("SO AEOA", color.Black)
			for _, txt := range []*canvas.Text{marked, plain} {
				txt.TextStyle.Bold, txt.TextSize = bold, size
			}
			w := test.NewTempWindow(t, container.NewWithoutLayout(marked, plain))
			w.Resize(fyne.NewSize(1800, 700))
			const y = 40
			marked.Move(fyne.NewPos(10, y))
			marked.Resize(marked.MinSize())
			plain.Move(fyne.NewPos(900, y))
			plain.Resize(plain.MinSize())
			img := w.Canvas().Capture()
			h := int(marked.MinSize().Height) + y
			mt := inkTop(img, image.Rect(0, 0, 890, h+10))
			pt := inkTop(img, image.Rect(890, 0, 1800, h+10))
			if mt <= y {
				t.Errorf("bold %v, %v px: the marks' ink starts at row %d, the box's top is %d: clipped", bold, size, mt, y)
			}
			if pt-mt < int(size/8) {
				t.Errorf("bold %v, %v px: marked capitals start at row %d, plain ones at %d: no marks drawn?", bold, size, mt, pt)
			}
		}
	}
}
