package enginetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// runPriorityRules runs the per-field priority rules and booked-ticket
// ordering cases .
func runPriorityRules(t *testing.T, newOpener NewOpener) {
	t.Run("PriorityRules", func(t *testing.T) { testPriorityRules(t, newOpener) })
	t.Run("PriorityRuleValidation", func(t *testing.T) { testPriorityRuleValidation(t, newOpener(t)) })
	t.Run("InterleaveSurvivesRestart", func(t *testing.T) { testInterleaveRestart(t, newOpener(t)) })
	t.Run("PriorityRulePerField", func(t *testing.T) { testRulePerField(t, newOpener(t)) })
	t.Run("BookedOrdering", func(t *testing.T) { testBookedOrdering(t, newOpener(t)) })
	t.Run("BookedPositions", func(t *testing.T) { testBookedPositions(t, newOpener) })
	t.Run("BookedPositionValidation", func(t *testing.T) { testBookedPositionValidation(t, newOpener(t)) })
}

// setRule sets field id's priority rule.
func setRule(t testing.TB, e *queue.Engine, id, rule string, every int) {
	t.Helper()
	ctx := context.Background()
	for _, s := range e.Services() {
		if s.ID == id {
			s.PriorityRule, s.PriorityEvery = rule, every
			if _, err := e.PutService(ctx, s); err != nil {
				t.Fatalf("set rule %s %d on %s: %v", rule, every, id, err)
			}
			return
		}
	}
	t.Fatalf("no field %s", id)
}

// callAll presses Next at counter until nobody waits, n at most.
func callAll(t testing.TB, e *queue.Engine, counter string, n int) []string {
	t.Helper()
	var order []string
	for range n {
		tk, err := e.Next(context.Background(), counter, "clerk")
		if err != nil {
			t.Fatal(err)
		}
		if tk == nil {
			break
		}
		order = append(order, tk.Code)
	}
	return order
}

// bookingDay is the day of the booked-ordering tests, 28 November 2026 in
// Ho Chi Minh City: at(h, m) is a time of it, clk stands at h:m, and e is a
// seeded engine on s and clk.
func bookingDay(t testing.TB, s Backend, h, m int) (at func(h, m int) time.Time, clk *Clock, e *queue.Engine) {
	t.Helper()
	loc := HCM(t)
	at = func(h, m int) time.Time { return time.Date(2026, 11, 28, h, m, 0, 0, loc) }
	clk = NewClock(at(h, m))
	e = newEngine(t, s, clk)
	Seed(t, e)
	return at, clk, e
}

// waitingCodes is the waiting list of the fields, in call order, as its
// ticket codes ("[A001 A002]").
func waitingCodes(e *queue.Engine, fields ...string) string {
	var codes []string
	for _, w := range e.Waiting(fields) {
		codes = append(codes, w.Code)
	}
	return fmt.Sprint(codes)
}

// fourThenFive issues regular A001–A004 then priority A005–A009 in field a,
// a minute apart.
func fourThenFive(t testing.TB, e *queue.Engine, clk *Clock) {
	for i := range 9 {
		issue(t, e, "a", i >= 4)
		clk.Add(time.Minute)
	}
}

func testPriorityRules(t *testing.T, newOpener NewOpener) {
	for _, c := range []struct {
		rule  string
		every int
		want  string
	}{
		// Priority first, at most three in a row while a regular one waits.
		{"", 0, "[A005 A006 A007 A001 A008 A009 A002 A003 A004]"},
		{protocol.PriorityStrict, 0, "[A005 A006 A007 A001 A008 A009 A002 A003 A004]"},
		// 1 priority : 2 regular, starting with the priority ticket.
		{protocol.PriorityInterleave, 2, "[A005 A001 A002 A006 A003 A004 A007 A008 A009]"},
		{protocol.PriorityInterleave, 1, "[A005 A001 A006 A002 A007 A003 A008 A004 A009]"},
		// Everyone by issue time.
		{protocol.PriorityOff, 0, "[A001 A002 A003 A004 A005 A006 A007 A008 A009]"},
	} {
		t.Run(fmt.Sprintf("%s%d", c.rule, c.every), func(t *testing.T) {
			s := newOpener(t)(t)
			defer s.Close()
			clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
			e := newEngine(t, s, clk)
			Seed(t, e)
			if c.rule != "" {
				setRule(t, e, "a", c.rule, c.every)
			}
			fourThenFive(t, e, clk)
			if got := fmt.Sprint(callAll(t, e, "q2", 20)); got != c.want {
				t.Fatalf("rule %q %d: call order %s, want %s", c.rule, c.every, got, c.want)
			}
		})
	}
}

func testPriorityRuleValidation(t *testing.T, open Opener) {
	s, e := seeded(t, open, queue.SystemClock{})
	defer s.Close()
	setRule(t, e, "a", protocol.PriorityInterleave, 3)
	ctx := context.Background()
	for _, c := range []struct {
		rule  string
		every int
	}{
		{"alternate", 0}, {"STRICT", 0}, {protocol.PriorityInterleave, 0}, {protocol.PriorityInterleave, -1},
		{protocol.PriorityInterleave, protocol.MaxPriorityEvery + 1}, {protocol.PriorityStrict, 2}, {protocol.PriorityOff, 1}, {"", 4},
	} {
		var svc protocol.Service
		for _, x := range e.Services() {
			if x.ID == "a" {
				svc = x
			}
		}
		svc.PriorityRule, svc.PriorityEvery = c.rule, c.every
		_, err := e.PutService(ctx, svc)
		if queue.CodeOf(err) != protocol.CodeBadRequest {
			t.Fatalf("rule %q every %d: %v, want %s", c.rule, c.every, err, protocol.CodeBadRequest)
		}
	}
	for _, x := range e.Services() {
		if x.ID == "a" && (x.PriorityRule != protocol.PriorityInterleave || x.PriorityEvery != 3) {
			t.Fatalf("refused changes changed the field: %+v", x)
		}
	}
	// A PUT without the rule (an older client) keeps it; an explicit
	// strict sets it.
	for _, x := range e.Services() {
		if x.ID == "a" {
			x.PriorityRule, x.PriorityEvery, x.TargetMinutes = "", 0, 20
			got, err := e.PutService(ctx, x)
			if err != nil || got.PriorityRule != protocol.PriorityInterleave || got.PriorityEvery != 3 || got.TargetMinutes != 20 {
				t.Fatalf("PUT without the rule: %+v, %v; want interleave 3 kept", got, err)
			}
			x.PriorityRule = protocol.PriorityStrict
			if got, err := e.PutService(ctx, x); err != nil || got.PriorityRule != protocol.PriorityStrict || got.PriorityEvery != 0 {
				t.Fatalf("PUT with strict: %+v, %v", got, err)
			}
		}
	}
}

// testInterleaveRestart: the regular calls counted since the last priority
// one survive a restart, and so does the strict streak.
func testInterleaveRestart(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	setRule(t, e, "a", protocol.PriorityInterleave, 3)
	fourThenFive(t, e, clk)
	first := callAll(t, e, "q2", 3) // A005, then A001 and A002 of the three regular
	s.Close()
	s = open(t)
	defer s.Close()
	e = newEngine(t, s, clk)
	rest := callAll(t, e, "q2", 20)
	got := fmt.Sprint(append(first, rest...))
	if want := "[A005 A001 A002 A003 A006 A004 A007 A008 A009]"; got != want {
		t.Fatalf("interleave 1:3 across a restart: %s, want %s", got, want)
	}
}

// testRulePerField: a counter serving fields with different rules. The
// priority ticket of an off field queues as a regular one; the priority
// ticket of a strict field still goes first.
func testRulePerField(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	setRule(t, e, "b", protocol.PriorityOff, 0)
	issue(t, e, "b", true) // B001, 9:00, regular under off
	clk.Add(time.Minute)
	issue(t, e, "a", false) // A001, 9:01
	clk.Add(time.Minute)
	issue(t, e, "a", true) // A002, 9:02, priority under strict
	clk.Add(time.Minute)
	issue(t, e, "b", true) // B002, 9:03
	if got, want := fmt.Sprint(callAll(t, e, "q1", 10)), "[A002 B001 A001 B002]"; got != want {
		t.Fatalf("counter of a strict and an off field: %s, want %s", got, want)
	}
}

// book gives ticket id a booking whose window runs from from to to.
func book(t testing.TB, s Backend, id string, from, to time.Time) {
	t.Helper()
	_, err := s.Update(context.Background(), func(tx queue.Tx) error {
		r, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		r.Booking = &protocol.TicketBooking{Code: "BK-" + r.Code, SlotStart: from.Add(15 * time.Minute), WindowFrom: from, WindowTo: to}
		return tx.UpdateTicket(r)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testBookedOrdering: a booked ticket inside its window goes before every
// walk-in of its field, priority included; one before its window waits
// until it opens (unless nobody else waits at the counter); one after its
// window is a walk-in by its issue time.
func testBookedOrdering(t *testing.T, open Opener) {
	s := open(t)
	at, clk, e := bookingDay(t, s, 9, 40)
	late := issue(t, e, "a", false) // A001 9:40, window 9:00–9:25
	clk.Set(at(9, 50))
	issue(t, e, "a", false) // A002 9:50, walk-in
	clk.Set(at(9, 51))
	issue(t, e, "a", true) // A003 9:51, priority walk-in
	clk.Set(at(9, 52))
	early := issue(t, e, "a", false) // A004 9:52, window 10:30–10:55
	clk.Set(at(9, 55))
	inside := issue(t, e, "a", false) // A005 9:55, window 9:45–10:10
	clk.Set(at(9, 58))
	issue(t, e, "a", false) // A006 9:58, walk-in
	clk.Set(at(10, 0))
	issue(t, e, "a", false) // A007 10:00, walk-in
	book(t, s, late.ID, at(9, 0), at(9, 25))
	book(t, s, early.ID, at(10, 30), at(10, 55))
	book(t, s, inside.ID, at(9, 45), at(10, 10))
	// After a restart the engine knows the bookings from storage: the
	// waiting list shows the classes in call order.
	s.Close()
	s = open(t)
	defer s.Close()
	e = newEngine(t, s, clk)
	if got, want := waitingCodes(e, "a"), "[A005 A003 A001 A002 A006 A007 A004]"; got != want {
		t.Fatalf("waiting list %s, want %s (in window, priority, walk-ins and late by issue time, early)", got, want)
	}

	order := callAll(t, e, "q2", 4)
	clk.Set(at(10, 31)) // A004's window opens
	order = append(order, callAll(t, e, "q2", 10)...)
	if got, want := fmt.Sprint(order), "[A005 A003 A001 A002 A004 A006 A007]"; got != want {
		t.Fatalf("booked ordering: %s, want %s", got, want)
	}
	// An early booking at a counter where nobody else waits is served.
	clk.Set(at(10, 40))
	lone := issue(t, e, "a", false) // A008
	book(t, s, lone.ID, at(11, 30), at(11, 55))
	tk, err := e.Next(context.Background(), "q2", "clerk")
	if err != nil || tk == nil || tk.ID != lone.ID || tk.Booking == nil || tk.Booking.Code != "BK-A008" {
		t.Fatalf("early booking at an idle counter: %+v, %v", tk, err)
	}
}

// testBookedPositions: the call order of each booked position of a strict
// field, on the same tickets: regular A001, priority A002, regular A003,
// priority A004–A006, booked A007 (slot 9:51, in its window), regular A008.
func testBookedPositions(t *testing.T, newOpener NewOpener) {
	const (
		listFirst = "[A007 A002 A004 A005 A006 A001 A003 A008]"
		listAfter = "[A002 A004 A005 A006 A007 A001 A003 A008]"
		listLine  = "[A002 A004 A005 A006 A001 A007 A003 A008]"
	)
	for _, c := range []struct {
		pos, want, list string
	}{
		// Before everyone (the default).
		{"", "[A007 A002 A004 A005 A001 A006 A003 A008]", listFirst},
		{protocol.BookedFirst, "[A007 A002 A004 A005 A001 A006 A003 A008]", listFirst},
		// After the priority tickets, within the bound of three in a row:
		// the booked call leaves the streak at three, so a regular one goes
		// next.
		{protocol.BookedAfterPriority, "[A002 A004 A005 A007 A001 A006 A003 A008]", listAfter},
		// In the walk-in line at 9:51: after A001 (9:50), before A003
		// (9:52); priority tickets pass it as they pass walk-ins.
		{protocol.BookedInLine, "[A002 A004 A005 A001 A006 A007 A003 A008]", listLine},
	} {
		name := c.pos
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			open := newOpener(t)
			s := open(t)
			at, clk, e := bookingDay(t, s, 9, 50)
			if c.pos != "" {
				for _, x := range e.Services() {
					if x.ID == "a" {
						x.BookedPosition = c.pos
						if _, err := e.PutService(context.Background(), x); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			var booked protocol.Ticket
			for i, prio := range []bool{false, true, false, true, true, true, false, false} {
				tk := issue(t, e, "a", prio)
				if i == 6 {
					booked = tk
				}
				clk.Add(time.Minute)
			}
			book(t, s, booked.ID, at(9, 36), at(10, 10)) // slot 9:51
			// The waiting list shows the classes in call order (the
			// streak bound and interleave turns left out).
			s.Close()
			s = open(t)
			defer s.Close()
			e = newEngine(t, s, clk)
			if got := waitingCodes(e, "a"); got != c.list {
				t.Errorf("booked position %q: waiting list %s, want %s", c.pos, got, c.list)
			}
			if got := fmt.Sprint(callAll(t, e, "q2", 20)); got != c.want {
				t.Fatalf("booked position %q: call order %s, want %s", c.pos, got, c.want)
			}
		})
	}
}

// testBookedPositionValidation: an unknown booked position is refused and
// changes nothing; a PUT without it keeps it.
func testBookedPositionValidation(t *testing.T, open Opener) {
	s, e := seeded(t, open, queue.SystemClock{})
	defer s.Close()
	ctx := context.Background()
	field := func() protocol.Service {
		for _, x := range e.Services() {
			if x.ID == "a" {
				return x
			}
		}
		t.Fatal("no field a")
		return protocol.Service{}
	}
	x := field()
	x.BookedPosition = protocol.BookedInLine
	if _, err := e.PutService(ctx, x); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"last", "FIRST", "interleave", " in_line"} {
		x := field()
		x.BookedPosition, x.TargetMinutes = bad, 33
		if _, err := e.PutService(ctx, x); queue.CodeOf(err) != protocol.CodeBadRequest {
			t.Fatalf("booked_position %q: %v, want %s", bad, err, protocol.CodeBadRequest)
		}
	}
	if x := field(); x.BookedPosition != protocol.BookedInLine || x.TargetMinutes == 33 {
		t.Fatalf("refused changes changed the field: %+v", x)
	}
	x = field()
	x.BookedPosition = ""
	if got, err := e.PutService(ctx, x); err != nil || got.BookedPosition != protocol.BookedInLine {
		t.Fatalf("PUT without the position: %+v, %v; want in_line kept", got, err)
	}
	x.BookedPosition = protocol.BookedFirst
	if got, err := e.PutService(ctx, x); err != nil || got.BookedPosition != protocol.BookedFirst {
		t.Fatalf("PUT with first: %+v, %v", got, err)
	}
}
