package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"go.uber.org/goleak"

	"github.com/civiq/civiq/server/internal/store/sqlite"
)

// openFiles counts this process's open descriptors of the file at path
// (Linux: /proc/self/fd; elsewhere it reports 0).
func openFiles(t *testing.T, path string) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return 0
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// TestOpenFailureLeavesNothingOpen: when Open fails half-way (a schema
// newer than this build, the meta rows gone), it leaves no goroutine and
// no open database file behind.
func TestOpenFailureLeavesNothingOpen(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		spoil string
	}{
		{"schema newer", `PRAGMA user_version = 999`},
		{"meta missing", `DELETE FROM meta`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "civiq.db")
			s, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(c.spoil); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			if s, err := sqlite.Open(ctx, path, sqlite.Options{}); err == nil {
				s.Close()
				t.Fatal("Open of a spoilt database succeeded")
			}
			if n := openFiles(t, path); n != 0 {
				t.Fatalf("%d descriptors of the database still open after the failed Open", n)
			}
		})
	}
}
