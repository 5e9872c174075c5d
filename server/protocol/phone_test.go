package protocol

import (
	"slices"
	"testing"
)

// TestPhoneChange: each event is read for the phone views (which ticket,
// which fields) and folded into a view as the phone page expects it.
func TestPhoneChange(t *testing.T) {
	q1 := Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a", "b"}}
	waiting := Ticket{ID: "t1", Code: "A001", ServiceID: "a", Status: StatusWaiting, Ahead: 3, ETASeconds: 600}
	called := waiting
	called.Status, called.CounterID, called.Note = StatusCalled, "q1", "hồ sơ thiếu"
	done := called
	done.Status = StatusDone
	moved := waiting
	moved.ServiceID, moved.FromServiceID = "b", "a"
	offline := waiting
	offline.Offline = true
	start := TicketView{Ticket: waiting, Reason: ViewSnapshot, Waiting: 4, OpenCounters: 1}

	for _, c := range []struct {
		name    string
		ev      Event
		ticket  string
		fields  []string
		reason  string
		status  string
		counter string
		canRate bool
		rated   bool
		ahead   int
	}{
		{"issued", ev(2, EventTicketIssued, waiting), "", []string{"a"}, ViewSnapshot, StatusWaiting, "", false, false, 3},
		{"offline synced", ev(2, EventTicketIssued, offline), "t1", []string{"a"}, ViewSynced, StatusWaiting, "", false, false, -1},
		{"called", ev(2, EventTicketCalled, Call{Ticket: called, Counter: q1}), "t1", []string{"a"}, ViewCalled, StatusCalled, "q1", false, false, 3},
		{"recalled", ev(2, EventTicketRecalled, Call{Ticket: called, Counter: q1, Recall: true}), "t1", []string{"a"}, ViewRecalled, StatusCalled, "q1", false, false, 3},
		{"done", ev(2, EventTicketDone, done), "t1", []string{"a"}, ViewDone, StatusDone, "", true, false, 3},
		{"no show", ev(2, EventTicketNoShow, Ticket{ID: "t1", ServiceID: "a", Status: StatusNoShow}), "t1", []string{"a"}, ViewNoShow, StatusNoShow, "", false, false, 0},
		{"transferred", ev(2, EventTicketTransferred, moved), "t1", []string{"b", "a"}, ViewTransferred, StatusWaiting, "", false, false, -1},
		{"cancelled", ev(2, EventTicketCancelled, Ticket{ID: "t1", ServiceID: "a", Status: StatusCancelled}), "t1", []string{"a"}, ViewCancelled, StatusCancelled, "", false, false, 0},
		{"rated", ev(2, EventTicketRated, RatedEvent{TicketID: "t1", Score: ScoreSatisfied}), "t1", nil, ViewRated, StatusWaiting, "", false, true, -1},
		{"counter", ev(2, EventCounterUpdated, q1), "", []string{"a", "b"}, ViewSnapshot, StatusWaiting, "", false, false, 3},
		{"service", ev(2, EventServiceUpdated, Service{ID: "b"}), "", []string{"b"}, ViewSnapshot, StatusWaiting, "", false, false, 3},
		{"centre", ev(2, EventCentreUpdated, Centre{}), "", nil, ViewSnapshot, StatusWaiting, "", false, false, 3},
		{"malformed", Event{Seq: 2, Type: EventTicketCalled, Data: []byte(`[]`)}, "", nil, ViewSnapshot, StatusWaiting, "", false, false, 3},
	} {
		ch := PhoneChangeOf(c.ev)
		if ch.TicketID != c.ticket || !slices.Equal(ch.Fields, c.fields) {
			t.Errorf("%s: ticket %q fields %v; want %q %v", c.name, ch.TicketID, ch.Fields, c.ticket, c.fields)
		}
		v := ch.Apply(start)
		counter := ""
		if v.Counter != nil {
			counter = v.Counter.ID
		}
		if v.Reason != c.reason || v.Ticket.Status != c.status || counter != c.counter || v.CanRate != c.canRate ||
			v.Rated != c.rated || v.Ticket.Ahead != c.ahead || v.Ticket.Note != "" {
			t.Errorf("%s: view %+v", c.name, v)
		}
		if v.Waiting != 4 || v.OpenCounters != 1 {
			t.Errorf("%s: counts changed: %+v", c.name, v)
		}
	}
	if start.Reason != ViewSnapshot || start.Ticket.Ahead != 3 {
		t.Fatal("Apply modified the view it was given")
	}
}

// TestPhoneRatingRule: a finished ticket may be rated once; a rating closes
// it, and a later event about the ticket does not reopen it.
func TestPhoneRatingRule(t *testing.T) {
	done := Ticket{ID: "t1", ServiceID: "a", Status: StatusDone}
	v := TicketView{Ticket: Ticket{ID: "t1", ServiceID: "a", Status: StatusCalled}}
	v = PhoneChangeOf(ev(2, EventTicketDone, done)).Apply(v)
	if !v.CanRate || v.Rated {
		t.Fatalf("done: can rate %v, rated %v", v.CanRate, v.Rated)
	}
	v = PhoneChangeOf(ev(3, EventTicketRated, RatedEvent{TicketID: "t1"})).Apply(v)
	if v.CanRate || !v.Rated || v.Reason != ViewRated || v.Ticket.Status != StatusDone {
		t.Fatalf("rated: %+v", v)
	}
	v = PhoneChangeOf(ev(4, EventTicketDone, done)).Apply(v)
	if v.CanRate || !v.Rated {
		t.Fatalf("done again after the rating: can rate %v, rated %v", v.CanRate, v.Rated)
	}
}
