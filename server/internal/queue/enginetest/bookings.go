package enginetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func runBookings(t *testing.T, newOpener NewOpener) {
	t.Run("BookingCapacity", func(t *testing.T) { testBookingCapacity(t, newOpener(t)) })
	t.Run("BookingConcurrent", func(t *testing.T) { testBookingConcurrent(t, newOpener(t)) })
	t.Run("BookingDays", func(t *testing.T) { testBookingDays(t, newOpener(t)) })
	t.Run("BookingCancelAndPhone", func(t *testing.T) { testBookingCancel(t, newOpener(t)) })
	t.Run("BookingCheckIn", func(t *testing.T) { testBookingCheckIn(t, newOpener(t)) })
	t.Run("BookingNoShow", func(t *testing.T) { testBookingNoShow(t, newOpener(t)) })
}

// bookingSeed seeds the centre and lets fields a and b take bookings every
// day at 09:00 and 10:00 with capacity places, 2 days ahead. The clock
// starts on Tuesday 2026-12-01 at 08:00 in Hanoi.
func bookingSeed(t *testing.T, open Opener, capacity int) (*queue.Engine, *Clock, Backend) {
	t.Helper()
	clk := NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	days := map[string]protocol.BookingDay{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		days[d] = protocol.BookingDay{Starts: []string{"10:00", "09:00"}, Capacity: capacity}
	}
	for _, svc := range []string{"a", "b"} {
		set, err := e.PutBookingSettings(context.Background(), protocol.BookingSettings{ServiceID: svc, Enabled: true, DaysAhead: 2, Days: days})
		if err != nil {
			t.Fatal(err)
		}
		if set.WindowBefore != 15 || set.WindowAfter != 10 {
			t.Fatalf("default window %d/%d, want 15/10", set.WindowBefore, set.WindowAfter)
		}
	}
	return e, clk, s
}

// at is 2026-12-(day) hh:mm in Hanoi.
func at(t testing.TB, day, hh, mm int) time.Time {
	return time.Date(2026, 12, day, hh, mm, 0, 0, HCM(t))
}

func bookSlot(t testing.TB, e *queue.Engine, svc string, start time.Time, phone string) protocol.Booking {
	t.Helper()
	b, err := e.Book(context.Background(), "public", protocol.BookingRequest{ServiceID: svc, Start: start, Phone: phone})
	if err != nil {
		t.Fatalf("book %s %s: %v", svc, start, err)
	}
	return b
}

func wantErrCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if queue.CodeOf(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func testBookingCapacity(t *testing.T, open Opener) {
	e, _, _ := bookingSeed(t, open, 2)
	ctx := context.Background()
	slots, err := e.Slots(ctx, "a", "2026-12-01")
	if err != nil || len(slots) != 2 || !slots[0].Start.Equal(at(t, 1, 9, 0)) || slots[0].Free != 2 || slots[0].Capacity != 2 {
		t.Fatalf("slots %+v %v", slots, err)
	}
	b1 := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	if len(b1.Code) != 6 || b1.Status != protocol.BookingBooked || b1.HasPhone || !b1.WindowFrom.Equal(at(t, 1, 8, 45)) || !b1.WindowTo.Equal(at(t, 1, 9, 10)) || b1.Day != "2026-12-01" {
		t.Errorf("booking %+v", b1)
	}
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 1, 9, 0)})
	wantErrCode(t, "third booking of a 2-place slot", err, protocol.CodeSlotFull)
	// The other slot and the other field are not affected.
	bookSlot(t, e, "a", at(t, 1, 10, 0), "")
	bookSlot(t, e, "b", at(t, 1, 9, 0), "")
	slots, _ = e.Slots(ctx, "a", "2026-12-01")
	if slots[0].Free != 0 || slots[1].Free != 1 {
		t.Errorf("free places %+v, want 0 and 1", slots)
	}
	// Not a slot, no such field, a field without settings.
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 1, 9, 30)})
	wantErrCode(t, "09:30 is no slot", err, protocol.CodeUnprocessable)
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "zz", Start: at(t, 1, 9, 0)})
	wantErrCode(t, "unknown field", err, protocol.CodeNotFound)
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "c", Start: at(t, 1, 9, 0)})
	wantErrCode(t, "field c takes no bookings", err, protocol.CodeBookingClosed)
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 1, 9, 0), Phone: "12ab"})
	wantErrCode(t, "bad phone", err, protocol.CodeBadRequest)
	// Slot length inside the opening hours: 08:00-10:00 by 45 minutes is 08:00 and 08:45.
	var svc protocol.Service
	for _, sv := range e.Services() {
		if sv.ID == "c" {
			svc = sv
		}
	}
	svc.Hours = protocol.Hours{"tue": {"08:00-10:00"}}
	if _, err := e.PutService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutBookingSettings(ctx, protocol.BookingSettings{ServiceID: "c", Enabled: true, DaysAhead: 1,
		Days: map[string]protocol.BookingDay{"tue": {SlotMinutes: 45, Capacity: 3}}}); err != nil {
		t.Fatal(err)
	}
	slots, err = e.Slots(ctx, "c", "2026-12-01")
	// 08:00 has started at 08:00 sharp (the clock): only 08:45 is left;
	// 09:30 would end after 10:00.
	if err != nil || len(slots) != 1 || !slots[0].Start.Equal(at(t, 1, 8, 45)) || slots[0].Free != 3 {
		t.Errorf("slots of c %+v %v, want 08:45 with 3 places", slots, err)
	}
	if slots, err := e.Slots(ctx, "c", "2026-12-02"); err != nil || len(slots) != 0 {
		t.Errorf("Wednesday of c: %+v %v, want no slots", slots, err)
	}
	for _, bad := range []protocol.BookingSettings{
		{ServiceID: "a", DaysAhead: -1},
		{ServiceID: "a", DaysAhead: 61},
		{ServiceID: "a", Days: map[string]protocol.BookingDay{"xyz": {Capacity: 1, SlotMinutes: 30}}},
		{ServiceID: "a", Days: map[string]protocol.BookingDay{"mon": {Capacity: 1}}},
		{ServiceID: "a", Days: map[string]protocol.BookingDay{"mon": {Capacity: 1, Starts: []string{"9h"}}}},
		{ServiceID: "a", Days: map[string]protocol.BookingDay{"mon": {Capacity: -1, SlotMinutes: 30}}},
		{ServiceID: "a", WindowBefore: -5},
	} {
		_, err := e.PutBookingSettings(ctx, bad)
		wantErrCode(t, "bad settings", err, protocol.CodeBadRequest)
	}
}

// testBookingConcurrent: 50 citizens book one slot of 5 places at once;
// exactly 5 get it.
func testBookingConcurrent(t *testing.T, open Opener) {
	e, _, _ := bookingSeed(t, open, 5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, full := 0, 0
	codes := map[string]bool{}
	for range 50 {
		wg.Go(func() {
			b, err := e.Book(context.Background(), "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 2, 9, 0)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				codes[b.Code] = true
			case queue.CodeOf(err) == protocol.CodeSlotFull:
				full++
			default:
				t.Errorf("book: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 5 || full != 45 || len(codes) != 5 {
		t.Fatalf("%d booked (%d codes), %d refused as full; want 5 and 45", ok, len(codes), full)
	}
	list, err := e.Bookings(context.Background(), "2026-12-02")
	if err != nil || len(list) != 5 {
		t.Fatalf("stored bookings: %d %v, want 5", len(list), err)
	}
}

func testBookingDays(t *testing.T, open Opener) {
	e, clk, _ := bookingSeed(t, open, 2)
	ctx := context.Background()
	bookSlot(t, e, "a", at(t, 3, 9, 0), "") // today + 2
	_, err := e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 4, 9, 0)})
	wantErrCode(t, "3 days ahead", err, protocol.CodeBookingClosed)
	_, err = e.Slots(ctx, "a", "2026-12-04")
	wantErrCode(t, "slots 3 days ahead", err, protocol.CodeBookingClosed)
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 30, 9, 0).AddDate(0, -1, 0)})
	wantErrCode(t, "a past day", err, protocol.CodeBookingClosed)
	// A slot already started today.
	clk.Set(at(t, 1, 9, 0))
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 1, 9, 0)})
	wantErrCode(t, "a slot already started", err, protocol.CodeBookingClosed)
	if slots, err := e.Slots(ctx, "a", "2026-12-01"); err != nil || len(slots) != 1 || !slots[0].Start.Equal(at(t, 1, 10, 0)) {
		t.Errorf("today's slots at 09:00: %+v %v, want 10:00 only", slots, err)
	}
	// A holiday refuses bookings and, on the day, kiosk tickets.
	hs, err := e.PutHolidays(ctx, []protocol.Holiday{{Day: "2026-12-02", Name: " Ngày nghỉ "}})
	if err != nil || len(hs) != 1 || hs[0].Name != "Ngày nghỉ" {
		t.Fatalf("holidays %+v %v", hs, err)
	}
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 2, 9, 0)})
	wantErrCode(t, "holiday booking", err, protocol.CodeBookingClosed)
	_, err = e.Slots(ctx, "a", "2026-12-02")
	wantErrCode(t, "holiday slots", err, protocol.CodeBookingClosed)
	issue(t, e, "a", false) // not a holiday today
	clk.Set(at(t, 2, 9, 0))
	_, err = e.Issue(ctx, "kiosk:k1", protocol.IssueRequest{ServiceID: "a"}, "")
	wantErrCode(t, "kiosk ticket on a holiday", err, protocol.CodeServiceClosed)
	for _, s := range e.Services() {
		if s.Open || s.ClosedReason != protocol.ClosedHoliday {
			t.Errorf("field %s on a holiday: open %v, closed_reason %q", s.ID, s.Open, s.ClosedReason)
		}
	}
	clk.Set(at(t, 3, 9, 0))
	if s := e.Services(); !s[0].Open {
		t.Errorf("the day after the holiday: %+v", s[0])
	}
	for _, bad := range [][]protocol.Holiday{{{Day: "2026-13-01"}}, {{Day: "2026-12-24"}, {Day: "2026-12-24"}}} {
		_, err := e.PutHolidays(ctx, bad)
		wantErrCode(t, "bad holidays", err, protocol.CodeBadRequest)
	}
	if hs, _ := e.Holidays(ctx); len(hs) != 1 {
		t.Errorf("refused holiday lists changed the list: %+v", hs)
	}
}

func testBookingCancel(t *testing.T, open Opener) {
	e, _, _ := bookingSeed(t, open, 1)
	ctx := context.Background()
	// Without a phone: the code alone cancels; cancelling again answers the same.
	b := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	if c, err := e.CancelBooking(ctx, b.Code, "", false); err != nil || c.Status != protocol.BookingCancelled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	if c, err := e.CancelBooking(ctx, " "+b.Code[:3]+"-"+b.Code[3:]+" ", "", false); err != nil || c.Status != protocol.BookingCancelled {
		t.Fatalf("cancel again (typed with a dash): %+v %v", c, err)
	}
	// Its place is free again.
	p := bookSlot(t, e, "a", at(t, 1, 9, 0), "0912 345 678")
	if !p.HasPhone {
		t.Error("has_phone false for a booking with a phone")
	}
	// With a phone: the same number is needed (any spelling of it).
	_, err := e.CancelBooking(ctx, p.Code, "", false)
	wantErrCode(t, "cancel without the phone", err, protocol.CodeForbidden)
	_, err = e.CancelBooking(ctx, p.Code, "0912345679", false)
	wantErrCode(t, "cancel with another phone", err, protocol.CodeForbidden)
	_, err = e.CancelBooking(ctx, "ACDEFH", "", false)
	wantErrCode(t, "unknown code", err, protocol.CodeNotFound)
	_, err = e.CancelBooking(ctx, "0OIL1", "", false)
	wantErrCode(t, "malformed code", err, protocol.CodeNotFound)
	// One booking per phone per field per day.
	_, err = e.Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: at(t, 1, 10, 0), Phone: "+84 912 345 678"})
	wantErrCode(t, "second booking of the phone", err, protocol.CodePhoneBooked)
	bookSlot(t, e, "b", at(t, 1, 10, 0), "0912345678") // another field
	bookSlot(t, e, "a", at(t, 2, 10, 0), "0912345678") // another day
	if c, err := e.CancelBooking(ctx, p.Code, "+84-912.345.678", false); err != nil || c.Status != protocol.BookingCancelled {
		t.Fatalf("cancel with the phone: %+v %v", c, err)
	}
	bookSlot(t, e, "a", at(t, 1, 10, 0), "0912345678") // the phone is free again that day
	// The integration (privileged) cancels without the phone.
	q := bookSlot(t, e, "b", at(t, 2, 9, 0), "0987654321")
	if _, err := e.CancelBooking(ctx, q.Code, "", true); err != nil {
		t.Fatalf("privileged cancel: %v", err)
	}
	// A checked-in booking cannot be cancelled.
	s := bookSlot(t, e, "b", at(t, 1, 9, 0), "")
	if _, _, err := e.CheckIn(ctx, "kiosk:k1", s.Code, ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.CancelBooking(ctx, s.Code, "", false)
	wantErrCode(t, "cancel a checked-in booking", err, protocol.CodeBookingUsed)
}

func testBookingCheckIn(t *testing.T, open Opener) {
	e, clk, _ := bookingSeed(t, open, 5)
	ctx := context.Background()
	early := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	inside := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	late := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	cancelled := bookSlot(t, e, "a", at(t, 1, 10, 0), "")
	tomorrow := bookSlot(t, e, "a", at(t, 2, 9, 0), "")
	if _, err := e.CancelBooking(ctx, cancelled.Code, "", false); err != nil {
		t.Fatal(err)
	}
	walkIn := issue(t, e, "a", false) // 08:00
	// Field a reaches a daily cap of 1: walk-ins are refused, booked
	// check-ins are not (they were admitted when booked).
	setCap := func(n int) {
		for _, sv := range e.Services() {
			if sv.ID == "a" {
				sv.DailyCap = n
				if _, err := e.PutService(ctx, sv); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	setCap(1)
	_, err := e.Issue(ctx, "kiosk:k1", protocol.IssueRequest{ServiceID: "a"}, "")
	wantErrCode(t, "walk-in over the cap", err, protocol.CodeDailyCapReached)
	// Early (08:30, the window opens at 08:45): a booked ticket that waits.
	clk.Set(at(t, 1, 8, 30))
	r, tok, err := e.CheckIn(ctx, "kiosk:k1", early.Code, "en")
	if err != nil || !r.Booked || !r.Early || r.Late || r.Ticket.ServiceID != "a" || r.Booking.Status != protocol.BookingCheckedIn || tok == "" || r.Booking.TicketCode != r.Ticket.Code {
		t.Fatalf("early check-in: %+v %v", r, err)
	}
	if tb := r.Ticket.Booking; tb == nil || tb.Code != early.Code || !tb.SlotStart.Equal(at(t, 1, 9, 0)) || !tb.WindowFrom.Equal(at(t, 1, 8, 45)) || !tb.WindowTo.Equal(at(t, 1, 9, 10)) {
		t.Errorf("booked ticket's booking: %+v", r.Ticket.Booking)
	}
	setCap(0)
	// Twice: the same ticket.
	r2, tok2, err := e.CheckIn(ctx, "kiosk:k2", early.Code, "")
	if err != nil || !r2.Replayed || r2.Ticket.ID != r.Ticket.ID || tok2 != tok || !r2.Booked {
		t.Fatalf("second check-in: %+v %v", r2, err)
	}
	// Inside the window.
	clk.Set(at(t, 1, 9, 5))
	r, _, err = e.CheckIn(ctx, "kiosk:k1", inside.Code, "")
	if err != nil || !r.Booked || r.Early || r.Late {
		t.Fatalf("check-in in the window: %+v %v", r, err)
	}
	insideCode := r.Ticket.Code
	// Both booked tickets, in their window, are called before the earlier
	// walk-in (the booked class of call-next, queue/priority.go), and carry
	// their booking as stored.
	var order []string
	for range 3 {
		c, err := e.Next(ctx, "q2", "u-clerk")
		if err != nil || c == nil {
			t.Fatalf("next: %+v %v", c, err)
		}
		order = append(order, c.Code)
		if c.Code != walkIn.Code && (c.Booking == nil || c.Booking.WindowTo.IsZero()) {
			t.Errorf("booked ticket %s called without its booking", c.Code)
		}
	}
	if order[2] != walkIn.Code || order[1] != insideCode {
		t.Errorf("call order %v: the booked tickets first, then the walk-in %s", order, walkIn.Code)
	}
	// Late (09:11, the window closed at 09:10): a walk-in ticket.
	clk.Set(at(t, 1, 9, 11))
	r, _, err = e.CheckIn(ctx, "kiosk:k1", late.Code, "")
	if err != nil || r.Booked || !r.Late || r.Booking.Status != protocol.BookingNoShow || r.Ticket.Status != protocol.StatusWaiting || r.Ticket.Booking != nil {
		t.Fatalf("late check-in: %+v %v", r, err)
	}
	if r2, _, err := e.CheckIn(ctx, "kiosk:k1", late.Code, ""); err != nil || r2.Ticket.ID != r.Ticket.ID || !r2.Late || !r2.Replayed {
		t.Fatalf("late check-in again: %+v %v", r2, err)
	}
	_, _, err = e.CheckIn(ctx, "kiosk:k1", cancelled.Code, "")
	wantErrCode(t, "cancelled", err, protocol.CodeBookingCancelled)
	_, _, err = e.CheckIn(ctx, "kiosk:k1", tomorrow.Code, "")
	wantErrCode(t, "tomorrow's booking", err, protocol.CodeBookingOtherDay)
	_, _, err = e.CheckIn(ctx, "kiosk:k1", "ACDEFH", "")
	wantErrCode(t, "unknown", err, protocol.CodeNotFound)
	_, _, err = e.CheckIn(ctx, "kiosk:k1", early.Code, "fr")
	wantErrCode(t, "bad lang", err, protocol.CodeBadRequest)
	// Yesterday's unused booking, next day: a no-show.
	clk.Set(at(t, 3, 8, 0))
	if err := e.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.CheckIn(ctx, "kiosk:k1", tomorrow.Code, "")
	wantErrCode(t, "an earlier day's booking", err, protocol.CodeBookingNoShow)
}

func testBookingNoShow(t *testing.T, open Opener) {
	e, clk, _ := bookingSeed(t, open, 5)
	ctx := context.Background()
	used := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	unused := bookSlot(t, e, "a", at(t, 1, 9, 0), "")
	later := bookSlot(t, e, "a", at(t, 1, 10, 0), "")
	gone := bookSlot(t, e, "b", at(t, 1, 9, 0), "")
	if _, err := e.CancelBooking(ctx, gone.Code, "", false); err != nil {
		t.Fatal(err)
	}
	clk.Set(at(t, 1, 9, 0))
	if _, _, err := e.CheckIn(ctx, "kiosk:k1", used.Code, ""); err != nil {
		t.Fatal(err)
	}
	// Just before the window ends nothing is marked.
	clk.Set(at(t, 1, 9, 9))
	if err := e.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	state := func() map[string]string {
		list, err := e.Bookings(ctx, "2026-12-01")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, b := range list {
			out[b.Code] = b.Status
		}
		return out
	}
	if st := state(); st[unused.Code] != protocol.BookingBooked {
		t.Fatalf("before the window end: %v", st)
	}
	clk.Set(at(t, 1, 9, 10))
	if err := e.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	st := state()
	if st[used.Code] != protocol.BookingCheckedIn || st[unused.Code] != protocol.BookingNoShow || st[later.Code] != protocol.BookingBooked || st[gone.Code] != protocol.BookingCancelled {
		t.Fatalf("after the window end: %v", st)
	}
	stats, err := e.BookingStats(ctx, "2026-12-01", "2026-12-01")
	if err != nil || len(stats) != 2 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	if a := stats[0]; a.ServiceID != "a" || a.Booked != 3 || a.CheckedIn != 1 || a.NoShow != 1 || a.Cancelled != 0 {
		t.Errorf("stats of a: %+v", a)
	}
	if b := stats[1]; b.ServiceID != "b" || b.Booked != 1 || b.Cancelled != 1 {
		t.Errorf("stats of b: %+v", b)
	}
}
