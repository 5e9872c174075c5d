package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// TestBookingsAcrossInstances: three instances on one database book one
// 5-place slot 60 times at once (exactly 5 succeed), and one phone number
// books the same field and day from all three at once (exactly 1
// succeeds): the slot's and the phone's advisory locks serialise what one
// instance's writer alone would not.
func TestBookingsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	in := startInstances(t, 3, postgres.Options{MaxConns: 8}, func(e *queue.Engine) {
		days := map[string]protocol.BookingDay{}
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
			days[d] = protocol.BookingDay{Starts: []string{"09:00", "10:00"}, Capacity: 5}
		}
		if _, err := e.PutBookingSettings(ctx, protocol.BookingSettings{ServiceID: "a", Enabled: true, DaysAhead: 2, Days: days}); err != nil {
			t.Fatal(err)
		}
	})
	engines := in.engines
	slot := time.Date(2026, 11, 29, 9, 0, 0, 0, enginetest.HCM(t))
	var mu sync.Mutex
	ok, full := 0, 0
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			_, err := engines[i%3].Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: slot})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case queue.CodeOf(err) == protocol.CodeSlotFull:
				full++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 5 || full != 55 {
		t.Fatalf("%d booked, %d full; want 5 and 55", ok, full)
	}
	ok = 0
	for i := range 9 {
		wg.Go(func() {
			_, err := engines[i%3].Book(ctx, "public", protocol.BookingRequest{ServiceID: "a", Start: slot.Add(time.Hour), Phone: "0912345678"})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if queue.CodeOf(err) != protocol.CodePhoneBooked {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("one phone booked %d times across instances", ok)
	}
}
