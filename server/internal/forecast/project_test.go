package forecast

import (
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
		{
			name: "interleave 1:2 from a fresh counter",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting: []ProjectTicket{{"r1", "a", false, at(0)}, {"r2", "a", false, at(1)}, {"r3", "a", false, at(2)},
					{"p1", "a", true, at(3)}, {"p2", "a", true, at(4)}},
				Mean:  map[string]time.Duration{"a": 10 * min},
				Rules: map[string]FieldRule{"a": {Rule: "interleave", Every: 2}},
			},
			want: map[string]time.Duration{"p1": 0, "r1": 10 * min, "r2": 20 * min, "p2": 30 * min, "r3": 40 * min},
		},
		{
			name: "interleave counts the regular calls made before now",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}, RegularRun: 1}},
				Waiting:  []ProjectTicket{{"r1", "a", false, at(0)}, {"p1", "a", true, at(3)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
				Rules:    map[string]FieldRule{"a": {Rule: "interleave", Every: 2}},
			},
			want: map[string]time.Duration{"r1": 0, "p1": 10 * min},
		},
		{
			name: "off: priority tickets by issue time",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  []ProjectTicket{{"r1", "a", false, at(1)}, {"p1", "a", true, at(5)}, {"r2", "a", false, at(6)}},
				Mean:     map[string]time.Duration{"a": 10 * min},
				Rules:    map[string]FieldRule{"a": {Rule: "off"}},
			},
			want: map[string]time.Duration{"r1": 0, "p1": 10 * min, "r2": 20 * min},
		},
		{
			name: "booked: inside the window first, early when it opens, late by issue time",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting: []ProjectTicket{{"late", "a", false, at(0)}, {"w1", "a", false, at(1)}, {"p1", "a", true, at(2)},
					{"early", "a", false, at(3)}, {"in", "a", false, at(4)}, {"w2", "a", false, at(5)}},
				Mean: map[string]time.Duration{"a": 10 * min},
				Now:  at(10),
				Booked: map[string]Window{
					"late":  {From: at(-40), To: at(-5)},
					"early": {From: at(35), To: at(60)},
					"in":    {From: at(0), To: at(25)},
				},
			},
			want: map[string]time.Duration{"in": 0, "p1": 10 * min, "late": 20 * min, "early": 30 * min, "w1": 40 * min, "w2": 50 * min},
		},
		{
			name: "booked after priority",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  bookedLine(),
				Mean:     map[string]time.Duration{"a": 10 * min},
				Now:      at(10),
				Rules:    map[string]FieldRule{"a": {Booked: protocol.BookedAfterPriority}},
				Booked:   map[string]Window{"b": {From: at(0), To: at(30), Slot: at(1)}},
			},
			want: map[string]time.Duration{"p1": 0, "b": 10 * min, "r1": 20 * min, "r2": 30 * min, "r3": 40 * min},
		},
		{
			name: "booked in line at its slot",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  bookedLine(),
				Mean:     map[string]time.Duration{"a": 10 * min},
				Now:      at(10),
				Rules:    map[string]FieldRule{"a": {Booked: protocol.BookedInLine}},
				Booked:   map[string]Window{"b": {From: at(0), To: at(30), Slot: at(1)}},
			},
			want: map[string]time.Duration{"p1": 0, "r1": 10 * min, "b": 20 * min, "r2": 30 * min, "r3": 40 * min},
		},
		{
			name: "booked first",
			in: ProjectInput{
				Counters: []ProjectCounter{{ID: "q1", ServiceIDs: []string{"a"}}},
				Waiting:  bookedLine(),
				Mean:     map[string]time.Duration{"a": 10 * min},
				Now:      at(10),
				Booked:   map[string]Window{"b": {From: at(0), To: at(30), Slot: at(1)}},
			},
			want: map[string]time.Duration{"b": 0, "p1": 10 * min, "r1": 20 * min, "r2": 30 * min, "r3": 40 * min},
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

// bookedLine is regular r1 (minute 0), priority p1 (1), regular r2 (2),
// booked b (3; its slot starts at minute 1) and regular r3 (4).
func bookedLine() []ProjectTicket {
	at := func(m int) time.Time { return time.Date(2026, 11, 30, 8, m, 0, 0, time.UTC) }
	return []ProjectTicket{{"r1", "a", false, at(0)}, {"p1", "a", true, at(1)}, {"r2", "a", false, at(2)},
		{"b", "a", false, at(3)}, {"r3", "a", false, at(4)}}
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
