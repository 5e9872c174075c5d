package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"net"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/kiosk/internal/config"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/ticket"
)

// ScreenPrinter is the printer setup, behind the admin PIN (UI.Screen).
const ScreenPrinter = "printer"

// PrinterSetup is what the maintenance screen's printer setup starts from
// and where it saves.
type PrinterSetup struct {
	// Spec and Paper are the printer in use (printer.Open's spec; 58 or 80).
	Spec  string
	Paper int
	// ConfigFile is the kiosk's JSON config file, where "printer" and
	// "paper" are saved; "" applies the choice until the kiosk restarts.
	ConfigFile string
	// Devices lists the USB printers' device files (default: /dev/usb/lp*).
	Devices func() []string
}

// usbPrinters lists the USB line-printer devices (Linux usblp).
func usbPrinters() []string {
	m, _ := filepath.Glob("/dev/usb/lp*")
	return m
}

// setupIdle is how long the printer setup stays without a tap: typing an
// address takes longer than a citizen's choice.
const setupIdle = 2 * time.Minute

// printerForm is the printer setup's widgets.
type printerForm struct {
	kind  *widget.RadioGroup
	opts  map[string]string // radio label → spec ("" for the ones with an entry)
	host  *widget.Entry
	dir   *widget.Entry
	paper *widget.RadioGroup
	msg   *widget.Label
}

// spec is the printer spec the form describes.
func (f *printerForm) spec(w words) (string, error) {
	sel := f.kind.Selected
	switch sel {
	case "":
		return "", errors.New(w.PrinterChoose)
	case w.PrinterNet:
		h := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.host.Text), "tcp://"))
		if h == "" {
			return "", errors.New(w.PrinterNetHint)
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, "9100")
		}
		return "tcp://" + h, nil
	case w.PrinterDir:
		d := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.dir.Text), "dir:"))
		if d == "" || !filepath.IsAbs(d) {
			return "", errors.New(w.PrinterDirHint)
		}
		return "dir:" + d, nil
	}
	return f.opts[sel], nil
}

// paperMM is the chosen paper width.
func (f *printerForm) paperMM() int {
	if strings.HasPrefix(f.paper.Selected, "80") {
		return 80
	}
	return 58
}

// showPrinterLocked shows the printer setup: a USB device, a network
// address (tcp://host:9100) or a folder, the paper width, a test page and
// saving to the config file.
func (u *UI) showPrinterLocked() {
	u.buttons = map[string]*widget.Button{}
	w := wordsFor(u.lang)
	ps := u.opts.Maint.Printer
	devices := usbPrinters
	if ps.Devices != nil {
		devices = ps.Devices
	}
	f := &printerForm{opts: map[string]string{}}
	var labels []string
	for _, d := range devices() {
		l := "USB: " + d
		labels = append(labels, l)
		f.opts[l] = "file:" + d
	}
	labels = append(labels, w.PrinterNet, w.PrinterDir)
	f.kind = widget.NewRadioGroup(labels, func(string) { u.touchLocked() })
	f.host = widget.NewEntry()
	f.host.SetPlaceHolder("10.0.0.50:9100")
	f.dir = widget.NewEntry()
	f.dir.SetPlaceHolder("/var/lib/civiq/tickets")
	f.paper = widget.NewRadioGroup([]string{"58 mm", "80 mm"}, func(string) { u.touchLocked() })
	f.paper.Horizontal = true
	f.msg = widget.NewLabel("")
	f.msg.Wrapping = fyne.TextWrapWord
	// Start from the printer in use.
	cur, _, _ := strings.Cut(ps.Spec, "?")
	switch {
	case strings.HasPrefix(cur, "tcp://"):
		f.kind.SetSelected(w.PrinterNet)
		f.host.SetText(strings.TrimPrefix(cur, "tcp://"))
	case strings.HasPrefix(cur, "dir:"):
		f.kind.SetSelected(w.PrinterDir)
		f.dir.SetText(strings.TrimPrefix(cur, "dir:"))
	default:
		for l, s := range f.opts {
			if s == cur {
				f.kind.SetSelected(l)
			}
		}
	}
	if ps.Paper == 80 {
		f.paper.SetSelected("80 mm")
	} else {
		f.paper.SetSelected("58 mm")
	}
	u.printerForm = f

	btn := func(name, text string, imp widget.Importance, fn func()) fyne.CanvasObject {
		b := widget.NewButton(text, fn)
		b.Importance = imp
		u.buttons[name] = b
		return container.NewGridWrap(fyne.NewSize(360, 96), b)
	}
	current := ps.Spec
	if current == "" {
		current = "—"
	}
	form := widget.NewForm(
		widget.NewFormItem(w.PrinterKind, f.kind),
		widget.NewFormItem(w.PrinterNet, f.host),
		widget.NewFormItem(w.PrinterDir, f.dir),
		widget.NewFormItem(w.PrinterPaper, f.paper),
	)
	body := container.NewVBox(
		bigLabel(w.PrinterTitle, sizeHeading),
		bigLabel(fmt.Sprintf(w.PrinterCurrent, current, max(ps.Paper, 58)), sizeText),
		form,
		f.msg,
		container.NewCenter(container.NewHBox(
			btn("printer-test", w.MaintPrint, widget.MediumImportance, func() { u.tapPrinterSetup(false) }),
			btn("printer-save", w.PrinterSave, widget.HighImportance, func() { u.tapPrinterSetup(true) }),
			btn("printer-back", strings.TrimSuffix(w.Back, "  (0)"), widget.MediumImportance, func() { u.tapMaint() }),
		)),
	)
	u.showLocked(ScreenPrinter, container.NewPadded(container.NewCenter(container.NewGridWrap(fyne.NewSize(1100, body.MinSize().Height), body))), max(u.opts.Idle, setupIdle))
}

// touchLocked keeps the screen from timing out while the admin works.
func (u *UI) touchLocked() {
	if u.screen == ScreenPrinter {
		u.armIdleLocked(max(u.opts.Idle, setupIdle))
	}
}

// tapMaint goes back to the maintenance screen.
func (u *UI) tapMaint() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.screen == ScreenPrinter || u.screen == ScreenMaint {
		u.showMaintLocked("")
	}
}

// tapPrinter opens the printer setup from the maintenance screen.
func (u *UI) tapPrinter() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.screen == ScreenMaint && !u.busy {
		u.showPrinterLocked()
	}
}

// tapPrinterSetup prints a test page on the chosen printer, and with
// save makes it the kiosk's printer and writes it to the config file.
func (u *UI) tapPrinterSetup(save bool) {
	u.mu.Lock()
	if u.busy || u.screen != ScreenPrinter || u.printerForm == nil {
		u.mu.Unlock()
		return
	}
	w := wordsFor(u.lang)
	f := u.printerForm
	spec, err := f.spec(w)
	paper := f.paperMM()
	if err != nil {
		f.msg.SetText("⚠ " + err.Error())
		u.mu.Unlock()
		return
	}
	u.busy = true
	u.armIdleLocked(max(u.opts.Idle, setupIdle))
	f.msg.SetText(w.Printing)
	file := u.opts.Maint.Printer.ConfigFile
	u.mu.Unlock()
	go func() {
		msg, ok := u.applyPrinter(spec, paper, save, file, w)
		fyne.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.busy = false
			if ok && save {
				u.opts.Maint.Printer.Spec, u.opts.Maint.Printer.Paper = spec, paper
			}
			if u.screen == ScreenPrinter && u.printerForm == f {
				f.msg.SetText(msg)
			}
		})
	}()
}

// applyPrinter runs off the UI thread: opens spec, prints the test page
// (the test only), and with save swaps the kiosk's printer and saves.
func (u *UI) applyPrinter(spec string, paper int, save bool, file string, w words) (string, bool) {
	pr, err := printer.Open(spec)
	if err != nil {
		return "⚠ " + err.Error(), false
	}
	width := ticket.Width58mm
	if paper == 80 {
		width = ticket.Width80mm
	}
	if !save {
		defer pr.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := pr.Print(ctx, TestPage(width)); err != nil {
			return "⚠ " + w.MaintPrintFailed + ": " + err.Error(), false
		}
		return "✓ " + w.MaintPrinted, true
	}
	u.k.SetPrinter(pr, width)
	if err := config.SavePrinter(file, spec, paper); err != nil {
		return "⚠ " + fmt.Sprintf(w.PrinterNotSaved, spec, err), true
	}
	return "✓ " + fmt.Sprintf(w.PrinterSaved, spec, paper, file), true
}

// TestPage is the maintenance screen's test print, width dots wide: a
// frame and a ladder of bars across the paper, which shows a worn head
// or a wrong width (the frame's right edge is cut off on narrower paper).
func TestPage(width int) image.Image {
	w, h := width, 160
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(255)
			if x < 4 || x >= w-4 || y < 4 || y >= h-4 || (y > 40 && y < 120 && (x/16)%2 == 0 && x%16 < 16-(y-40)/6) {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}
