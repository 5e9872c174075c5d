package enginetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func runIDCap(t *testing.T, newOpener NewOpener) {
	t.Run("IDDailyCap", func(t *testing.T) { testIDDailyCap(t, newOpener(t)) })
	t.Run("IDDailyCapPerField", func(t *testing.T) { testIDDailyCapPerField(t, newOpener(t)) })
	t.Run("IDCardRefusedWhenMalformed", func(t *testing.T) { testIDCardMalformed(t, newOpener(t)) })
	t.Run("CitizenNameServingCounterOnly", func(t *testing.T) { testCitizenName(t, newOpener(t)) })
}

func testCitizenName(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	const name = "Lê Thị Zuyên"
	withName := func(svc string) protocol.Ticket {
		t.Helper()
		r, err := e.Issue(ctx, "k", protocol.IssueRequest{ServiceID: svc,
			IDCard: &protocol.IssueIDCard{Number: cardA, BirthYear: 1950, Name: name}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	// Off by default: the name is dropped.
	tk := withName("c")
	if _, err := e.Next(ctx, "q3", "clerk"); err != nil {
		t.Fatal(err)
	}
	if got := e.CitizenName("q3", tk.ID); got != "" {
		t.Fatalf("show_citizen_name off: %q", got)
	}
	c := e.Centre()
	on := true
	c.ShowCitizenName = &on
	if _, err := e.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	tk = withName("b")
	if got := e.CitizenName("q3", tk.ID); got != "" {
		t.Fatalf("a waiting ticket's name: %q", got)
	}
	called, err := e.Next(ctx, "q1", "clerk")
	if err != nil || called == nil || called.ID != tk.ID {
		t.Fatalf("next at q1: %v %v", called, err)
	}
	if got := e.CitizenName("q1", tk.ID); got != name {
		t.Fatalf("serving counter: %q, want %q", got, name)
	}
	for _, other := range []string{"q2", "q3", "q4"} {
		if got := e.CitizenName(other, tk.ID); got != "" {
			t.Fatalf("counter %s, not serving it: %q", other, got)
		}
	}
	if _, err := e.Done(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	if got := e.CitizenName("q1", tk.ID); got != "" {
		t.Fatalf("after done: %q", got)
	}
	evs, err := s.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(string(ev.Data), "Zuyên") || strings.Contains(string(ev.Data), "Zuy\\u00ean") {
			t.Fatalf("the name is in event %d %s", ev.Seq, ev.Type)
		}
	}
}

const (
	cardA = "001234567890"
	cardB = "079301000123"
)

func issueCard(e *queue.Engine, svc, number string) (protocol.Ticket, error) {
	r, err := e.Issue(context.Background(), "k", protocol.IssueRequest{ServiceID: svc,
		IDCard: &protocol.IssueIDCard{Number: number, BirthYear: 1950}}, "")
	return r.Ticket, err
}

func setIDCaps(t testing.TB, e *queue.Engine, total, perField *int) {
	t.Helper()
	c := e.Centre()
	c.IDDailyCap, c.IDDailyCapPerField = total, perField
	if _, err := e.PutCentre(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func intp(n int) *int { return &n }

func testIDDailyCap(t *testing.T, open Opener) {
	loc := HCM(t)
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, loc))
	s, e := seeded(t, open, clk)
	defer s.Close()
	setIDCaps(t, e, intp(2), nil)
	// A PUT without the settings keeps them.
	c := e.Centre()
	c.IDDailyCap, c.IDDailyCapPerField = nil, nil
	if _, err := e.PutCentre(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if c := e.Centre(); c.IDDailyCap == nil || *c.IDDailyCap != 2 {
		t.Fatalf("id_daily_cap after a PUT without it: %v, want 2", c.IDDailyCap)
	}
	if _, err := issueCard(e, "a", cardA); err != nil {
		t.Fatal(err)
	}
	if _, err := issueCard(e, "b", cardA); err != nil {
		t.Fatal(err)
	}
	seq, _ := e.Seq()
	_, err := issueCard(e, "c", cardA)
	wantErrCode(t, "third ticket of one card with cap 2", err, protocol.CodeIDDailyCap)
	if s2, _ := e.Seq(); s2 != seq {
		t.Error("a refused issue appended events")
	}
	// Another person, and tickets without a card, are not counted.
	if _, err := issueCard(e, "c", cardB); err != nil {
		t.Fatalf("another card: %v", err)
	}
	issue(t, e, "c", false)
	issue(t, e, "c", false)
	issue(t, e, "c", false)
	// The next day counts afresh.
	clk.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, loc))
	if _, err := issueCard(e, "c", cardA); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if _, err := issueCard(e, "c", cardA); err != nil {
		t.Fatalf("next day, second: %v", err)
	}
	_, err = issueCard(e, "a", cardA)
	wantErrCode(t, "next day, third", err, protocol.CodeIDDailyCap)
	// 0 is no cap.
	setIDCaps(t, e, intp(0), nil)
	if _, err := issueCard(e, "a", cardA); err != nil {
		t.Fatalf("cap 0: %v", err)
	}
	c = e.Centre()
	c.IDDailyCap = intp(-1)
	_, err = e.PutCentre(context.Background(), c)
	wantErrCode(t, "id_daily_cap -1", err, protocol.CodeBadRequest)
}

func testIDDailyCapPerField(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	setIDCaps(t, e, intp(3), intp(1))
	if _, err := issueCard(e, "a", cardA); err != nil {
		t.Fatal(err)
	}
	_, err := issueCard(e, "a", cardA)
	wantErrCode(t, "second ticket in one field with 1 per field", err, protocol.CodeIDDailyCap)
	if _, err := issueCard(e, "b", cardA); err != nil {
		t.Fatalf("another field: %v", err)
	}
	if _, err := issueCard(e, "a", cardB); err != nil {
		t.Fatalf("another card in the same field: %v", err)
	}
	if _, err := issueCard(e, "c", cardA); err != nil {
		t.Fatalf("third field: %v", err)
	}
	// Three tickets in three fields: the total cap now refuses.
	setIDCaps(t, e, intp(3), intp(0))
	_, err = issueCard(e, "a", cardA)
	wantErrCode(t, "fourth ticket with cap 3", err, protocol.CodeIDDailyCap)
}

func testIDCardMalformed(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	setIDCaps(t, e, intp(1), nil)
	seq, _ := e.Seq()
	for _, card := range []protocol.IssueIDCard{
		{Number: "12345678901", BirthYear: 1950},   // 11 digits
		{Number: "1234567890123", BirthYear: 1950}, // 13
		{Number: "12345678901a", BirthYear: 1950},
		{Number: "１２３４５６７８９０１２", BirthYear: 1950}, // full-width digits
		{Number: "", BirthYear: 1950},
		{Number: cardA, BirthYear: 1800},
		{Number: cardA, BirthYear: 2027}, // after this year
	} {
		_, err := e.Issue(context.Background(), "k", protocol.IssueRequest{ServiceID: "a", IDCard: &card}, "")
		wantErrCode(t, "id_card "+card.Number, err, protocol.CodeBadRequest)
	}
	if s2, _ := e.Seq(); s2 != seq {
		t.Fatal("a refused id_card appended events")
	}
	// Nothing was stored: the first real ticket is A001 and the card's
	// one ticket is still free.
	tk, err := issueCard(e, "a", cardA)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Code != "A001" {
		t.Fatalf("first ticket after refusals is %s, want A001", tk.Code)
	}
}
