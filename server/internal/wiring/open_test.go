package wiring_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"

	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/wiring"
)

func openApp(cfg config.Config) (*wiring.App, error) {
	return wiring.Open(context.Background(), cfg, slog.New(slog.DiscardHandler), wiring.Options{BcryptCost: bcrypt.MinCost})
}

// TestOpenFailureLeavesNothingRunning: when Open fails, early (the
// bootstrap refuses the admin password) or late (the hub cannot preload the
// event history, after the hubs started), no goroutine is left behind
// and the data folder is free for the next start.
func TestOpenFailureLeavesNothingRunning(t *testing.T) {
	t.Run("admin password refused", func(t *testing.T) {
		dir := t.TempDir()
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		// The bootstrap stores the demo centre, then refuses the password.
		cfg := config.Config{DataDir: dir, AdminPassword: "x", EventRetention: 24 * time.Hour}
		a, err := openApp(cfg)
		if err == nil {
			a.Close()
			t.Fatal("Open with a one-letter admin password succeeded")
		}
		if !strings.Contains(err.Error(), "admin") {
			t.Fatalf("Open failed elsewhere than in the bootstrap: %v", err)
		}
		// The folder lock was released: a good start works.
		cfg.AdminPassword = "mat-khau-thu-1"
		if a, err = openApp(cfg); err != nil {
			t.Fatalf("second start: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("history unreadable", func(t *testing.T) {
		dir := t.TempDir()
		cfg := config.Config{DataDir: dir, AdminPassword: "mat-khau-thu-1", EventRetention: 24 * time.Hour}
		a, err := openApp(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		// Reading the history now fails (a malformed JSON value is
		// computed for one event), while everything before the hubs'
		// preload reads fine.
		db, err := sql.Open("sqlite", filepath.Join(dir, "civiq.db"))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`ALTER TABLE events RENAME TO events_kept`,
			`INSERT INTO events_kept (type, at, data) VALUES ('test.unreadable', '2026-01-01T00:00:00Z', '{}')`,
			`CREATE VIEW events AS SELECT seq, type, at, CASE WHEN type = 'test.unreadable' THEN json('{broken') ELSE data END AS data FROM events_kept`,
			// The store prepares its event insert at start.
			`CREATE TRIGGER events_insert INSTEAD OF INSERT ON events BEGIN INSERT INTO events_kept (type, at, data) VALUES (NEW.type, NEW.at, NEW.data); END`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		a, err = openApp(cfg)
		if err == nil {
			a.Close()
			t.Fatal("Open with an unreadable history succeeded")
		}
		if !strings.Contains(err.Error(), "preload events") {
			t.Fatalf("Open failed before the hubs started (%v): this case no longer tests their cleanup", err)
		}
	})
}
