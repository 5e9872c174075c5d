package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// testPairings: a pairing code is stored by its hash and taken once; an
// expired one is not given out; the live codes are bounded; a restart
// keeps them.
func testPairings(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	p := auth.Pairing{CodeHash: auth.PairingHash("12345678"), Kind: protocol.RoleKiosk, Name: "Ki-ốt sảnh", Expires: t0.Add(10 * time.Minute)}
	if err := s.PutPairing(ctx, p, t0, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPairing(ctx, p, t0, 3); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("the same code twice: %v, want conflict", err)
	}
	s.Close()
	s = open(t) // kept across a restart
	defer s.Close()
	if got, ok, err := s.TakePairing(ctx, auth.PairingHash("00000000"), t0); err != nil || ok {
		t.Fatalf("unknown code: %+v, %v, %v", got, ok, err)
	}
	got, ok, err := s.TakePairing(ctx, p.CodeHash, t0.Add(time.Minute))
	if err != nil || !ok || got.Kind != p.Kind || got.Name != p.Name || got.CodeHash != p.CodeHash || !got.Expires.Equal(p.Expires) {
		t.Fatalf("take = %+v, %v, %v; want %+v", got, ok, err, p)
	}
	if _, ok, err := s.TakePairing(ctx, p.CodeHash, t0.Add(time.Minute)); err != nil || ok {
		t.Fatalf("second use: %v, %v; want refused", ok, err)
	}
	// Expired: refused, and gone.
	old := auth.Pairing{CodeHash: auth.PairingHash("22222222"), Kind: protocol.RoleDisplay, Name: "Màn hình", Expires: t0.Add(time.Minute)}
	if err := s.PutPairing(ctx, old, t0, 3); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.TakePairing(ctx, old.CodeHash, t0.Add(time.Minute)); err != nil || ok {
		t.Fatalf("expired code: %v, %v; want refused", ok, err)
	}
	// At most max live codes; expired ones do not count.
	for i := range 3 {
		q := auth.Pairing{CodeHash: auth.PairingHash(fmt.Sprintf("3333333%d", i)), Kind: protocol.RoleKiosk, Name: "k", Expires: t0.Add(time.Duration(i+1) * time.Minute)}
		if err := s.PutPairing(ctx, q, t0, 3); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	extra := auth.Pairing{CodeHash: auth.PairingHash("44444444"), Kind: protocol.RoleKiosk, Name: "k", Expires: t0.Add(time.Hour)}
	if err := s.PutPairing(ctx, extra, t0, 3); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("a fourth live code: %v, want conflict", err)
	}
	if err := s.PutPairing(ctx, extra, t0.Add(90*time.Second), 3); err != nil {
		t.Fatalf("after one expired: %v", err)
	}
}

// testPresence: a store's own console presence is not "elsewhere" (with
// one store there is no other instance; several stores on one database:
// the PostgreSQL tests).
func testPresence(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.SharePresence(ctx, []string{"q1", "q2"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := s.StaffedElsewhere(ctx); err != nil || len(got) != 0 {
		t.Fatalf("StaffedElsewhere on the only instance = %v, %v; want none", got, err)
	}
	if err := s.SharePresence(ctx, nil, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// testLastAdmin: the store refuses to demote or disable the last enabled
// admin (and changes nothing); other changes of that admin pass.
func testLastAdmin(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	a := auth.User{ID: "u-a", Username: "admin", Name: "Quản trị", Role: protocol.RoleAdmin, PasswordHash: "x", CounterIDs: []string{}, CreatedAt: t0}
	b := auth.User{ID: "u-b", Username: "admin2", Name: "Quản trị 2", Role: protocol.RoleAdmin, PasswordHash: "x", CounterIDs: []string{}, CreatedAt: t0, Disabled: true}
	for _, u := range []auth.User{a, b} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	demoted := a
	demoted.Role = protocol.RoleClerk
	off := a
	off.Disabled = true
	for _, u := range []auth.User{demoted, off} {
		if err := s.UpdateUser(ctx, u); !errors.Is(err, auth.ErrLastAdmin) {
			t.Fatalf("demoting or disabling the last enabled admin: %v, want ErrLastAdmin", err)
		}
	}
	if got, err := s.UserByID(ctx, "u-a"); err != nil || got.Role != protocol.RoleAdmin || got.Disabled {
		t.Fatalf("the refused change was kept: %+v, %v", got, err)
	}
	renamed := a
	renamed.Name = "Quản trị chính"
	if err := s.UpdateUser(ctx, renamed); err != nil {
		t.Fatalf("renaming the last admin: %v", err)
	}
	b.Disabled = false
	if err := s.UpdateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ctx, demoted); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	if err := s.UpdateUser(ctx, auth.User{ID: "u-none", Username: "x", Role: protocol.RoleClerk, CounterIDs: []string{}}); !queue.IsNotFound(err) {
		t.Fatalf("updating an unknown user: %v, want not found", err)
	}
}

// testUnstaffedCounter: the status to give back to a counter closed for
// want of a clerk is kept with the counter while it stays closed, and
// dropped when it is stored with another status.
func testUnstaffedCounter(t *testing.T, open Opener) {
	s := open(t)
	c := queue.CounterRecord{Counter: protocol.Counter{ID: "q1", Number: 1, Name: protocol.Text{Vi: "Quầy 1"}, ServiceIDs: []string{}, Status: protocol.CounterClosed}, Unstaffed: protocol.CounterPaused}
	update(t, s, func(tx queue.Tx) error { return tx.PutCounter(c) })
	s.Close()
	s = open(t) // kept across a restart
	defer s.Close()
	var got queue.CounterRecord
	update(t, s, func(tx queue.Tx) error {
		var err error
		got, err = tx.Counter("q1")
		return err
	})
	if got.Unstaffed != protocol.CounterPaused || got.Status != protocol.CounterClosed {
		t.Fatalf("counter read back %+v; want closed, unstaffed from paused", got)
	}
	got.Status = protocol.CounterOpen
	update(t, s, func(tx queue.Tx) error { return tx.PutCounter(got) })
	update(t, s, func(tx queue.Tx) error {
		cs, err := tx.Counters()
		if err != nil {
			return err
		}
		if len(cs) != 1 || cs[0].Unstaffed != "" || cs[0].Status != protocol.CounterOpen {
			return fmt.Errorf("counter stored open: %+v; want no status to give back", cs)
		}
		return nil
	})
}
