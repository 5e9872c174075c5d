package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// booking is a booking of svc for the slot at t0+min minutes.
func booking(code, svc string, min int, phone []byte) queue.BookingRecord {
	start := t0.Add(time.Duration(min) * time.Minute)
	return queue.BookingRecord{
		Booking: protocol.Booking{Code: code, ServiceID: svc, Day: day, SlotStart: start,
			WindowFrom: start.Add(-15 * time.Minute), WindowTo: start.Add(10 * time.Minute),
			Status: protocol.BookingBooked, HasPhone: phone != nil, CreatedAt: t0.Add(-time.Hour), CreatedBy: "public"},
		PhoneHash: phone,
	}
}

func testAppointments(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	seedConfig(t, s)
	// Settings and holidays round-trip and survive a restart.
	set := protocol.BookingSettings{ServiceID: "a", Enabled: true, DaysAhead: 6, WindowBefore: 15, WindowAfter: 10,
		Days: map[string]protocol.BookingDay{"mon": {Starts: []string{"09:00"}, Capacity: 3}, "tue": {SlotMinutes: 30, Capacity: 2}}}
	phone := bytes.Repeat([]byte{7}, 32)
	update(t, s, func(tx queue.Tx) error {
		if _, err := tx.BookingSettings("a"); !queue.IsNotFound(err) {
			return fmt.Errorf("settings of a before any: %v, want not found", err)
		}
		if err := tx.PutBookingSettings(set); err != nil {
			return err
		}
		if err := tx.PutHolidays([]protocol.Holiday{{Day: "2026-12-24", Name: "x"}, {Day: "2027-01-01", Name: "Tết dương lịch"}}); err != nil {
			return err
		}
		for _, b := range []queue.BookingRecord{
			booking("AAAAAA", "a", 60, nil), booking("CCCCCC", "a", 60, phone), booking("DDDDDD", "a", 90, nil), booking("EEEEEE", "b", 60, nil),
		} {
			if err := tx.InsertBooking(b); err != nil {
				return err
			}
		}
		return nil
	})
	s.Close()
	s = open(t)
	defer s.Close()
	sets, err := s.ListBookingSettings(ctx)
	if err != nil || len(sets) != 1 || sets[0].Days["tue"].SlotMinutes != 30 || sets[0].DaysAhead != 6 {
		t.Fatalf("settings %+v %v", sets, err)
	}
	hs, err := s.Holidays(ctx)
	if err != nil || len(hs) != 2 || hs[1].Name != "Tết dương lịch" || hs[0].Day != "2026-12-24" {
		t.Fatalf("holidays %+v %v", hs, err)
	}
	update(t, s, func(tx queue.Tx) error {
		if h, err := tx.Holiday("2027-01-01"); err != nil || !h {
			return fmt.Errorf("holiday 2027-01-01: %v %v", h, err)
		}
		if h, err := tx.Holiday(day); err != nil || h {
			return fmt.Errorf("holiday %s: %v %v", day, h, err)
		}
		if err := tx.InsertBooking(booking("AAAAAA", "b", 0, nil)); queue.CodeOf(err) != protocol.CodeConflict {
			return fmt.Errorf("a code used twice: %v, want conflict", err)
		}
		b, err := tx.BookingByCode("CCCCCC")
		if err != nil {
			return err
		}
		want := booking("CCCCCC", "a", 60, phone)
		if !b.SlotStart.Equal(want.SlotStart) || !b.WindowTo.Equal(want.WindowTo) || !bytes.Equal(b.PhoneHash, phone) || !b.HasPhone || b.CreatedBy != "public" || b.CheckedAt != nil {
			return fmt.Errorf("booking read back %+v", b)
		}
		if _, err := tx.BookingByCode("ZZZZZZ"); !queue.IsNotFound(err) {
			return fmt.Errorf("unknown code: %v", err)
		}
		if n, err := tx.CountSlot("a", t0.Add(time.Hour)); err != nil || n != 2 {
			return fmt.Errorf("count slot: %d %v, want 2", n, err)
		}
		if ok, err := tx.PhoneBooked("a", day, phone); err != nil || !ok {
			return fmt.Errorf("phone booked: %v %v", ok, err)
		}
		if ok, err := tx.PhoneBooked("b", day, phone); err != nil || ok {
			return fmt.Errorf("phone booked in b: %v %v", ok, err)
		}
		// Cancelled bookings hold no place and no phone.
		b.Status = protocol.BookingCancelled
		if err := tx.UpdateBooking(b); err != nil {
			return err
		}
		if n, _ := tx.CountSlot("a", t0.Add(time.Hour)); n != 1 {
			return fmt.Errorf("count slot after a cancel: %d, want 1", n)
		}
		if ok, _ := tx.PhoneBooked("a", day, phone); ok {
			return fmt.Errorf("a cancelled booking still holds its phone")
		}
		// A check-in keeps its ticket and time.
		a, _ := tx.BookingByCode("AAAAAA")
		at := t0.Add(55 * time.Minute)
		a.Status, a.CheckedAt, a.TicketID, a.TicketCode = protocol.BookingCheckedIn, &at, "t1", "A001"
		if err := tx.UpdateBooking(a); err != nil {
			return err
		}
		if err := tx.UpdateBooking(booking("ZZZZZZ", "a", 0, nil)); !queue.IsNotFound(err) {
			return fmt.Errorf("update of an unknown booking: %v", err)
		}
		// Due: still booked and the window ended (t0+70 for the 60-minute slot).
		due, err := tx.DueBookings(t0.Add(70 * time.Minute))
		if err != nil || len(due) != 1 || due[0].Code != "EEEEEE" {
			return fmt.Errorf("due at +70: %+v %v, want EEEEEE", due, err)
		}
		due, _ = tx.DueBookings(t0.Add(69 * time.Minute))
		if len(due) != 0 {
			return fmt.Errorf("due at +69: %+v, want none", due)
		}
		return nil
	})
	list, err := s.Bookings(ctx, day)
	if err != nil || len(list) != 4 {
		t.Fatalf("bookings of the day: %d %v", len(list), err)
	}
	if list[0].Code != "AAAAAA" || list[0].TicketCode != "A001" || list[0].CheckedAt == nil || !list[0].CheckedAt.Equal(t0.Add(55*time.Minute)) || list[3].Code != "DDDDDD" {
		t.Errorf("bookings by slot then code: %+v", list)
	}
	counts, err := s.SlotCounts(ctx, "a", day)
	if err != nil || counts[t0.Add(time.Hour).Unix()] != 1 || counts[t0.Add(90*time.Minute).Unix()] != 1 {
		t.Errorf("slot counts %v %v", counts, err)
	}
	stats, err := s.BookingStats(ctx, day, day)
	if err != nil || len(stats) != 2 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	if a := stats[0]; a.ServiceID != "a" || a.Booked != 3 || a.CheckedIn != 1 || a.Cancelled != 1 || a.NoShow != 0 {
		t.Errorf("stats of a %+v", a)
	}
	if other, _ := s.BookingStats(ctx, "2026-12-08", "2026-12-31"); len(other) != 0 {
		t.Errorf("stats of other days %+v", other)
	}
	// Replacing the holidays replaces the list.
	update(t, s, func(tx queue.Tx) error { return tx.PutHolidays(nil) })
	if hs, _ := s.Holidays(ctx); len(hs) != 0 {
		t.Errorf("holidays after clearing: %+v", hs)
	}
}

// testAppointmentCapacity: 50 transactions at once each count a slot of 5
// places and insert only if one is free; exactly 5 succeed, because the
// store serialises write transactions.
func testAppointmentCapacity(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	seedConfig(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 50 {
		wg.Go(func() {
			_, err := s.Update(context.Background(), func(tx queue.Tx) error {
				n, err := tx.CountSlot("a", t0)
				if err != nil {
					return err
				}
				if n >= 5 {
					return queue.Errorf(protocol.CodeSlotFull, "full")
				}
				return tx.InsertBooking(booking(fmt.Sprintf("K%05d", i), "a", 0, nil))
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if queue.CodeOf(err) != protocol.CodeSlotFull {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 5 {
		t.Fatalf("%d bookings of a 5-place slot", ok)
	}
}
