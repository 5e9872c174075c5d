package queue

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/forecast"
	"github.com/civiq/civiq/server/protocol"
)

// oneCounter is a cache of a centre with field "a" and counter q1 serving
// it, open, and a function that applies an event to it.
func oneCounter() (*cache, protocol.Counter, func(typ string, at time.Time, v any)) {
	svc := protocol.Service{ID: "a", Prefix: "A", Name: protocol.Text{Vi: "A"}, Enabled: true}
	q1 := protocol.Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a"}, Status: protocol.CounterOpen}
	c := newCache(&Loaded{Services: []protocol.Service{svc}, Counters: []CounterRecord{{Counter: q1}}}, "2026-11-30", time.UTC)
	seq := int64(0)
	return c, q1, func(typ string, at time.Time, v any) {
		seq++
		data, _ := json.Marshal(v)
		c.apply(protocol.Event{Seq: seq, Type: typ, At: at, Data: data}, time.UTC)
	}
}

func TestProjectInputPausedCounter(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c, q1, ev := oneCounter()
	q1.Status = protocol.CounterPaused
	ev(protocol.EventCounterUpdated, t0, q1)

	in := c.projectInput(t0.Add(5*time.Minute), 3)
	if len(in.Counters) != 1 || !in.Counters[0].Busy || in.Counters[0].Remaining != forecast.TypicalPause-5*time.Minute {
		t.Fatalf("briefly paused: %+v", in.Counters)
	}
	if in := c.projectInput(t0.Add(forecast.PauseGiveUp+time.Minute), 3); len(in.Counters) != 0 {
		t.Fatalf("paused for long still counted: %+v", in.Counters)
	}
	q1.Status = protocol.CounterOpen
	ev(protocol.EventCounterUpdated, t0.Add(time.Hour), q1)
	if in := c.projectInput(t0.Add(time.Hour), 3); len(in.Counters) != 1 || in.Counters[0].Busy {
		t.Fatalf("reopened: %+v", in.Counters)
	}
}

func TestProjectInputPauseTime(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c, q1, ev := oneCounter()
	done := func(i int, at time.Time) {
		called := at.Add(-4 * time.Minute)
		ev(protocol.EventTicketDone, at, protocol.Ticket{ID: fmt.Sprintf("t%d", i), ServiceID: "a", CounterID: "q1", Status: protocol.StatusDone, CalledAt: &called, FinishedAt: &at})
	}
	status := func(s string, at time.Time) {
		k := q1
		k.Status = s
		ev(protocol.EventCounterUpdated, at, k)
	}
	if in := c.projectInput(t0, 3); in.Pause != 0 {
		t.Fatalf("no history: pause %v", in.Pause)
	}
	// Four services; a 6 min break after the second, a 40 min one (too
	// long to be a break) after the third, and a pause ended by closing.
	done(1, t0.Add(5*time.Minute))
	done(2, t0.Add(10*time.Minute))
	status(protocol.CounterPaused, t0.Add(10*time.Minute))
	status(protocol.CounterOpen, t0.Add(16*time.Minute))
	done(3, t0.Add(20*time.Minute))
	status(protocol.CounterPaused, t0.Add(20*time.Minute))
	status(protocol.CounterOpen, t0.Add(60*time.Minute))
	done(4, t0.Add(65*time.Minute))
	status(protocol.CounterPaused, t0.Add(65*time.Minute))
	status(protocol.CounterClosed, t0.Add(70*time.Minute))
	status(protocol.CounterOpen, t0.Add(71*time.Minute))
	// 6 min over 4 services.
	if in := c.projectInput(t0.Add(72*time.Minute), 3); in.Pause != 90*time.Second {
		t.Fatalf("pause per service %v, want 1m30s", in.Pause)
	}
	for i := range forecast.BreaksKept {
		done(10+i, t0.Add(2*time.Hour+time.Duration(i)*time.Minute))
	}
	if in := c.projectInput(t0.Add(8*time.Hour), 3); in.Pause != 0 {
		t.Fatalf("the break left the window but still counts: %v", in.Pause)
	}
}

func TestEstimatesFallBackBeyondMaxProjected(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	svc := protocol.Service{ID: "a", Prefix: "A", Name: protocol.Text{Vi: "A"}, Enabled: true}
	q1 := protocol.Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a"}, Status: protocol.CounterOpen}
	mk := func(n int) *cache {
		l := &Loaded{Services: []protocol.Service{svc}, Counters: []CounterRecord{{Counter: q1}}}
		for i := range n {
			l.Open = append(l.Open, TicketRecord{Ticket: protocol.Ticket{ID: fmt.Sprintf("t%04d", i), ServiceID: "a", Status: protocol.StatusWaiting,
				IssuedAt: t0.Add(time.Duration(i) * time.Second), Day: "2026-11-30"}})
		}
		return newCache(l, "2026-11-30", time.UTC)
	}
	small := mk(forecast.MaxProjected).estimates(t0, 3)
	if e := small["t0002"]; e.Ahead != 2 || e.ETASeconds != int(2*forecast.DefaultServiceTime/time.Second) {
		t.Fatalf("projected: %+v", e)
	}
	big := mk(forecast.MaxProjected+1).estimates(t0, 3)
	want := int(forecast.EstimateWait(forecast.ETAInput{Ahead: 2, Servers: 1}).Seconds())
	if e := big["t0002"]; e.Ahead != 2 || e.ETASeconds != want {
		t.Fatalf("fallback: %+v, want %d s", e, want)
	}
}

// TestEstimatesStretchUnderDisruption: a disruption at the only counter
// doubles the expected waits, projected or (beyond forecast.MaxProjected) simple; one
// elsewhere changes nothing.
func TestEstimatesStretchUnderDisruption(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	svc := protocol.Service{ID: "a", Prefix: "A", Name: protocol.Text{Vi: "A"}, Enabled: true}
	q1 := protocol.Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a"}, Status: protocol.CounterOpen}
	q2 := protocol.Counter{ID: "q2", Number: 2, ServiceIDs: []string{"b"}, Status: protocol.CounterOpen}
	mk := func(n int, at string) *cache {
		l := &Loaded{Services: []protocol.Service{svc}, Counters: []CounterRecord{{Counter: q1}, {Counter: q2}},
			Disruptions: []protocol.Disruption{{ID: "d", Cause: protocol.CauseNetwork, CounterIDs: []string{at}, StartedAt: t0}}}
		for i := range n {
			l.Open = append(l.Open, TicketRecord{Ticket: protocol.Ticket{ID: fmt.Sprintf("t%04d", i), ServiceID: "a", Status: protocol.StatusWaiting,
				IssuedAt: t0.Add(time.Duration(i) * time.Second), Day: "2026-11-30"}})
		}
		return newCache(l, "2026-11-30", time.UTC)
	}
	normal := int(2 * forecast.DefaultServiceTime / time.Second)
	for _, c := range []struct {
		n, want int
		at      string
	}{
		{forecast.MaxProjected, normal * forecast.DefaultDisruptionSlowdown, "q1"},
		{forecast.MaxProjected + 1, int(forecast.EstimateWait(forecast.ETAInput{Ahead: 2, MeanService: forecast.DefaultDisruptionSlowdown * forecast.DefaultServiceTime, Servers: 1}).Seconds()), "q1"},
		{forecast.MaxProjected, normal, "q2"},
		{forecast.MaxProjected + 1, int(forecast.EstimateWait(forecast.ETAInput{Ahead: 2, Servers: 1}).Seconds()), "q2"},
	} {
		if e := mk(c.n, c.at).estimates(t0, 3)["t0002"]; e.ETASeconds != c.want {
			t.Errorf("%d waiting, disruption at %s: %d s, want %d s", c.n, c.at, e.ETASeconds, c.want)
		}
	}
}

// The range calibrates itself on how the ranges given at issue held the
// actual waits: waits far outside widen it, waits always at the estimate
// narrow it.
func TestRangeCalibration(t *testing.T) {
	for _, c := range []struct {
		name   string
		factor float64 // actual wait ÷ estimate
		check  func(w float64) bool
	}{
		{"waits three times the estimate", 3, func(w float64) bool { return w > 1.5 }},
		{"waits exactly as estimated", 1, func(w float64) bool { return w < 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
			cc, q1, ev := oneCounter()
			now := t0
			call := func(tk protocol.Ticket, at time.Time) {
				tk.Status, tk.CounterID, tk.CalledAt = protocol.StatusCalled, "q1", &at
				ev(protocol.EventTicketCalled, at, protocol.Call{Ticket: tk, Counter: q1, At: at})
			}
			// A ticket printed offline and synced later had no range: it
			// does not calibrate (its wait includes the network cut).
			off := protocol.Ticket{ID: "off", ServiceID: "a", Status: protocol.StatusWaiting, IssuedAt: now.Add(-time.Hour), Day: "2026-11-30", Offline: true}
			ev(protocol.EventTicketIssued, now, off)
			if _, ok := cc.model.Calibration().AtIssue["off"]; ok {
				t.Fatal("an offline ticket's range was noted")
			}
			ev(protocol.EventTicketCancelled, now, off)
			first := protocol.Ticket{ID: "x", ServiceID: "a", Status: protocol.StatusWaiting, IssuedAt: now, Day: "2026-11-30"}
			ev(protocol.EventTicketIssued, now, first)
			call(first, now)
			for i := range forecast.MinWidths + 10 {
				if i == forecast.MinWidths-1 {
					if w := cc.model.Widen(); w != 1 {
						t.Fatalf("calibrated after %d calls: %v", i, w)
					}
				}
				// Issued while q1 has just started a service: the estimate
				// is the default service time.
				tk := protocol.Ticket{ID: fmt.Sprintf("t%03d", i), ServiceID: "a", Status: protocol.StatusWaiting, IssuedAt: now, Day: "2026-11-30"}
				ev(protocol.EventTicketIssued, now, tk)
				r, ok := cc.model.Calibration().AtIssue[tk.ID]
				if !ok {
					t.Fatalf("%s: no range noted at issue", tk.ID)
				}
				est := math.Exp(r.Log[0] + r.Log[1]*r.Log[1]/2) // the lognormal's mean: the estimate
				if math.Abs(est-forecast.DefaultServiceTime.Seconds()) > 1 {
					t.Fatalf("estimate %.0f s, want %v", est, forecast.DefaultServiceTime)
				}
				now = now.Add(time.Duration(c.factor * est * float64(time.Second)))
				call(tk, now)
			}
			// The factor in use is the one its widths give afresh.
			fresh := forecast.NewModel(nil)
			fresh.Restore(cc.model.Calibration(), func(string) bool { return false }, func(string) bool { return false })
			if w := cc.model.Widen(); !c.check(w) || cc.projectInput(now, 3).Widen != w || w != fresh.Widen() {
				t.Fatalf("widen %v", w)
			}
		})
	}
}
