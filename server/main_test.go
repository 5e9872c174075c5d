package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
)

// TestRunInProcess starts the real program through run, registers a display
// with "server device" while it runs, and uses that token.
func TestRunInProcess(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"CIVIQ_ADMIN_PASSWORD": "in-process-pw"}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", addr, "--data", dir}, getenv, pw, io.Discard); pw.Close() }()
	out := waitServing(t, pr, done)
	if !strings.Contains(out, "created user canbo1") {
		t.Fatalf("first start did not print the demo clerks:\n%s", out)
	}
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"device", "--data", dir, "--kind", "display", "--name", "TV"}, getenv, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	c, _ := client.New("http://"+addr, strings.TrimSpace(tok.String()))
	if _, err := c.Board(context.Background()); err != nil {
		t.Fatalf("display token from the command line: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("graceful shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if err := run(context.Background(), []string{"device", "--data", dir, "--kind", "toaster", "--name", "x"}, getenv, io.Discard, io.Discard); err == nil {
		t.Fatal("bad device kind accepted")
	}
}
