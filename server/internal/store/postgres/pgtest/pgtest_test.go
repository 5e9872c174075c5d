package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &srv) }

// TestDatabasesAreSeparate: each test database is new and empty, runs as a
// non-root server, and is dropped when its test ends.
func TestDatabasesAreSeparate(t *testing.T) {
	ctx := context.Background()
	var first string
	t.Run("a", func(t *testing.T) {
		url := srv.Database(t)
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "CREATE TABLE x (n int); INSERT INTO x VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&first); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := c.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		t.Logf("PostgreSQL %s", v)
		// The server process must not run as root.
		var pid int
		if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" && f[1] == "0" {
				t.Fatal("the PostgreSQL server runs as root")
			}
		}
	})
	url := srv.Database(t)
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'x'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a new database sees another test's table")
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", first).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s of a finished test was not dropped", first)
	}
}
