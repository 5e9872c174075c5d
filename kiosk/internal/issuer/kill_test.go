package issuer_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// The environment variables that turn the test binary into a kiosk process
// for TestOfflineKioskKilled.
const (
	childEnv    = "CIVIQ_KIOSK_TEST_CHILD"
	childSpool  = "CIVIQ_KIOSK_TEST_SPOOL"
	childPrint  = "CIVIQ_KIOSK_TEST_PRINTED"
	childServer = "CIVIQ_KIOSK_TEST_SERVER"
	childToken  = "CIVIQ_KIOSK_TEST_TOKEN"
	childIssues = 4
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := kioskChild(); err != nil {
			fmt.Fprintln(os.Stderr, "kiosk child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// kioskChild is a kiosk process with the server unreachable: it issues
// offline tickets, printing each code on stdout once Issue has returned
// (the citizen holds the ticket), then waits to be killed.
func kioskChild() error {
	c, err := client.New(os.Getenv(childServer), os.Getenv(childToken))
	if err != nil {
		return err
	}
	k, _, err := buildKiosk(c, os.Getenv(childSpool), os.Getenv(childPrint))
	if err != nil {
		return err
	}
	for i := range childIssues {
		r, err := k.Issue(context.Background(), "dat-dai", i%2 == 1, "vi")
		if err != nil {
			return err
		}
		if !r.Offline {
			return fmt.Errorf("ticket %s issued online with the server stopped", r.Ticket.Code)
		}
		fmt.Printf("%s\n", r.Ticket.Code)
	}
	select {} // until SIGKILL
}

// TestOfflineKioskKilled: a kiosk PROCESS issues tickets while the server
// is down and is killed with SIGKILL right after the last one; a new kiosk
// on the same spool has every one of them pending, and they reach the
// queue once when the server is back. This is what a power cut of the
// kiosk does: whatever the citizen was handed is on disk.
func TestOfflineKioskKilled(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	tok := srv.DeviceToken("kiosk", "Ki-ốt 2")
	dir, printed := t.TempDir(), t.TempDir()
	k := newKiosk(t, srv.Client(tok), dir, printed)
	if err := k.Step(ctx); err != nil { // leases while online
		t.Fatal(err)
	}
	url := srv.URL
	srv.Stop()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childSpool+"="+dir, childPrint+"="+printed, childServer+"="+url, childToken+"="+tok)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var codes []string
	sc := bufio.NewScanner(out)
	for len(codes) < childIssues && sc.Scan() {
		codes = append(codes, strings.TrimSpace(sc.Text()))
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(codes) != childIssues {
		t.Fatalf("child issued %v before dying", codes)
	}

	k2 := newKiosk(t, srv.Client(tok), dir, printed)
	if st := k2.State(); st.Pending != childIssues {
		t.Fatalf("after the kill the spool holds %d pending tickets, want %d (%v)", st.Pending, childIssues, codes)
	}
	srv.Restart()
	if err := k2.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := k2.State(); !st.Online || st.Pending != 0 {
		t.Fatalf("after sync: %+v", st)
	}
	var waiting []protocol.Ticket
	if _, err := srv.Client(srv.AdminToken()).Do(ctx, http.MethodGet, "/api/v1/waiting", nil, &waiting, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, w := range waiting {
		seen[w.Code]++
	}
	for _, c := range codes {
		if seen[c] != 1 {
			t.Fatalf("ticket %s is in the queue %d times; waiting %v", c, seen[c], seen)
		}
	}
	if len(waiting) != childIssues {
		t.Fatalf("%d tickets waiting, want %d", len(waiting), childIssues)
	}
}
