package postgres

import "testing"

// TestHeldRowWriteReplaced: a held write of a whole row is replaced by the
// same update's later write of that row (one statement fewer per call,
// which writes its counter twice); another update's write, another row,
// a write whose success runs a callback, or one already sent is kept.
func TestHeldRowWriteReplaced(t *testing.T) {
	a, b := &op{}, &op{}
	q1, q2 := &rowKey{"counters", "q1"}, &rowKey{"counters", "q2"}
	var p pipe
	p.hold(held{sql: "b q1", owner: b, row: q1})
	p.hold(held{sql: "a q1 first", owner: a, row: q1})
	p.hold(held{sql: "a ticket", owner: a})
	p.hold(held{sql: "a q2", owner: a, row: q2})
	p.hold(held{sql: "a q1 second", owner: a, row: q1})
	want := []string{"b q1", "a ticket", "a q2", "a q1 second"}
	check := func(want []string) {
		t.Helper()
		var got []string
		for _, h := range p.held {
			got = append(got, h.sql)
		}
		if len(got) != len(want) {
			t.Fatalf("held %q, want %q", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("held %q, want %q", got, want)
			}
		}
	}
	check(want)
	p.hold(held{sql: "a q2 callback", owner: a, row: q2, ok: func() {}})
	p.hold(held{sql: "a q2 again", owner: a, row: q2})
	// The callback's write replaces the plain one; it is kept itself.
	check([]string{"b q1", "a ticket", "a q1 second", "a q2 callback", "a q2 again"})
	p.held = nil // sent
	p.hold(held{sql: "a q1 third", owner: a, row: q1})
	check([]string{"a q1 third"})
}
