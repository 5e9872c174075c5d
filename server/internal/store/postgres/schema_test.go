package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// TestSchemasAreSeparateCentres: two stores on one database, each in its
// own schema (two centres of a province), and the default schema beside
// them: each numbers from A001 and has its own event seq from 1; an
// instance of one centre hears only its centre's events (its own NOTIFY
// channel), and no table of one is reachable from the other's connections.
func TestSchemasAreSeparateCentres(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	openIn := func(schema string) *postgres.Store {
		s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4, PollEvery: time.Hour, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b, def := openIn("centre_a"), openIn("centre_b"), openIn("")
	// A second instance of centre a: it must hear a's events (NOTIFY only,
	// no poll within the test) and none of b's.
	a2 := openIn("centre_a")
	ea, eb, ed := startEngine(t, a, clk), startEngine(t, b, clk), startEngine(t, def, clk)
	ea2 := startEngine(t, a2, clk)
	for _, e := range []*queue.Engine{ea, eb, ed} {
		enginetest.Seed(t, e)
	}
	rec := &recorder{}
	ea2.SetPublisher(rec)
	for i, e := range []*queue.Engine{ea, eb, ed} {
		for k := range i + 1 {
			r, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "a"}, "")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"A001", "A002", "A003"}[k]; r.Ticket.Code != want {
				t.Fatalf("centre %d ticket %d numbered %s, want %s (numbering per centre)", i, k, r.Ticket.Code, want)
			}
		}
	}
	if n := len(eb.Waiting([]string{"a"})); n != 2 {
		t.Fatalf("centre b holds %d tickets, want its own 2", n)
	}
	sa, _ := ea.Seq()
	sb, _ := eb.Seq()
	if sa >= sb || sa == 0 {
		t.Fatalf("seqs a %d b %d: each centre counts its own events from 1", sa, sb)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := ea2.Seq(); s == sa {
			break
		}
		if time.Now().After(deadline) {
			s, _ := ea2.Seq()
			t.Fatalf("second instance of centre a at seq %d, want %d", s, sa)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(ea2.Waiting([]string{"a"})); n != 1 {
		t.Fatalf("second instance of a holds %d tickets, want 1", n)
	}
	for _, ev := range rec.events() {
		if ev.Seq > sa {
			t.Fatalf("instance of a got event %d beyond a's last %d (another centre's?)", ev.Seq, sa)
		}
	}
	// A connection scoped to centre b cannot name a's tables unqualified,
	// and the schemas hold what their engines wrote.
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = "centre_b"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM tickets`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("centre_b tickets: %d, %v", n, err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM centre_a.tickets`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("centre_a tickets: %d, %v", n, err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM public.tickets`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("public tickets: %d, %v", n, err)
	}
}

// TestSchemaNameValidated: a schema that is not a plain identifier, or is
// PostgreSQL's or the province's, is refused before anything is created.
func TestSchemaNameValidated(t *testing.T) {
	url := srv.Database(t)
	for _, bad := range []string{"Centre", "a;DROP TABLE x", "public", "pg_temp", "civiq_province", "1abc", "a-b", ""} {
		if bad == "" {
			continue
		}
		s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: bad})
		if err == nil {
			s.Close()
			t.Fatalf("schema %q accepted", bad)
		}
	}
}
