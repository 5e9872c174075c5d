package protocol

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

func ev(seq int64, typ string, data any) Event {
	b, _ := json.Marshal(data)
	return Event{Seq: seq, Epoch: "e", Type: typ, At: time.Unix(seq, 0), Data: b}
}

func TestApplyTable(t *testing.T) {
	q1 := Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a"}, Status: CounterOpen}
	q2 := Counter{ID: "q2", Number: 2, ServiceIDs: []string{"a", "b"}, Status: CounterOpen}
	a1 := Ticket{ID: "t1", Code: "A001", ServiceID: "a", Status: StatusWaiting}
	a2 := Ticket{ID: "t2", Code: "A002", ServiceID: "a", Status: StatusWaiting}
	called := func(t Ticket, c Counter) Ticket { t.Status, t.CounterID = StatusCalled, c.ID; return t }
	snap := Board{Seq: 10, Epoch: "e", Counters: []CounterState{{Counter: q1}, {Counter: q2}}, Waiting: map[string]int{"a": 0, "b": 0}}

	type step struct {
		ev                   Event
		waitA, waitB         int
		curQ1, curQ2         string
		recent, servedQ1, sq int64
	}
	steps := []step{
		{ev: ev(10, EventSnapshot, snap)},
		{ev: ev(11, EventTicketIssued, a1), waitA: 1},
		{ev: ev(12, EventTicketIssued, a2), waitA: 2},
		{ev: ev(12, EventTicketIssued, a2), waitA: 2}, // duplicate seq: ignored
		{ev: ev(13, EventTicketCalled, Call{Ticket: called(a1, q1), Counter: q1}), waitA: 1, curQ1: "t1", recent: 1},
		{ev: ev(14, EventTicketRecalled, Call{Ticket: called(a1, q1), Counter: q1, Recall: true}), waitA: 1, curQ1: "t1", recent: 2},
		{ev: ev(15, EventTicketCalled, Call{Ticket: called(a2, q2), Counter: q2}), curQ1: "t1", curQ2: "t2", recent: 3},
		{ev: ev(16, EventTicketDone, Ticket{ID: "t1", ServiceID: "a", CounterID: "q1", Status: StatusDone}), curQ2: "t2", recent: 3, servedQ1: 1},
		{ev: ev(17, EventTicketTransferred, Ticket{ID: "t2", ServiceID: "b", FromServiceID: "a", Status: StatusWaiting}), waitB: 1, recent: 3, servedQ1: 1},
		{ev: ev(18, EventTicketCancelled, Ticket{ID: "t2", ServiceID: "b", Status: StatusCancelled}), recent: 3, servedQ1: 1},
		{ev: ev(19, "something.new", map[string]int{"x": 1}), recent: 3, servedQ1: 1},
		{ev: ev(20, EventServiceUpdated, Service{ID: "b", Waiting: 4}), waitB: 4, recent: 3, servedQ1: 1},
	}
	var b, bd, bo Board // bd, bo: the same steps through ApplyDecoded, ApplyOwned
	var err error
	for i, s := range steps {
		if b, err = Apply(b, s.ev); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		data, derr := DecodeEvent(s.ev)
		if bd, err = ApplyDecoded(bd, s.ev, data, derr); err != nil {
			t.Fatalf("step %d, decoded: %v", i, err)
		}
		if !reflect.DeepEqual(b, bd) {
			t.Fatalf("step %d (%s): ApplyDecoded gave %+v, Apply %+v", i, s.ev.Type, bd, b)
		}
		if bo, err = ApplyOwned(bo, s.ev, data, derr); err != nil {
			t.Fatalf("step %d, owned: %v", i, err)
		}
		if !reflect.DeepEqual(b, bo) {
			t.Fatalf("step %d (%s): ApplyOwned gave %+v, Apply %+v", i, s.ev.Type, bo, b)
		}
		cur := func(j int) string {
			if b.Counters[j].Current == nil {
				return ""
			}
			return b.Counters[j].Current.ID
		}
		if b.Waiting["a"] != s.waitA || b.Waiting["b"] != s.waitB || cur(0) != s.curQ1 || cur(1) != s.curQ2 ||
			int64(len(b.Recent)) != s.recent || int64(b.Counters[0].Counter.ServedToday) != s.servedQ1 {
			t.Fatalf("step %d (%s): waiting %v, q1 %q q2 %q, recent %d, served %d; want a=%d b=%d q1 %q q2 %q recent %d served %d",
				i, s.ev.Type, b.Waiting, cur(0), cur(1), len(b.Recent), b.Counters[0].Counter.ServedToday, s.waitA, s.waitB, s.curQ1, s.curQ2, s.recent, s.servedQ1)
		}
	}
	if b.Recent[0].Ticket.Status != StatusCalled || !b.Recent[1].Recall {
		t.Fatalf("recent order: %+v", b.Recent)
	}
	if b.Seq != 20 {
		t.Fatalf("seq %d", b.Seq)
	}
	// Another epoch needs a snapshot.
	other := ev(21, EventTicketIssued, a1)
	other.Epoch = "x"
	if _, err := Apply(b, other); err != ErrEpochChanged {
		t.Fatalf("other epoch: %v", err)
	}
}

func TestApplyDoesNotMutate(t *testing.T) {
	b := Board{Seq: 1, Epoch: "e", Counters: []CounterState{{Counter: Counter{ID: "q1"}}}, Waiting: map[string]int{"a": 1}}
	_, err := Apply(b, ev(2, EventTicketCalled, Call{Ticket: Ticket{ID: "t", ServiceID: "a"}, Counter: Counter{ID: "q1"}}))
	if err != nil {
		t.Fatal(err)
	}
	if b.Waiting["a"] != 1 || b.Counters[0].Current != nil || b.Seq != 1 {
		t.Fatal("Apply modified its input")
	}
}

// TestApplyOwnedKeepsLentPointers: ApplyOwned changes the board's own
// slices and map, but what a reader was lent through a pointer (the ticket
// a counter was serving, the centre) stays as it was.
func TestApplyOwnedKeepsLentPointers(t *testing.T) {
	q1 := Counter{ID: "q1", Number: 1}
	b := Board{Seq: 1, Epoch: "e", Counters: []CounterState{{Counter: q1}}, Waiting: map[string]int{"a": 2},
		Centre: &Centre{Name: Text{Vi: "Cũ"}}}
	step := func(e Event) {
		t.Helper()
		data, derr := DecodeEvent(e)
		var err error
		if b, err = ApplyOwned(b, e, data, derr); err != nil {
			t.Fatal(err)
		}
	}
	step(ev(2, EventTicketCalled, Call{Ticket: Ticket{ID: "t1", ServiceID: "a", Status: StatusCalled}, Counter: q1}))
	lent, centre := b.Counters[0].Current, b.Centre
	step(ev(3, EventTicketCalled, Call{Ticket: Ticket{ID: "t2", ServiceID: "a", Status: StatusCalled}, Counter: q1}))
	step(ev(4, EventCentreUpdated, Centre{Name: Text{Vi: "Mới"}}))
	if lent.ID != "t1" || lent.Status != StatusCalled || centre.Name.Vi != "Cũ" {
		t.Fatalf("a lent pointer changed: ticket %+v, centre %+v", lent, centre)
	}
	if b.Counters[0].Current.ID != "t2" || b.Centre.Name.Vi != "Mới" || b.Waiting["a"] != 0 || b.Seq != 4 {
		t.Fatalf("board after the events: %+v", b)
	}
}

func TestRecentIsBounded(t *testing.T) {
	var b Board
	for i := int64(1); i <= 25; i++ {
		b, _ = Apply(b, ev(i, EventTicketCalled, Call{Ticket: Ticket{ID: "t"}, Counter: Counter{ID: "q1", Number: 1}}))
	}
	if len(b.Recent) != RecentCalls || len(b.Counters) != 1 {
		t.Fatalf("recent %d counters %d", len(b.Recent), len(b.Counters))
	}
}

// FuzzApply: no event, however malformed, panics or corrupts the board's seq order.
func FuzzApply(f *testing.F) {
	f.Add(int64(1), "ticket.called", []byte(`{"ticket":{"id":"t"},"counter":{"id":"q1"}}`))
	f.Add(int64(2), "snapshot", []byte(`{"seq":5,"counters":[{"counter":{"id":"q"},"current":null}]}`))
	f.Add(int64(3), "ticket.done", []byte(`null`))
	f.Add(int64(4), "counter.updated", []byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, seq int64, typ string, data []byte) {
		b := Board{Seq: 1, Epoch: "e", Waiting: map[string]int{}}
		nb, err := Apply(b, Event{Seq: seq, Epoch: "e", Type: typ, Data: data})
		if err != nil {
			return
		}
		if typ != EventSnapshot && seq > 1 && nb.Seq != seq {
			t.Fatalf("seq %d after event %d", nb.Seq, seq)
		}
		for _, n := range nb.Waiting {
			if n < 0 {
				t.Fatal("negative waiting count")
			}
		}
	})
}

func TestApplyDisruptions(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	d1 := Disruption{ID: "d1", Cause: CauseOneStopSoftware, CounterIDs: []string{}, StartedAt: t0}
	d2 := Disruption{ID: "d2", Cause: CausePrinter, CounterIDs: []string{"q1"}, StartedAt: t0.Add(time.Minute)}
	ended := d1
	end := t0.Add(time.Hour)
	ended.EndedAt = &end
	b := Board{Seq: 1, Epoch: "e", Waiting: map[string]int{}}
	ids := func(b Board) []string {
		var out []string
		for _, d := range b.Disruptions {
			out = append(out, d.ID)
		}
		return out
	}
	for i, s := range []struct {
		ev   Event
		want []string
	}{
		{ev(2, EventDisruptionStarted, d1), []string{"d1"}},
		{ev(3, EventDisruptionStarted, d2), []string{"d1", "d2"}},
		{ev(3, EventDisruptionStarted, d2), []string{"d1", "d2"}}, // duplicate seq
		{ev(4, EventDisruptionEnded, ended), []string{"d2"}},
		{ev(5, EventDisruptionEnded, ended), []string{"d2"}}, // ended twice: nothing
		{ev(6, EventDisruptionEnded, d2), nil},
	} {
		prev := b
		var err error
		if b, err = Apply(b, s.ev); err != nil {
			t.Fatal(err)
		}
		if got := ids(b); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
		if i == 3 && len(prev.Disruptions) != 2 {
			t.Fatal("Apply modified the board it was given")
		}
	}
	if b.Disruptions != nil {
		t.Fatal("no open disruption must leave the field absent")
	}
}

// TestApplyMalformed: malformed data of an event the board reads is an error
// and leaves the board as it was; that of an event the board does not read
// (a rating, a device change) only advances the seq.
func TestApplyMalformed(t *testing.T) {
	b := Board{Seq: 1, Epoch: "e", Waiting: map[string]int{"a": 1}}
	for _, typ := range []string{EventSnapshot, EventTicketIssued, EventTicketCalled, EventTicketDone, EventCounterUpdated,
		EventServiceUpdated, EventCentreUpdated, EventDisruptionStarted} {
		bad := Event{Seq: 2, Epoch: "e", Type: typ, Data: []byte(`"x"`)}
		nb, err := Apply(b, bad)
		if err == nil || nb.Seq != 1 {
			t.Errorf("%s with bad data: seq %d, err %v; want seq 1 and an error", typ, nb.Seq, err)
		}
		data, derr := DecodeEvent(bad)
		if nb, err := ApplyDecoded(b, bad, data, derr); err == nil || nb.Seq != 1 {
			t.Errorf("%s with bad data, decoded: seq %d, err %v; want seq 1 and an error", typ, nb.Seq, err)
		}
		if nb, err := ApplyOwned(b, bad, data, derr); err == nil || nb.Seq != 1 || b.Seq != 1 || b.Waiting["a"] != 1 {
			t.Errorf("%s with bad data, owned: seq %d (board %d, waiting %v), err %v; want seq 1, the board as it was and an error", typ, nb.Seq, b.Seq, b.Waiting, err)
		}
	}
	for _, typ := range []string{EventTicketRated, EventDeviceUpdated, EventTicketView, "something.new"} {
		nb, err := Apply(b, Event{Seq: 2, Epoch: "e", Type: typ, Data: []byte(`"x"`)})
		if err != nil || nb.Seq != 2 || nb.Waiting["a"] != 1 {
			t.Errorf("%s with bad data: seq %d, err %v; want seq 2 and no error", typ, nb.Seq, err)
		}
	}
}
