package issuer_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/kiosk/internal/ticket"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

func newKiosk(t *testing.T, c *client.Client, spoolDir, printed string) *issuer.Kiosk {
	t.Helper()
	k, closePrinter, err := buildKiosk(c, spoolDir, printed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closePrinter)
	return k
}

// buildKiosk is a kiosk on spoolDir printing PNGs into printed; the test
// kiosks and the kiosk child process of TestOfflineKioskKilled share it.
func buildKiosk(c *client.Client, spoolDir, printed string) (*issuer.Kiosk, func(), error) {
	pr, err := printer.Open("dir:" + printed)
	if err != nil {
		return nil, nil, err
	}
	sp, err := spool.Open(spoolDir)
	if err != nil {
		pr.Close()
		return nil, nil, err
	}
	k, err := issuer.New(issuer.Options{Client: c, Printer: pr, Spool: sp, Width: ticket.Width58mm, LeaseSize: 6, IssueTimeout: time.Second})
	if err != nil {
		pr.Close()
		return nil, nil, err
	}
	return k, func() { pr.Close() }, nil
}

// TestOfflineIssueRestartSync: the server goes away, the kiosk keeps
// issuing from its leases, the kiosk restarts (a new instance on the same
// spool), the server comes back: every offline ticket reaches the queue
// once, in issue order, with a unique number, and its printed QR works.
func TestOfflineIssueRestartSync(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	tok := srv.DeviceToken("kiosk", "Ki-ốt 1")
	dir, printed := t.TempDir(), t.TempDir()
	k := newKiosk(t, srv.Client(tok), dir, printed)
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	online, err := k.Issue(ctx, "dat-dai", false, "vi")
	if err != nil || online.Offline || online.Ticket.Code != "A001" {
		t.Fatalf("online issue: %+v, %v", online, err)
	}

	srv.Stop()
	var offline []issuer.Result
	for _, x := range []struct {
		svc  string
		prio bool
	}{{"dat-dai", false}, {"dat-dai", true}, {"tu-phap-ho-tich", false}} {
		r, err := k.Issue(ctx, x.svc, x.prio, "vi")
		if err != nil || !r.Offline || r.PrintErr != nil {
			t.Fatalf("offline issue: %+v, %v", r, err)
		}
		offline = append(offline, r)
		time.Sleep(2 * time.Millisecond) // distinct issue times
	}
	if k.State().Online || k.State().Pending != 3 {
		t.Fatalf("state %+v", k.State())
	}
	if err := k.Step(ctx); err == nil {
		t.Fatal("step succeeded with the server down")
	}

	// The kiosk restarts while still offline.
	k2 := newKiosk(t, srv.Client(tok), dir, printed)
	if st := k2.State(); !st.Known || st.Online || st.Pending != 3 || len(st.Services) == 0 {
		t.Fatalf("restarted kiosk: %+v", st)
	}
	r, err := k2.Issue(ctx, "dat-dai", false, "en")
	if err != nil || !r.Offline {
		t.Fatalf("issue after restart: %+v, %v", r, err)
	}
	offline = append(offline, r)
	codes := map[string]bool{online.Ticket.Code: true}
	for _, r := range offline {
		if codes[r.Ticket.Code] {
			t.Fatalf("code %s issued twice", r.Ticket.Code)
		}
		codes[r.Ticket.Code] = true
		if !strings.HasPrefix(r.Ticket.TrackURL, srv.URL+"/t/") {
			t.Fatalf("offline track url %q", r.Ticket.TrackURL)
		}
	}
	files, _ := filepath.Glob(filepath.Join(printed, "*.png"))
	if len(files) != 5 {
		t.Fatalf("%d tickets printed, want 5", len(files))
	}

	srv.Restart()
	if err := k2.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := k2.State(); !st.Online || st.Pending != 0 {
		t.Fatalf("after sync: %+v", st)
	}
	if err := k2.Step(ctx); err != nil { // a second round must not add anything
		t.Fatal(err)
	}
	var waiting []protocol.Ticket
	if _, err := srv.Client(srv.AdminToken()).Do(ctx, http.MethodGet, "/api/v1/waiting", nil, &waiting, nil); err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 5 {
		t.Fatalf("%d tickets waiting, want 5: %+v", len(waiting), waiting)
	}
	seen := map[string]int{}
	var regularLand []protocol.Ticket
	for _, w := range waiting {
		seen[w.Code]++
		if w.ServiceID == "dat-dai" && !w.Priority {
			regularLand = append(regularLand, w)
		}
	}
	for code, n := range seen {
		if n != 1 || !codes[code] {
			t.Fatalf("%s waiting %d times (known %v)", code, n, codes[code])
		}
	}
	// Regular Đất đai tickets are called by issue time: online A001 first,
	// then the offline ones in the order they were issued.
	if !slices.IsSortedFunc(regularLand, func(a, b protocol.Ticket) int { return a.IssuedAt.Compare(b.IssuedAt) }) || regularLand[0].Code != "A001" {
		t.Fatalf("order %+v", regularLand)
	}
	for _, r := range offline {
		tk, err := srv.Client("").Ticket(ctx, r.Ticket.Token)
		if err != nil || tk.Code != r.Ticket.Code || !tk.Offline || tk.Priority != r.Ticket.Priority || !tk.IssuedAt.Equal(r.Ticket.IssuedAt.Truncate(time.Microsecond)) {
			t.Fatalf("synced %s: %+v, %v", r.Ticket.Code, tk, err)
		}
	}
	if tk, _ := srv.Client("").Ticket(ctx, offline[3].Ticket.Token); tk.Lang != "en" {
		t.Fatalf("lang %s", tk.Lang)
	}
}

// TestRefusalIsNotOffline: a field the server refuses (switched off) is an
// error for the citizen, not a reason to issue from the lease.
func TestRefusalIsNotOffline(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	k := newKiosk(t, srv.Client(srv.DeviceToken("kiosk", "k")), t.TempDir(), t.TempDir())
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	admin := srv.Client(srv.AdminToken())
	svcs, _ := admin.Services(ctx)
	s := svcs[0]
	s.Enabled = false
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/services/"+s.ID, s, nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := k.Issue(ctx, s.ID, false, "vi")
	if !client.IsCode(err, protocol.CodeServiceClosed) {
		t.Fatalf("issue in a closed field: %v", err)
	}
	if k.State().Pending != 0 {
		t.Fatal("a refused ticket was issued offline")
	}
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := k.State(); st.Services[0].Open || st.Services[0].ClosedReason != protocol.ClosedDisabled {
		t.Fatalf("field state %+v", st.Services[0])
	}
}

// TestNoNumbersLeft: offline with an exhausted lease, the kiosk says so
// instead of inventing a number.
func TestNoNumbersLeft(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	dir := t.TempDir()
	k := newKiosk(t, srv.Client(srv.DeviceToken("kiosk", "k")), dir, t.TempDir())
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for i := range 6 {
		if _, err := k.Issue(ctx, "xay-dung", false, "vi"); err != nil {
			t.Fatalf("offline ticket %d: %v", i, err)
		}
	}
	if _, err := k.Issue(ctx, "xay-dung", false, "vi"); err != issuer.ErrNoOfflineNumbers {
		t.Fatalf("7th offline ticket: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, spool.FileName)); err != nil {
		t.Fatal(err)
	}
}

// TestRunLoopReconnects: the background loop notices the server going away
// and coming back by itself (with backoff), then syncs and reports.
func TestRunLoopReconnects(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	pr, err := printer.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	sp, err := spool.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, err := issuer.New(issuer.Options{Client: srv.Client(srv.DeviceToken("kiosk", "loop")), Printer: pr, Spool: sp,
		LeaseSize: 4, Poll: 20 * time.Millisecond, Heartbeat: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, IssueTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	states := make(chan issuer.State, 1000)
	k.OnChange(func(st issuer.State) {
		select {
		case states <- st:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor := func(what string, ok func(issuer.State) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case st := <-states:
				if ok(st) {
					return
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s; state %+v", what, k.State())
			}
		}
	}
	waitFor("online with leases", func(st issuer.State) bool { return st.Online && k.OfflineLeft("dat-dai") > 0 })
	srv.Stop()
	waitFor("offline", func(st issuer.State) bool { return !st.Online })
	r, err := k.Issue(context.Background(), "dat-dai", false, "vi")
	if err != nil || !r.Offline {
		t.Fatalf("offline issue: %+v, %v", r, err)
	}
	srv.Restart()
	waitFor("synced", func(st issuer.State) bool { return st.Online && st.Pending == 0 })
	tk, err := srv.Client("").Ticket(context.Background(), r.Ticket.Token)
	if err != nil || tk.Code != r.Ticket.Code {
		t.Fatalf("synced ticket: %+v, %v", tk, err)
	}
}
