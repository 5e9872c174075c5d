package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTicketBookingWire: the booking travels as an optional object with
// its four keys, absent for a walk-in, and survives a round trip.
func TestTicketBookingWire(t *testing.T) {
	walk, err := json.Marshal(Ticket{ID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(walk), "booking") {
		t.Fatalf("a walk-in carries a booking: %s", walk)
	}
	slot := time.Date(2026, 12, 7, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	in := Ticket{ID: "t2", Booking: &TicketBooking{Code: "BK7Q2M", SlotStart: slot, WindowFrom: slot.Add(-15 * time.Minute), WindowTo: slot.Add(10 * time.Minute)}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "BK7Q2M") {
		t.Fatalf("the booking code (a credential) is on the wire: %s", b)
	}
	for _, k := range []string{`"booking":{`, `"slot_start":"2026-12-07T09:30:00+07:00"`, `"window_from":"2026-12-07T09:15:00+07:00"`, `"window_to":"2026-12-07T09:40:00+07:00"`} {
		if !strings.Contains(string(b), k) {
			t.Fatalf("%s lacks %s", b, k)
		}
	}
	var out Ticket
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Booking == nil || out.Booking.Code != "" || !out.Booking.WindowTo.Equal(in.Booking.WindowTo) {
		t.Fatalf("round trip: %+v", out.Booking)
	}
}

func TestBookingPhase(t *testing.T) {
	from := time.Date(2026, 12, 7, 9, 15, 0, 0, time.UTC)
	b := &TicketBooking{WindowFrom: from, WindowTo: from.Add(25 * time.Minute)}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{from.Add(-time.Second), BookingEarly},
		{from, BookingWindow},
		{from.Add(25 * time.Minute), BookingWindow},
		{from.Add(25*time.Minute + time.Nanosecond), BookingLate},
	} {
		if got := b.Phase(c.at); got != c.want {
			t.Errorf("Phase(%v) = %q, want %q", c.at, got, c.want)
		}
	}
	var none *TicketBooking
	if got := none.Phase(from); got != BookingNone {
		t.Errorf("nil booking phase %q", got)
	}
}
