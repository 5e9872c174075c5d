// Package ui draws the kiosk's touch screens with Fyne: the home grid of
// fields, the priority choice, the confirmation with the big ticket code,
// the printer-fault and centre-closed messages. It gets everything from
// package issuer and changes widgets only on Fyne's thread (fyne.Do).
package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/internal/cccd"
	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// Options configure the screens.
type Options struct {
	// Lang is the language the home screen returns to (vi or en).
	Lang string
	// Idle is how long a screen other than home stays without a touch.
	Idle time.Duration
	// Confirm is how long the confirmation of a printed ticket stays.
	Confirm time.Duration
	// Maint is the maintenance screen behind the hidden corner and the
	// admin PIN.
	Maint Maintenance
	// LargeText makes large-text, high-contrast mode the default: the
	// kiosk returns to it after each citizen, as to Lang.
	LargeText bool
	// Voice speaks the guidance of the "Nghe hướng dẫn" button; nil: no
	// button.
	Voice Voice
}

// Screens the kiosk shows (UI.Screen).
const (
	ScreenHome     = "home"
	ScreenPriority = "priority"
	ScreenPrinting = "printing"
	ScreenConfirm  = "confirm"
	ScreenError    = "error"
)

// UI is the kiosk's window content.
type UI struct {
	k    *issuer.Kiosk
	a    fyne.App
	th   *kioskTheme
	opts Options
	root *fyne.Container
	// outer holds root and, over it, the hidden corner.
	outer *fyne.Container
	now   func() time.Time

	// mu guards the fields below. Fyne runs every callback on one thread in
	// the real app; in tests fyne.Do runs on the caller, so the lock keeps
	// the background updates and the test's taps in order.
	mu       sync.Mutex
	lang     string
	pal      palette // the colours; pal.large is large-text mode
	screen   string
	st       issuer.State
	result   *issuer.Result
	errText  string
	gen      int // increments on every screen change; stale timers check it
	busy     bool
	tiles    map[string]*tile
	groups   map[string]*tile
	priority *tile
	booking  *tile // "Tôi đã đặt lịch"
	buttons  map[string]*widget.Button
	homeKey  string
	nav      nav    // page and group of the home screen
	typed    string // digits typed on the keypad, waiting for more

	cornerTaps     []time.Time // recent taps on the hidden corner
	pin            string      // the PIN typed so far
	pinDots        *widget.Label
	pinTries       int
	pinLockedUntil time.Time
	maintMsg       string   // the maintenance screen's last message
	home           *chooser // the field choice shown (nil on other screens)

	printerForm *printerForm // the printer setup's widgets (ScreenPrinter)

	// Appointments and the ID card (checkin.go).
	code        string        // the booking code typed so far
	codeText    *canvas.Text  // the code's boxes on the check-in screen
	noteLabel   *widget.Label // the check-in screen's message
	note        string        // the confirmation's booking line
	offerNormal bool          // the error offers a regular number (offline check-in)
	notice      string        // a short notice as the home screen's heading
	card        *cccd.Card    // the ID card scanned for this citizen (stays on the kiosk)
	burst       []rune        // characters of a possible scanner burst
	burstAt     time.Time     // when the burst's last character came
	keySeq      int           // counts held keys (keys.go)
	held        []fyne.KeyEvent
	keysActed   int // counts keys acted on, held or not (tests wait for it)

	listening    bool               // this citizen asked for spoken guidance
	stopSpeaking context.CancelFunc // cuts off the guidance being spoken
}

// New builds the screens for k. Call Attach to follow the kiosk's state.
func New(a fyne.App, k *issuer.Kiosk, opts Options) (*UI, error) {
	st := k.State()
	pal := normalPalette()
	if c := st.Centre.KioskLargeText; opts.LargeText || (c != nil && *c) {
		pal = largePalette()
	}
	th, err := newTheme(pal)
	if err != nil {
		return nil, err
	}
	a.Settings().SetTheme(th)
	if opts.Lang != protocol.LangEN {
		opts.Lang = protocol.LangVI
	}
	if opts.Idle <= 0 {
		opts.Idle = 20 * time.Second
	}
	if opts.Confirm <= 0 {
		opts.Confirm = 8 * time.Second
	}
	u := &UI{k: k, a: a, th: th, opts: opts, lang: opts.Lang, pal: pal, root: container.NewStack(), st: st}
	u.now = time.Now
	c := newCorner(u.tapCorner)
	c.Resize(fyne.NewSize(cornerSize, cornerSize))
	u.outer = container.NewStack(u.root, container.NewWithoutLayout(c))
	u.showHomeLocked()
	return u, nil
}

// Content is the window's content.
func (u *UI) Content() fyne.CanvasObject { return u.outer }

// Attach makes the screens follow the kiosk's state changes.
func (u *UI) Attach() {
	u.k.OnChange(func(st issuer.State) {
		fyne.Do(func() { u.setState(st) })
	})
}

// Screen names the screen shown now.
func (u *UI) Screen() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.screen
}

func (u *UI) setState(st issuer.State) {
	u.mu.Lock()
	defer u.mu.Unlock()
	wasDefault := u.defaultLargeLocked()
	fresh := u.screen == ScreenHome && u.homeIdle(false) == 0 // as the next citizen finds it
	u.st = st
	if def := u.defaultLargeLocked(); def != wasDefault && fresh {
		// The centre's default changed in /admin and nobody is using the
		// kiosk: switch now (else at the next citizen).
		u.setLargeLocked(def)
		u.renderHomeLocked(false, true)
		return
	}
	switch u.screen {
	case ScreenHome, ScreenPriority:
		u.renderHomeLocked(u.screen == ScreenPriority, false)
	case ScreenConfirm:
		// The confirmation's fault panel follows the printer.
	}
}

// show replaces the screen and arms the idle timer (idle > 0).
func (u *UI) showLocked(name string, content fyne.CanvasObject, idle time.Duration) {
	u.typed = ""
	if name != ScreenHome && name != ScreenPriority {
		u.home = nil // no group or page taps from a screen gone
	}
	u.screen = name
	u.root.Objects = []fyne.CanvasObject{content}
	u.root.Refresh()
	u.armIdleLocked(idle)
}

// armIdleLocked starts over the wait for a touch: after idle without one
// (and without a new screen) the kiosk goes back to the home screen's
// first page in its default language, ready for the next citizen.
func (u *UI) armIdleLocked(idle time.Duration) {
	u.gen++
	if idle <= 0 {
		return
	}
	gen := u.gen
	time.AfterFunc(idle, func() {
		fyne.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			if u.gen == gen && !u.busy {
				u.resetLocked()
			}
		})
	})
}

// resetLocked shows the home screen as the next citizen must find it.
func (u *UI) resetLocked() {
	u.stopSpeakingLocked()
	u.lang = u.opts.Lang
	u.card, u.notice, u.code = nil, "", ""
	u.setLargeLocked(u.defaultLargeLocked())
	u.nav = nav{}
	u.showHomeLocked()
}

func (u *UI) showHomeLocked() {
	u.result, u.errText, u.note, u.offerNormal = nil, "", "", false
	u.nav = nav{}
	u.renderHomeLocked(false, true)
}

// homeKeyOf sums up what the home screen shows, to skip identical redraws.
func (u *UI) homeKeyOf(prio bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q|%v|", u.notice, u.card != nil)
	fmt.Fprintf(&b, "%v|%v|%s|%v|%v|%v|%d|%s|%s|", prio, u.pal.large, u.lang, u.st.Online, u.st.StorageDown, u.st.Known, u.st.Pending, u.st.PrinterFault, u.st.Centre.Name.In(u.lang))
	for _, s := range u.st.Services {
		fmt.Fprintf(&b, "%s:%q:%q:%v:%s:%d:%d:%v;", s.ID, s.Name.In(u.lang), groupName(s, u.lang), s.Open, s.ClosedReason, s.Waiting, tileMinutes(s), u.k.OfflineLeft(s.ID) == 0)
	}
	return b.String()
}

func (u *UI) renderHomeLocked(prio, force bool) {
	key := u.homeKeyOf(prio)
	if !force && key == u.homeKey {
		return
	}
	u.homeKey = key
	w := wordsFor(u.lang)
	u.tiles = map[string]*tile{}
	u.groups = map[string]*tile{}
	u.buttons = map[string]*widget.Button{}
	u.home = nil
	var body fyne.CanvasObject
	switch {
	case !u.st.Known: // never reached the server and no fields in the spool yet
		body = container.NewCenter(bigLabel(w.Connecting, sizeSubhead))
	case u.st.Closed():
		body = container.NewCenter(container.NewVBox(
			bigLabel(w.ClosedTitle, sizeHeading),
			bigLabel(w.ClosedText, sizeSubhead),
		))
	default:
		title := w.Choose
		if prio {
			title = w.PriorityTitle
		}
		c := newChooser(u.pal, w, title, &u.nav, func(n nav) { u.tapNav(n) })
		counts := map[string]int{}
		for _, s := range u.st.Services {
			counts[groupKey(s)]++
		}
		for _, s := range u.st.Services {
			// A field switched off or closed is shown with its reason all
			// the same, so a citizen looking for it learns why.
			fill, edge := u.pal.tile, u.pal.edge
			if prio { // the priority choice looks like the button that led to it
				fill, edge = u.pal.priorityLight, u.pal.text
				if u.pal.large {
					edge = u.pal.priority
				}
			}
			t := newTile(u.pal, s.Name.In(u.lang), "", fill, edge)
			sub := ""
			switch {
			case !s.Open:
				sub = w.reason(s)
				t.setEnabled(false)
			case !u.st.Online && u.k.OfflineLeft(s.ID) == 0:
				sub = w.NoNumbers
				t.setEnabled(false)
			case !u.st.Online:
				sub = "" // nobody knows the queue while offline
			default:
				sub = w.waiting(s.Waiting)
				if m := tileMinutes(s); m > 0 {
					sub += "\n" + keepTogether(fmt.Sprintf(w.TileETA, m))
				}
			}
			t.sub = sub
			id := s.ID
			t.onTap = func() { u.tapField(id, prio) }
			u.tiles[s.ID] = t
			g := groupKey(s)
			c.addField(s.ID, g, t)
			if g != "" && u.groups[g] == nil {
				gfill := u.pal.group
				if prio {
					gfill = u.pal.priorityLight
				}
				gt := newTile(u.pal, groupName(s, u.lang), keepTogether(fmt.Sprintf(w.GroupCount, counts[g]))+"  ▶", gfill, u.pal.edge)
				gt.bg.StrokeWidth = 5
				gt.onTap = func() { u.tapNav(nav{group: g}) }
				u.groups[g] = gt
				c.addGroup(g, groupName(s, u.lang), gt)
			}
		}
		if prio {
			back := widget.NewButton(w.Back, func() { u.tapBack() })
			back.Importance = widget.HighImportance
			u.buttons["back"] = back
			c.bottom = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 96), back))
		} else {
			// One bold text, fitted like a field's name: a line on a wide
			// screen, two on a narrow one.
			p := newTile(u.pal, strings.ReplaceAll(w.PriorityButton, "\n", " "), "", u.pal.priority, u.pal.onPriority)
			p.titleCol = u.pal.onPriority
			p.badge = keyPriority
			p.badgeFill, p.badgeInk = u.pal.onPriority, u.pal.priority
			p.onTap = func() { u.tapPriority() }
			u.priority = p
			c.bottom = p
			bk := newTile(u.pal, bookWordsFor(u.lang).Button, "", u.pal.group, u.pal.edge)
			bk.onTap = func() { u.tapBooking() }
			bk.titleMax = 40 // no larger than the priority button's words
			u.booking = bk
			c.booking = bk
		}
		c.listen = u.listenButtonLocked()
		u.buttons["prev"], u.buttons["next"], u.buttons["group-back"] = c.prev, c.next, c.back
		for i, b := range c.pageBtns {
			u.buttons[fmt.Sprintf("page-%d", i+1)] = b
		}
		u.home = c
		body = c
	}
	var top fyne.CanvasObject = u.headerLocked(true, true)
	if b := u.bannerLocked(prio); b != "" {
		top = container.NewVBox(top, container.NewPadded(u.bannerBoxLocked(b)))
	}
	if prio {
		top = container.NewVBox(top, container.NewPadded(u.priorityInfoLocked()))
	}
	content := container.NewBorder(top, nil, nil, nil, container.NewPadded(body))
	name := ScreenHome
	if prio {
		name = ScreenPriority
	}
	if u.screen == name && !force {
		// A live update: the same place (page, group), and the idle timer
		// runs on.
		u.root.Objects = []fyne.CanvasObject{content}
		u.root.Refresh()
		return
	}
	u.showLocked(name, content, u.homeIdle(prio))
}

// priorityInfoLocked says, above the priority choice, who may take a
// priority number and that the counter may ask for a paper: it asks the
// citizen nothing the kiosk cannot know, and nothing they cannot prove.
func (u *UI) priorityInfoLocked() fyne.CanvasObject {
	w := wordsFor(u.lang)
	bg := canvas.NewRectangle(u.pal.priorityLight)
	bg.StrokeColor, bg.StrokeWidth, bg.CornerRadius = u.pal.priority, 4, 12
	// The age is the centre's (priority_age, 60 by law when unset).
	who := widget.NewLabel(strings.Replace(w.PriorityWho, "60", strconv.Itoa(u.st.Centre.PriorityAgeOrDefault()), 1))
	who.Alignment, who.TextStyle.Bold = fyne.TextAlignCenter, true
	proof := widget.NewLabel(w.PriorityProof)
	proof.Alignment = fyne.TextAlignCenter
	proof.SizeName = theme.SizeNameCaptionText
	return container.NewStack(bg, container.NewVBox(who, proof))
}

// homeIdle is the idle timeout of the home screen: none when it is as the
// next citizen must find it, else the usual one.
func (u *UI) homeIdle(prio bool) time.Duration {
	if !prio && u.nav.home() && u.lang == u.opts.Lang && u.pal.large == u.defaultLargeLocked() {
		return 0
	}
	return u.opts.Idle
}

// tapNav opens a group or a page of the home screen.
func (u *UI) tapNav(n nav) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy || u.home == nil {
		return
	}
	u.nav = n
	u.home.Refresh()
	u.armIdleLocked(u.homeIdle(u.screen == ScreenPriority))
}

// groupName is the name of s's group in lang ("" for none).
func groupName(s protocol.Service, lang string) string {
	if s.Group == nil {
		return ""
	}
	return s.Group.In(lang)
}

// headerLocked is the top bar: centre name, connection mark, printer fault
// and the language switch.
func (u *UI) headerLocked(withFault, withLarge bool) fyne.CanvasObject {
	w := wordsFor(u.lang)
	name := u.st.Centre.Name.In(u.lang)
	if name == "" {
		name = "CiviQ"
	}
	title := &oneLine{text: name, col: u.pal.text, sizes: []float32{sizeSubhead, 32, 28, 26, 24, 22}}
	title.ExtendBaseWidget(title)
	mark := canvas.NewText("● "+w.Online, u.pal.ok)
	if !u.st.Online && !u.st.Known { // no leases yet: nothing can be issued
		mark = canvas.NewText("● "+w.NotConnected, u.pal.danger)
	} else if !u.st.Online {
		mark = canvas.NewText("● "+w.Offline, u.pal.danger)
		if u.st.StorageDown {
			mark.Text = "● " + w.StorageDown
		}
		if u.st.Pending > 0 {
			mark.Text += " · " + fmt.Sprintf(w.Pending, u.st.Pending)
		}
	}
	mark.TextSize = sizeCaption * u.pal.scale()
	mark.TextStyle.Bold = true
	langBtn := widget.NewButton("🌐 "+w.SwitchLang, func() { u.tapLang() })
	langBtn.Importance = widget.HighImportance
	u.buttons["lang"] = langBtn
	large := widget.NewButton(w.LargeText, func() { u.tapLarge() })
	if u.pal.large {
		large.SetText(w.NormalText)
	}
	large.Importance = widget.HighImportance
	u.buttons["large"] = large
	bw := 240 * (1 + (u.pal.scale()-1)/2)
	right := container.NewHBox()
	if withLarge {
		right.Add(container.NewCenter(container.NewGridWrap(fyne.NewSize(bw, 80*u.pal.scale()), large)))
	}
	right.Add(container.NewCenter(container.NewGridWrap(fyne.NewSize(bw, 80*u.pal.scale()), langBtn)))
	root := u.root
	top := container.New(&headerLayout{width: func() float32 { return root.Size().Width }}, title, mark, right)
	bg := canvas.NewRectangle(u.pal.tile)
	line := canvas.NewRectangle(u.pal.edge)
	line.SetMinSize(fyne.NewSize(1, 6))
	parts := []fyne.CanvasObject{container.NewStack(bg, container.NewPadded(top)), line}
	if withFault && u.st.PrinterFault != "" {
		parts = append(parts, u.faultPanelLocked())
	}
	return container.NewVBox(parts...)
}

func (u *UI) faultPanelLocked() fyne.CanvasObject {
	w := wordsFor(u.lang)
	bg := canvas.NewRectangle(u.pal.dangerBg)
	bg.StrokeColor, bg.StrokeWidth = u.pal.danger, 4
	msg := bigLabel("", sizeSubhead)
	msg.Text = "⚠ " + w.PrinterFault // one line: the panel spans the screen
	msg.Importance = widget.DangerImportance
	detail := bigLabel(faultDetail(u.st.PrinterFault, u.lang), sizeText)
	detail.Importance = widget.DangerImportance
	return container.NewStack(bg, container.NewPadded(container.NewVBox(msg, detail)))
}

func (u *UI) tapLang() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.lang == protocol.LangVI {
		u.lang = protocol.LangEN
	} else {
		u.lang = protocol.LangVI
	}
	switch u.screen {
	case ScreenHome:
		u.renderHomeLocked(false, true)
	case ScreenPriority:
		u.renderHomeLocked(true, true)
	}
}

// tapLarge switches large-text, high-contrast mode for this citizen.
func (u *UI) tapLarge() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.setLargeLocked(!u.pal.large)
	switch u.screen {
	case ScreenHome:
		u.renderHomeLocked(false, true)
	case ScreenPriority:
		u.renderHomeLocked(true, true)
	}
	u.armIdleLocked(u.homeIdle(u.screen == ScreenPriority))
}

// setLargeLocked switches the theme between the usual and the large-text
// one; the caller redraws the screen.
func (u *UI) setLargeLocked(on bool) {
	if u.pal.large == on {
		return
	}
	if on {
		u.pal = largePalette()
	} else {
		u.pal = normalPalette()
	}
	u.th = u.th.withPalette(u.pal)
	u.a.Settings().SetTheme(u.th)
}

// defaultLargeLocked tells whether the kiosk starts each citizen's turn
// in large-text mode: its own setting (--large-text) or the centre's
// (kiosk_large_text, set in /admin).
func (u *UI) defaultLargeLocked() bool {
	c := u.st.Centre.KioskLargeText
	return u.opts.LargeText || (c != nil && *c)
}

// LargeText tells whether large-text mode is on.
func (u *UI) LargeText() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.pal.large
}

func (u *UI) tapPriority() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy {
		return
	}
	u.nav = nav{}
	u.renderHomeLocked(true, true)
}

func (u *UI) tapBack() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.showHomeLocked()
}

// tapDone ends a citizen's turn: home, in the default language.
func (u *UI) tapDone() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.resetLocked()
}

// tapField issues a ticket: the printing screen shows at once, the issue
// runs off the UI thread, and the confirmation follows.
func (u *UI) tapField(id string, prio bool) {
	u.mu.Lock()
	if u.busy {
		u.mu.Unlock()
		return
	}
	u.busy = true
	lang := u.lang
	// The card scanned in this turn goes with the issue for the centre's
	// per-person daily cap: its number and birth year only.
	var card *protocol.IssueIDCard
	if u.card != nil {
		card = &protocol.IssueIDCard{Number: u.card.Number, BirthYear: u.card.Birth.Year}
		// The name only when the centre shows it to the clerk serving
		// the ticket (show_citizen_name).
		if c := u.k.State().Centre; c.ShowCitizenName != nil && *c.ShowCitizenName {
			card.Name = u.card.Name
		}
	}
	u.showLocked(ScreenPrinting, u.printingLocked(), 0)
	u.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := u.k.IssueWithCard(ctx, id, prio, lang, card)
		cancel()
		fyne.Do(func() { u.issued(res, err) })
	}()
}

func (u *UI) printingLocked() fyne.CanvasObject {
	u.buttons = map[string]*widget.Button{}
	w := wordsFor(u.lang)
	return container.NewBorder(u.headerLocked(true, false), nil, nil, nil, container.NewCenter(bigLabel(w.Printing, sizeHeading)))
}

func (u *UI) issued(res issuer.Result, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.busy = false
	if err != nil {
		w := wordsFor(u.lang)
		switch {
		case errors.Is(err, issuer.ErrNoOfflineNumbers):
			u.errText = w.ErrNoOffline
		case errors.Is(err, issuer.ErrFieldClosed), client.IsCode(err, protocol.CodeServiceClosed), client.IsCode(err, protocol.CodeOutsideHours), client.IsCode(err, protocol.CodeDailyCapReached):
			u.errText = w.ErrClosed
		case client.IsCode(err, protocol.CodeIDDailyCap):
			u.errText = bookWordsFor(u.lang).ErrIDCap
		default:
			u.errText = w.ErrGeneric
		}
		u.showErrorLocked()
		return
	}
	u.result = &res
	u.showConfirmLocked()
	u.speakIssuedLocked(res.Ticket.Code)
}

func (u *UI) showErrorLocked() {
	u.buttons = map[string]*widget.Button{}
	w := wordsFor(u.lang)
	msg := bigLabel(u.errText, sizeHeading)
	msg.Importance = widget.DangerImportance
	back := widget.NewButton(w.Back, func() { u.tapBack() })
	back.Importance = widget.HighImportance
	u.buttons["back"] = back
	btns := container.NewHBox(container.NewGridWrap(fyne.NewSize(420, 110), back))
	if u.offerNormal {
		normal := widget.NewButton(bookWordsFor(u.lang).TakeNormal, func() { u.tapBack() })
		normal.Importance = widget.SuccessImportance
		u.buttons["normal"] = normal
		btns.Add(container.NewGridWrap(fyne.NewSize(420, 110), normal))
	}
	body := container.NewCenter(container.NewVBox(msg, container.NewCenter(btns)))
	u.showLocked(ScreenError, container.NewBorder(u.headerLocked(true, false), nil, nil, nil, body), u.opts.Idle)
}

// showConfirmLocked shows the issued ticket; a printing fault keeps the
// code on screen (longer) with a reprint button.
func (u *UI) showConfirmLocked() {
	u.buttons = map[string]*widget.Button{}
	w := wordsFor(u.lang)
	r := u.result
	t := r.Ticket
	faulty := r.PrintErr != nil
	var lines []fyne.CanvasObject
	head := w.YourNumber
	if faulty {
		head = w.Remember
	}
	// The labels the confirmation may re-wrap or shrink to fit the screen.
	var fit []fitLabel
	label := func(text string, size float32) *widget.Label {
		l := bigLabel(text, size)
		fit = append(fit, fitLabel{l: l, text: text, size: size})
		return l
	}
	headLabel := bigLabel(head, sizeSubhead)
	lines = append(lines, headLabel)
	code := canvas.NewText(t.Code, u.pal.text)
	// A short screen (1366×768 without scaling) gets a smaller code and
	// buttons, so that the whole confirmation shows.
	short := u.root.Size().Height > 0 && u.root.Size().Height < 900
	btnH := float32(110)
	code.TextSize = sizeCode
	if short {
		code.TextSize, btnH = sizeCode*3/5, 90
	}
	if faulty {
		code.TextSize = code.TextSize * 4 / 5 // room for the fault panel on a landscape screen
	}
	code.TextStyle.Bold = true
	code.Alignment = fyne.TextAlignCenter
	lines = append(lines, code)
	if t.Priority {
		tag := canvas.NewText(w.PriorityTag, u.pal.danger)
		tag.TextSize = sizeSubhead * u.pal.scale()
		tag.TextStyle.Bold = true
		tag.Alignment = fyne.TextAlignCenter
		lines = append(lines, tag)
	}
	lines = append(lines, label(r.Field.Name.In(u.lang), sizeHeading))
	if u.note != "" {
		n := label(u.note, sizeSubhead)
		n.Importance = widget.WarningImportance
		lines = append(lines, n)
	}
	if r.Offline {
		n := label(w.OfflineNote, sizeText)
		n.Importance = widget.WarningImportance
		lines = append(lines, n)
	} else {
		lines = append(lines, label(fmt.Sprintf(w.Ahead, t.Ahead), sizeSubhead))
		eta := etaLine(w, t)
		if !faulty { // the fault panel needs the room on a landscape screen
			lines = append(lines, label(eta, sizeSubhead))
		}
	}
	var buttons []fyne.CanvasObject
	if faulty {
		reason := faultDetail(u.st.PrinterFault, u.lang)
		bg := canvas.NewRectangle(u.pal.dangerBg)
		bg.StrokeColor, bg.StrokeWidth = u.pal.danger, 4
		msg := bigLabel("", sizeSubhead)
		msg.Text = "⚠ " + w.PrinterFault
		msg.Importance = widget.DangerImportance
		parts := []fyne.CanvasObject{msg}
		if reason != "" {
			d := bigLabel(reason, sizeText)
			d.Importance = widget.DangerImportance
			parts = append(parts, d)
		}
		lines = append(lines, container.NewStack(bg, container.NewPadded(container.NewVBox(parts...))))
		re := widget.NewButton(w.Reprint, func() { u.tapReprint() })
		re.Importance = widget.WarningImportance
		u.buttons["reprint"] = re
		buttons = append(buttons, container.NewGridWrap(fyne.NewSize(380, btnH), re))
	} else {
		take := label("⬇  "+w.Take, sizeHeading)
		if short {
			fit = fit[:len(fit)-1]
			take = label("⬇  "+w.Take, sizeSubhead)
		}
		take.Importance = widget.SuccessImportance
		lines = append(lines, take)
	}
	done := widget.NewButton(w.Done, func() { u.tapDone() })
	done.Importance = widget.HighImportance
	u.buttons["done"] = done
	buttons = append(buttons, container.NewGridWrap(fyne.NewSize(380, btnH), done))
	column := func(objs []fyne.CanvasObject) *fyne.Container {
		return container.NewVBox(append(append([]fyne.CanvasObject{layout.NewSpacer()}, objs...), layout.NewSpacer())...)
	}
	header := u.headerLocked(false, false)
	row := container.NewCenter(container.NewHBox(buttons...))
	screen := container.NewBorder(header, nil, nil, nil, container.NewPadded(container.NewBorder(nil, row, nil, nil, column(lines))))
	if faulty {
		// "Xin ghi nhớ số của bạn" is the message when nothing printed:
		// it stays, and the code may get smaller.
		u.fitConfirmLocked(screen, code, nil, minFitCode*3/4, fit)
	} else {
		u.fitConfirmLocked(screen, code, headLabel, minFitCode, fit)
	}
	if room := u.root.Size(); room.Width > room.Height && screen.MinSize().Height > room.Height {
		// Still too tall on a landscape screen (large text on a short
		// one): the code, the field and "take your ticket" on the left,
		// the rest on the right.
		split := slices.Index(lines, fyne.CanvasObject(fit[0].l)) + 1
		for _, f := range fit {
			f.l.Text = wrapLines(f.text, int((room.Width/2-60)/(labelSize(f.l)*u.pal.scale()*0.6)))
			f.l.Refresh()
		}
		left, right := slices.Clone(lines[:split]), lines[split:]
		if !faulty { // "take your ticket" under the field: the columns even out
			left, right = append(left, right[len(right)-1]), right[:len(right)-1]
		}
		cols := container.NewGridWithColumns(2, column(left), column(right))
		screen = container.NewBorder(header, nil, nil, nil, container.NewPadded(container.NewBorder(nil, row, nil, nil, cols)))
	}
	idle := u.opts.Confirm
	if faulty {
		idle = u.opts.Idle
	}
	u.showLocked(ScreenConfirm, screen, idle)
}

// wrapLines breaks s at spaces into lines of at most max characters (a
// word longer than that keeps its own line). Non-breaking spaces keep
// words together.
func wrapLines(s string, max int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Split(s, " ") {
		l := len([]rune(w))
		if i > 0 && n+1+l > max {
			b.WriteString("\n")
			n = 0
		} else if i > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += l
	}
	return b.String()
}

// labelSize is the size (before the large-text scale) of a bigLabel.
func labelSize(l *widget.Label) float32 {
	switch l.SizeName {
	case theme.SizeNameHeadingText:
		return sizeHeading
	case theme.SizeNameSubHeadingText:
		return sizeSubhead
	case theme.SizeNameCaptionText:
		return sizeCaption
	}
	return sizeText
}

// fitLabel is a label of the confirmation with its text and size before
// any fitting.
type fitLabel struct {
	l    *widget.Label
	text string
	size float32
}

// minFitCode is the smallest the confirmation's code gets to make room.
const minFitCode = 100

// fitConfirmLocked makes the confirmation fit the screen when its lines
// are more than the screen holds (a booking's note, a priority tag, the
// wait with its range, large text, a short screen); one that fits is left
// as it is. In turn, until it fits: the lines are wrapped at the screen's
// width rather than the usual 900 px; the code gets smaller, down to
// minCode; the heading above the code ("Số thứ tự của bạn"), unless head
// is nil, goes; the lines take the next smaller size.
func (u *UI) fitConfirmLocked(screen fyne.CanvasObject, code *canvas.Text, head *widget.Label, minCode float32, ls []fitLabel) {
	room := u.root.Size()
	if room.Height <= 0 {
		return
	}
	over := func() float32 { return screen.MinSize().Height - room.Height }
	if over() <= 0 {
		return
	}
	wrap := func(f fitLabel, size float32) {
		f.l.Text = balance(f.text, int((room.Width-80)/(size*u.pal.scale()*0.6)))
		f.l.Refresh()
	}
	for _, f := range ls {
		wrap(f, f.size)
	}
	if o := over(); o > 0 && code.TextSize > minCode {
		h := code.MinSize().Height
		code.TextSize = max(minCode, code.TextSize*(h-o)/h)
		code.Refresh()
	}
	if over() > 0 && head != nil {
		head.Hide()
	}
	if over() > 0 {
		for _, f := range ls {
			switch f.l.SizeName {
			case theme.SizeNameHeadingText:
				f.l.SizeName = theme.SizeNameSubHeadingText
				wrap(f, sizeSubhead)
			case theme.SizeNameSubHeadingText:
				f.l.SizeName = theme.SizeNameText
				f.l.TextStyle.Bold = false
				wrap(f, sizeText)
			}
		}
	}
}

func (u *UI) tapReprint() {
	u.mu.Lock()
	if u.busy || u.result == nil {
		u.mu.Unlock()
		return
	}
	u.busy = true
	r := *u.result // the copy is printed off the UI thread; the shown one stays untouched
	u.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_ = u.k.Reprint(ctx, &r)
		cancel()
		st := u.k.State()
		fyne.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.busy = false
			if u.screen == ScreenConfirm && u.result != nil && u.result.Ticket.Code == r.Ticket.Code {
				u.st, u.result = st, &r
				u.showConfirmLocked()
			}
		})
	}()
}

// bigLabel is a centred label in a theme size. Long texts are broken into
// two balanced lines here instead of by word wrapping: a wrapped label's
// height lags its width by a layout pass, which pushed screens past the
// window's height.
func bigLabel(text string, size float32) *widget.Label {
	l := widget.NewLabel(balance(text, int(900/(size*0.6))))
	l.Alignment = fyne.TextAlignCenter
	l.TextStyle.Bold = size >= sizeSubhead
	switch size {
	case sizeHeading:
		l.SizeName = theme.SizeNameHeadingText
	case sizeSubhead:
		l.SizeName = theme.SizeNameSubHeadingText
	case sizeCaption:
		l.SizeName = theme.SizeNameCaptionText
	}
	return l
}

// oneLine is a bold text on one line, at the largest of sizes at which it
// fits the width, else on two (the centre's name in the header).
type oneLine struct {
	widget.BaseWidget
	text  string
	col   color.Color
	sizes []float32
}

func (o *oneLine) CreateRenderer() fyne.WidgetRenderer {
	t := canvas.NewText(o.text, o.col)
	t.TextStyle.Bold = true
	return &oneLineRenderer{o: o, t: t}
}

type oneLineRenderer struct {
	o    *oneLine
	t    *canvas.Text // the style
	objs []fyne.CanvasObject
}

func (r *oneLineRenderer) Layout(size fyne.Size) {
	f := fit(r.o.text, r.t.TextStyle, size.Width, size.Height, r.o.sizes)
	r.objs = r.objs[:0]
	y := (size.Height - f.h) / 2
	for _, l := range f.lines {
		t := canvas.NewText(l, r.o.col)
		t.TextStyle, t.TextSize = r.t.TextStyle, f.size
		h := f.h / float32(len(f.lines))
		placeLine(t, 0, y, size.Width, h)
		r.objs = append(r.objs, t)
		y += h
	}
}

func (r *oneLineRenderer) MinSize() fyne.Size {
	return fyne.NewSize(100, 2*lineHeight(r.o.sizes[len(r.o.sizes)-1], r.t.TextStyle))
}

func (r *oneLineRenderer) Refresh()                     { r.Layout(r.o.Size()); canvas.Refresh(r.o) }
func (r *oneLineRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *oneLineRenderer) Destroy()                     {}

// etaLine is the expected wait on the confirmation, with the range most
// citizens are called in when the server gave one (under an hour, so the
// line stays short).
func etaLine(w words, t protocol.Ticket) string {
	m := (t.ETASeconds + 30) / 60
	if t.Ahead <= 0 || m <= 0 {
		return w.Soon
	}
	s := fmt.Sprintf(w.ETA, m)
	if lo, hi := max(t.ETALowSeconds, 0)/60, (t.ETAHighSeconds+59)/60; lo >= 1 && hi > lo && hi < 60 {
		s += fmt.Sprintf(w.Range, lo, hi)
	}
	return s
}

// tileMinutes is the wait a ticket taken now would have, in minutes, as the
// server projects it (eta_new_seconds); 0 when it is under a minute or not
// known.
func tileMinutes(s protocol.Service) int {
	if s.ETANewSeconds == nil || *s.ETANewSeconds < 60 {
		return 0
	}
	return (*s.ETANewSeconds + 30) / 60
}

// headerLayout lays out the header: the centre's name, the connection
// mark and the buttons on one row on a wide screen; on a narrow
// (portrait) one the mark goes to a line of its own under the name and
// the buttons, so that the name is not squeezed. width is the screen's
// width now (0 before the window is sized).
type headerLayout struct {
	width func() float32
}

const headerGap = 12

func (h *headerLayout) narrow() bool { w := h.width(); return w > 0 && w < 1300 }

func (h *headerLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	title, mark, right := objs[0], objs[1], objs[2]
	rs, ms := right.MinSize(), mark.MinSize()
	if !h.narrow() {
		right.Move(fyne.NewPos(size.Width-rs.Width, (size.Height-rs.Height)/2))
		right.Resize(rs)
		mark.Move(fyne.NewPos(size.Width-rs.Width-ms.Width-headerGap, (size.Height-ms.Height)/2))
		mark.Resize(ms)
		title.Move(fyne.NewPos(0, 0))
		title.Resize(fyne.NewSize(max(size.Width-rs.Width-ms.Width-2*headerGap, 0), size.Height))
		return
	}
	row := max(rs.Height, title.MinSize().Height)
	right.Move(fyne.NewPos(size.Width-rs.Width, (row-rs.Height)/2))
	right.Resize(rs)
	title.Move(fyne.NewPos(0, 0))
	title.Resize(fyne.NewSize(max(size.Width-rs.Width-headerGap, 0), row))
	mark.Move(fyne.NewPos(0, row+headerGap/2))
	mark.Resize(fyne.NewSize(size.Width, ms.Height))
}

func (h *headerLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	title, mark, right := objs[0], objs[1], objs[2]
	rs, ms, ts := right.MinSize(), mark.MinSize(), title.MinSize()
	if !h.narrow() {
		return fyne.NewSize(ts.Width+ms.Width+rs.Width+2*headerGap, max(rs.Height, ms.Height, ts.Height))
	}
	return fyne.NewSize(max(ts.Width+rs.Width+headerGap, ms.Width), max(rs.Height, ts.Height)+headerGap/2+ms.Height)
}
