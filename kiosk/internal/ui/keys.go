package ui

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"

	"github.com/civiq/civiq/kiosk/internal/issuer"
)

// Keys of a numeric keypad (USB keypads are common on accessible kiosks).
// Every choice on a screen shows its key: the tiles 1, 2, … in reading
// order; 0 goes back (or home); + and − (or Page Down / Page Up) turn the
// pages; * opens the priority choice; / switches large text; Enter
// confirms a number of two digits, or ends the confirmation.
const (
	keyPriority = "*"
	keyLarge    = "/"
	// keyWait is how long the kiosk waits for a second digit when the
	// first could begin a two-digit key (a page of more than 9 tiles).
	keyWait = 1500 * time.Millisecond
)

// Keys makes c's key events choose on the kiosk's screens. Digits and
// Enter come as key events (a keypad's digits are Key0…Key9); + − * /
// come as typed runes.
func (u *UI) Keys(c fyne.Canvas) {
	c.SetOnTypedKey(u.TypedKey)
	c.SetOnTypedRune(u.TypedRune)
}

// TypedKey handles a key of the keypad or keyboard. On the home screens
// keys are held a moment (digitHold) so that a scanner's burst is told
// from keypad presses (see burstGap).
func (u *UI) TypedKey(ev *fyne.KeyEvent) {
	if ev == nil {
		return
	}
	screen := u.Screen()
	switch screen {
	case ScreenCheckIn:
		switch ev.Name {
		case fyne.KeyEnter, fyne.KeyReturn:
			if s := u.burstEnd(); s != "" {
				u.scanned(s)
			} else {
				u.submitCode()
			}
		case fyne.KeyBackspace:
			u.typeCode("⌫")
		case fyne.KeyEscape:
			u.tapBack()
		}
		return
	case ScreenHome, ScreenPriority:
		if ev.Name == fyne.KeyEnter || ev.Name == fyne.KeyReturn {
			if s := u.burstEnd(); s != "" {
				u.mu.Lock()
				u.held, u.keySeq = nil, u.keySeq+1
				u.mu.Unlock()
				u.scanned(s)
				return
			}
		}
		u.mu.Lock()
		u.keySeq++
		seq := u.keySeq
		u.held = append(u.held, *ev)
		u.mu.Unlock()
		time.AfterFunc(digitHold, func() {
			fyne.Do(func() {
				u.mu.Lock()
				if u.keySeq != seq {
					u.mu.Unlock()
					return
				}
				held := u.held
				u.held = nil
				u.mu.Unlock()
				for i := range held {
					u.key(&held[i])
				}
			})
		})
		return
	}
	u.key(ev)
}

// key acts on a key of the keypad.
func (u *UI) key(ev *fyne.KeyEvent) {
	defer func() {
		u.mu.Lock()
		u.keysActed++
		u.mu.Unlock()
	}()
	if u.Screen() == ScreenPIN { // the admin types the PIN on the keypad too
		switch ev.Name {
		case fyne.KeyEnter, fyne.KeyReturn:
			u.tapPIN("OK")
		case fyne.KeyBackspace:
			u.tapPIN("⌫")
		case fyne.Key0, fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9:
			u.tapPIN(string(ev.Name))
		}
		return
	}
	switch ev.Name {
	case fyne.Key0, fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9:
		u.digit(int(ev.Name[0] - '0'))
	case fyne.KeyEnter, fyne.KeyReturn:
		u.enter()
	case fyne.KeyPageDown:
		u.turn(1)
	case fyne.KeyPageUp:
		u.turn(-1)
	case fyne.KeyBackspace, fyne.KeyEscape:
		u.mu.Lock()
		u.typed = ""
		u.mu.Unlock()
	}
}

// TypedRune handles the keypad's + − * / (digits come as keys). On the
// home and check-in screens every rune also goes to the scanner burst;
// inside a burst it is no key. On the check-in screen a letter typed on
// a keyboard adds to the code.
func (u *UI) TypedRune(r rune) {
	switch u.Screen() {
	case ScreenHome, ScreenPriority:
		if u.burstRune(r) {
			return
		}
	case ScreenCheckIn:
		if !u.burstRune(r) {
			if c := unicode.ToUpper(r); c < 128 && strings.ContainsRune(issuer.BookingAlphabet, c) {
				u.typeCode(string(c))
			}
		}
		return
	}
	switch r {
	case '+':
		u.turn(1)
	case '-', '−':
		u.turn(-1)
	case '*':
		u.mu.Lock()
		ok := u.screen == ScreenHome && u.home != nil && u.priority != nil
		u.mu.Unlock()
		if ok {
			u.tapPriority()
		}
	case '/':
		u.tapLarge()
	case '.', ',':
		u.tapListen()
	}
}

// digit handles 0–9: a tile's key chooses it; 0 alone goes back.
func (u *UI) digit(d int) {
	u.mu.Lock()
	if u.busy {
		u.mu.Unlock()
		return
	}
	if u.typed == "" && d == 0 {
		u.mu.Unlock()
		u.back()
		return
	}
	u.typed += strconv.Itoa(d)
	n, _ := strconv.Atoi(u.typed)
	shown := 0
	if u.home != nil {
		shown = len(u.home.shown().tiles)
	}
	if n*10 <= shown && len(u.typed) < 2 {
		// More may follow (12 on a page of 16): wait a moment for it.
		typed := u.typed
		u.armIdleLocked(u.homeIdle(u.screen == ScreenPriority))
		time.AfterFunc(keyWait, func() {
			fyne.Do(func() {
				u.mu.Lock()
				ok := u.typed == typed
				u.mu.Unlock()
				if ok {
					u.enter()
				}
			})
		})
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	u.enter()
}

// enter chooses the tile whose key was typed; with nothing typed it ends
// the confirmation (or an error).
func (u *UI) enter() {
	u.mu.Lock()
	typed := u.typed
	u.typed = ""
	var t *tile
	if typed != "" && u.home != nil {
		n, _ := strconv.Atoi(typed)
		if v := u.home.shown(); n >= 1 && n <= len(v.tiles) {
			t = v.tiles[n-1]
		}
	}
	screen := u.screen
	u.mu.Unlock()
	switch {
	case t != nil:
		t.Tapped(nil) // a closed field takes no key, as it takes no tap
	case typed == "" && (screen == ScreenConfirm || screen == ScreenError):
		u.back()
	}
}

// back is the 0 key: out of an opened group or the priority choice, to
// the first page, or home from the confirmation or an error.
func (u *UI) back() {
	u.mu.Lock()
	screen, busy := u.screen, u.busy
	var n nav
	inHome := u.home != nil
	if inHome {
		n = *u.home.nav
	}
	u.mu.Unlock()
	switch {
	case busy:
	case screen == ScreenConfirm:
		u.tapDone()
	case screen == ScreenError:
		u.tapBack()
	case inHome && n.group != "":
		u.tapNav(nav{})
	case screen == ScreenPriority:
		u.tapBack()
	case inHome && n.page > 0:
		u.tapNav(nav{})
	}
}

// turn shows the next (+1) or previous (−1) page of the choice shown.
func (u *UI) turn(d int) {
	u.mu.Lock()
	if u.home == nil || u.busy {
		u.mu.Unlock()
		return
	}
	u.typed = ""
	v := u.home.shown()
	n := *u.home.nav
	u.mu.Unlock()
	if p := n.page + d; v.bar && p >= 0 && p < v.pages {
		u.tapNav(nav{group: n.group, page: p})
	}
}
