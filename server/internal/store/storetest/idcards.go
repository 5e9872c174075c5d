package storetest

import (
	"errors"
	"testing"

	"github.com/civiq/civiq/server/internal/queue"
)

// testIDCards checks the ID-card hash kept with tickets (the per-person
// daily cap): counted per day, all fields and one field, after a restart,
// and not when the transaction rolls back.
func testIDCards(t *testing.T, open Opener) {
	s := open(t)
	seedConfig(t, s)
	h1, h2 := []byte("hash-of-card-one-32-bytes-long.."), []byte("hash-of-card-two-32-bytes-long..")
	withCard := func(r queue.TicketRecord, h []byte) queue.TicketRecord {
		r.IDHash, r.BirthYear = h, 1950
		return r
	}
	other := ticket("t4", "a", 9, 4, false)
	other.Day = "2026-12-06"
	insert(t, s,
		withCard(ticket("t1", "a", 1, 1, false), h1),
		withCard(ticket("t2", "b", 1, 2, false), h1),
		withCard(ticket("t3", "a", 2, 3, false), h2),
		withCard(other, h1),
		ticket("t5", "a", 3, 5, false))
	// A rolled-back ticket is not counted.
	boom := errors.New("boom")
	if _, err := s.Update(t.Context(), func(tx queue.Tx) error {
		if err := tx.InsertTicket(withCard(ticket("t6", "a", 4, 6, false), h1)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("rollback: %v", err)
	}
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			h            []byte
			day, svc     string
			total, inSvc int
		}{
			{h1, day, "a", 2, 1},
			{h1, day, "b", 2, 1},
			{h2, day, "b", 1, 0},
			{h1, "2026-12-06", "a", 1, 1},
			{[]byte("nobody"), day, "a", 0, 0},
		} {
			var total, inSvc int
			update(t, s, func(tx queue.Tx) error {
				var err error
				total, inSvc, err = tx.IDTicketCounts(c.h, c.day, c.svc)
				return err
			})
			if total != c.total || inSvc != c.inSvc {
				t.Errorf("%s: IDTicketCounts(%s, %s, %s) = %d, %d; want %d, %d", when, c.h, c.day, c.svc, total, inSvc, c.total, c.inSvc)
			}
		}
	}
	check("before restart")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	defer s.Close()
	check("after restart")
	// The ticket itself reads back unchanged.
	update(t, s, func(tx queue.Tx) error {
		got, err := tx.Ticket("t1")
		if err != nil {
			return err
		}
		return sameTicket("t1", got, ticket("t1", "a", 1, 1, false))
	})
}
