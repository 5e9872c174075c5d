package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/client"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestOneServerPerDataFolder: a second server process on the same data
// folder exits at once with a message naming the folder and the first
// one's PID; once the first is killed (-9), the folder is free again.
func TestOneServerPerDataFolder(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	env := []string{"CIVIQ_ADMIN_PASSWORD=" + adminPW}
	first := startServer(t, env, bin, "--addr", freeAddr(t), "--data", dir)
	defer first.kill9()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, bin, "--addr", freeAddr(t), "--data", dir)
	second.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	second.Stdout, second.Stderr = &stdout, &stderr
	err := second.Run()
	if ctx.Err() != nil {
		t.Fatal("the second server kept running")
	}
	if err == nil {
		t.Fatal("the second server exited 0")
	}
	abs, _ := filepath.Abs(dir)
	msg := stderr.String()
	if !strings.Contains(msg, abs) || !strings.Contains(msg, "PID "+strconv.Itoa(first.cmd.Process.Pid)) {
		t.Fatalf("message should name %s and PID %d:\n%s", abs, first.cmd.Process.Pid, msg)
	}
	if strings.Contains(stdout.String(), "CiviQ is serving") {
		t.Fatal("the second server started serving")
	}
	// kill -9 releases the lock: a new server starts on the folder.
	first.kill9()
	third := startServer(t, env, bin, "--addr", freeAddr(t), "--data", dir)
	third.stop(t)
}

// TestReadOnlyDatabaseAtStart: a database that cannot be written stops the
// server at start with a clear error, before it says it is ready.
func TestReadOnlyDatabaseAtStart(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CIVIQ_ADMIN_PASSWORD": "read-only-pw"}
	getenv := func(k string) string { return env[k] }
	// Create the store once.
	if err := run(context.Background(), []string{"user", "list", "--data", dir}, getenv, io.Discard, io.Discard); err == nil {
		t.Fatal("user list without a store succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, []string{"--addr", freeAddr(t), "--data", dir, "--centre", smallCentre(t)}, getenv, pw, io.Discard)
		pw.Close()
	}()
	waitServing(t, pr, done)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Make the database read-only: a read-only mount as root (permissions
	// do not stop root), file permissions otherwise.
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
			t.Fatalf("bind mount: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
		if out, err := exec.Command("mount", "-o", "remount,ro,bind", dir).CombinedOutput(); err != nil {
			t.Fatalf("read-only remount: %v %s", err, out)
		}
	} else {
		for _, f := range []string{"civiq.db", "civiq.db-wal", "civiq.db-shm"} {
			os.Chmod(filepath.Join(dir, f), 0o444)
		}
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	var out bytes.Buffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(context.Background(), []string{"--addr", freeAddr(t), "--data", dir}, getenv, &out, io.Discard)
	}()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("start on a read-only database: %v, want a read-only error", err)
		}
		t.Logf("refused: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server started on a read-only database")
	}
	if strings.Contains(out.String(), "CiviQ is serving") {
		t.Fatal("the server said it was serving")
	}
}

// smallCentre writes a centre file without clerks: a start that hashes no
// demo passwords is quick under the race detector.
func smallCentre(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "centre.json")
	err := os.WriteFile(p, []byte(`{"name":{"vi":"Trung tâm thử"},"timezone":"Asia/Ho_Chi_Minh",
		"services":[{"id":"dat-dai","prefix":"A","name":{"vi":"Đất đai"}}],
		"counters":[{"id":"q1","number":1,"name":{"vi":"Quầy 1"},"service_ids":["dat-dai"]}]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitServing reads the program's output until it says it serves and
// returns what it printed up to then.
func waitServing(t *testing.T, pr *io.PipeReader, done chan error) string {
	t.Helper()
	ready := make(chan struct{})
	var out bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := pr.Read(buf)
			out.Write(buf[:n])
			if strings.Contains(out.String(), "CiviQ is serving at") {
				close(ready)
				io.Copy(io.Discard, pr)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run ended: %v", err)
	case <-time.After(120 * time.Second): // a bound, not a target: the first start hashes the demo clerks' passwords (bcrypt) under -race
		t.Fatal("server not ready")
	}
	return out.String()
}

// TestUserCommand: "server user" creates an admin and resets a lost
// password from the shell while the server runs; the old sessions end.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"CIVIQ_ADMIN_PASSWORD": "first-admin-pw"}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--data", dir, "--centre", smallCentre(t)}, getenv, pw, io.Discard)
		pw.Close()
	}()
	waitServing(t, pr, done)
	c, _ := client.New("http://"+addr, "")
	old, err := c.Login(context.Background(), "admin", "first-admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?token="+old.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	// Reset the lost admin password: a new one is generated and printed.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"user", "reset-password", "--data", dir, "--username", "admin"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(out.String())
	i := strings.Index(out.String(), "password ")
	if i < 0 || len(f) < 5 {
		t.Fatalf("output %q", out.String())
	}
	newPW := strings.Fields(out.String()[i+len("password "):])[0]
	if _, err := c.Login(context.Background(), "admin", newPW); err != nil {
		t.Fatalf("login with the reset password: %v", err)
	}
	// The old session is gone from storage: the running server closes its
	// websocket within 5 s (the recheck) and drops it from its cache
	// within 10 s.
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Fatalf("the old session's websocket: %v, want close 1008", err)
			}
			break
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := c.WithToken(old.Token).Board(context.Background()); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old session still works 15 s after the reset")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Create a second admin with a password from the environment.
	env["CIVIQ_USER_PASSWORD"] = "second-admin-pw"
	out.Reset()
	if err := run(context.Background(), []string{"user", "create", "--data", dir, "--username", "quantri2", "--role", "admin", "--name", "Trần Thị Bình"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), "quantri2", "second-admin-pw"); err != nil {
		t.Fatalf("login as the created admin: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"user", "list", "--data", dir}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "quantri2") || !strings.Contains(out.String(), "Trần Thị Bình") {
		t.Fatalf("list:\n%s", out.String())
	}
	for _, bad := range [][]string{
		{"user", "create", "--data", dir, "--username", "x", "--role", "admin"},
		{"user", "create", "--data", dir, "--username", "quantri3", "--role", "root"},
		{"user", "reset-password", "--data", dir, "--username", "nobody"},
		{"user", "frobnicate", "--data", dir},
	} {
		if err := run(context.Background(), bad, getenv, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
