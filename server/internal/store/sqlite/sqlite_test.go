package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/store/storetest"
)

// TestContract runs the storage contract suite on SQLite.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		open := opener(t)
		return func(t *testing.T) storetest.Backend { return open(t) }
	})
}

// TestEngine runs the queue engine's behaviour suite on SQLite.
func TestEngine(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) enginetest.Opener {
		open := opener(t)
		return func(t *testing.T) enginetest.Backend { return open(t) }
	})
}

// opener opens the same new database file each time it is called.
func opener(t *testing.T) func(t *testing.T) *sqlite.Store {
	path := filepath.Join(t.TempDir(), "civiq.db")
	return func(t *testing.T) *sqlite.Store {
		s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
