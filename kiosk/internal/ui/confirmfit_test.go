package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/server/protocol"
)

// TestConfirmFits: the tallest confirmation (a priority ticket checked in
// for a booking, so with the booking's note over two lines, people ahead
// and the expected wait with its range, a long field name) shows whole in
// every screen size, in normal and large text: nothing leaves the screen,
// and the code stays large. On the real kiosk at 1920×1080 it once pushed
// the header off the top. Goldens: testdata/confirm-fit-*.png.
func TestConfirmFits(t *testing.T) {
	for _, o := range []string{"landscape", "portrait", "small"} {
		for _, large := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s-large-%v", o, large), func(t *testing.T) {
				sz := screenSizes[o]
				r := layoutRig(t, sz)
				r.showFields(bigServices(9, false))
				if large {
					test.Tap(r.button(t, "large"))
				}
				res := issuer.Result{
					Ticket: protocol.Ticket{Code: "A123", ServiceID: "f1", Priority: true, Ahead: 7,
						ETASeconds: 1500, ETALowSeconds: 900, ETAHighSeconds: 2400},
					Field: protocol.Service{ID: "f1", Name: protocol.Text{Vi: "Sở Lao động – Thương binh và Xã hội", En: "Labour, Invalids and Social Affairs"}},
				}
				r.u.mu.Lock()
				r.u.result = &res
				r.u.note = fmt.Sprintf(bookVi.Booked, "09:00")
				r.u.showConfirmLocked()
				r.u.mu.Unlock()
				if min := r.w.Content().MinSize(); min.Height > sz.Height || min.Width > sz.Width {
					t.Fatalf("the confirmation needs %v on a %v screen", min, sz)
				}
				var code *canvas.Text
				walkObjects(r.w.Content(), fyne.Position{}, func(obj fyne.CanvasObject, p fyne.Position) {
					s := obj.Size()
					switch x := obj.(type) {
					case *canvas.Text:
						if x.Text == "A123" {
							code = x
						}
					case *widget.Label, *widget.Button:
					default:
						return
					}
					if p.X < -1 || p.Y < -1 || p.X+s.Width > sz.Width+1 || p.Y+s.Height > sz.Height+1 {
						t.Errorf("%T at %v+%v leaves the %v screen", obj, p, s, sz)
					}
				})
				mode := "normal"
				if large {
					mode = "large"
				}
				golden(t, r.w, fmt.Sprintf("confirm-fit-%s-%dx%d.png", mode, int(sz.Width), int(sz.Height)))
				if code == nil || code.TextSize < 100 {
					t.Errorf("the code: %+v, want at least 100 px", code)
				}
			})
		}
	}
}

// walkObjects calls fn with every visible object under o and its position
// on the canvas.
func walkObjects(o fyne.CanvasObject, at fyne.Position, fn func(fyne.CanvasObject, fyne.Position)) {
	if !o.Visible() {
		return
	}
	p := at.Add(o.Position())
	fn(o, p)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkObjects(c, p, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkObjects(c, p, fn)
		}
	}
}

// TestPriorityBackBesideListen: on the priority choice, Back and "Nghe
// hướng dẫn" share the bottom row without overlapping, in every screen
// size (on a portrait screen Back once ran under Listen).
func TestPriorityBackBesideListen(t *testing.T) {
	for _, o := range []string{"landscape", "portrait", "small"} {
		t.Run(o, func(t *testing.T) {
			r := layoutRig(t, screenSizes[o])
			r.showFields(bigServices(8, false))
			test.Tap(r.u.priority)
			waitScreen(t, r.u, ScreenPriority)
			back, listen := r.button(t, "back"), r.button(t, "listen")
			var rects [2][2]fyne.Position
			walkObjects(r.w.Content(), fyne.Position{}, func(obj fyne.CanvasObject, p fyne.Position) {
				for i, b := range []any{back, listen} {
					if obj == b {
						rects[i] = [2]fyne.Position{p, p.Add(obj.Size())}
					}
				}
			})
			b, l := rects[0], rects[1]
			if b[1].X == 0 || l[1].X == 0 {
				t.Fatalf("back %v, listen %v: not both shown", b, l)
			}
			if b[0].X < l[1].X && l[0].X < b[1].X && b[0].Y < l[1].Y && l[0].Y < b[1].Y {
				t.Errorf("back %v and listen %v overlap", b, l)
			}
		})
	}
}
