package postgres_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/webhook"
	"github.com/civiq/civiq/server/protocol"
)

// reportStore is what the report comparison needs of either store.
type reportStore interface {
	queue.Store
	ReportSource(loc *time.Location, today string) report.Source
	WarmReports(ctx context.Context, loc *time.Location, today string) (int, error)
	Close() error
}

// playDay runs a small day on e: issues, calls, visits with outcomes,
// ratings with reasons, a transfer and a no-show, minutes apart.
func playDay(t *testing.T, e *queue.Engine, clk *enginetest.Clock) {
	t.Helper()
	ctx := context.Background()
	enginetest.Seed(t, e)
	for i := range 9 {
		if _, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: []string{"a", "b", "c"}[i%3], Priority: i == 4}, ""); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
	}
	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		clk.Add(3 * time.Minute)
	}
	for round := range 3 {
		for _, q := range []string{"q1", "q2", "q3", "q4"} {
			tk, err := e.Next(ctx, q, "clerk-"+q)
			step("next", err)
			if tk == nil {
				continue
			}
			switch (round + len(q)) % 4 {
			case 0:
				_, err = e.DoneWith(ctx, q, "clerk-"+q, protocol.DoneRequest{Outcome: "received", DossierCodes: []string{"H1", "H2"}})
				step("done", err)
				_, err = e.RateAtCounter(ctx, q, protocol.RatingRequest{Score: protocol.ScoreUnsatisfied, Reasons: []string{"long_wait", "attitude"}})
				step("rate", err)
			case 1:
				_, err = e.NoShow(ctx, q)
				step("no-show", err)
			case 2:
				to := "a"
				if tk.ServiceID == "a" {
					to = "b"
				}
				_, err = e.Transfer(ctx, q, to)
				step("transfer", err)
			default:
				_, err = e.Done(ctx, q)
				step("done", err)
			}
		}
	}
}

// TestReportsMatchSQLite: the same day played on SQLite and on PostgreSQL
// gives the same report summaries, computed and cached (WarmReports); the
// SQLite history imported into a new PostgreSQL database reports the same.
func TestReportsMatchSQLite(t *testing.T) {
	ctx := context.Background()
	loc := enginetest.HCM(t)
	day := time.Date(2026, 11, 27, 8, 0, 0, 0, loc)
	today := "2026-11-28"
	path := filepath.Join(t.TempDir(), "civiq.db")
	lite, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pg := open(t, srv.Database(t))
	summaries := map[string]map[report.Dim]map[string]map[string]*report.Acc{}
	for name, s := range map[string]reportStore{"sqlite": lite, "postgres": pg} {
		clk := enginetest.NewClock(day)
		playDay(t, startEngine(t, s, clk), clk)
		got := map[report.Dim]map[string]map[string]*report.Acc{}
		for _, dim := range report.Dims {
			m, err := s.ReportSource(loc, today).ReportDays(ctx, "2026-11-01", "2026-11-30", dim)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got[dim] = m
		}
		if len(got[report.DimAll]) != 1 {
			t.Fatalf("%s: report days %v, want only 2026-11-27", name, got[report.DimAll])
		}
		// Computed once, cached: the warm-up has nothing left to do and
		// the cached summaries read back the same.
		if n, err := s.WarmReports(ctx, loc, today); err != nil || n != 0 {
			t.Fatalf("%s: WarmReports after a report = %d, %v; want 0", name, n, err)
		}
		again, err := s.ReportSource(loc, today).ReportDays(ctx, "2026-11-01", "2026-11-30", report.DimService)
		if err != nil || !reflect.DeepEqual(again, got[report.DimService]) {
			t.Fatalf("%s: cached summary differs: %v", name, err)
		}
		summaries[name] = got
	}
	for _, dim := range report.Dims {
		if a, b := summaries["sqlite"][dim], summaries["postgres"][dim]; !reflect.DeepEqual(a, b) {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			t.Fatalf("reports by %s differ:\nsqlite   %s\npostgres %s", dim, ja, jb)
		}
	}
	if err := lite.Close(); err != nil {
		t.Fatal(err)
	}

	imp := open(t, srv.Database(t))
	defer imp.Close()
	n, err := imp.ImportHistory(ctx, path, today)
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Fatalf("imported %d tickets, want 9", n)
	}
	for _, dim := range report.Dims {
		m, err := imp.ReportSource(loc, today).ReportDays(ctx, "2026-11-01", "2026-11-30", dim)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, summaries["sqlite"][dim]) {
			t.Fatalf("imported history reports differently by %s", dim)
		}
	}
	pg.Close()
}

// TestWebhookStore: endpoints, progress, attempts and resends round-trip.
func TestWebhookStore(t *testing.T) {
	ctx := context.Background()
	s := open(t, srv.Database(t))
	defer s.Close()
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	e := startEngine(t, s, clk)
	enginetest.Seed(t, e)
	created := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	ep, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: "w1", URL: "https://example.org/hook", Events: []string{"ticket.called"}, Secret: "s", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := e.Seq()
	if ep.Cursor != seq {
		t.Fatalf("new endpoint cursor %d, want the newest event %d", ep.Cursor, seq)
	}
	for i := 2; i <= webhook.MaxEndpoints; i++ {
		if _, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: "w" + string(rune('0'+i)), URL: "https://example.org/", Events: []string{}, Secret: "s", CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateWebhook(ctx, webhook.Endpoint{ID: "over", URL: "https://example.org/", Secret: "s", CreatedAt: created}); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("endpoint past the limit: %v, want conflict", err)
	}
	fail := created.Add(time.Minute)
	next := created.Add(2 * time.Minute)
	log := []webhook.Attempt{{Seq: seq, EventType: "ticket.called", Attempt: 1, At: fail, Status: 500, Error: "boom", DurationMS: 12}}
	if err := s.WebhookProgress(ctx, "w1", webhook.State{Cursor: seq - 1, Attempts: 1, FailingSince: &fail, NextAttempt: &next}, log); err != nil {
		t.Fatal(err)
	}
	eps, err := s.Webhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := eps[0]
	if got.ID != "w1" || got.Cursor != seq || got.Attempts != 1 || !got.FailingSince.Equal(fail) || !got.NextAttempt.Equal(next) ||
		!got.CreatedAt.Equal(created) || !reflect.DeepEqual(got.Events, []string{"ticket.called"}) {
		t.Fatalf("endpoint read back as %+v (the cursor must not move back)", got)
	}
	as, err := s.WebhookAttempts(ctx, "w1", 10)
	if err != nil || len(as) != 1 || as[0].Status != 500 || as[0].OK || as[0].Error != "boom" || !as[0].At.Equal(fail) {
		t.Fatalf("attempts %+v, %v", as, err)
	}
	if err := s.QueueResend(ctx, "w1", seq); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueResend(ctx, "w1", seq+1000); queue.CodeOf(err) != protocol.CodeNotFound {
		t.Fatalf("resend of an unknown event: %v", err)
	}
	rs, err := s.Resends(ctx, "w1")
	if err != nil || len(rs) != 1 || rs[0].Seq != seq {
		t.Fatalf("resends %+v, %v", rs, err)
	}
	if err := s.ResendDone(ctx, "w1", rs[0], webhook.Attempt{Seq: seq, EventType: "ticket.called", Attempt: 1, At: next, Status: 200, Resend: true}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.Resends(ctx, "w1"); len(rs) != 0 {
		t.Fatalf("resend still queued: %+v", rs)
	}
	if as, _ := s.WebhookAttempts(ctx, "w1", 10); len(as) != 2 || !as[0].OK || !as[0].Resend {
		t.Fatalf("attempts after the resend %+v", as)
	}
	if err := s.DeleteWebhook(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, "w1"); err != webhook.ErrNotFound {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.Health(ctx); err != nil {
		t.Fatalf("health: %v", err)
	}
}
