package postgres_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/app"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/protocol"
)

// TestServerOnPostgres: `--db postgres://…` starts the server on
// PostgreSQL; two servers on one database (started at once, both
// bootstrapping the empty database) answer /readyz, and a ticket issued and
// called on one shows on the other's public API.
func TestServerOnPostgres(t *testing.T) {
	url := srv.Database(t)
	ctx := context.Background()
	type inst struct {
		a   *app.App
		srv *httptest.Server
	}
	insts := make([]inst, 2)
	errs := make(chan error, 2)
	for i := range insts {
		go func() {
			cfg := config.Config{DataDir: t.TempDir(), DB: url, AdminPassword: "mat-khau-thu-1", EventRetention: 24 * time.Hour}
			a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{BcryptCost: bcrypt.MinCost})
			if err == nil {
				insts[i] = inst{a, httptest.NewServer(a.Handler())}
			}
			errs <- err
		}()
	}
	for range insts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, in := range insts {
			if in.a != nil {
				in.srv.Close()
				if err := in.a.Close(); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	for i, in := range insts {
		res, err := http.Get(in.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("instance %d /readyz: %s", i+1, res.Status)
		}
	}
	svcs := insts[0].a.Engine.Services()
	if len(svcs) == 0 {
		t.Fatal("the demo centre was not loaded")
	}
	svc := svcs[0].ID
	r, err := insts[0].a.Engine.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: svc}, "")
	if err != nil {
		t.Fatal(err)
	}
	waitingOn := func(in inst) int {
		res, err := http.Get(in.srv.URL + "/api/v1/services")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []protocol.Service
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		for _, s := range out {
			if s.ID == svc {
				return s.Waiting
			}
		}
		t.Fatalf("field %s missing from /api/v1/services", svc)
		return 0
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("instance 2: %s not seen within 5 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	eventually("the ticket issued on instance 1", func() bool { return waitingOn(insts[1]) == 1 })
	// Called on instance 2: instance 1 sees it leave the queue.
	var counter string
	for _, c := range insts[1].a.Engine.Counters() {
		for _, id := range c.ServiceIDs {
			if id == svc && counter == "" {
				counter = c.ID
			}
		}
	}
	tk, err := insts[1].a.Engine.Next(ctx, counter, "")
	if err != nil || tk == nil || tk.Code != r.Ticket.Code {
		t.Fatalf("call on instance 2: %v, %v; want %s", tk, err, r.Ticket.Code)
	}
	eventually("the call made on instance 2", func() bool { return waitingOn(insts[0]) == 0 })
}
