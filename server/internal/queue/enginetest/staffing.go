package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// runStaffing runs the issue-11 contract: open means staffed, fields no
// counter serves, and the wait calibration across a restart.
func runStaffing(t *testing.T, newOpener NewOpener) {
	t.Run("OpenMeansStaffed", func(t *testing.T) { testStaffing(t, newOpener(t)) })
	t.Run("StaffedAtRestart", func(t *testing.T) { testStaffedAtRestart(t, newOpener(t)) })
	t.Run("ETACountsStaffedCounters", func(t *testing.T) { testETAStaffed(t, newOpener(t)) })
	t.Run("FieldWithoutCounter", func(t *testing.T) { testNoCounter(t, newOpener(t)) })
	t.Run("CalibrationSurvivesRestart", func(t *testing.T) { testCalibrationRestart(t, newOpener(t)) })
}

func counterStatus(t testing.TB, e *queue.Engine, id string) string {
	t.Helper()
	cs, err := e.Counter(id)
	if err != nil {
		t.Fatal(err)
	}
	return cs.Counter.Status
}

// closeAllCounters closes every counter of the seed by hand.
func closeAllCounters(t testing.TB, e *queue.Engine) {
	t.Helper()
	for _, c := range e.Counters() {
		if _, err := e.SetCounterStatus(context.Background(), c.ID, protocol.CounterClosed); err != nil {
			t.Fatal(err)
		}
	}
}

// testStaffing walks every transition of a counter's staffing.
func testStaffing(t *testing.T, open Opener) {
	ctx := context.Background()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t))
	clk := NewClock(start)
	s, e := seeded(t, open, clk)
	defer s.Close()
	closeAllCounters(t, e)
	grace := queue.DefaultStaffGrace
	step := func(d time.Duration) {
		t.Helper()
		clk.Set(clk.Now().Add(d))
		if err := e.CloseUnstaffed(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := func(id, status, why string) {
		t.Helper()
		if got := counterStatus(t, e, id); got != status {
			t.Fatalf("%s: q %s is %s, want %s", why, id, got, status)
		}
	}

	// A clerk console attaches and opens its counter (what the console does).
	release := e.Attach(ctx, "q1")
	if _, err := e.SetCounterStatus(ctx, "q1", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	step(10 * time.Minute)
	want("q1", protocol.CounterOpen, "signed in for 10 minutes")

	// The console goes away; within the grace (a page reload) nothing changes.
	release()
	release() // idempotent
	step(grace / 2)
	want("q1", protocol.CounterOpen, "console gone for half the grace")
	r2 := e.Attach(ctx, "q1") // the reloaded page is back
	step(grace)
	want("q1", protocol.CounterOpen, "console back within the grace")

	// Gone for longer than the grace: closed, with a counter.updated event.
	seq, _ := e.Seq()
	r2()
	step(grace - time.Second)
	want("q1", protocol.CounterOpen, "one second before the grace ends")
	step(time.Second)
	want("q1", protocol.CounterClosed, "console gone for the grace")
	evs, err := s.Events(ctx, seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	var closedEv bool
	for _, ev := range evs {
		var c protocol.Counter
		if ev.Type == protocol.EventCounterUpdated && json.Unmarshal(ev.Data, &c) == nil && c.ID == "q1" && c.Status == protocol.CounterClosed {
			closedEv = true
		}
	}
	if !closedEv {
		t.Fatalf("no counter.updated event closing q1 in %d events", len(evs))
	}

	// The console comes back: the counter reopens by itself.
	r3 := e.Attach(ctx, "q1")
	want("q1", protocol.CounterOpen, "console back after the server closed the counter")

	// A paused counter whose console leaves closes too, and comes back paused.
	if _, err := e.SetCounterStatus(ctx, "q1", protocol.CounterPaused); err != nil {
		t.Fatal(err)
	}
	r3()
	step(grace)
	want("q1", protocol.CounterClosed, "paused counter without console")
	r4 := e.Attach(ctx, "q1")
	want("q1", protocol.CounterPaused, "paused counter's console back")
	// Closed by hand: a console coming back does not reopen it.
	if _, err := e.SetCounterStatus(ctx, "q1", protocol.CounterClosed); err != nil {
		t.Fatal(err)
	}
	r4()
	step(grace)
	r5 := e.Attach(ctx, "q1")
	want("q1", protocol.CounterClosed, "closed by hand, console back")
	r5()

	// Next with no console (an admin, or an API client) opens the counter
	// as today, and it stays open: the caller runs it.
	if _, err := e.Next(ctx, "q2", "admin"); err != nil {
		t.Fatal(err)
	}
	want("q2", protocol.CounterOpen, "next on a closed counter")
	step(10 * grace)
	want("q2", protocol.CounterOpen, "opened by next, no console")
	// ... until a console attaches there and leaves.
	r6 := e.Attach(ctx, "q2")
	r6()
	step(grace)
	want("q2", protocol.CounterClosed, "a console came and left")

	// Two consoles on one counter: it stays open while either is there.
	a, b := e.Attach(ctx, "q3"), e.Attach(ctx, "q3")
	if _, err := e.SetCounterStatus(ctx, "q3", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	a()
	step(2 * grace)
	want("q3", protocol.CounterOpen, "one of two consoles left")
	if n := e.Attached("q3"); n != 1 {
		t.Fatalf("attached to q3: %d", n)
	}
	b()
	step(grace)
	want("q3", protocol.CounterClosed, "both consoles left")
}

// testStaffedAtRestart: after a restart, open counters whose console does
// not come back within the grace are closed; those whose console does stay.
func testStaffedAtRestart(t *testing.T, open Opener) {
	ctx := context.Background()
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk) // four open counters
	s.Close()
	s = open(t)
	defer s.Close()
	e = newEngine(t, s, clk)
	release := e.Attach(ctx, "q1")
	defer release()
	clk.Set(clk.Now().Add(queue.DefaultStaffGrace))
	if err := e.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"q1": "open", "q2": "closed", "q3": "closed", "q4": "closed"} {
		if got := counterStatus(t, e, id); got != want {
			t.Errorf("after restart: %s is %s, want %s", id, got, want)
		}
	}
}

// testETAStaffed: the expected wait counts only staffed counters, and
// changes when a counter closes for want of a clerk.
func testETAStaffed(t *testing.T, open Opener) {
	ctx := context.Background()
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	closeAllCounters(t, e)
	for range 6 {
		issue(t, e, "a", false)
	}
	eta := func() *int {
		for _, sv := range e.ServicesWithETA() {
			if sv.ID == "a" {
				return sv.ETANewSeconds
			}
		}
		t.Fatal("no field a")
		return nil
	}
	if w := eta(); w != nil {
		t.Fatalf("no staffed counter, yet a wait of %d s", *w)
	}
	// Two clerks sign in at counters serving a.
	r1, r2 := e.Attach(ctx, "q1"), e.Attach(ctx, "q2")
	for _, q := range []string{"q1", "q2"} {
		if _, err := e.SetCounterStatus(ctx, q, protocol.CounterOpen); err != nil {
			t.Fatal(err)
		}
	}
	two := eta()
	if two == nil {
		t.Fatal("two staffed counters, no wait")
	}
	r2() // one signs out
	clk.Set(clk.Now().Add(queue.DefaultStaffGrace))
	if err := e.CloseUnstaffed(ctx); err != nil {
		t.Fatal(err)
	}
	one := eta()
	if one == nil || *one <= *two {
		t.Fatalf("one staffed counter: wait %v, two: %d", one, *two)
	}
	in := e.ProjectionInput()
	if len(in.Counters) != 1 || in.Counters[0].ID != "q1" {
		t.Fatalf("projection counts %+v, want q1 only", in.Counters)
	}
	r1()
}

// testNoCounter: a field no counter serves is closed (no_counter) and
// refuses tickets, unless it accepts unserved tickets; it opens and
// closes with the counters, each time with a service.updated event.
func testNoCounter(t *testing.T, open Opener) {
	ctx := context.Background()
	clk := NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	defer s.Close()
	d := protocol.Service{ID: "d", Prefix: "D", Name: protocol.Text{Vi: "Sở Nông nghiệp và Phát triển nông thôn"}, Enabled: true,
		Group: &protocol.Text{Vi: "Nhận hồ sơ", En: "Applications"}}
	out, err := e.PutService(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if out.Open || out.ClosedReason != protocol.ClosedNoCounter || out.Group == nil || out.Group.Vi != "Nhận hồ sơ" {
		t.Fatalf("new field without counter: %+v", out)
	}
	_, err = e.Issue(ctx, "test", protocol.IssueRequest{ServiceID: "d"}, "")
	if qe, ok := err.(*queue.Error); !ok || qe.Code != protocol.CodeServiceClosed {
		t.Fatalf("issue in an unserved field: %v", err)
	}
	// A counter takes it: it opens, and kiosks hear it.
	seq, _ := e.Seq()
	q4 := protocol.Counter{ID: "q4", Number: 4, Name: protocol.Text{Vi: "Quầy 4"}, ServiceIDs: []string{"c", "a", "d"}, Status: protocol.CounterClosed}
	if _, err := e.PutCounter(ctx, q4); err != nil {
		t.Fatal(err)
	}
	if got := svcEvent(t, s, seq, "d"); got == nil || !got.Open {
		t.Fatalf("after a counter took d: event %+v", got)
	}
	issue(t, e, "d", false)
	// The counter drops it again: closed, refused.
	seq, _ = e.Seq()
	q4.ServiceIDs = []string{"c", "a"}
	if _, err := e.PutCounter(ctx, q4); err != nil {
		t.Fatal(err)
	}
	if got := svcEvent(t, s, seq, "d"); got == nil || got.Open || got.ClosedReason != protocol.ClosedNoCounter {
		t.Fatalf("after the counter dropped d: event %+v", got)
	}
	if _, err := e.Issue(ctx, "test", protocol.IssueRequest{ServiceID: "d"}, ""); err == nil {
		t.Fatal("issued in a field no counter serves")
	}
	// The admin allows it: open again, tickets issued.
	d.AcceptUnserved = true
	if out, err = e.PutService(ctx, d); err != nil || !out.Open {
		t.Fatalf("accept_unserved: %+v %v", out, err)
	}
	issue(t, e, "d", false)
	for _, sv := range e.Services() {
		if sv.ID == "d" && (!sv.Open || !sv.AcceptUnserved || sv.Group == nil) {
			t.Fatalf("listed: %+v", sv)
		}
	}
	// A blank group is no group; a group without a Vietnamese name is refused.
	d.Group = &protocol.Text{Vi: "  "}
	if out, err = e.PutService(ctx, d); err != nil || out.Group != nil {
		t.Fatalf("blank group: %+v %v", out.Group, err)
	}
	d.Group = &protocol.Text{En: "Only English"}
	if _, err = e.PutService(ctx, d); err == nil {
		t.Fatal("a group without name.vi was accepted")
	}
}

// svcEvent is the last service.updated event for id after seq.
func svcEvent(t testing.TB, s queue.Store, after int64, id string) *protocol.Service {
	t.Helper()
	evs, err := s.Events(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out *protocol.Service
	for _, ev := range evs {
		var sv protocol.Service
		if ev.Type == protocol.EventServiceUpdated && json.Unmarshal(ev.Data, &sv) == nil && sv.ID == id {
			out = &sv
		}
	}
	return out
}

// testCalibrationRestart: after many calls (more than the calibration
// needs) and some pauses, a restart on the same storage gives every
// waiting ticket the same estimate and range as before.
func testCalibrationRestart(t *testing.T, open Opener) {
	ctx := context.Background()
	clk := NewClock(time.Date(2026, 11, 28, 8, 0, 0, 0, HCM(t)))
	s, e := seeded(t, open, clk)
	closeAllCounters(t, e)
	tick := func(d time.Duration) { clk.Set(clk.Now().Add(d)) }
	// Two counters serve field a; tickets arrive faster than they are
	// served, so every ticket waits and is given a range at issue.
	for range 4 {
		issue(t, e, "a", false)
	}
	for i := range 70 {
		issue(t, e, "a", i%7 == 0)
		tick(40 * time.Second)
		q := []string{"q1", "q2"}[i%2]
		if _, err := e.Next(ctx, q, "clerk"); err != nil {
			t.Fatal(err)
		}
		if i%10 == 5 { // a short pause between services
			if _, err := e.SetCounterStatus(ctx, q, protocol.CounterPaused); err != nil {
				t.Fatal(err)
			}
			tick(3 * time.Minute)
			if _, err := e.SetCounterStatus(ctx, q, protocol.CounterOpen); err != nil {
				t.Fatal(err)
			}
		}
		tick(time.Duration(50+i%5*20) * time.Second)
	}
	if _, err := e.SetCounterStatus(ctx, "q2", protocol.CounterPaused); err != nil {
		t.Fatal(err)
	}
	tick(time.Minute)
	before := e.Estimates()
	in := e.ProjectionInput()
	if in.Widen == 1 || in.Widen == 0 || in.Pause == 0 {
		t.Fatalf("the test did not calibrate anything: widen %v, pause %v", in.Widen, in.Pause)
	}
	if len(before) == 0 {
		t.Fatal("nothing waits")
	}
	if err := e.SaveCalibration(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t)
	defer s.Close()
	e = newEngine(t, s, clk)
	after := e.Estimates()
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("estimates changed across the restart:\nbefore %v\nafter  %v", before, after)
	}
	in2 := e.ProjectionInput()
	if in2.Widen != in.Widen || in2.Pause != in.Pause || in2.PauseSD != in.PauseSD {
		t.Fatalf("calibration: widen %v→%v pause %v→%v", in.Widen, in2.Widen, in.Pause, in2.Pause)
	}
}
