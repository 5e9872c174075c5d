package queue

import (
	"cmp"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/protocol"
)

// Call classes: how call-next counted a call, which decides how it moves
// the counter's priority streak and regular run.
const (
	classBooked   = "booked"
	classPriority = "priority"
	classRegular  = "regular"
)

// callClass is the class ticket t is called under at now, given the
// priority rule of its field: a booked ticket inside or before its window
// is booked (it leaves the counter's streak and run as they were); a
// priority ticket of a field whose rule is not off is priority; anything
// else (a late booking counts as a walk-in) is regular.
func callClass(t protocol.Ticket, rule string, now time.Time) string {
	switch t.Booking.Phase(now) {
	case protocol.BookingWindow, protocol.BookingEarly:
		return classBooked
	}
	if t.Priority && rule != protocol.PriorityOff {
		return classPriority
	}
	return classRegular
}

// countCall moves the counter's streak and run for a call of class.
func countCall(streak, run *int, class string) {
	switch class {
	case classPriority:
		*streak, *run = *streak+1, 0
	case classRegular:
		*streak, *run = 0, *run+1
	}
}

// waitRank places a waiting ticket in the listed call order (Waiting):
// booked inside its window (0; 2 when the field puts booked tickets after
// priority, 3 with the walk-ins when in line), priority under a rule that
// is not off (1), everyone else by issue time (3), booked before its
// window (4). The
// interleave rule and the streak bound are left out: the list shows
// classes, the projection the exact turns.
func waitRank(t protocol.Ticket, s protocol.Service, now time.Time) int {
	switch t.Booking.Phase(now) {
	case protocol.BookingWindow:
		switch s.Booked() {
		case protocol.BookedAfterPriority:
			return 2
		case protocol.BookedInLine:
			return 3
		}
		return 0
	case protocol.BookingEarly:
		return 4
	}
	if t.Priority && s.Rule() != protocol.PriorityOff {
		return 1
	}
	return 3
}

// lineTime is a waiting ticket's place in the walk-in line: its slot's
// start for a booked ticket inside its window, else its issue time.
func lineTime(t protocol.Ticket, now time.Time) time.Time {
	if t.Booking.Phase(now) == protocol.BookingWindow {
		return t.Booking.SlotStart
	}
	return t.IssuedAt
}

// earlier orders tickets by issue time, ties by id: the walk-in order.
func earlier(a, b TicketRecord) bool {
	if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

// bookedOrder orders booked tickets inside their window: the earlier slot
// first, then by issue time.
func bookedOrder(a, b TicketRecord) int {
	if c := a.Booking.SlotStart.Compare(b.Booking.SlotStart); c != 0 {
		return c
	}
	if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// callPlan is what a call at a counter serving fields reads besides the
// counter: each field's rules, and the oldest walk-ins to compare (all the
// candidates are read at once, even those a booked ticket in its window
// makes needless: one round trip to the store).
type callPlan struct {
	fields []string
	rules  map[string]protocol.Service
	oldest []OldestQuery
}

func planCall(tx Tx, fields []string) (callPlan, error) {
	p := callPlan{fields: fields, rules: make(map[string]protocol.Service, len(fields))}
	if len(fields) == 0 {
		return p, nil
	}
	var prioIDs, offIDs []string
	for _, id := range fields {
		s, err := tx.Service(id)
		if IsNotFound(err) {
			prioIDs = append(prioIDs, id) // a field deleted since: the default rule
			continue
		} else if err != nil {
			return p, err
		}
		p.rules[id] = s
		if s.Rule() == protocol.PriorityOff {
			offIDs = append(offIDs, id)
		} else {
			prioIDs = append(prioIDs, id)
		}
	}
	p.oldest = []OldestQuery{
		{ServiceIDs: prioIDs, Priority: true},
		{ServiceIDs: fields, Priority: false},
		{ServiceIDs: offIDs, Priority: true}, // an "off" field's priority tickets queue as regular
	}
	return p, nil
}

// pick applies the call-next policy at counter c at now (docs/ARCHITECTURE.md,
// "call-next"):
//
//  1. a booked ticket of its fields inside its window (WindowFrom ≤ now ≤
//     WindowTo), the earliest slot first;
//  2. else the walk-ins: the priority candidate is the oldest priority
//     ticket of its fields whose rule is not off; the regular candidate the
//     oldest other ticket (priority tickets of off fields and late bookings
//     included, by issue time). When both wait, the rule of the priority
//     candidate's field decides: strict calls it unless the counter called
//     MaxPriorityStreak priority tickets in a row; interleave N calls it
//     once the counter called N regular tickets since its last priority
//     one;
//     A field's booked position (protocol.Service.BookedPosition) moves
//     step 1: "after_priority" calls the priority candidate first while
//     the counter called fewer than MaxPriorityStreak priority tickets in
//     a row; "in_line" makes the booked ticket the regular candidate when
//     its slot began no later than the oldest regular ticket was issued;
//  3. else, nobody else waiting at this counter, a booked ticket whose
//     window has not opened yet (the earliest window first): an idle clerk
//     serves the early citizen rather than nobody.
//
// The candidates are read before (callPlan, Tx.ReadCall): booked, the
// waiting booked tickets of the counter's fields, and oldest, the answers
// to plan.oldest.
func (e *Engine) pick(c *CounterRecord, plan callPlan, booked []TicketRecord, oldest []*TicketRecord, now time.Time) (TicketRecord, bool, error) {
	if len(c.ServiceIDs) == 0 {
		return TicketRecord{}, false, nil
	}
	rules := plan.rules
	var inWindow, early *TicketRecord
	var p, r *TicketRecord
	consider := func(slot **TicketRecord, t TicketRecord) {
		if *slot == nil || earlier(t, **slot) {
			*slot = &t
		}
	}
	for _, t := range booked {
		switch t.Booking.Phase(now) {
		case protocol.BookingWindow:
			if inWindow == nil || bookedOrder(t, *inWindow) < 0 {
				inWindow = &t
			}
		case protocol.BookingEarly:
			if early == nil || t.Booking.WindowFrom.Before(early.Booking.WindowFrom) ||
				t.Booking.WindowFrom.Equal(early.Booking.WindowFrom) && earlier(t, *early) {
				early = &t
			}
		default: // late: a walk-in by its issue time
			if callClass(t.Ticket, rules[t.ServiceID].Rule(), now) == classPriority {
				consider(&p, t)
			} else {
				consider(&r, t)
			}
		}
	}
	pos := protocol.BookedFirst
	if inWindow != nil {
		if s, ok := rules[inWindow.ServiceID]; ok {
			pos = s.Booked()
		}
		if pos == protocol.BookedFirst {
			return *inWindow, true, nil
		}
	}
	for i, t := range oldest {
		if t == nil {
			continue
		}
		if i == 0 {
			consider(&p, *t)
		} else {
			consider(&r, *t)
		}
	}
	if inWindow != nil {
		switch pos {
		case protocol.BookedAfterPriority:
			// The priority candidate goes first within the streak bound;
			// booked calls leave the streak as it was, so the bound holds.
			if p == nil || c.PriorityStreak >= e.opts.MaxPriorityStreak {
				return *inWindow, true, nil
			}
			t := *p
			countCall(&c.PriorityStreak, &c.RegularRun, classPriority)
			return t, true, nil
		case protocol.BookedInLine:
			// In the walk-in line at its slot's start: it takes the regular
			// candidate's place when its slot began no later.
			if r == nil || !inWindow.Booking.SlotStart.After(r.IssuedAt) {
				r = inWindow
			}
		}
	}
	var t *TicketRecord
	switch {
	case p != nil && r != nil:
		s := rules[p.ServiceID]
		t = r
		if forecast.PriorityGoes(s.Rule(), s.PriorityEvery, c.PriorityStreak, c.RegularRun, e.opts.MaxPriorityStreak) {
			t = p
		}
	case p != nil:
		t = p
	case r != nil:
		t = r
	case early != nil:
		t = early
	default:
		return TicketRecord{}, false, nil
	}
	countCall(&c.PriorityStreak, &c.RegularRun, callClass(t.Ticket, rules[t.ServiceID].Rule(), now))
	return *t, true, nil
}
