package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/internal/store/storetest"
)

// srv is the test binary's PostgreSQL server (TestMain).
var srv *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &srv) }

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContract runs the storage contract suite against a real
// PostgreSQL, a new database per test.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		url := srv.Database(t)
		return func(t *testing.T) storetest.Backend { return open(t, url) }
	})
}

// TestEngine runs the queue engine's behaviour suite on PostgreSQL.
func TestEngine(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) enginetest.Opener {
		url := srv.Database(t)
		return func(t *testing.T) enginetest.Backend { return open(t, url) }
	})
}

// TestRefusesNewerSchema: a database migrated by a newer server is not
// opened (nor changed) by this one.
func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `UPDATE civiq_schema SET version = $1`, postgres.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(ctx, url, postgres.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open on a newer schema: %v", err)
	}
}
