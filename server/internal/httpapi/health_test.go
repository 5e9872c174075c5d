package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

type healthBody struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// waitHealth polls /readyz until it answers want, for at most 5 s (the
// contract: health turns within 5 s), and returns the last body.
func waitHealth(t *testing.T, s *servertest.Server, want int) healthBody {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, b := call(t, "GET", s.URL+"/readyz", "", "")
		var h healthBody
		mustJSON(t, b, &h)
		if st == want {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d %s after 5 s, want %d", st, b, want)
		}
		time.Sleep(100 * time.Millisecond) // polling, as a load balancer does
	}
}

// writeUntilRefused makes admin writes until storage refuses one and checks
// that every refusal is 503 unavailable, never 500.
func writeUntilRefused(t *testing.T, s *servertest.Server, max int) {
	t.Helper()
	admin := s.AdminToken()
	for i := range max {
		body := fmt.Sprintf(`{"name":{"vi":"Trung tâm %d %s"},"timezone":"Asia/Ho_Chi_Minh","notice":{"vi":%q}}`, i, strings.Repeat("x", 100), strings.Repeat("Thông báo ", 45))
		st, b := call(t, "PUT", s.URL+"/api/v1/centre", admin, body)
		if st == 200 {
			continue
		}
		var e protocol.Error
		mustJSON(t, b, &e)
		if st != 503 || e.Error.Code != protocol.CodeUnavailable {
			t.Fatalf("write on a failing store: %d %s, want 503 unavailable", st, b)
		}
		return
	}
	t.Fatalf("%d writes all succeeded on a full disk", max)
}

// TestHealthFullDiskTmpfs: the data folder on a small tmpfs; filling it
// turns /readyz (and /healthz) to 503 "disk full" within 5 s while /livez
// stays 200, writes answer 503, and freeing space brings 200 back. Needs
// root for the mount (CI runs as root); TestHealthInjectedFault covers the
// same path everywhere.
func TestHealthFullDiskTmpfs(t *testing.T) {
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Log("not root: no tmpfs; the injected fault test covers the store's side")
		return
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("cannot mount a tmpfs (%v: %s); the injected fault test covers the store's side", err, out)
		return
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	s := servertest.Start(t, servertest.Options{Dir: dir, NoRateLimits: true, Store: sqlite.Options{ProbeEvery: 200 * time.Millisecond}})
	waitHealth(t, s, 200)
	s.AdminToken() // signs in while it still can
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	h := waitHealth(t, s, 503)
	if h.Status != "unavailable" || h.Reason != "disk full" {
		t.Fatalf("full disk health %+v", h)
	}
	if st, _ := call(t, "GET", s.URL+"/livez", "", ""); st != 200 {
		t.Fatalf("livez %d on a full disk", st)
	}
	if st, _ := call(t, "GET", s.URL+"/healthz", "", ""); st != 503 {
		t.Fatalf("healthz %d on a full disk", st)
	}
	writeUntilRefused(t, s, 400)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, s, 200)
	if st, b := call(t, "PUT", s.URL+"/api/v1/counters/q3/status", s.AdminToken(), `{"status":"paused"}`); st != 200 {
		t.Fatalf("write after space returned: %d %s", st, b)
	}
}

// TestHealthInjectedFault: the store's writes fail as on a full disk
// (injected where the store writes); health turns 503 within 5 s, writes
// answer 503, and health recovers when writes work again.
func TestHealthInjectedFault(t *testing.T) {
	var full atomic.Bool
	fault := func() error {
		if full.Load() {
			return &os.PathError{Op: "write", Path: "civiq.db-wal", Err: syscall.ENOSPC}
		}
		return nil
	}
	s := servertest.Start(t, servertest.Options{NoRateLimits: true, Store: sqlite.Options{ProbeEvery: 200 * time.Millisecond, FailWrites: fault}})
	waitHealth(t, s, 200)
	admin := s.AdminToken()
	full.Store(true)
	st, b := call(t, "PUT", s.URL+"/api/v1/counters/q3/status", admin, `{"status":"paused"}`)
	var e protocol.Error
	mustJSON(t, b, &e)
	if st != 503 || e.Error.Code != protocol.CodeUnavailable || !strings.Contains(e.Error.Message, "disk full") {
		t.Fatalf("write on a full disk: %d %s", st, b)
	}
	// The failed commit alone turns health at once.
	st, b = call(t, "GET", s.URL+"/healthz", "", "")
	var h healthBody
	if json.Unmarshal(b, &h); st != 503 || h.Reason != "disk full" {
		t.Fatalf("healthz after a failed commit: %d %s", st, b)
	}
	full.Store(false)
	waitHealth(t, s, 200)
	if st, b := call(t, "PUT", s.URL+"/api/v1/counters/q3/status", admin, `{"status":"paused"}`); st != 200 {
		t.Fatalf("write after recovery: %d %s", st, b)
	}
}
