package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/queue"
	rpt "github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/internal/sim"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
)

// reportYear fills a store with a year of the demo centre's activity at
// the simulator's load (sim.DemoLoad shaped by sim.MorningPeak, scaled by
// yearScale, Sundays closed: about 300,000 tickets, with visit records and ratings) and times
// the reports of DATA-OUT.md on it: the year grouped by month, field and
// hour (from the per-day summaries), one day live (today, not cached) and
// the first report after the summaries were dropped (cold).
func reportYear(dir string, runs, days int, rep *report) error {
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// Synchronous OFF while the year is written (a throw-away store; the
	// reports only read).
	st, err := sqlite.Open(ctx, filepath.Join(dir, "year.db"), sqlite.Options{Synchronous: "OFF"})
	if err != nil {
		return err
	}
	defer st.Close()
	centre, err := wiring.LoadCentre(config.Config{})
	if err != nil {
		return err
	}
	loc, _ := time.LoadLocation(centre.TimeZone)
	e := queue.New(st, queue.SystemClock{}, slog.New(slog.DiscardHandler), queue.Options{Location: loc})
	if err := e.Start(ctx); err != nil {
		return err
	}
	svcs := centre.ProtocolServices()
	for _, s := range svcs {
		if _, err := e.PutService(ctx, s); err != nil {
			return err
		}
	}
	counters := centre.ProtocolCounters()
	for _, k := range counters {
		if _, err := e.PutCounter(ctx, k); err != nil {
			return err
		}
	}
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, 1-days)
	start := time.Now()
	n, err := fillYear(ctx, st, first, today, svcs, counters, loc)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "reports: %d tickets over %d days written in %s\n", n, days, time.Since(start).Round(time.Millisecond))
	todayS := today.Format(time.DateOnly)
	env := rpt.Env{Location: loc, Services: e.Services(), Counters: e.Counters()}
	src := st.ReportSource(loc, todayS)
	from := first.Format(time.DateOnly)

	// Cold: the summaries of 365 days computed from the tickets (what the
	// first report after a migration or a target change costs, once).
	var cold stats
	for range min(runs, 2) {
		if err := dropSummaries(ctx, st, e, svcs[0]); err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := st.WarmReports(ctx, loc, todayS); err != nil {
			return err
		}
		cold.add(float64(time.Since(t0).Microseconds()) / 1000)
	}
	timeIt := func(q rpt.Query) (stats, error) {
		var s stats
		for range runs {
			t0 := time.Now()
			r, err := rpt.Build(ctx, src, q, env)
			if err != nil {
				return s, err
			}
			s.add(float64(time.Since(t0).Microseconds()) / 1000)
			if r.Total.Issued == 0 {
				return s, fmt.Errorf("empty report %+v", q)
			}
		}
		return s, nil
	}
	rep.add("| report over %d days (%s tickets) grouped by month, SQLite | %s ms | ≤ 300 ms |", days, groupK(n), must(timeIt(rpt.Query{From: from, To: todayS, GroupBy: rpt.ByMonth})))
	rep.add("| report over the same days grouped by field | %s ms | ≤ 300 ms |", must(timeIt(rpt.Query{From: from, To: todayS, GroupBy: rpt.ByService})))
	rep.add("| report over the same days grouped by hour of day | %s ms | ≤ 300 ms |", must(timeIt(rpt.Query{From: from, To: todayS, GroupBy: rpt.ByHour})))
	rep.add("| report over one day, today (live from the tickets, by field) | %s ms | ≤ 20 ms |", must(timeIt(rpt.Query{From: todayS, To: todayS, GroupBy: rpt.ByService})))
	y := today.AddDate(0, 0, -1)
	if y.Weekday() == time.Sunday { // closed: the last open day
		y = y.AddDate(0, 0, -1)
	}
	ys := y.Format(time.DateOnly)
	rep.add("| report over one past day (summary, by field) | %s ms | ≤ 20 ms |", must(timeIt(rpt.Query{From: ys, To: ys, GroupBy: rpt.ByService})))
	rep.add("| those days' summaries computed from the tickets (cold, once after a migration or a target change) | %s ms | – |", cold)
	return nil
}

func must(s stats, err error) string {
	if err != nil {
		return "failed: " + err.Error()
	}
	return s.String()
}

func groupK(n int) string { return fmt.Sprintf("%d,%03d", n/1000, n%1000) }

// dropSummaries changes a field's definition and back: the store drops
// every cached summary (as it does when an admin edits a target).
func dropSummaries(ctx context.Context, st *sqlite.Store, e *queue.Engine, s protocol.Service) error {
	s.TargetMinutes++
	if _, err := e.PutService(ctx, s); err != nil {
		return err
	}
	s.TargetMinutes--
	_, err := e.PutService(ctx, s)
	return err
}

// fillYear writes the tickets of [first, last] (last = today, until now).
func fillYear(ctx context.Context, st *sqlite.Store, first, last time.Time, svcs []protocol.Service, counters []protocol.Counter, loc *time.Location) (int, error) {
	rng := mrand.New(mrand.NewPCG(2026, 12))
	byField := map[string][]string{}
	for _, c := range counters {
		for _, f := range c.ServiceIDs {
			byField[f] = append(byField[f], c.ID)
		}
	}
	n := 0
	var recs []queue.TicketRecord
	var visits []queue.Visit
	var ratings []protocol.Rating
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Sunday {
			continue
		}
		day := d.Format(time.DateOnly)
		dayStart := len(recs)
		for _, s := range svcs {
			load := sim.DemoLoad[s.ID]
			for h, k := range sim.MorningPeak {
				cnt := poisson(rng, load.PerHour*k*yearScale)
				for i := 0; i < cnt; i++ {
					issued := d.Add(time.Duration(h)*time.Hour + time.Duration(rng.Int64N(int64(time.Hour))))
					if d.Equal(last) && issued.After(time.Now()) {
						continue
					}
					num := len(recs) - dayStart + 1
					id := strings.ToLower(rand.Text())
					t := queue.TicketRecord{Ticket: protocol.Ticket{ID: id, Day: day, Number: num, Code: fmt.Sprintf("%s%04d", s.Prefix, num),
						ServiceID: s.ID, IssuedAt: issued, Lang: "vi", Priority: rng.Float64() < 0.08, Status: protocol.StatusDone},
						IssueServiceID: s.ID, TokenHash: []byte(id), IssuedBy: "bench"}
					r := rng.Float64()
					if r < 0.01 {
						t.Status = protocol.StatusCancelled
						f := d.Add(23 * time.Hour)
						t.FinishedAt = &f
						recs = append(recs, t)
						continue
					}
					wait := time.Duration(rng.ExpFloat64() * float64(12*time.Minute))
					called := issued.Add(wait)
					svc := time.Duration(math.Exp(math.Log(load.Service.Seconds())-0.125+0.5*rng.NormFloat64()) * float64(time.Second))
					done := called.Add(svc)
					cs := byField[s.ID]
					t.CounterID = cs[rng.IntN(len(cs))]
					t.ClerkID = "clerk-" + t.CounterID
					t.CalledAt, t.ServiceStartedAt, t.FinishedAt = &called, &called, &done
					t.FirstCalledAt, t.FirstCounterID, t.FirstClerkID = &called, t.CounterID, t.ClerkID
					if r < 0.06 {
						t.Status = protocol.StatusNoShow
					}
					recs = append(recs, t)
					if t.Status != protocol.StatusDone {
						continue
					}
					if rng.Float64() < 0.8 {
						o := protocol.Outcomes()[rng.IntN(6)]
						visits = append(visits, queue.Visit{TicketID: id, Day: day, ServiceID: s.ID, CounterID: t.CounterID, ClerkID: t.ClerkID,
							Outcome: o, DossierCodes: []string{"HS-" + id[:8]}, FinishedAt: done})
					}
					if rng.Float64() < 0.3 {
						ratings = append(ratings, protocol.Rating{TicketID: id, Day: day, Code: t.Code, ServiceID: s.ID, CounterID: t.CounterID,
							ClerkID: t.ClerkID, Score: []string{"very_satisfied", "satisfied", "unsatisfied"}[rng.IntN(3)], Via: "counter", At: done})
					}
				}
			}
		}
		slices.SortFunc(recs[dayStart:], func(a, b queue.TicketRecord) int { return a.IssuedAt.Compare(b.IssuedAt) })
		// A week per transaction: the indexes' pages are written once a week.
		if d.Weekday() != time.Saturday && !d.Equal(last) {
			continue
		}
		_, err := st.Update(ctx, func(tx queue.Tx) error {
			for _, t := range recs {
				if err := tx.InsertTicket(t); err != nil {
					return err
				}
			}
			for _, v := range visits {
				if err := tx.InsertVisit(v); err != nil {
					return err
				}
			}
			for _, r := range ratings {
				if err := tx.InsertRating(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(recs)
		if n/20000 != (n-len(recs))/20000 {
			fmt.Fprintf(os.Stderr, "reports: %d tickets written\n", n)
		}
		recs, visits, ratings = recs[:0], visits[:0], ratings[:0]
	}
	return n, nil
}

// yearScale scales the demo centre's load (8 counters) up to a centre of
// about twenty counters: some 300,000 tickets a year.
const yearScale = 2.3

// poisson draws a Poisson count with mean m.
func poisson(rng *mrand.Rand, m float64) int {
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
