package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/dirlock"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestBackupWhileIssuingThenRestore: a backup taken while a kiosk keeps
// issuing tickets holds every ticket acknowledged before it began; restoring
// it into a fresh folder gives a server that knows each of them, under a new
// event epoch; a restore over the running server's folder is refused and
// changes nothing.
func TestBackupWhileIssuingThenRestore(t *testing.T) {
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	kiosk := srv.Client(srv.DeviceToken("kiosk", "Kiosk 1"))
	services, err := kiosk.Services(ctx)
	if err != nil || len(services) == 0 {
		t.Fatalf("services: %v %v", services, err)
	}
	getenv := func(string) string { return "" }

	var (
		mu    sync.Mutex
		acked []protocol.Ticket
	)
	issue := func(i int) error {
		tk, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: services[i%len(services)].ID, Lang: "vi"}, fmt.Sprintf("k-%d", i))
		if err != nil {
			return err
		}
		mu.Lock()
		acked = append(acked, tk)
		mu.Unlock()
		return nil
	}
	for i := range 20 {
		if err := issue(i); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	issuerDone := make(chan error, 1)
	issuing := make(chan struct{})
	go func() {
		for i := 20; ; i++ {
			if i == 25 {
				close(issuing)
			}
			select {
			case <-stop:
				issuerDone <- nil
				return
			default:
			}
			if err := issue(i); err != nil {
				issuerDone <- err
				return
			}
		}
	}()
	<-issuing // the kiosk is mid-stream when the backup starts
	mu.Lock()
	before := append([]protocol.Ticket(nil), acked...)
	mu.Unlock()

	dest := filepath.Join(t.TempDir(), "backups")
	var out bytes.Buffer
	if err := run(ctx, []string{"backup", "--data", srv.Dir, dest}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	close(stop)
	if err := <-issuerDone; err != nil {
		t.Fatalf("issuing during the backup: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dest, "civiq-*.db"))
	if len(files) != 1 || !strings.Contains(out.String(), files[0]) {
		t.Fatalf("backup files %v, output %q", files, out.String())
	}
	t.Logf("%s; %d tickets acknowledged before it began, %d by the end", strings.TrimSpace(out.String()), len(before), len(acked))

	// Refused while the server runs, and nothing touched.
	dbBefore, _ := os.Stat(filepath.Join(srv.Dir, "civiq.db"))
	err = run(ctx, []string{"restore", "--data", srv.Dir, files[0]}, getenv, io.Discard, io.Discard)
	if !errors.Is(err, dirlock.ErrLocked) || !strings.Contains(err.Error(), "stop the server first") {
		t.Fatalf("restore over a running store: %v, want a refusal", err)
	}
	if m, _ := filepath.Glob(filepath.Join(srv.Dir, "civiq.db.*")); len(m) != 0 {
		t.Fatalf("refused restore left files: %v", m)
	}
	dbAfter, _ := os.Stat(filepath.Join(srv.Dir, "civiq.db"))
	if !os.SameFile(dbBefore, dbAfter) {
		t.Fatal("refused restore replaced the store")
	}
	// A second server on the same folder is refused the same way.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a server that did start would stop here, without the error
	err = run(sctx, []string{"--addr", "127.0.0.1:0", "--data", srv.Dir}, getenv, io.Discard, io.Discard)
	cancel()
	if !errors.Is(err, dirlock.ErrLocked) {
		t.Fatalf("second server on a running server's folder: %v, want ErrLocked", err)
	}
	if err := issue(100000); err != nil {
		t.Fatalf("server after a refused restore: %v", err)
	}

	// Restored into a fresh folder: every ticket acknowledged before the
	// backup began is there, under a new epoch.
	fresh := filepath.Join(t.TempDir(), "data")
	out.Reset()
	if err := run(ctx, []string{"restore", "--data", fresh, files[0]}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if strings.Contains(out.String(), "previous store") {
		t.Fatalf("a fresh folder had no previous store: %q", out.String())
	}
	oldEpoch := srv.App.Store.Epoch()
	restored := servertest.Start(t, servertest.Options{Dir: fresh, NoRateLimits: true})
	if e := restored.App.Store.Epoch(); e == oldEpoch || e == "" {
		t.Fatalf("epoch after restore %q, before %q: must change", e, oldEpoch)
	}
	if !strings.Contains(out.String(), restored.App.Store.Epoch()) {
		t.Fatalf("restore output %q does not name the new epoch", out.String())
	}
	board, err := restored.Client(restored.AdminToken()).Board(ctx)
	if err != nil || board.Epoch != restored.App.Store.Epoch() {
		t.Fatalf("board after restore: epoch %q, %v; want the new epoch", board.Epoch, err)
	}
	pub := restored.Client("")
	for _, want := range before {
		got, err := pub.Ticket(ctx, want.Token)
		if err != nil {
			t.Fatalf("ticket %s acknowledged before the backup is missing after restore: %v", want.Code, err)
		}
		if got.Code != want.Code || got.ID != want.ID || got.ServiceID != want.ServiceID {
			t.Fatalf("ticket %s restored as %+v", want.Code, got)
		}
	}
	// The restored server issues on from where the backup ended.
	if _, err := restored.Client(restored.DeviceToken("kiosk", "Kiosk 2")).IssueTicket(ctx,
		protocol.IssueRequest{ServiceID: services[0].ID, Lang: "vi"}, "after-restore"); err != nil {
		t.Fatalf("issue after restore: %v", err)
	}
}

// TestRestoreKeepsTheReplacedStore: restoring over a stopped server's
// folder keeps the old store (with its WAL) beside the new one; a file that
// is not a CiviQ store is refused and changes nothing.
func TestRestoreKeepsTheReplacedStore(t *testing.T) {
	ctx := context.Background()
	getenv := func(string) string { return "" }
	srv := servertest.Start(t, servertest.Options{})
	dest := t.TempDir()
	if err := run(ctx, []string{"backup", "--data", srv.Dir, dest}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dest, "civiq-*.db"))
	srv.Stop()

	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("not a database, just some text long enough to look like a file"), 0o600)
	err := run(ctx, []string{"restore", "--data", srv.Dir, junk}, getenv, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("restoring a file that is not a database succeeded")
	}
	if m, _ := filepath.Glob(filepath.Join(srv.Dir, "civiq.db.*")); len(m) != 0 {
		t.Fatalf("refused restore left files: %v", m)
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--data", srv.Dir, files[0]}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(filepath.Join(srv.Dir, "civiq.db.before-restore-*"))
	if len(kept) == 0 || !strings.Contains(out.String(), kept[0]) {
		t.Fatalf("old store not kept: %v, output %q", kept, out.String())
	}
	srv.Restart()
	if _, err := srv.Client(srv.AdminToken()).Board(ctx); err != nil {
		t.Fatalf("server on the restored store: %v", err)
	}
}
