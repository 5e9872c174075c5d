package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/internal/cccd"
	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// ScreenCheckIn is the screen where a citizen types their booking code.
const ScreenCheckIn = "checkin"

// Scanner bursts. A barcode scanner in keyboard-wedge mode types a whole
// code in a few milliseconds a character and ends it with Enter; a person
// on the numeric keypad or the on-screen keys is far slower. The kiosk
// tells them apart by timing: characters less than burstGap apart belong
// to one burst, and a burst of at least burstMin characters ended by
// Enter is a scanned code. The keypad's keys are held for digitHold and
// acted on (in order) only when no further key came meanwhile, or when
// the keys were not a burst ended by Enter: the digits inside a burst (a
// booking code or an ID card number) never choose a tile, and two digits
// typed quickly still make a two-digit key.
//
// Under Xvfb, xdotool typing 4 ms apart reached the kiosk with gaps of up
// to ~45 ms (the Fyne thread drawing between events), so the gap allowed
// is 150 ms; digitHold is longer than burstGap, so a held digit is never
// acted on in the middle of a burst.
const (
	burstGap  = 150 * time.Millisecond
	burstMin  = 6
	digitHold = 200 * time.Millisecond
)

// bookWords are the texts of appointments and of the ID card.
type bookWords struct {
	Button, Title, Hint, Check, Clear                 string
	Booked, Early, Late, Replayed                     string
	ErrUnknown, ErrCancelled, ErrOtherDay, ErrNoShow  string
	ErrOffline, TakeNormal, ErrIncomplete, Unreadable string
	Hello, HelloPriority, ErrIDCap                    string
}

var bookVi = bookWords{
	Button:        "Tôi đã đặt lịch",
	Title:         "Nhập mã đặt lịch (6 ký tự) hoặc quét mã QR",
	Hint:          "Mã có trong tin nhắn hoặc ảnh đã lưu khi đặt lịch",
	Check:         "Lấy số",
	Clear:         "⌫ Xoá",
	Booked:        "Số theo lịch hẹn %s — bạn được gọi trước người đến không hẹn",
	Early:         "Bạn đến sớm: lượt của bạn bắt đầu lúc %s",
	Late:          "Bạn đến muộn so với lịch hẹn %s: số của bạn là số thường",
	Replayed:      "Mã này đã được dùng: in lại số đã cấp",
	ErrUnknown:    "Không tìm thấy mã đặt lịch này. Xin kiểm tra lại mã",
	ErrCancelled:  "Lịch hẹn này đã bị huỷ",
	ErrOtherDay:   "Lịch hẹn này không phải hôm nay",
	ErrNoShow:     "Lịch hẹn này đã quá hạn",
	ErrOffline:    "Mất kết nối: chưa kiểm tra được lịch hẹn.\nBạn có thể lấy số thường",
	TakeNormal:    "Lấy số thường",
	ErrIncomplete: "Mã đặt lịch có 6 ký tự",
	Unreadable:    "Không đọc được mã vừa quét",
	Hello:         "Xin chào %s",
	HelloPriority: "Xin chào %s — mời lấy số ưu tiên (hoặc bấm Quay lại để lấy số thường)",
	ErrIDCap:      "Hôm nay bạn đã lấy đủ số cho phép",
}

var bookEn = bookWords{
	Button:        "I have a booking",
	Title:         "Type your booking code (6 characters) or scan its QR code",
	Hint:          "The code is in the message or the image saved when you booked",
	Check:         "Get my number",
	Clear:         "⌫ Delete",
	Booked:        "Booked for %s — you are called before walk-ins",
	Early:         "You are early: your turn opens at %s",
	Late:          "You are late for your %s booking: this is a regular number",
	Replayed:      "This code was already used: the same number is printed again",
	ErrUnknown:    "This booking code was not found. Please check it",
	ErrCancelled:  "This booking was cancelled",
	ErrOtherDay:   "This booking is not for today",
	ErrNoShow:     "This booking has expired",
	ErrOffline:    "No connection: the booking cannot be checked now.\nYou can take a regular number",
	TakeNormal:    "Take a regular number",
	ErrIncomplete: "A booking code has 6 characters",
	Unreadable:    "The scanned code could not be read",
	Hello:         "Hello %s",
	HelloPriority: "Hello %s — please take a priority number (or press Back for a regular one)",
	ErrIDCap:      "You have taken as many numbers as allowed today",
}

func bookWordsFor(lang string) bookWords {
	if lang == protocol.LangEN {
		return bookEn
	}
	return bookVi
}

// tapBooking opens the check-in screen.
func (u *UI) tapBooking() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy {
		return
	}
	u.code = ""
	u.showCheckInLocked("")
}

// showCheckInLocked shows the code entry: the code typed so far in six
// boxes, a keyboard of the booking alphabet, Delete, Get my number and
// Back. note is a short message under the code ("" for none).
func (u *UI) showCheckInLocked(note string) {
	u.buttons = map[string]*widget.Button{}
	w, bw := wordsFor(u.lang), bookWordsFor(u.lang)
	title := bigLabel(bw.Title, sizeSubhead)
	hint := bigLabel(bw.Hint, sizeText)
	u.codeText = canvas.NewText(codeBoxes(u.code), u.pal.text)
	u.codeText.TextSize = sizeCode * 0.6
	u.codeText.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	u.codeText.Alignment = fyne.TextAlignCenter
	u.noteLabel = bigLabel(note, sizeText)
	u.noteLabel.Importance = widget.DangerImportance
	var keys []fyne.CanvasObject
	for _, r := range issuer.BookingAlphabet {
		s := string(r)
		b := widget.NewButton(s, func() { u.typeCode(s) })
		u.buttons["key-"+s] = b
		keys = append(keys, b)
	}
	del := widget.NewButton(bw.Clear, func() { u.typeCode("⌫") })
	u.buttons["key-del"] = del
	keys = append(keys, del)
	ok := widget.NewButton(bw.Check, func() { u.submitCode() })
	ok.Importance = widget.HighImportance
	u.buttons["check"] = ok
	keys = append(keys, ok)
	cols := 8
	if u.root.Size().Width > 0 && u.root.Size().Width < u.root.Size().Height {
		cols = 6 // portrait: wider keys
	}
	grid := container.New(&keyGrid{cols: cols, gap: 12, minH: 84}, keys...)
	back := widget.NewButton(w.Back, func() { u.tapBack() })
	back.Importance = widget.HighImportance
	u.buttons["back"] = back
	top := container.NewVBox(title, hint, u.codeText, u.noteLabel)
	body := container.NewBorder(top, container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 96), back)), nil, nil, grid)
	u.showLocked(ScreenCheckIn, container.NewBorder(u.headerLocked(true, false), nil, nil, nil, container.NewPadded(body)), u.opts.Idle)
}

// codeBoxes shows the code typed so far in six places: "AC3_ _ _".
func codeBoxes(code string) string {
	var b strings.Builder
	for i := range issuer.BookingCodeLen {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i < len(code) {
			b.WriteByte(code[i])
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// typeCode adds a character of the alphabet to the code ("⌫" deletes the
// last one).
func (u *UI) typeCode(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.screen != ScreenCheckIn || u.busy {
		return
	}
	switch {
	case s == "⌫":
		if u.code != "" {
			u.code = u.code[:len(u.code)-1]
		}
	case len(u.code) < issuer.BookingCodeLen:
		u.code += s
	}
	u.codeText.Text = codeBoxes(u.code)
	u.codeText.Refresh()
	u.noteLabel.SetText("")
	u.armIdleLocked(u.opts.Idle)
}

// submitCode checks in the code typed on the check-in screen.
func (u *UI) submitCode() {
	u.mu.Lock()
	code := u.code
	if u.screen != ScreenCheckIn || u.busy {
		u.mu.Unlock()
		return
	}
	if issuer.BookingCode(code) == "" {
		u.noteLabel.SetText(bookWordsFor(u.lang).ErrIncomplete)
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	u.checkIn(code)
}

// checkIn checks the booking in off the UI thread; the confirmation (with
// the booking's note) or a plain-words refusal follows.
func (u *UI) checkIn(code string) {
	u.mu.Lock()
	if u.busy {
		u.mu.Unlock()
		return
	}
	u.busy = true
	lang := u.lang
	u.showLocked(ScreenPrinting, u.printingLocked(), 0)
	u.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, resp, err := u.k.CheckIn(ctx, code, lang)
		cancel()
		fyne.Do(func() { u.checkedIn(res, resp, err) })
	}()
}

func (u *UI) checkedIn(res issuer.Result, resp protocol.CheckInResponse, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.busy = false
	bw := bookWordsFor(u.lang)
	if err != nil {
		u.offerNormal = false
		switch {
		case errors.Is(err, issuer.ErrCheckInOffline):
			u.errText, u.offerNormal = bw.ErrOffline, true
		case client.IsCode(err, protocol.CodeNotFound):
			u.errText = bw.ErrUnknown
		case client.IsCode(err, protocol.CodeBookingCancelled):
			u.errText = bw.ErrCancelled
		case client.IsCode(err, protocol.CodeBookingOtherDay):
			u.errText = bw.ErrOtherDay
		case client.IsCode(err, protocol.CodeBookingNoShow):
			u.errText = bw.ErrNoShow
		case client.IsCode(err, protocol.CodeServiceClosed), client.IsCode(err, protocol.CodeOutsideHours), client.IsCode(err, protocol.CodeDailyCapReached):
			u.errText = wordsFor(u.lang).ErrClosed
		default:
			u.errText = wordsFor(u.lang).ErrGeneric
		}
		u.showErrorLocked()
		return
	}
	u.note = checkInNote(bw, resp, u.k.Location())
	u.result = &res
	u.showConfirmLocked()
	u.speakIssuedLocked(res.Ticket.Code)
}

// checkInNote is the line the confirmation adds for a checked-in booking.
func checkInNote(bw bookWords, r protocol.CheckInResponse, loc *time.Location) string {
	slot := r.Booking.SlotStart.In(loc).Format("15:04")
	switch {
	case r.Replayed:
		return bw.Replayed
	case r.Late:
		return fmt.Sprintf(bw.Late, slot)
	case r.Early:
		return fmt.Sprintf(bw.Early, r.Booking.WindowFrom.In(loc).Format("15:04"))
	}
	return fmt.Sprintf(bw.Booked, slot)
}

// keyGrid lays out the on-screen keyboard: cols columns, rows as tall as
// the room allows (at least minH, at most 130).
type keyGrid struct {
	cols      int
	gap, minH float32
}

func (g *keyGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	rows := (len(objs) + g.cols - 1) / g.cols
	w := (size.Width - g.gap*float32(g.cols-1)) / float32(g.cols)
	h := min(max((size.Height-g.gap*float32(rows-1))/float32(rows), g.minH), 130)
	top := max((size.Height-(h*float32(rows)+g.gap*float32(rows-1)))/2, 0)
	for i, o := range objs {
		c, r := i%g.cols, i/g.cols
		o.Move(fyne.NewPos(float32(c)*(w+g.gap), top+float32(r)*(h+g.gap)))
		o.Resize(fyne.NewSize(w, h))
	}
}

func (g *keyGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	rows := (len(objs) + g.cols - 1) / g.cols
	return fyne.NewSize(float32(g.cols)*60, float32(rows)*g.minH+g.gap*float32(rows-1))
}

// Scanned takes a code read by a barcode scanner on a serial port
// (kiosk/internal/scanner) as a keyboard-wedge scan ended by Enter.
// Safe from any goroutine.
func (u *UI) Scanned(s string) { fyne.Do(func() { u.scanned(s) }) }

// scanned routes a burst ended by Enter: a booking code checks in, an ID
// card line greets the citizen, anything else is ignored with a notice.
func (u *UI) scanned(s string) {
	s = strings.TrimSpace(s)
	if code := issuer.BookingCode(s); code != "" {
		u.checkIn(code)
		return
	}
	if cccd.Looks(s) {
		if card, err := cccd.Parse(s); err == nil {
			u.greet(card)
			return
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.noticeLocked(bookWordsFor(u.lang).Unreadable)
}

// noticeLocked shows a short message: under the code on the check-in
// screen, else as the home screen's heading for a few seconds.
func (u *UI) noticeLocked(msg string) {
	if u.screen == ScreenCheckIn && u.noteLabel != nil {
		u.noteLabel.SetText(msg)
		return
	}
	if u.screen != ScreenHome && u.screen != ScreenPriority {
		return
	}
	u.notice = msg
	u.renderHomeLocked(u.screen == ScreenPriority, true)
	gen := u.gen
	time.AfterFunc(4*time.Second, func() {
		fyne.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			if u.gen == gen && u.notice == msg {
				u.notice = ""
				u.renderHomeLocked(u.screen == ScreenPriority, true)
			}
		})
	})
}

// greet welcomes the citizen whose ID card was scanned by name and, from
// the centre's priority age on (today in the centre's time zone), opens
// the priority choice for them: preselected, still their choice (Back
// leads to the regular one). The name stays on this kiosk.
func (u *UI) greet(card cccd.Card) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy || (u.screen != ScreenHome && u.screen != ScreenPriority && u.screen != ScreenCheckIn) {
		return
	}
	today := cccd.DateOf(u.now().In(u.k.Location()))
	u.card = &card
	u.nav = nav{}
	prio := card.AgeOn(today) >= u.st.Centre.PriorityAgeOrDefault()
	u.renderHomeLocked(prio, true)
}

// bannerLocked is the line above the home screen's choice: a notice, or
// the greeting of a citizen whose ID card was scanned ("" for none). It
// is a banner of its own, not the chooser's heading, which a short screen
// gives up for a row of tiles.
func (u *UI) bannerLocked(prio bool) string {
	bw := bookWordsFor(u.lang)
	switch {
	case u.notice != "":
		return u.notice
	case u.card != nil && prio:
		return fmt.Sprintf(bw.HelloPriority, u.card.Name)
	case u.card != nil:
		return fmt.Sprintf(bw.Hello, u.card.Name)
	}
	return ""
}

// burstRune records a typed character for the scanner burst; it tells
// whether the character continues a burst (then it is no keypad key).
func (u *UI) burstRune(r rune) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	cont := len(u.burst) > 0 && now.Sub(u.burstAt) < burstGap
	if !cont {
		u.burst = u.burst[:0]
	}
	u.burst = append(u.burst, r)
	u.burstAt = now
	return cont
}

// burstEnd takes the burst ended by Enter now ("" when the characters
// before it were typed by a person, or too few).
func (u *UI) burstEnd() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := string(u.burst)
	ok := len(u.burst) >= burstMin && time.Since(u.burstAt) < burstGap
	u.burst = u.burst[:0]
	if !ok {
		return ""
	}
	return s
}

// bannerBoxLocked draws the banner: bold, on the group colour.
func (u *UI) bannerBoxLocked(text string) fyne.CanvasObject {
	bg := canvas.NewRectangle(u.pal.group)
	bg.StrokeColor, bg.StrokeWidth, bg.CornerRadius = u.pal.edge, 3, 12
	l := &oneLine{text: text, col: u.pal.text, sizes: []float32{sizeSubhead * u.pal.scale(), 28, 26, 24}}
	l.ExtendBaseWidget(l)
	return container.NewStack(bg, container.NewPadded(l))
}
