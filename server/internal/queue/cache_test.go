package queue

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// aheadByWalk is the call-next policy's count stated plainly: every other
// waiting ticket of the field the policy serves before t (by issue time
// alone where the field's priority rule is off).
func aheadByWalk(c *cache, t protocol.Ticket) int {
	off := c.services[t.ServiceID].Rule() == protocol.PriorityOff
	n := 0
	for _, w := range c.waiting[t.ServiceID] {
		if w.ID == t.ID {
			continue
		}
		if off && before(w, t) || !off && (w.Priority && !t.Priority || w.Priority == t.Priority && before(w, t)) {
			n++
		}
	}
	return n
}

// TestAheadMatchesWalk: the binary searches of ahead count what a walk
// through the queue counts, for every waiting ticket (and for tickets not
// in the queue, asked as either kind), through random issues and calls
// with tickets sharing an issue time, across three fields (one with its
// priority rule off); and it agrees with the phones' estimates.
func TestAheadMatchesWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := newCache(&Loaded{}, "2026-12-07", time.UTC)
	c.services["dat-dai"] = protocol.Service{ID: "dat-dai"}
	c.services["ho-tich"] = protocol.Service{ID: "ho-tich", PriorityRule: protocol.PriorityInterleave, PriorityEvery: 3}
	c.services["xay-dung"] = protocol.Service{ID: "xay-dung", PriorityRule: protocol.PriorityOff}
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	var ids []string
	for step := range 3000 {
		if len(ids) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(ids))
			c.removeWaiting(ids[i])
			ids = append(ids[:i], ids[i+1:]...)
		} else {
			tk := protocol.Ticket{
				ID:        fmt.Sprintf("t%05d", rng.IntN(100000)),
				ServiceID: []string{"dat-dai", "ho-tich", "xay-dung"}[rng.IntN(3)],
				Priority:  rng.IntN(5) == 0,
				IssuedAt:  t0.Add(time.Duration(rng.IntN(400)) * time.Second), // many share a second
			}
			if _, dup := c.where[tk.ID]; dup {
				continue
			}
			c.addWaiting(tk)
			ids = append(ids, tk.ID)
		}
		if step%97 != 0 {
			continue
		}
		for _, list := range c.waiting {
			for _, w := range list {
				if got, want := c.ahead(w), aheadByWalk(c, w); got != want {
					t.Fatalf("step %d: ahead(%s, priority %v) = %d, the walk counts %d", step, w.ID, w.Priority, got, want)
				}
				w.Priority = !w.Priority // the same ticket asked about as the other kind
				if got, want := c.ahead(w), aheadByWalk(c, w); got != want {
					t.Fatalf("step %d: ahead(%s asked as priority %v) = %d, the walk counts %d", step, w.ID, w.Priority, got, want)
				}
			}
		}
		for _, field := range []string{"dat-dai", "xay-dung"} {
			probe := protocol.Ticket{ID: "zz-new", ServiceID: field, IssuedAt: t0.Add(200 * time.Second)}
			for _, p := range []bool{false, true} {
				probe.Priority = p
				if got, want := c.ahead(probe), aheadByWalk(c, probe); got != want {
					t.Fatalf("step %d: ahead of a ticket not queued in %s (priority %v) = %d, the walk counts %d", step, field, p, got, want)
				}
			}
		}
		for id, e := range c.estimates(t0, DefaultMaxPriorityStreak) {
			list := c.waiting[c.where[id].service]
			i := slices.IndexFunc(list, func(w protocol.Ticket) bool { return w.ID == id })
			if got := c.ahead(list[i]); got != e.Ahead {
				t.Fatalf("step %d: ahead(%s) = %d, the phones' estimate says %d", step, id, got, e.Ahead)
			}
		}
	}
	n := 0
	for _, list := range c.waiting {
		n += len(list)
	}
	if n != len(ids) || len(c.where) != len(ids) {
		t.Fatalf("queue holds %d tickets, where %d; %d were left waiting", n, len(c.where), len(ids))
	}
}
