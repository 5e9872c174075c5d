package enginetest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

func runDataCapture(t *testing.T, newOpener NewOpener) {
	t.Run("VisitRecord", func(t *testing.T) { testVisitRecord(t, newOpener(t)) })
	t.Run("Disruptions", func(t *testing.T) { testDisruptions(t, newOpener(t)) })
	t.Run("DisruptionStretchesWaits", func(t *testing.T) { testDisruptionStretch(t, newOpener(t)) })
	t.Run("RatingReasons", func(t *testing.T) { testRatingReasons(t, newOpener(t)) })
}

// eventsOf returns the events after seq of the given type.
func eventsOf(t *testing.T, s Backend, after int64, typ string) []protocol.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func testVisitRecord(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	ctx := context.Background()
	var a []protocol.Ticket
	for range 3 {
		a = append(a, issue(t, e, "a", false))
		clk.Add(time.Second)
	}
	a1, a2, a3 := a[0], a[1], a[2]
	if _, err := e.Next(ctx, "q2", "u-clerk"); err != nil {
		t.Fatal(err)
	}
	// Bad records change nothing: the ticket stays called, no event.
	seq0, _ := e.Seq()
	for _, bad := range []protocol.DoneRequest{
		{Outcome: "accepted"},
		{Outcome: protocol.OutcomeReceived, DossierCodes: []string{""}},
		{Outcome: protocol.OutcomeReceived, DossierCodes: []string{strings.Repeat("X", protocol.MaxDossierCodeLen+1)}},
		{Outcome: protocol.OutcomeReceived, DossierCodes: []string{"H12\x07"}},
		{Outcome: protocol.OutcomeReceived, DossierCodes: slices.Repeat([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}, 2)},
		{Outcome: protocol.OutcomeGuided, Note: strings.Repeat("ư", protocol.MaxVisitNote+1)},
	} {
		if _, err := e.DoneWith(ctx, "q2", "u-clerk", bad); queue.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%+v: %v, want bad_request", bad, err)
		}
	}
	if seq, _ := e.Seq(); seq != seq0 {
		t.Fatal("a refused visit record appended events")
	}
	if cs, _ := e.Counter("q2"); cs.Current == nil || cs.Current.ID != a1.ID {
		t.Fatalf("a refused visit record finished the ticket: %+v", cs)
	}
	// A full record, with a code scanned twice and a 64-character code.
	long := strings.Repeat("7", protocol.MaxDossierCodeLen)
	clk.Add(4 * time.Minute)
	done, err := e.DoneWith(ctx, "q2", "u-clerk", protocol.DoneRequest{Outcome: protocol.OutcomeReceived,
		DossierCodes: []string{" 000.00.12.H29-261201-0007 ", long, "000.00.12.H29-261201-0007"}, Note: "Hẹn trả 05/12"})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"000.00.12.H29-261201-0007", long}
	if done.Status != protocol.StatusDone || done.Outcome != protocol.OutcomeReceived || !slices.Equal(done.DossierCodes, wantCodes) || done.Note != "Hẹn trả 05/12" {
		t.Fatalf("done = %+v", done)
	}
	evs := eventsOf(t, s, seq0, protocol.EventTicketDone)
	if len(evs) != 1 {
		t.Fatalf("%d ticket.done events", len(evs))
	}
	var m map[string]any
	if err := json.Unmarshal(evs[0].Data, &m); err != nil {
		t.Fatal(err)
	}
	if m["outcome"] != "received" || m["note"] != "Hẹn trả 05/12" || len(m["dossier_codes"].([]any)) != 2 {
		t.Fatalf("ticket.done data %s", evs[0].Data)
	}
	// Next auto-completing records nothing; an empty record neither.
	if _, err := e.Next(ctx, "q2", "u-clerk"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if _, err := e.Next(ctx, "q2", "u-clerk"); err != nil { // completes a2
		t.Fatal(err)
	}
	plain, err := e.DoneWith(ctx, "q2", "u-clerk", protocol.DoneRequest{}) // a3
	if err != nil || plain.ID != a3.ID || plain.Outcome != "" || plain.DossierCodes != nil {
		t.Fatalf("plain done = %+v, %v", plain, err)
	}
	for _, ev := range eventsOf(t, s, seq0, protocol.EventTicketDone)[1:] {
		var m map[string]any
		json.Unmarshal(ev.Data, &m)
		for _, k := range []string{"outcome", "dossier_codes", "note"} {
			if _, ok := m[k]; ok {
				t.Errorf("ticket.done without a record carries %q: %s", k, ev.Data)
			}
		}
	}
	// Durable, one per ticket, readable after a restart; the phone never
	// gets the note.
	s.Close()
	s = open(t)
	defer s.Close()
	e = newEngine(t, s, clk)
	vs, err := e.Visits(ctx, clk.Now().Add(-time.Hour), clk.Now().Add(time.Hour))
	if err != nil || len(vs) != 1 {
		t.Fatalf("visits = %+v, %v", vs, err)
	}
	if v := vs[0]; v.TicketID != a1.ID || v.ServiceID != "a" || v.CounterID != "q2" || v.ClerkID != "u-clerk" || v.Day != "2026-12-01" || !slices.Equal(v.DossierCodes, wantCodes) {
		t.Fatalf("visit = %+v", v)
	}
	phone, err := e.TicketByToken(ctx, tokenOf(t, s, e, a1))
	if err != nil || phone.Outcome != protocol.OutcomeReceived || len(phone.DossierCodes) != 2 || phone.Note != "" {
		t.Fatalf("phone's ticket = %+v, %v (outcome and codes, never the note)", phone, err)
	}
	if p2, _ := e.TicketByToken(ctx, tokenOf(t, s, e, a2)); p2.Outcome != "" || p2.DossierCodes != nil {
		t.Fatalf("a ticket completed by next has a record: %+v", p2)
	}
}

func testDisruptions(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	ctx := context.Background()
	anyone := func([]string) error { return nil }
	seq0, _ := e.Seq()
	for _, bad := range []struct {
		req  protocol.DisruptionRequest
		code string
	}{
		{protocol.DisruptionRequest{Cause: "coffee"}, protocol.CodeBadRequest},
		{protocol.DisruptionRequest{Cause: protocol.CauseNetwork, CounterIDs: []string{"q1", "q1"}}, protocol.CodeBadRequest},
		{protocol.DisruptionRequest{Cause: protocol.CauseNetwork, Note: strings.Repeat("x", protocol.MaxDisruptionNote+1)}, protocol.CodeBadRequest},
		{protocol.DisruptionRequest{Cause: protocol.CauseNetwork, CounterIDs: []string{"q9"}}, protocol.CodeUnprocessable},
	} {
		if _, err := e.StartDisruption(ctx, "admin", bad.req, anyone); queue.CodeOf(err) != bad.code {
			t.Errorf("%+v: %v, want %s", bad.req, err, bad.code)
		}
	}
	refuse := func([]string) error { return queue.Errorf(protocol.CodeForbidden, "no") }
	if _, err := e.StartDisruption(ctx, "clerk", protocol.DisruptionRequest{Cause: protocol.CausePower}, refuse); queue.CodeOf(err) != protocol.CodeForbidden {
		t.Fatalf("refused by the caller's rule: %v", err)
	}
	if seq, _ := e.Seq(); seq != seq0 {
		t.Fatal("refused disruptions appended events")
	}
	whole, err := e.StartDisruption(ctx, "admin", protocol.DisruptionRequest{Cause: protocol.CauseOneStopSoftware, Note: " Mất kết nối "}, anyone)
	if err != nil || whole.CounterIDs == nil || len(whole.CounterIDs) != 0 || whole.Note != "Mất kết nối" || whole.EndedAt != nil {
		t.Fatalf("centre-wide = %+v, %v", whole, err)
	}
	if _, err := e.StartDisruption(ctx, "admin", protocol.DisruptionRequest{Cause: protocol.CauseOneStopSoftware}, anyone); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("the same disruption twice: %v, want conflict", err)
	}
	clk.Add(time.Minute)
	var gotIDs []string
	at, err := e.StartDisruption(ctx, "clerk", protocol.DisruptionRequest{Cause: protocol.CausePrinter, CounterIDs: []string{"q3", "q1"}},
		func(ids []string) error { gotIDs = ids; return nil })
	if err != nil || !slices.Equal(at.CounterIDs, []string{"q1", "q3"}) || !slices.Equal(gotIDs, at.CounterIDs) {
		t.Fatalf("at counters = %+v, %v (rule saw %v)", at, err, gotIDs)
	}
	if b := e.Board(); len(b.Disruptions) != 2 || b.Disruptions[0].ID != whole.ID {
		t.Fatalf("board disruptions %+v", b.Disruptions)
	}
	if got := e.DisruptionsOfField("c"); len(got) != 2 || got[0].Note != "" {
		t.Fatalf("field c (served by q3, q4) sees %+v", got)
	}
	clk.Add(20 * time.Minute)
	if _, err := e.EndDisruption(ctx, whole.ID, "clerk", refuse); queue.CodeOf(err) != protocol.CodeForbidden {
		t.Fatalf("end refused by the caller's rule: %v", err)
	}
	ended, err := e.EndDisruption(ctx, whole.ID, "admin", anyone)
	if err != nil || ended.EndedAt == nil || !ended.EndedAt.Equal(clk.Now()) {
		t.Fatalf("end = %+v, %v", ended, err)
	}
	if _, err := e.EndDisruption(ctx, whole.ID, "admin", anyone); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("ending twice: %v, want conflict", err)
	}
	if _, err := e.EndDisruption(ctx, "nope", "admin", anyone); queue.CodeOf(err) != protocol.CodeNotFound {
		t.Fatalf("ending an unknown one: %v, want not found", err)
	}
	if got := e.DisruptionsOfField("a"); len(got) != 1 || got[0].ID != at.ID {
		t.Fatalf("field a (q1) after the end sees %+v", got)
	}
	if got := e.DisruptionsOfField("c"); len(got) != 1 {
		t.Fatalf("field c after the end sees %+v", got)
	}
	if n := len(eventsOf(t, s, seq0, protocol.EventDisruptionStarted)); n != 2 {
		t.Fatalf("%d disruption.started events", n)
	}
	ev := eventsOf(t, s, seq0, protocol.EventDisruptionEnded)
	var d protocol.Disruption
	if len(ev) != 1 || json.Unmarshal(ev[0].Data, &d) != nil || d.ID != whole.ID || d.EndedAt == nil {
		t.Fatalf("disruption.ended events %+v", ev)
	}
	// The board survives a restart with the open one only.
	s.Close()
	s = open(t)
	defer s.Close()
	e = newEngine(t, s, clk)
	if b := e.Board(); len(b.Disruptions) != 1 || b.Disruptions[0].ID != at.ID {
		t.Fatalf("board after restart %+v", b.Disruptions)
	}
	all, err := e.Disruptions(ctx, clk.Now().Add(-time.Hour), clk.Now())
	if err != nil || len(all) != 2 || all[0].StartedAt.Location().String() != "Asia/Ho_Chi_Minh" {
		t.Fatalf("listed %+v, %v", all, err)
	}
}

// testDisruptionStretch: while a disruption touches the counters, the
// expected waits grow by the slowdown, and come back when it ends.
func testDisruptionStretch(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	anyone := func([]string) error { return nil }
	for _, id := range []string{"q1", "q3", "q4"} {
		if _, err := e.SetCounterStatus(ctx, id, protocol.CounterClosed); err != nil {
			t.Fatal(err)
		}
	}
	var last protocol.Ticket
	for range 6 {
		last = issue(t, e, "a", false) // only q2 serves: 6 × the default 5 min
		clk.Add(time.Second)
	}
	waitOf := func() int {
		t.Helper()
		for _, w := range e.Waiting([]string{"a"}) {
			if w.ID == last.ID {
				return w.ETASeconds
			}
		}
		t.Fatal("last ticket not waiting")
		return 0
	}
	before := waitOf()
	if before <= 0 {
		t.Fatalf("no estimate before: %d %+v", before, e.Waiting([]string{"a"}))
	}
	d, err := e.StartDisruption(ctx, "admin", protocol.DisruptionRequest{Cause: protocol.CauseOneStopSoftware, CounterIDs: []string{"q2"}}, anyone)
	if err != nil {
		t.Fatal(err)
	}
	during := waitOf()
	if want := int(float64(before) * forecast.DefaultDisruptionSlowdown); during < want*9/10 || during > want*11/10 {
		t.Fatalf("wait during the disruption %ds, want about %ds (%.0f× %ds)", during, want, forecast.DefaultDisruptionSlowdown, before)
	}
	// Measured: three services of 15 min (3× the 5-min default) under the
	// disruption make the slowdown 3.
	for range 3 {
		if _, err := e.Next(ctx, "q2", "clerk"); err != nil {
			t.Fatal(err)
		}
		clk.Add(15 * time.Minute)
		if _, err := e.Done(ctx, "q2"); err != nil {
			t.Fatal(err)
		}
	}
	left := e.Waiting([]string{"a"})
	if len(left) != 3 {
		t.Fatalf("%d left", len(left))
	}
	measured := waitOf()
	// Two ahead of the last ticket, at the free q2: 2 × 5 min × 3.
	if want := 2 * 5 * 60 * 3; measured < want*9/10 || measured > want*11/10 {
		t.Fatalf("wait with the measured slowdown %ds, want about %ds", measured, want)
	}
	if _, err := e.EndDisruption(ctx, d.ID, "admin", anyone); err != nil {
		t.Fatal(err)
	}
	// The slow services stayed out of the usual mean: back to 2 × 5 min.
	if after := waitOf(); after < 2*5*60*9/10 || after > 2*5*60*11/10 {
		t.Fatalf("wait after the disruption %ds, want about %ds", after, 2*5*60)
	}
}

func testRatingReasons(t *testing.T, open Opener) {
	clk := NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	ctx := context.Background()
	a1 := issue(t, e, "a", false)
	clk.Add(time.Second)
	a2 := issue(t, e, "a", false)
	for range 2 {
		if _, err := e.Next(ctx, "q2", "clerk"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Done(ctx, "q2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RateByToken(ctx, tokenOf(t, s, e, a1), protocol.RatingRequest{Score: protocol.ScoreSatisfied, Reasons: []string{protocol.ReasonLongWait}}); queue.CodeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("reasons with satisfied: %v", err)
	}
	r, err := e.RateByToken(ctx, tokenOf(t, s, e, a1), protocol.RatingRequest{Score: protocol.ScoreUnsatisfied, Comment: "Chờ gần 2 tiếng",
		Reasons: []string{protocol.ReasonOther, protocol.ReasonLongWait}})
	if err != nil || !slices.Equal(r.Reasons, []string{protocol.ReasonLongWait, protocol.ReasonOther}) {
		t.Fatalf("rating = %+v, %v", r, err)
	}
	if _, err := e.RateAtCounter(ctx, "q2", protocol.RatingRequest{Score: protocol.ScoreUnsatisfied}); err != nil {
		t.Fatal(err) // a2, no reason given
	}
	list, err := e.Ratings(ctx, clk.Now().Add(-time.Hour), clk.Now().Add(time.Hour), 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("ratings = %+v, %v", list, err)
	}
	byID := map[string]protocol.Rating{}
	for _, x := range list {
		byID[x.TicketID] = x
	}
	if got := byID[a1.ID]; !slices.Equal(got.Reasons, []string{protocol.ReasonLongWait, protocol.ReasonOther}) || got.Comment != "Chờ gần 2 tiếng" {
		t.Fatalf("a1 read back %+v", got)
	}
	if got := byID[a2.ID]; got.Reasons != nil {
		t.Fatalf("a2 read back %+v", got)
	}
}
