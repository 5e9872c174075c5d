package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// tile is a large touch target: a framed box with a wrapped title and a
// line under it. The whole box takes the tap, far beyond 48 px.
type tile struct {
	widget.BaseWidget
	bg      *canvas.Rectangle
	title   *widget.Label
	sub     *widget.Label
	enabled bool
	onTap   func()
}

func newTile(title, sub string, fill, edge color.Color) *tile {
	t := &tile{bg: canvas.NewRectangle(fill), title: bigLabel(balance(title, 18), sizeSubhead), sub: bigLabel(sub, sizeText), enabled: true}
	t.title.SizeName = sizeTileTitle
	t.bg.StrokeColor, t.bg.StrokeWidth, t.bg.CornerRadius = edge, 4, 18
	t.ExtendBaseWidget(t)
	return t
}

func (t *tile) setEnabled(on bool) {
	t.enabled = on
	if !on {
		t.bg.FillColor, t.bg.StrokeColor = colClosed, colMuted
		t.sub.Importance = widget.DangerImportance
		t.title.Importance = widget.LowImportance
	}
}

// balance breaks s into two lines of similar length, at a space, when it
// is longer than max characters.
func balance(s string, max int) string {
	r := []rune(s)
	if len(r) <= max || strings.Contains(s, "\n") {
		return s
	}
	best := -1
	for i, c := range r {
		if c == ' ' && (best < 0 || abs(i-len(r)/2) < abs(best-len(r)/2)) {
			best = i
		}
	}
	if best < 0 {
		return s
	}
	return string(r[:best]) + "\n" + string(r[best+1:])
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Tapped implements fyne.Tappable.
func (t *tile) Tapped(*fyne.PointEvent) {
	if t.enabled && t.onTap != nil {
		t.onTap()
	}
}

// MinSize keeps every tile a comfortable touch target.
func (t *tile) MinSize() fyne.Size {
	return t.BaseWidget.MinSize().Max(fyne.NewSize(200, 120))
}

// CreateRenderer implements fyne.Widget.
func (t *tile) CreateRenderer() fyne.WidgetRenderer {
	box := container.NewVBox(layout.NewSpacer(), t.title, t.sub, layout.NewSpacer())
	return widget.NewSimpleRenderer(container.NewStack(t.bg, container.NewPadded(box)))
}
