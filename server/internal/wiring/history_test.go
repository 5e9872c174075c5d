package wiring

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/report"
)

func openApp(t *testing.T, cfg config.Config) *App {
	t.Helper()
	cfg.DataDir, cfg.AdminPassword, cfg.EventRetention = t.TempDir(), "history-test-pw", 90*24*time.Hour
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler), Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// The demo centre's first start gets history; a real centre file, an
// existing store and --demo-history 0 get none.
func TestDemoHistory(t *testing.T) {
	a := openApp(t, config.Config{DemoHistory: 3})
	select {
	case <-a.HistoryLoaded():
	case <-time.After(3 * time.Minute):
		t.Fatal("the demo history did not load")
	}
	loc := a.Engine.Location()
	now := time.Now().In(loc)
	today := now.Format(time.DateOnly)
	q, _ := report.ParseQuery(now.AddDate(0, 0, -3).Format(time.DateOnly), today, report.ByDay, "")
	rep, err := report.Build(context.Background(), a.Store.ReportSource(loc, today), q, report.Env{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued < 100 || rep.Total.Dossiers == 0 || rep.Total.Ratings.VerySatisfied == 0 || rep.Total.Outcomes.Received == 0 {
		t.Errorf("history total %+v", rep.Total)
	}
	for _, r := range rep.Rows {
		if r.Key >= today {
			t.Errorf("history reaches into today: %s", r.Key)
		}
	}

	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "assets", "demo", "centre.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "centre.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if a := openApp(t, config.Config{DemoHistory: 3, CentreFile: file}); a.HistoryLoaded() != nil {
		t.Error("a real centre file got a demo history")
	}
	if wantsDemoHistory(false, config.Config{DemoHistory: 3}) || wantsDemoHistory(true, config.Config{}) {
		t.Error("history for an existing store or without --demo-history")
	}
}

// The history's two disruptions fall on open days (never a Sunday, when
// the history is closed and a disruption would be dropped), the power cut
// before the software fault, both inside any history of 3 days or more,
// whatever the weekday it starts on; 9 and 4 days before its end when
// those are open.
func TestDemoHistoryDisruptionDays(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	for wd := range 7 {
		first := time.Date(2026, 12, 6+wd, 0, 0, 0, 0, loc) // 6 December 2026 is a Sunday
		for _, days := range []int{3, 4, 5, 10, 30} {
			power, software := disruptionDays(first, days)
			for _, d := range []int{power, software} {
				if first.AddDate(0, 0, d).Weekday() == time.Sunday {
					t.Errorf("%s, %d days: a disruption on Sunday (day %d)", first.Weekday(), days, d)
				}
			}
			if power < 0 || power >= software || software >= days {
				t.Errorf("%s, %d days: power cut on day %d, software fault on day %d", first.Weekday(), days, power, software)
			}
			if days >= 10 && first.AddDate(0, 0, days-9).Weekday() != time.Sunday && power != days-9 {
				t.Errorf("%s, %d days: power cut on day %d, want %d", first.Weekday(), days, power, days-9)
			}
			if days >= 10 && first.AddDate(0, 0, days-4).Weekday() != time.Sunday && software != days-4 {
				t.Errorf("%s, %d days: software fault on day %d, want %d", first.Weekday(), days, software, days-4)
			}
		}
	}
}
