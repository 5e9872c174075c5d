package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// TestRunOnPostgres: the server command runs on `--db postgres://…`, and
// `server user` and `server device` with --db manage that store's accounts
// and devices while it runs; backup and restore refuse a PostgreSQL store.
func TestRunOnPostgres(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pg := sharedPostgres(t)
	url := pg.Database(t)
	addr := freeAddr(t)
	env := map[string]string{"CIVIQ_ADMIN_PASSWORD": "first-admin-pw"}
	getenv := func(k string) string { return env[k] }
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--data", t.TempDir(), "--db", url, "--centre", smallCentre(t)}, getenv, pw, io.Discard)
		pw.Close()
	}()
	waitServing(t, pr, done)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	c, _ := client.New("http://"+addr, "")
	if _, err := c.Login(ctx, "admin", "first-admin-pw"); err != nil {
		t.Fatal(err)
	}
	env["CIVIQ_USER_PASSWORD"] = "clerk-password-1"
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "create", "--db", url, "--username", "canbo", "--role", "clerk"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "canbo", "clerk-password-1"); err != nil {
		t.Fatalf("login of the user created with --db: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"device", "--db", url, "--kind", "kiosk", "--name", "k1"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	kiosk, _ := client.New("http://"+addr, strings.TrimSpace(out.String()))
	svcs, err := kiosk.Services(ctx)
	if err != nil || len(svcs) == 0 {
		t.Fatalf("services: %v, %v", svcs, err)
	}
	// The token is accepted: the issue gets past authentication (to the
	// opening hours of the small centre, which may be closed now).
	if _, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svcs[0].ID}, ""); err != nil && !strings.Contains(err.Error(), protocol.CodeOutsideHours) {
		t.Fatalf("issue with the device registered with --db: %v", err)
	}
	if _, err := c.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svcs[0].ID}, ""); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("issue without a token: %v, want 401", err)
	}
	env["CIVIQ_DB"] = url
	for _, cmd := range [][]string{{"backup", t.TempDir()}, {"restore", "x.db"}} {
		if err := run(ctx, cmd, getenv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
			t.Errorf("server %s with CIVIQ_DB: %v", cmd[0], err)
		}
	}
}
