package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// testClock is the server's clock in these tests: it moves only when set.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// scan types s on the window's canvas as a keyboard-wedge scanner does:
// for each character a key event (ASCII letters and digits) and its rune,
// a few hundred microseconds apart, then Enter.
func scan(w fyne.Window, s string) {
	c := w.Canvas()
	for _, r := range s {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyName(string(unicode.ToUpper(r)))})
		}
		c.OnTypedRune()(r)
	}
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEnter})
}

// TestCheckInBooking: on a real server with bookings made through the
// API, the kiosk checks them in from the on-screen keyboard and from a
// scanner burst (on the home screen and on the check-in screen): inside
// the window a booked ticket, early with the time the turn opens, late a
// walk-in; unknown, cancelled and other-day codes are refused in plain
// words, and offline the kiosk offers a regular number.
func TestCheckInBooking(t *testing.T) {
	ctx := context.Background()
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 8, 0, 0, 0, 0, hcm) // a Tuesday
	clk := &testClock{now: day.Add(8 * time.Hour)}
	srv := servertest.Start(t, servertest.Options{Clock: clk})
	admin := srv.Client(srv.AdminToken())
	days := map[string]protocol.BookingDay{}
	for _, k := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		days[k] = protocol.BookingDay{Starts: []string{"08:30", "09:00", "10:00"}, Capacity: 5}
	}
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/bookings/settings/dat-dai", protocol.BookingSettings{Enabled: true, DaysAhead: 2, Days: days}, nil, nil); err != nil {
		t.Fatal(err)
	}
	pub := srv.Client("")
	book := func(at time.Time) string {
		t.Helper()
		b, err := pub.Book(ctx, protocol.BookingRequest{ServiceID: "dat-dai", Start: at})
		if err != nil {
			t.Fatal(err)
		}
		return b.Code
	}
	late, inside, early := book(day.Add(8*time.Hour+30*time.Minute)), book(day.Add(9*time.Hour)), book(day.Add(10*time.Hour))
	cancelled, tomorrow := book(day.Add(10*time.Hour)), book(day.Add(33*time.Hour))
	if _, err := admin.CancelBooking(ctx, cancelled, ""); err != nil {
		t.Fatal(err)
	}
	clk.Set(day.Add(9 * time.Hour))

	r := newRig(t, srv, "", screenSizes["landscape"])
	r.u.Keys(r.w.Canvas())
	waitScreen(t, r.u, ScreenHome)
	note := func() string {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.note
	}
	errText := func() string {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.errText
	}

	// Inside the window, typed on the on-screen keyboard.
	test.Tap(r.u.booking)
	waitScreen(t, r.u, ScreenCheckIn)
	golden(t, r.w, "checkin-1920x1080.png")
	for _, c := range inside[:5] {
		test.Tap(r.button(t, "key-"+string(c)))
	}
	test.Tap(r.button(t, "check")) // five characters: not sent
	if r.u.Screen() != ScreenCheckIn || r.u.noteLabel.Text != bookVi.ErrIncomplete {
		t.Fatalf("a five-character code: screen %s, note %q", r.u.Screen(), r.u.noteLabel.Text)
	}
	test.Tap(r.button(t, "key-X"))
	test.Tap(r.button(t, "key-del"))
	test.Tap(r.button(t, "key-"+inside[5:]))
	test.Tap(r.button(t, "check"))
	waitScreen(t, r.u, ScreenConfirm)
	res := r.result(t)
	if res.Field.ID != "dat-dai" || res.Ticket.Booking == nil {
		t.Fatalf("typed %s: ticket %+v of %s", inside, res.Ticket, res.Field.ID)
	}
	if want := fmt.Sprintf(bookVi.Booked, "09:00"); note() != want {
		t.Fatalf("inside: note %q, want %q", note(), want)
	}
	golden(t, r.w, "checkin-booked-1920x1080.png")
	test.Tap(r.button(t, "done"))
	waitScreen(t, r.u, ScreenHome)

	// Early, scanned on the home screen: the digits of the code choose
	// no tile, the turn opens at 09:45.
	issued := len(r.fp.Jobs())
	scan(r.w, strings.ToLower(early))
	waitScreen(t, r.u, ScreenConfirm)
	time.Sleep(3 * digitHold) // a held key would act by now
	res = r.result(t)
	if res.Ticket.Booking == nil || r.u.Screen() != ScreenConfirm {
		t.Fatalf("scanned %s: %+v on %s", early, res.Ticket, r.u.Screen())
	}
	if want := fmt.Sprintf(bookVi.Early, "09:45"); note() != want {
		t.Fatalf("early: note %q, want %q", note(), want)
	}
	if n := len(r.fp.Jobs()); n != issued+1 {
		t.Fatalf("%d tickets printed for one scan", n-issued)
	}
	test.Tap(r.button(t, "done"))

	// Late, scanned on the check-in screen, in English: a walk-in.
	test.Tap(r.button(t, "lang"))
	test.Tap(r.u.booking)
	waitScreen(t, r.u, ScreenCheckIn)
	scan(r.w, late)
	waitScreen(t, r.u, ScreenConfirm)
	res = r.result(t)
	if res.Ticket.Booking != nil || res.Ticket.ServiceID != "dat-dai" {
		t.Fatalf("late: %+v", res.Ticket)
	}
	if want := fmt.Sprintf(bookEn.Late, "08:30"); note() != want {
		t.Fatalf("late: note %q, want %q", note(), want)
	}
	test.Tap(r.button(t, "done"))

	// Refusals, in plain words.
	for code, want := range map[string]string{"ACDEFH": bookVi.ErrUnknown, cancelled: bookVi.ErrCancelled, tomorrow: bookVi.ErrOtherDay} {
		waitScreen(t, r.u, ScreenHome)
		scan(r.w, code)
		waitScreen(t, r.u, ScreenError)
		if errText() != want {
			t.Errorf("%s: %q, want %q", code, errText(), want)
		}
		test.Tap(r.button(t, "back"))
	}

	// Not a code: a short notice, nothing issued.
	waitScreen(t, r.u, ScreenHome)
	jobs := len(r.fp.Jobs())
	scan(r.w, "HELLO-WORLD-1234")
	time.Sleep(3 * digitHold)
	r.u.mu.Lock()
	notice := r.u.notice
	r.u.mu.Unlock()
	if r.u.Screen() != ScreenHome || notice != bookVi.Unreadable || len(r.fp.Jobs()) != jobs {
		t.Fatalf("a stray scan: screen %s, notice %q, %d printed", r.u.Screen(), notice, len(r.fp.Jobs())-jobs)
	}

	// Offline: the booking cannot be checked; a regular number is offered.
	srv.Stop()
	test.Tap(r.u.booking)
	for _, c := range inside {
		test.Tap(r.button(t, "key-"+string(c)))
	}
	test.Tap(r.button(t, "check"))
	waitScreen(t, r.u, ScreenError)
	if errText() != bookVi.ErrOffline {
		t.Fatalf("offline: %q", errText())
	}
	golden(t, r.w, "checkin-offline-1920x1080.png")
	test.Tap(r.button(t, "normal"))
	waitScreen(t, r.u, ScreenHome)
}

// TestCheckInScreenSizes: the check-in screen and the home screen with the
// booking button in the three sizes: the booking button beside the
// priority and listen buttons, none overlapping, the keys large.
func TestCheckInScreenSizes(t *testing.T) {
	for _, o := range []string{"landscape", "portrait", "small"} {
		for _, n := range []int{25, 40} {
			t.Run(fmt.Sprintf("%d-%s", n, o), func(t *testing.T) {
				r := layoutRig(t, screenSizes[o])
				r.showFields(bigServices(n, false))
				checkTiles(t, r.u)
				r.u.mu.Lock()
				b, p := r.u.booking, r.u.priority
				r.u.mu.Unlock()
				bp, bs, pp, ps := b.Position(), b.Size(), p.Position(), p.Size()
				// Beside the priority button, or above it on a portrait
				// screen; never over it, never under a large target.
				beside := pp.Y == bp.Y && pp.X+ps.Width <= bp.X
				above := o == "portrait" && bp.Y+bs.Height <= pp.Y
				if bs.Width < 280 || bs.Height < 96 || ps.Height < 96 || !(beside || above) {
					t.Fatalf("booking %v+%v, priority %v+%v", bp, bs, pp, ps)
				}
				for _, tl := range r.u.home.shown().tiles {
					if tl.Position().Y+tl.Size().Height > bp.Y {
						t.Errorf("a tile reaches %v, the booking button starts at %v", tl.Position().Y+tl.Size().Height, bp.Y)
					}
				}
				if b.r.titleFit.size < 26 || len(b.r.titleFit.lines) > 2 {
					t.Errorf("booking button text %v px in %d lines", b.r.titleFit.size, len(b.r.titleFit.lines))
				}
				test.Tap(b)
				waitScreen(t, r.u, ScreenCheckIn)
				k := r.button(t, "key-A").(fyne.CanvasObject)
				if s := k.Size(); s.Width < 100 || s.Height < 80 {
					t.Errorf("key %v: under a large touch target", s)
				}
				if n == 25 {
					sz := screenSizes[o]
					golden(t, r.w, fmt.Sprintf("checkin-%dx%d.png", int(sz.Width), int(sz.Height)))
				}
			})
		}
	}
}

// TestScanIDCard: an ID card scanned on the home screen greets the citizen
// by name; from the centre's priority age (75 here) the priority choice
// opens for them, at 74 the regular one. A two-digit keypad entry still
// works next to the burst rule.
func TestScanIDCard(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	today := time.Date(2026, 12, 8, 10, 0, 0, 0, hcm)
	for _, tc := range []struct {
		birth string
		prio  bool
	}{{"08121951", true}, {"09121951", false}} { // 75 today; 75 tomorrow
		t.Run(tc.birth, func(t *testing.T) {
			r := layoutRig(t, screenSizes["landscape"])
			r.u.Keys(r.w.Canvas())
			r.u.now = func() time.Time { return today }
			age := 75
			c := r.k.State().Centre
			c.PriorityAge = &age
			r.k.SetFields(c, nil)
			r.showFields(bigServices(9, false))
			scan(r.w, "079051001234|023456789|Nguyễn Văn An|"+tc.birth+"|Nam|12 Lê Lợi, P. Bến Nghé, Q.1, TP. Hồ Chí Minh|10052021")
			time.Sleep(3 * digitHold)
			want, hello := ScreenHome, fmt.Sprintf(bookVi.Hello, "Nguyễn Văn An")
			if tc.prio {
				want, hello = ScreenPriority, fmt.Sprintf(bookVi.HelloPriority, "Nguyễn Văn An")
			}
			r.u.mu.Lock()
			title := r.u.bannerLocked(r.u.screen == ScreenPriority)
			r.u.mu.Unlock()
			if r.u.Screen() != want || !strings.HasPrefix(title, hello) {
				t.Fatalf("born %s: screen %s, heading %q", tc.birth, r.u.Screen(), title)
			}
			if tc.prio {
				golden(t, r.w, "cccd-priority-1920x1080.png")
			}
		})
	}
}

// TestBookingCodeAlphabet: the kiosk's copy of the booking alphabet reads
// the codes the server makes.
func TestBookingCodeAlphabet(t *testing.T) {
	for in, want := range map[string]string{"acd-efh": "ACDEFH", " 3479XY ": "3479XY", "ACDEF0": "", "ACDEF": "", "ACDEFHJ": ""} {
		if got := issuer.BookingCode(in); got != want {
			t.Errorf("BookingCode(%q) = %q, want %q", in, got, want)
		}
	}
}
