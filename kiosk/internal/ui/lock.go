package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/crypto/bcrypt"
)

// Screens of the maintenance path (UI.Screen).
const (
	ScreenPIN   = "pin"
	ScreenMaint = "maintenance"
)

// The way out of the kiosk: tapsNeeded taps within tapWindow on the
// hidden top-left corner open the PIN keypad; maxTries wrong PINs lock it
// for lockFor.
const (
	cornerSize = 120
	tapsNeeded = 5
	tapWindow  = 3 * time.Second
	maxTries   = 3
	lockFor    = time.Minute
	maxPIN     = 12
)

// Maintenance is what the maintenance screen can do. Every field is
// optional.
type Maintenance struct {
	// PINHash is the bcrypt hash of the admin PIN; without one the
	// corner gesture does nothing (no way out but the OS).
	PINHash []byte
	// Exit quits the application.
	Exit func()
	// PrinterTest prints a test page.
	PrinterTest func(ctx context.Context) error
	// Server is the server address shown.
	Server string
	// Version is the kiosk's version shown.
	Version string
	// Printer is the printer setup's start and where it saves.
	Printer PrinterSetup
}

// corner is the invisible target at the window's top-left corner.
type corner struct {
	widget.BaseWidget
	onTap func()
}

func newCorner(onTap func()) *corner {
	c := &corner{onTap: onTap}
	c.ExtendBaseWidget(c)
	return c
}

func (c *corner) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// Tapped implements fyne.Tappable.
func (c *corner) Tapped(*fyne.PointEvent) { c.onTap() }

// tapCorner counts the taps on the hidden corner; the fifth within three
// seconds opens the PIN keypad.
func (u *UI) tapCorner() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy || u.opts.Maint.PINHash == nil || u.screen == ScreenPIN || u.screen == ScreenMaint {
		return
	}
	now := u.now()
	keep := u.cornerTaps[:0]
	for _, t := range u.cornerTaps {
		if now.Sub(t) < tapWindow {
			keep = append(keep, t)
		}
	}
	u.cornerTaps = append(keep, now)
	if len(u.cornerTaps) >= tapsNeeded {
		u.cornerTaps = nil
		u.pin = ""
		u.showPINLocked("")
	}
}

// showPINLocked shows the PIN keypad with a message (a wrong PIN, the lock).
func (u *UI) showPINLocked(msg string) {
	u.buttons = map[string]*widget.Button{}
	w := wordsFor(u.lang)
	if until := u.pinLockedUntil; u.now().Before(until) {
		msg = fmt.Sprintf(w.PINLocked, int(until.Sub(u.now()).Seconds()+0.999))
	}
	dots := bigLabel(strings.Repeat("● ", len(u.pin))+" ", sizeHeading)
	u.pinDots = dots
	note := bigLabel(msg, sizeText)
	note.Importance = widget.DangerImportance
	keys := container.NewGridWithColumns(3)
	for _, k := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"} {
		b := widget.NewButton(k, func() { u.tapPIN(k) })
		if k == "OK" {
			b.Importance = widget.HighImportance
		}
		u.buttons["pin-"+k] = b
		keys.Add(container.NewGridWrap(fyne.NewSize(150, 110), b))
	}
	cancel := widget.NewButton(strings.TrimSuffix(w.Back, "  (0)"), func() { u.tapBack() }) // 0 is a digit of the PIN here
	u.buttons["pin-cancel"] = cancel
	body := container.NewCenter(container.NewVBox(bigLabel(w.PINTitle, sizeSubhead), dots, note,
		container.NewCenter(keys), container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 96), cancel))))
	u.showLocked(ScreenPIN, body, u.opts.Idle)
}

// tapPIN takes a key of the PIN keypad.
func (u *UI) tapPIN(k string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.screen != ScreenPIN {
		return
	}
	u.armIdleLocked(u.opts.Idle)
	switch k {
	case "⌫":
		if n := len(u.pin); n > 0 {
			u.pin = u.pin[:n-1]
		}
	case "OK":
		w := wordsFor(u.lang)
		pin := u.pin
		u.pin = ""
		if u.now().Before(u.pinLockedUntil) {
			u.showPINLocked("")
			return
		}
		if bcrypt.CompareHashAndPassword(u.opts.Maint.PINHash, []byte(pin)) != nil {
			u.pinTries++
			if u.pinTries >= maxTries {
				u.pinTries = 0
				u.pinLockedUntil = u.now().Add(lockFor)
			}
			u.showPINLocked(w.PINWrong)
			return
		}
		u.pinTries = 0
		u.showMaintLocked("")
		return
	default:
		if len(u.pin) < maxPIN {
			u.pin += k
		}
	}
	u.pinDots.SetText(strings.Repeat("● ", len(u.pin)) + " ")
}

// showMaintLocked shows the maintenance screen: the server, the version,
// a printer test and the way out of the application.
func (u *UI) showMaintLocked(msg string) {
	u.buttons = map[string]*widget.Button{}
	w := wordsFor(u.lang)
	m := u.opts.Maint
	lines := []fyne.CanvasObject{
		bigLabel(w.MaintTitle, sizeHeading),
		bigLabel(fmt.Sprintf(w.MaintServer, m.Server), sizeText),
		bigLabel(fmt.Sprintf(w.MaintVersion, m.Version), sizeText),
	}
	u.maintMsg = msg
	if msg != "" {
		lines = append(lines, bigLabel(msg, sizeSubhead))
	}
	btn := func(name, text string, imp widget.Importance, fn func()) fyne.CanvasObject {
		b := widget.NewButton(text, fn)
		b.Importance = imp
		u.buttons[name] = b
		return container.NewGridWrap(fyne.NewSize(400, 110), b)
	}
	// Two by two: four buttons fit a portrait screen too.
	row := container.NewGridWithColumns(2,
		btn("maint-printer", w.PrinterTitle, widget.MediumImportance, func() { u.tapPrinter() }),
		btn("maint-print", w.MaintPrint, widget.MediumImportance, func() { u.tapPrinterTest() }),
		btn("maint-exit", w.MaintExit, widget.DangerImportance, func() { u.tapExit() }),
		btn("maint-back", strings.TrimSuffix(w.Back, "  (0)"), widget.HighImportance, func() { u.tapBack() }),
	)
	lines = append(lines, container.NewCenter(row))
	u.showLocked(ScreenMaint, container.NewCenter(container.NewVBox(lines...)), u.opts.Idle)
}

func (u *UI) tapPrinterTest() {
	u.mu.Lock()
	if u.busy || u.screen != ScreenMaint || u.opts.Maint.PrinterTest == nil {
		u.mu.Unlock()
		return
	}
	u.busy = true
	test := u.opts.Maint.PrinterTest
	u.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := test(ctx)
		cancel()
		fyne.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.busy = false
			if u.screen != ScreenMaint {
				return
			}
			w := wordsFor(u.lang)
			msg := w.MaintPrinted
			if err != nil {
				msg = w.MaintPrintFailed + ": " + err.Error()
			}
			u.showMaintLocked(msg)
		})
	}()
}

func (u *UI) tapExit() {
	u.mu.Lock()
	exit := u.opts.Maint.Exit
	ok := u.screen == ScreenMaint
	u.mu.Unlock()
	if ok && exit != nil {
		exit()
	}
}
