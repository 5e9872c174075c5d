package postgres_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/client"
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

	// Displays on both instances, calls on instance 2 of tickets issued on
	// instance 1: both displays receive every call, with the same seqs.
	dev, err := insts[0].a.Auth.CreateDevice(ctx, protocol.DeviceRequest{Kind: protocol.RoleDisplay, Name: "hall"})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type seen struct {
		mu    sync.Mutex
		calls []int64
		codes []string
	}
	displays := make([]*seen, len(insts))
	var subs sync.WaitGroup
	defer subs.Wait()
	defer cancel()
	for i, in := range insts {
		c, err := client.New(in.srv.URL, dev.Token)
		if err != nil {
			t.Fatal(err)
		}
		d := &seen{}
		displays[i] = d
		up := make(chan struct{})
		var once sync.Once
		subs.Add(1)
		go func() {
			defer subs.Done()
			c.Subscribe(sctx, client.SubscribeOptions{OnState: func(ok bool, _ error) {
				if ok {
					once.Do(func() { close(up) })
				}
			}}, func(ev protocol.Event) error {
				if ev.Type == protocol.EventTicketCalled {
					var call protocol.Call
					if err := json.Unmarshal(ev.Data, &call); err != nil {
						return err
					}
					d.mu.Lock()
					d.calls = append(d.calls, ev.Seq)
					d.codes = append(d.codes, call.Ticket.Code)
					d.mu.Unlock()
				}
				return nil
			})
		}()
		select {
		case <-up:
		case <-time.After(10 * time.Second):
			t.Fatalf("display on instance %d did not connect", i+1)
		}
	}
	const calls = 5
	for range calls {
		if _, err := insts[0].a.Engine.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: svc}, ""); err != nil {
			t.Fatal(err)
		}
	}
	for range calls {
		if tk, err := insts[1].a.Engine.Next(ctx, counter, ""); err != nil || tk == nil {
			t.Fatalf("call on instance 2: %v, %v", tk, err)
		}
	}
	for i, d := range displays {
		deadline := time.Now().Add(5 * time.Second)
		for {
			d.mu.Lock()
			n := len(d.calls)
			d.mu.Unlock()
			if n >= calls {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("display on instance %d received %d of %d calls", i+1, n, calls)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	d0, d1 := displays[0], displays[1]
	d0.mu.Lock()
	d1.mu.Lock()
	defer d0.mu.Unlock()
	defer d1.mu.Unlock()
	if !slices.Equal(d0.calls, d1.calls) || !slices.Equal(d0.codes, d1.codes) || len(d0.calls) != calls {
		t.Fatalf("the displays saw different calls: %v %v and %v %v", d0.calls, d0.codes, d1.calls, d1.codes)
	}
}
