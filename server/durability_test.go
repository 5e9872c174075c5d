package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/protocol"
)

const adminPW = "durability-admin-pw"

type proc struct {
	cmd *exec.Cmd
	url string
}

// startServer runs argv (the binary, maybe under strace) and waits until it
// prints its URL.
func startServer(t *testing.T, env []string, argv ...string) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	// Own process group, so SIGINT reaches the server even under strace.
	ownProcessGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "CiviQ is serving at "); ok {
				urlc <- u
			}
		}
	}()
	select {
	case u := <-urlc:
		return &proc{cmd: cmd, url: u}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	return nil
}

func (p *proc) kill9() {
	signalGroup(p.cmd, true) // SIGKILL: no chance to flush anything
	p.cmd.Wait()
}

func (p *proc) stop(t *testing.T) {
	signalGroup(p.cmd, false)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatal("server did not shut down on SIGINT")
	}
}

// kioskClients logs the admin in once and registers n kiosks.
func kioskClients(t *testing.T, url string, n int) []*client.Client {
	t.Helper()
	ctx := context.Background()
	c, _ := client.New(url, "")
	lr, err := c.Login(ctx, "admin", adminPW)
	if err != nil {
		t.Fatal(err)
	}
	var out []*client.Client
	for range n {
		d, err := c.WithToken(lr.Token).CreateDevice(ctx, protocol.RoleKiosk, "burst kiosk")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c.WithToken(d.Token))
	}
	return out
}

// TestKill9DuringBurst: kill -9 the real server during a burst of ticket
// issues; every acknowledged ticket is there after the restart, numbers stay
// unique and gap-free, and the database passes an integrity check.
func TestKill9DuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real server")
	}
	bin := buildServer(t)
	data := t.TempDir()
	env := []string{"CIVIQ_ADMIN_PASSWORD=" + adminPW}
	p := startServer(t, env, bin, "--addr", "127.0.0.1:0", "--data", data)
	const workers = 16
	kiosks := kioskClients(t, p.url, workers) // one kiosk each: per-device rate limits apply

	var mu sync.Mutex
	acked := map[string]protocol.Ticket{} // token → ticket
	var count atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	svcs := []string{"dat-dai", "tu-phap-ho-tich", "xay-dung", "tra-ket-qua"}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				tk, err := kiosks[w].IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: svcs[(w+i)%len(svcs)], Lang: "vi"}, fmt.Sprintf("w%d-%d", w, i))
				if client.IsCode(err, protocol.CodeRateLimited) {
					continue
				}
				if err != nil {
					if !client.IsUnreachable(err) {
						t.Errorf("issue: %v", err)
					}
					return // the server died: this one was not acknowledged
				}
				mu.Lock()
				acked[tk.Token] = tk
				mu.Unlock()
				count.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for count.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if count.Load() < 300 {
		t.Fatalf("only %d tickets issued in 60 s", count.Load())
	}
	p.kill9()
	cancel()
	wg.Wait()
	t.Logf("%d tickets acknowledged before kill -9", len(acked))

	p = startServer(t, env, bin, "--addr", "127.0.0.1:0", "--data", data)
	anon, _ := client.New(p.url, "")
	lr, err := anon.Login(context.Background(), "admin", adminPW)
	if err != nil {
		t.Fatal(err)
	}
	admin := anon.WithToken(lr.Token) // signed in: not held by the public rate limit
	for tok, want := range acked {
		got, err := admin.Ticket(context.Background(), tok)
		if err != nil || got.ID != want.ID || got.Code != want.Code {
			t.Fatalf("acknowledged ticket %s lost after kill -9: %v", want.Code, err)
		}
	}
	// The server goes on numbering where it stopped.
	tk, err := kioskClients(t, p.url, 1)[0].IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "dat-dai"}, "")
	if err != nil {
		t.Fatal(err)
	}
	p.stop(t)

	s, err := sqlite.Open(context.Background(), filepath.Join(data, "civiq.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string][]int{}
	for _, ev := range evs {
		if ev.Type == protocol.EventTicketIssued {
			var x protocol.Ticket
			if err := jsonUnmarshal(ev.Data, &x); err != nil {
				t.Fatal(err)
			}
			numbers[x.ServiceID] = append(numbers[x.ServiceID], x.Number)
		}
	}
	for svc, ns := range numbers {
		sort.Ints(ns)
		for i, n := range ns {
			if n != i+1 {
				t.Fatalf("%s numbers not 1..%d without gaps or duplicates: %v", svc, len(ns), ns)
			}
		}
	}
	if want := len(numbers["dat-dai"]); tk.Number != want {
		t.Fatalf("first ticket after restart is %s, want number %d", tk.Code, want)
	}
}

var (
	straceLine = regexp.MustCompile(`^(\d+)\s+([\d.]+)\s+(.*)$`)
	resumed    = regexp.MustCompile(`^<\.\.\. (\w+) resumed>`)
)

// fsyncCheck reads an strace log (-f -ttt -yy) and reports, for every
// HTTP 201 answer written to a socket, whether all WAL writes before it had
// been made durable by a completed fsync/fdatasync of the WAL that started
// after them. It returns the number of acknowledgements and of violations.
func fsyncCheck(t *testing.T, path string) (acks, violations, syncs int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lastWrite float64 = -1          // completion time of the latest WAL write
	var synced float64 = -1             // latest WAL write time covered by a completed sync
	pendingSync := map[string]float64{} // pid → start of an unfinished WAL sync
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := straceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pid, rest := m[1], m[3]
		var ts float64
		fmt.Sscan(m[2], &ts)
		isWAL := strings.Contains(rest, "-wal>")
		switch {
		case (strings.HasPrefix(rest, "fdatasync(") || strings.HasPrefix(rest, "fsync(")) && isWAL:
			if strings.HasSuffix(rest, "<unfinished ...>") {
				pendingSync[pid] = ts
				continue
			}
			syncs++
			synced = max(synced, lastWriteBefore(lastWrite, ts))
		case resumed.MatchString(rest) && (strings.Contains(rest, "fdatasync resumed") || strings.Contains(rest, "fsync resumed")):
			if start, ok := pendingSync[pid]; ok {
				delete(pendingSync, pid)
				syncs++
				synced = max(synced, lastWriteBefore(lastWrite, start))
			}
		case strings.HasPrefix(rest, "pwrite64(") && isWAL:
			lastWrite = ts
		case (strings.HasPrefix(rest, "write(") || strings.HasPrefix(rest, "writev(") || strings.HasPrefix(rest, "sendto(")) &&
			strings.Contains(rest, "TCP") && strings.Contains(rest, "201 Created"):
			acks++
			if lastWrite > synced {
				violations++
			}
		}
	}
	return acks, violations, syncs
}

// lastWriteBefore: a sync that started at `start` covers WAL writes that
// completed before it started.
func lastWriteBefore(lastWrite, start float64) float64 {
	if lastWrite <= start {
		return lastWrite
	}
	return -1
}

// TestEveryAckFollowsFsync proves what kill -9 cannot (the OS page cache
// survives a killed process): every 201 is written only after the WAL
// frames of its ticket were fsynced. strace records the server's syscalls;
// the same check run against a server with synchronous=OFF must fail, so
// the check itself is shown to work.
func TestEveryAckFollowsFsync(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real server under strace")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatal("strace is required (make deps installs it)")
	}
	bin := buildServer(t)
	run := func(unsafe string) (acks, violations, syncs int) {
		data := t.TempDir()
		trace := filepath.Join(t.TempDir(), "trace")
		env := []string{"CIVIQ_ADMIN_PASSWORD=" + adminPW}
		if unsafe != "" {
			env = append(env, "CIVIQ_UNSAFE_SQLITE_SYNC="+unsafe)
		}
		p := startServer(t, env, "strace", "-f", "-ttt", "-yy", "-s", "48", "-o", trace,
			"-e", "trace=fsync,fdatasync,pwrite64,write,writev,sendto", bin, "--addr", "127.0.0.1:0", "--data", data)
		kiosk := kioskClients(t, p.url, 1)[0]
		for i := range 25 {
			if _, err := kiosk.IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "dat-dai"}, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		p.stop(t)
		return fsyncCheck(t, trace)
	}
	acks, violations, syncs := run("")
	t.Logf("synchronous=FULL: %d acknowledgements, %d WAL syncs, %d violations", acks, syncs, violations)
	if acks < 25 || violations != 0 || syncs < acks {
		t.Fatalf("synchronous=FULL: %d acks, %d syncs, %d acks before their fsync", acks, syncs, violations)
	}
	acks, violations, syncs = run("OFF")
	t.Logf("synchronous=OFF (negative control): %d acknowledgements, %d WAL syncs, %d violations", acks, syncs, violations)
	if acks < 25 || violations < 25 {
		t.Fatalf("the check did not catch a server that does not fsync: %d acks, %d violations", acks, violations)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
