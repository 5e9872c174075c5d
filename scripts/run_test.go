// Package scripts holds the tests of the shell scripts (make run).
package scripts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeServer stands in for bin/server: it records each start (pid and
// arguments) and each TERM, and runs until it is signalled.
const fakeServer = `#!/bin/sh
echo "$$ $*" >>"$FAKE_LOG/starts"
trap 'echo "$$" >>"$FAKE_LOG/terms"; exit 0' TERM
while :; do sleep 0.05; done
`

// syncBuffer collects the script's output from its goroutines safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t          *testing.T
	data, logs string
	env        []string
	out        *syncBuffer
}

func lines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// until polls cond (a file the script writes) until it holds or 10 s pass.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("waiting for %s; script output:\n%s", what, h.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) starts() []string { return lines(filepath.Join(h.logs, "starts")) }

func (h *harness) serverPID() int {
	b, err := os.ReadFile(filepath.Join(h.data, "server.pid"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func (h *harness) run(args ...string) string {
	h.t.Helper()
	cmd := exec.Command("bash", append([]string{"run.sh"}, args...)...)
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("run.sh %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestSupervise runs run.sh's supervisor with a stand-in server: it
// restarts the server when it dies, make stop-server stops it for good
// (no restart) while make run keeps going, make start-server starts it
// again, and TERM (Ctrl-C of make run) ends the supervisor and the server.
func TestSupervise(t *testing.T) {
	dir := t.TempDir()
	h := &harness{t: t, data: filepath.Join(dir, "data"), logs: filepath.Join(dir, "logs"), out: &syncBuffer{}}
	if err := errors.Join(os.MkdirAll(h.logs, 0o755), os.MkdirAll(h.data, 0o755)); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "server")
	if err := os.WriteFile(fake, []byte(fakeServer), 0o755); err != nil {
		t.Fatal(err)
	}
	h.env = append(os.Environ(), "CIVIQ_SERVER_BIN="+fake, "CIVIQ_RESTART_DELAY=0.1", "CIVIQ_FAILING_DELAY=0.2", "FAKE_LOG="+h.logs)

	sup := exec.Command("bash", "run.sh", "supervise", "127.0.0.1:18080", h.data)
	sup.Env = h.env
	sup.Stdout, sup.Stderr = h.out, h.out
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}) // closed when the supervisor has ended
	var waitErr error
	go func() { waitErr = sup.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = sup.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = sup.Process.Kill()
		}
		for _, l := range h.starts() {
			if pid, err := strconv.Atoi(strings.Fields(l)[0]); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	// stop-server and start-server need make run's pid file.
	if err := os.WriteFile(filepath.Join(h.data, "run.pid"), []byte(strconv.Itoa(sup.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}

	h.until("the first start", func() bool { return len(h.starts()) == 1 && h.serverPID() != 0 })
	if got, want := strings.SplitN(h.starts()[0], " ", 2)[1], "--addr 127.0.0.1:18080 --data "+h.data; got != want {
		t.Fatalf("server started with %q, want %q", got, want)
	}
	first := h.serverPID()

	// The server dies: the supervisor starts it again.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.until("a restart after the crash", func() bool { return len(h.starts()) == 2 && h.serverPID() != 0 && h.serverPID() != first })
	second := h.serverPID()
	if !strings.Contains(h.out.String(), "run.sh: server exited") {
		t.Fatalf("the restart was not reported:\n%s", h.out.String())
	}

	// make stop-server: a graceful stop, and no restart.
	out := h.run("stop-server", h.data)
	if !strings.Contains(out, "Server stopped") {
		t.Fatalf("stop-server said %q", out)
	}
	if terms := lines(filepath.Join(h.logs, "terms")); len(terms) != 1 || terms[0] != strconv.Itoa(second) {
		t.Fatalf("TERMs %v, want the second server (%d)", terms, second)
	}
	h.until("the supervisor to note the stop", func() bool { return strings.Contains(h.out.String(), "server stopped") })
	time.Sleep(500 * time.Millisecond) // five restart delays: a wrong restart would have happened
	if n := len(h.starts()); n != 2 || h.serverPID() != 0 {
		t.Fatalf("stopped server restarted: %d starts, pid %d", n, h.serverPID())
	}
	select {
	case <-done:
		t.Fatalf("the supervisor ended with the server: %v\n%s", waitErr, h.out.String())
	default:
	}

	// make start-server.
	out = h.run("start-server", h.data)
	if !strings.Contains(out, "Server starting") {
		t.Fatalf("start-server said %q", out)
	}
	h.until("the start", func() bool { return len(h.starts()) == 3 && h.serverPID() != 0 })
	third := h.serverPID()

	// Ctrl-C of make run: TERM to the supervisor ends it and its server.
	if err := sup.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the supervisor did not end on TERM\n%s", h.out.String())
	}
	if terms := lines(filepath.Join(h.logs, "terms")); len(terms) != 2 || terms[1] != strconv.Itoa(third) {
		t.Fatalf("TERMs %v, want the third server (%d) too", terms, third)
	}
	if _, err := os.Stat(filepath.Join(h.data, "server.pid")); !os.IsNotExist(err) {
		t.Fatalf("server.pid left behind: %v", err)
	}
	if n := len(h.starts()); n != 3 {
		t.Fatalf("%d starts, want 3", n)
	}

	// Without make run, stop-server and start-server say so and fail.
	for _, a := range []string{"stop-server", "start-server"} {
		cmd := exec.Command("bash", "run.sh", a, filepath.Join(dir, "elsewhere"))
		cmd.Env = h.env
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "not running") {
			t.Fatalf("%s without make run: %v %s", a, err, out)
		}
	}
}

// TestShellcheck: run.sh is clean for shellcheck (make deps installs it).
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck not found: install the Debian package shellcheck (make deps)")
	}
	if out, err := exec.Command(sc, "run.sh").CombinedOutput(); err != nil {
		t.Fatalf("shellcheck run.sh: %v\n%s", err, out)
	}
}
