package wiring

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/sim"
	"github.com/civiq/civiq/server/protocol"
)

// wantsDemoHistory: only the embedded demo centre, only when it was just
// loaded into an empty store; a real centre file always starts empty.
func wantsDemoHistory(fresh bool, cfg config.Config) bool {
	return fresh && cfg.CentreFile == "" && cfg.DemoHistory > 0
}

// HistoryLoaded is closed once the demo history is in the store; nil when
// none was asked for (a real centre, an existing store, --demo-history 0).
func (a *App) HistoryLoaded() <-chan struct{} {
	if a.history == nil {
		return nil
	}
	return a.history
}

// demoHistory gives a freshly created demo centre days of past activity:
// the simulator runs the real engine on a store of its own (clerks, visit
// records with outcomes and dossier codes, ratings, two disruptions), and
// the finished days are copied into this store, so a newcomer's reports
// show real charts. It runs in the background: the server serves at once.
func (a *App) demoHistory(ctx context.Context, days int, centre *config.Centre) error {
	return a.LoadDemoHistory(ctx, days, centre)
}

// LoadDemoHistory adds days of simulated past activity (ending yesterday)
// to the store; tests call it to get a centre with history.
func (a *App) LoadDemoHistory(ctx context.Context, days int, centre *config.Centre) error {
	start := time.Now()
	loc := a.Engine.Location()
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, -days)
	fields, counters := sim.Demo(centre)
	clerks := map[string]string{}
	for _, u := range centre.Users {
		for _, c := range u.CounterIDs {
			if clerks[c] == "" && u.Role == protocol.RoleClerk {
				clerks[c] = u.Username
			}
		}
	}
	dir, err := os.MkdirTemp("", "civiq-demo-history-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	power, software := disruptionDays(first, days)
	_, err = sim.Run(ctx, sim.Config{Fields: fields, Counters: counters, WarmupDays: days - 1, Days: 1, Seed: 13,
		Dir: dir, Start: first, Clerks: clerks, Visits: true, Closed: []time.Weekday{time.Sunday},
		Disruptions: []sim.Disruption{
			{Day: software, At: 9*time.Hour + 20*time.Minute, Length: 45 * time.Minute, Cause: protocol.CauseOneStopSoftware, Counters: []string{"q1", "q2"}},
			{Day: power, At: 14*time.Hour + 5*time.Minute, Length: 20 * time.Minute, Cause: protocol.CausePower},
		}})
	if err != nil {
		return err
	}
	n, err := a.Store.ImportHistory(ctx, filepath.Join(dir, "sim.db"), queue.Day(today, loc))
	if err != nil {
		return err
	}
	if _, err := a.Store.WarmReports(ctx, loc, queue.Day(today, loc)); err != nil {
		return err
	}
	a.Log.Info("demo history loaded", "days", days, "tickets", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// disruptionDays are the days (0-based from first) of the history's two
// disruptions: a power cut 9 days before the end and a one-stop software
// fault 4 days before it, each moved to the next open day (the history
// closes on Sundays, which would drop it), the power cut on the first day
// of a shorter history and always before the software fault. A day past
// the history (days < 3) means that disruption is left out.
func disruptionDays(first time.Time, days int) (power, software int) {
	open := func(i int) int {
		for first.AddDate(0, 0, i).Weekday() == time.Sunday {
			i++
		}
		return i
	}
	power = open(max(days-9, 0))
	software = open(max(days-4, power+1))
	return power, software
}
