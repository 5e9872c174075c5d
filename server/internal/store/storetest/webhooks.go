package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// testWebhooks: a new endpoint's cursor starts at the newest event; the
// cursor only moves forward; attempts are kept newest first; resends are
// queued for kept events only.
func testWebhooks(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	if eps, err := s.Webhooks(ctx); err != nil || len(eps) != 0 {
		t.Fatalf("Webhooks of a new store = %+v, %v", eps, err)
	}
	ep0, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: "w-0", URL: "https://a.example/hook", Events: []string{"ticket.called"}, Secret: "s0", CreatedAt: t0})
	if err != nil || ep0.Cursor != 0 {
		t.Fatalf("endpoint on an empty log: cursor %d, %v", ep0.Cursor, err)
	}
	evs := update(t, s, func(tx queue.Tx) error {
		for range 3 {
			if err := tx.AppendEvent(protocol.EventTicketCalled, t0, nil); err != nil {
				return err
			}
		}
		return nil
	})
	last := evs[2].Seq
	ep, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: "w-1", URL: "https://b.example/hook", Events: []string{"ticket.issued", "ticket.called"}, Secret: "s1", CreatedAt: t0.Add(time.Second)})
	if err != nil || ep.Cursor != last {
		t.Fatalf("new endpoint's cursor %d, %v; want the newest seq %d", ep.Cursor, err, last)
	}
	eps, err := s.Webhooks(ctx)
	if err != nil || len(eps) != 2 || eps[0].ID != "w-0" || eps[1].ID != "w-1" {
		t.Fatalf("Webhooks = %+v, %v", eps, err)
	}
	g := eps[1]
	if g.URL != "https://b.example/hook" || fmt.Sprint(g.Events) != "[ticket.issued ticket.called]" || g.Secret != "s1" || !g.CreatedAt.Equal(t0.Add(time.Second)) ||
		g.Cursor != last || g.Attempts != 0 || g.FailingSince != nil || g.NextAttempt != nil {
		t.Fatalf("endpoint read back %+v", g)
	}
	// A failing delivery of evs[0] to w-0, then its success.
	next := t0.Add(time.Minute)
	a1 := webhook.Attempt{Seq: evs[0].Seq, EventType: protocol.EventTicketCalled, Attempt: 1, At: t0, Status: 500, Error: "HTTP 500", DurationMS: 12}
	if err := s.WebhookProgress(ctx, "w-0", webhook.State{Cursor: 0, Attempts: 1, FailingSince: &t0, NextAttempt: &next}, []webhook.Attempt{a1}); err != nil {
		t.Fatal(err)
	}
	eps, _ = s.Webhooks(ctx)
	if g := eps[0]; g.Attempts != 1 || g.FailingSince == nil || !g.FailingSince.Equal(t0) || g.NextAttempt == nil || !g.NextAttempt.Equal(next) {
		t.Fatalf("failing endpoint %+v", g)
	}
	a2 := webhook.Attempt{Seq: evs[0].Seq, EventType: protocol.EventTicketCalled, Attempt: 2, At: next, Status: 204, DurationMS: 3}
	if err := s.WebhookProgress(ctx, "w-0", webhook.State{Cursor: evs[0].Seq}, []webhook.Attempt{a2}); err != nil {
		t.Fatal(err)
	}
	// The cursor never moves back.
	if err := s.WebhookProgress(ctx, "w-0", webhook.State{Cursor: 0}, nil); err != nil {
		t.Fatal(err)
	}
	eps, _ = s.Webhooks(ctx)
	if g := eps[0]; g.Cursor != evs[0].Seq || g.Attempts != 0 || g.FailingSince != nil || g.NextAttempt != nil {
		t.Fatalf("endpoint after success %+v; want cursor %d and no failure", g, evs[0].Seq)
	}
	// Progress of a deleted (unknown) endpoint is no error.
	if err := s.WebhookProgress(ctx, "w-none", webhook.State{Cursor: 1}, []webhook.Attempt{a1}); err != nil {
		t.Fatalf("progress of an unknown endpoint: %v", err)
	}
	as, err := s.WebhookAttempts(ctx, "w-0", 10)
	if err != nil || len(as) != 2 || as[0].Attempt != 2 || !as[0].OK || as[1].OK || as[1].Error != "HTTP 500" || as[1].Status != 500 ||
		as[0].WebhookID != "w-0" || !as[1].At.Equal(t0) || as[1].DurationMS != 12 || as[0].Seq != evs[0].Seq || as[0].ID <= as[1].ID {
		t.Fatalf("attempts newest first %+v, %v", as, err)
	}
	if as, err := s.WebhookAttempts(ctx, "w-0", 1); err != nil || len(as) != 1 || as[0].Attempt != 2 {
		t.Fatalf("attempts limit 1 = %+v, %v", as, err)
	}
	// Resends.
	if err := s.QueueResend(ctx, "w-none", evs[1].Seq); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("resend to an unknown endpoint: %v, want webhook.ErrNotFound", err)
	}
	if err := s.QueueResend(ctx, "w-1", last+100); !queue.IsNotFound(err) {
		t.Fatalf("resend of an event not kept: %v, want not found", err)
	}
	for _, seq := range []int64{evs[1].Seq, evs[0].Seq} {
		if err := s.QueueResend(ctx, "w-1", seq); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Resends(ctx, "w-1")
	if err != nil || len(rs) != 2 || rs[0].Seq != evs[1].Seq || rs[1].Seq != evs[0].Seq {
		t.Fatalf("Resends in request order = %+v, %v", rs, err)
	}
	if rs0, err := s.Resends(ctx, "w-0"); err != nil || len(rs0) != 0 {
		t.Fatalf("Resends of another endpoint = %+v, %v", rs0, err)
	}
	ra := webhook.Attempt{Seq: rs[0].Seq, EventType: protocol.EventTicketCalled, Attempt: 1, At: next, Status: 200, Resend: true}
	if err := s.ResendDone(ctx, "w-1", rs[0], ra); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Resends(ctx, "w-1"); err != nil || len(left) != 1 || left[0].ID != rs[1].ID {
		t.Fatalf("Resends after one done = %+v, %v", left, err)
	}
	if as, err := s.WebhookAttempts(ctx, "w-1", 10); err != nil || len(as) != 1 || !as[0].Resend || !as[0].OK {
		t.Fatalf("resend attempt logged %+v, %v", as, err)
	}
	// Delete.
	if err := s.DeleteWebhook(ctx, "w-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, "w-1"); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("second delete: %v, want webhook.ErrNotFound", err)
	}
	if eps, err := s.Webhooks(ctx); err != nil || len(eps) != 1 || eps[0].ID != "w-0" {
		t.Fatalf("Webhooks after a delete = %+v, %v", eps, err)
	}
	// At most webhook.MaxEndpoints.
	for i := 1; i < webhook.MaxEndpoints; i++ {
		if _, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: fmt.Sprintf("w-x%d", i), URL: "https://c.example/", Events: []string{}, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.CreateWebhook(ctx, webhook.Endpoint{ID: "w-over", URL: "https://c.example/", Events: []string{}, CreatedAt: t0})
	wantCode(t, "endpoint past MaxEndpoints", err, protocol.CodeConflict)
}

// testSessions: expired sessions are deleted, others kept; user names map
// ids for the reports.
func testSessions(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	u := auth.User{ID: "u-1", Username: "canbo1", Name: "Cán bộ 1", Role: protocol.RoleClerk, PasswordHash: "x", CreatedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, auth.User{ID: "u-2", Username: "canbo1", Role: protocol.RoleClerk, PasswordHash: "x", CreatedAt: t0}); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("second user with the same username: %v, want conflict", err)
	}
	for i, exp := range []time.Time{t0.Add(-time.Minute), t0.Add(time.Hour)} {
		if err := s.CreateSession(ctx, auth.Session{TokenHash: auth.HashToken(fmt.Sprint("tok", i)), UserID: "u-1", CSRF: "c", CreatedAt: t0.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteExpiredSessions(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, auth.HashToken("tok0")); !queue.IsNotFound(err) {
		t.Fatalf("expired session: %v, want not found", err)
	}
	got, err := s.Session(ctx, auth.HashToken("tok1"))
	if err != nil || got.UserID != "u-1" || got.CSRF != "c" || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("live session %+v, %v", got, err)
	}
	names, err := s.UserNames(ctx)
	if err != nil || names["u-1"].Username != "canbo1" || names["u-1"].Name != "Cán bộ 1" {
		t.Fatalf("UserNames = %+v, %v", names, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}

// testWebhookLease: a store's claim on delivering to an endpoint is
// granted when nobody else holds it, renewable by its holder, and returns
// the stored state; released, it is granted again; an unknown endpoint is
// ErrNotFound. (Several stores on one database: the PostgreSQL tests.)
func testWebhookLease(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: "w-l", URL: "https://a.example/hook", Secret: "s", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.WebhookProgress(ctx, "w-l", webhook.State{Cursor: 7, Attempts: 2, FailingSince: &t0}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // taken, then renewed
		st, ok, err := s.ClaimWebhook(ctx, "w-l", time.Minute)
		if err != nil || !ok || st.Cursor != 7 || st.Attempts != 2 || st.FailingSince == nil || !st.FailingSince.Equal(t0) {
			t.Fatalf("claim %d: %+v, %v, %v; want held with cursor 7, 2 attempts failing since %s", i+1, st, ok, err, t0)
		}
	}
	if err := s.ReleaseWebhook(ctx, "w-l"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimWebhook(ctx, "w-l", time.Minute); err != nil || !ok {
		t.Fatalf("claim after release: %v, %v", ok, err)
	}
	if _, ok, err := s.ClaimWebhook(ctx, "w-none", time.Minute); !errors.Is(err, webhook.ErrNotFound) || ok {
		t.Fatalf("claim of an unknown endpoint: %v, %v; want ErrNotFound", ok, err)
	}
	if err := s.ReleaseWebhook(ctx, "w-none"); err != nil {
		t.Fatalf("release of an unknown endpoint: %v", err)
	}
}
