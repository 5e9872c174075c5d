package queue

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

func TestProject(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	min := time.Minute
	cases := []struct {
		name string
		in   ProjectInput
		want map[string]time.Duration
	}{
		{
			name: "one free counter serves in issue order",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"t3", "a", false, at(3)}, {"t1", "a", false, at(1)}, {"t2", "a", false, at(2)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
			},
			want: map[string]time.Duration{"t1": 0, "t2": 10 * min, "t3": 20 * min},
		},
		{
			name: "a busy counter frees up after its remaining time",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}, Busy: true, Remaining: 2 * min}, {ID: "q2", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"t1", "a", false, at(1)}, {"t2", "a", false, at(2)}, {"t3", "a", false, at(3)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
			},
			want: map[string]time.Duration{"t1": 0, "t2": 2 * min, "t3": 10 * min},
		},
		{
			name: "the mean pause per service delays every later call",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}, Busy: true, Remaining: 2 * min}, {ID: "q2", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"t1", "a", false, at(1)}, {"t2", "a", false, at(2)}, {"t3", "a", false, at(3)}, {"t4", "a", false, at(4)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
				Pause:    30 * time.Second,
			},
			// q2 takes t1 at once, q1 t2 after its 2 min; then q1 (free
			// at 2 + 10 + 0.5) takes t3 before q2 (free at 10.5), and q2
			// takes t4 at 10.5. The current service (Remaining) gets no
			// pause added: it is already what is left of it.
			want: map[string]time.Duration{"t1": 0, "t2": 2 * min, "t3": 10*min + 30*time.Second, "t4": 12*min + 30*time.Second},
		},
		{
			name: "priority goes first",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"r1", "a", false, at(1)}, {"p1", "a", true, at(5)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
			},
			want: map[string]time.Duration{"p1": 0, "r1": 10 * min},
		},
		{
			name: "the streak bound lets a regular ticket through",
			in: ProjectInput{
				Counters:          []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}, PriorityStreak: 1}},
				Waiting:           []ProjectTicket{{"r1", "a", false, at(0)}, {"p1", "a", true, at(1)}, {"p2", "a", true, at(2)}, {"p3", "a", true, at(3)}},
				Mean:              map[string]time.Duration{"a": 10 * min},
				MaxPriorityStreak: 3,
			},
			want: map[string]time.Duration{"p1": 0, "p2": 10 * min, "r1": 20 * min, "p3": 30 * min},
		},
		{
			name: "a counter serving two fields splits its capacity by issue time",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a", "b"}}, {ID: "q2", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"a1", "a", false, at(1)}, {"b1", "b", false, at(2)}, {"a2", "a", false, at(3)}, {"b2", "b", false, at(4)}},
				Mean:     map[string]time.Duration{"a": 10 * min, "b": 4 * min},
			},
			// q1 takes a1 at 0 and q2 (field a only) a2 at 0;
			// q1 then takes b1 at 10, b2 at 14.
			want: map[string]time.Duration{"a1": 0, "a2": 0, "b1": 10 * min, "b2": 14 * min},
		},
		{
			name: "a field no open counter serves gets no projection",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"a1", "a", false, at(1)}, {"c1", "c", false, at(0)}},
			},
			want: map[string]time.Duration{"a1": 0},
		},
		{
			name: "a slow clerk's own mean is used",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}, Mean: map[string]time.Duration{"a": 20 * min}}},
				Waiting:  []ProjectTicket{{"t1", "a", false, at(1)}, {"t2", "a", false, at(2)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
			},
			want: map[string]time.Duration{"t1": 0, "t2": 20 * min},
		},
		{
			name: "an unmeasured field uses the default service time",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"t1", "a", false, at(1)}, {"t2", "a", false, at(2)}},
			},
			want: map[string]time.Duration{"t1": 0, "t2": DefaultServiceTime},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Project(c.in)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for id, w := range c.want {
				if g, ok := got[id]; !ok || g != w {
					t.Errorf("%s: got %v (present %v), want %v", id, g, ok, w)
				}
			}
		})
	}
}

func TestRemainingService(t *testing.T) {
	m := 10 * time.Minute
	if got := RemainingService(m, 2*time.Minute); got != 8*time.Minute {
		t.Errorf("early: %v", got)
	}
	if got := RemainingService(m, 30*time.Minute); got != 3*time.Minute+30*time.Second {
		t.Errorf("overrun: %v, want the 35 %% floor", got)
	}
}

func TestNaiveWait(t *testing.T) {
	if got := NaiveWait(6, 10*time.Minute, 3); got != 20*time.Minute {
		t.Errorf("got %v", got)
	}
	if got := NaiveWait(2, 0, 0); got != 2*DefaultServiceTime {
		t.Errorf("defaults: %v", got)
	}
}

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
	if len(in.Counters) != 1 || !in.Counters[0].Busy || in.Counters[0].Remaining != TypicalPause-5*time.Minute {
		t.Fatalf("briefly paused: %+v", in.Counters)
	}
	if in := c.projectInput(t0.Add(PauseGiveUp+time.Minute), 3); len(in.Counters) != 0 {
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
	for i := range breaksKept {
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
	small := mk(MaxProjected).estimates(t0, 3)
	if e := small["t0002"]; e.Ahead != 2 || e.ETASeconds != int(2*DefaultServiceTime/time.Second) {
		t.Fatalf("projected: %+v", e)
	}
	big := mk(MaxProjected+1).estimates(t0, 3)
	want := int(EstimateWait(ETAInput{Ahead: 2, Servers: 1}).Seconds())
	if e := big["t0002"]; e.Ahead != 2 || e.ETASeconds != want {
		t.Fatalf("fallback: %+v, want %d s", e, want)
	}
}

// TestEstimatesStretchUnderDisruption: a disruption at the only counter
// doubles the expected waits, projected or (beyond MaxProjected) simple; one
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
	normal := int(2 * DefaultServiceTime / time.Second)
	for _, c := range []struct {
		n, want int
		at      string
	}{
		{MaxProjected, normal * DefaultDisruptionSlowdown, "q1"},
		{MaxProjected + 1, int(EstimateWait(ETAInput{Ahead: 2, MeanService: DefaultDisruptionSlowdown * DefaultServiceTime, Servers: 1}).Seconds()), "q1"},
		{MaxProjected, normal, "q2"},
		{MaxProjected + 1, int(EstimateWait(ETAInput{Ahead: 2, Servers: 1}).Seconds()), "q2"},
	} {
		if e := mk(c.n, c.at).estimates(t0, 3)["t0002"]; e.ETASeconds != c.want {
			t.Errorf("%d waiting, disruption at %s: %d s, want %d s", c.n, c.at, e.ETASeconds, c.want)
		}
	}
}
