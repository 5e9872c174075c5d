package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/store/sqlitefile"
)

// TestCopyFromSQLiteVerifies: the copy of a played day verifies, and the
// verification catches a changed field, a missing row and a wrong event
// counter in the copy; a second copy is refused with ErrNotEmpty.
func TestCopyFromSQLiteVerifies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "civiq.db")
	lite, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := enginetest.NewClock(time.Date(2026, 11, 27, 8, 0, 0, 0, enginetest.HCM(t)))
	playDay(t, startEngine(t, lite, clk), clk)
	if err := lite.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := sqlitefile.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	url := srv.Database(t)
	sum, err := postgres.CopyFromSQLite(ctx, url, src, postgres.MigrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Tickets != 9 || sum.LastSeq == 0 || !sum.EpochKept {
		t.Fatalf("summary %+v", sum)
	}
	if err := postgres.VerifyCopy(ctx, url, src); err != nil {
		t.Fatalf("verify an untouched copy: %v", err)
	}
	if _, err := postgres.CopyFromSQLite(ctx, url, src, postgres.MigrateOptions{}); !errors.Is(err, postgres.ErrNotEmpty) {
		t.Fatalf("second copy: %v, want ErrNotEmpty", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, c := range []struct{ change, undo, want string }{
		{`UPDATE tickets SET lang = 'en'`, `UPDATE tickets SET lang = 'vi'`, "lang is vi in SQLite, en in PostgreSQL"},
		{`UPDATE visits SET finished_at = finished_at + interval '1 second'`, `UPDATE visits SET finished_at = finished_at - interval '1 second'`, "finished_at"},
		{`UPDATE services SET data = jsonb_set(data, '{prefix}', '"Z"')`, `UPDATE services SET data = jsonb_set(data, '{prefix}', to_jsonb(upper(id)))`, "services"},
		{`UPDATE event_seq SET last = last + 1`, `UPDATE event_seq SET last = last - 1`, "last seq"},
		{`DELETE FROM rating_reasons WHERE reason = 'attitude'`, ``, "rating_reasons: 8 rows in SQLite, 4 in PostgreSQL"},
	} {
		if _, err := conn.Exec(ctx, c.change); err != nil {
			t.Fatalf("%s: %v", c.change, err)
		}
		if err := postgres.VerifyCopy(ctx, url, src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("after %s: %v, want a mismatch naming %q", c.change, err, c.want)
		}
		if c.undo != "" {
			if _, err := conn.Exec(ctx, c.undo); err != nil {
				t.Fatal(err)
			}
		}
	}
}
