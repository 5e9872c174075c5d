package enginetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// testPendingTokens: the token of a leased number whose ticket is not
// synced yet names a pending ticket (status pending_sync) for leases of
// today and tomorrow, at a real centre's size (40 fields, every number of
// their leases), also for leases granted after the first look-up and by
// another engine on the same store; at midnight yesterday's leases are
// forgotten and tomorrow's become today's.
func testPendingTokens(t *testing.T, open Opener) {
	s, clk, e := seededAt(t, open, 9)
	defer s.Close()
	ctx := context.Background()
	const fields = 40
	for i := range fields {
		id := fmt.Sprintf("f%02d", i)
		sv := protocol.Service{ID: id, Prefix: string(rune('P'+i/26)) + string(rune('A'+i%26)), Enabled: true, Order: 10 + i,
			Name: protocol.Text{Vi: "Sở Lao động – Thương binh và Xã hội " + id, En: "Labour " + id}}
		if _, err := e.PutService(ctx, sv); err != nil {
			t.Fatal(err)
		}
	}
	var today []protocol.Lease
	for i := range fields {
		today = append(today, lease(t, e, fmt.Sprintf("kiosk:k%d", i%4), fmt.Sprintf("f%02d", i), "", 50))
	}
	tomorrow := lease(t, e, "kiosk:k1", "b", "2026-11-29", 5)
	secret := func(l protocol.Lease, i int) string { return l.Tickets[i].Token }

	check := func(e *queue.Engine, l protocol.Lease, i int) {
		t.Helper()
		tk, err := e.PendingByToken(ctx, secret(l, i))
		lt := l.Tickets[i]
		if err != nil || tk.Status != protocol.StatusPendingSync || tk.Code != lt.Code || tk.Number != lt.Number ||
			tk.ServiceID != l.ServiceID || tk.Day != l.Day || !tk.Offline || tk.Ahead != -1 || tk.ID == "" || tk.Token != "" {
			t.Fatalf("pending %s: %+v, %v", lt.Code, tk, err)
		}
	}
	for _, l := range today {
		for i := range l.Tickets {
			check(e, l, i)
		}
	}
	check(e, tomorrow, 4)
	if _, err := e.PendingByToken(ctx, "AAAAAAAAAAAAAAAAAAAAAAAA"); !queue.IsNotFound(err) {
		t.Fatalf("unknown token: %v", err)
	}
	// A lease granted after the index was built, and one granted by
	// another instance sharing the store.
	later := lease(t, e, "kiosk:k2", "c", "", 2)
	check(e, later, 1)
	other := newEngine(t, s, clk)
	fromOther := lease(t, other, "kiosk:k3", "a", "", 2)
	check(e, fromOther, 0)

	// The id is the one the synced ticket gets.
	pend, _ := e.PendingByToken(ctx, secret(later, 0))
	res, err := e.Sync(ctx, "kiosk:k2", []protocol.OfflineTicket{{LeaseID: later.ID, Number: later.From, IssuedAt: clk.Now()}})
	if err != nil || res[0].Error != nil || res[0].Ticket.ID != pend.ID {
		t.Fatalf("synced %+v (pending id %s), %v", res, pend.ID, err)
	}

	// Midnight: today's leases are yesterday's, tomorrow's are today's.
	clk.Add(24 * time.Hour)
	if _, err := e.PendingByToken(ctx, secret(today[0], 0)); !queue.IsNotFound(err) {
		t.Fatalf("yesterday's leased token: %v", err)
	}
	check(e, tomorrow, 0)
}
