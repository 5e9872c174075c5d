package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// eventTypes are every event type a server sends, with a value of the data
// each carries.
func eventTypes() map[string]any {
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	tk := Ticket{ID: "t1", Code: "A001", ServiceID: "a", Status: StatusWaiting, IssuedAt: at}
	q1 := Counter{ID: "q1", Number: 1, ServiceIDs: []string{"a"}, Status: CounterOpen}
	return map[string]any{
		EventSnapshot:          Board{Seq: 3, Epoch: "e", Waiting: map[string]int{"a": 1}},
		EventTicketIssued:      tk,
		EventTicketDone:        tk,
		EventTicketNoShow:      tk,
		EventTicketTransferred: tk,
		EventTicketCancelled:   tk,
		EventTicketCalled:      Call{Ticket: tk, Counter: q1},
		EventTicketRecalled:    Call{Ticket: tk, Counter: q1, Recall: true},
		EventTicketRated:       RatedEvent{TicketID: "t1", Score: ScoreSatisfied, Via: "phone"},
		EventTicketView:        TicketView{Ticket: tk, Reason: ViewQueue, Waiting: 2},
		EventCounterUpdated:    q1,
		EventServiceUpdated:    Service{ID: "a", Prefix: "A", Name: Text{Vi: "Đất đai"}, Enabled: true},
		EventCentreUpdated:     Centre{Name: Text{Vi: "Trung tâm"}},
		EventDisruptionStarted: Disruption{ID: "d1", Cause: "power"},
		EventDisruptionEnded:   Disruption{ID: "d1", Cause: "power", EndedAt: &at},
		EventDeviceUpdated:     DeviceChange{ID: "k1", Change: DeviceCreated},
	}
}

// TestDecodeEvent: every type decodes to its documented Go type with the
// data that was sent; malformed data fails with the zero value of that
// type; an unknown type is nil without an error.
func TestDecodeEvent(t *testing.T) {
	for typ, want := range eventTypes() {
		got, err := DecodeEvent(ev(1, typ, want))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", typ, got, want)
		}
		bad := Event{Seq: 1, Type: typ, Data: json.RawMessage(`[1]`)}
		got, err = DecodeEvent(bad)
		if err == nil || !strings.Contains(err.Error(), typ+" data") {
			t.Errorf("%s with an array for data: err %v", typ, err)
		}
		if zero := reflect.Zero(reflect.TypeOf(want)).Interface(); !reflect.DeepEqual(got, zero) {
			t.Errorf("%s with bad data: got %#v, want the zero %T", typ, got, want)
		}
	}
	got, err := DecodeEvent(ev(1, "something.new", map[string]int{"x": 1}))
	if got != nil || err != nil {
		t.Errorf("unknown type: got %#v, %v; want nil, nil", got, err)
	}
}

// FuzzDecodeEvent: any type and data decode without panicking; a known
// type always yields its own Go type, and what decodes re-encodes to data
// that decodes to the same value.
func FuzzDecodeEvent(f *testing.F) {
	kinds := map[string]reflect.Type{}
	for typ, v := range eventTypes() {
		kinds[typ] = reflect.TypeOf(v)
		b, _ := json.Marshal(v)
		f.Add(typ, b)
	}
	f.Add(EventTicketCalled, []byte(`{"ticket":{"id":5}}`))
	f.Add(EventCounterUpdated, []byte(`null`))
	f.Add(EventSnapshot, []byte(`{"waiting":{"a":-1},"counters":[{"current":null}]}`))
	f.Add("x", []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		got, err := DecodeEvent(Event{Seq: 1, Type: typ, Data: data})
		want, known := kinds[typ]
		if !known {
			if got != nil || err != nil {
				t.Fatalf("unknown type %q: got %#v, %v", typ, got, err)
			}
			return
		}
		if reflect.TypeOf(got) != want {
			t.Fatalf("%s: got a %T, want a %v (err %v)", typ, got, want, err)
		}
		if err != nil {
			return
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("%s: %#v does not encode: %v", typ, got, err)
		}
		back, err := DecodeEvent(Event{Seq: 1, Type: typ, Data: again})
		if err != nil {
			t.Fatalf("%s: %s does not decode again: %v", typ, again, err)
		}
		if !reflect.DeepEqual(normal(t, back), normal(t, got)) {
			t.Fatalf("%s: %s decoded to %#v, then %#v", typ, data, got, back)
		}
	})
}

// normal is v encoded: the round trip compares encodings, since an empty
// and a nil slice or map, or two spellings of one instant, are the same
// data on the wire.
func normal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
