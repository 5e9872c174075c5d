package report

import (
	"math"
	"slices"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// Waiting is one ticket's time in the queue of the field it was issued for:
// from Issued until Until, its first call (or, never called, when it was
// cancelled or finished); a zero Until means it is still waiting.
type Waiting struct {
	ServiceID     string
	Issued, Until time.Time
}

// Impact extends a Disruption in GET /api/v1/disruptions (DATA-OUT.md
// extension): its minutes within the requested range (an open one counts
// up to now) and the citizens who were waiting while it was open.
type Impact struct {
	protocol.Disruption
	Minutes         float64 `json:"minutes"`
	CitizensWaiting int     `json:"citizens_waiting"`
}

// Impacts computes each disruption's minutes inside [from, to) and the
// distinct tickets of the fields it touches that were waiting at any
// moment while it was open: issued before it ended and not yet first-called
// when it started. A centre-wide disruption touches every field; one on
// counters touches the fields those counters serve. An open disruption
// ends at now.
func Impacts(ds []protocol.Disruption, counters []protocol.Counter, waits []Waiting, from, to, now time.Time) []Impact {
	out := make([]Impact, 0, len(ds))
	for _, d := range ds {
		end := now
		if d.EndedAt != nil {
			end = *d.EndedAt
		}
		im := Impact{Disruption: d}
		if s, e := maxTime(d.StartedAt, from), minTime(end, to); e.After(s) {
			im.Minutes = math.Round(e.Sub(s).Seconds()/60*100) / 100
		}
		var fields []string // nil: every field
		if len(d.CounterIDs) > 0 {
			fields = []string{}
			for _, c := range counters {
				if slices.Contains(d.CounterIDs, c.ID) {
					fields = append(fields, c.ServiceIDs...)
				}
			}
		}
		for _, w := range waits {
			if fields != nil && !slices.Contains(fields, w.ServiceID) {
				continue
			}
			if w.Issued.Before(end) && (w.Until.IsZero() || w.Until.After(d.StartedAt)) {
				im.CitizensWaiting++
			}
		}
		out = append(out, im)
	}
	return out
}

// WaitingSpan is the time range in which the tickets that may have waited
// during ds lie: from the earliest start to the latest end (an open
// disruption ends at now).
func WaitingSpan(ds []protocol.Disruption, now time.Time) (start, end time.Time) {
	for i, d := range ds {
		e := now
		if d.EndedAt != nil {
			e = *d.EndedAt
		}
		if i == 0 || d.StartedAt.Before(start) {
			start = d.StartedAt
		}
		if i == 0 || e.After(end) {
			end = e
		}
	}
	return start, end
}
