package spool

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

func testLease(id, svc, day string, from, n int) protocol.Lease {
	l := protocol.Lease{ID: id, ServiceID: svc, Prefix: "A", Day: day, From: from, To: from + n - 1, ExpiresAt: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}
	for i := range n {
		l.Tickets = append(l.Tickets, protocol.LeasedTicket{Number: from + i, Code: "A" + string(rune('0'+i)), Token: id + string(rune('a'+i))})
	}
	return l
}

// TestTakeSurvivesReopen: numbers taken are never given again after a
// restart, and pending tickets come back.
func TestTakeSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddLease(testLease("l1", "a", "2026-11-28", 5001, 2)); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	p1, err := s.Take("a", "2026-11-28", true, "en", at, "")
	if err != nil || p1.Number != 5001 || !p1.Priority || p1.Token != "l1a" {
		t.Fatalf("first take %+v, %v", p1, err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Pending(); len(got) != 1 || got[0].Number != 5001 || !got[0].IssuedAt.Equal(at) {
		t.Fatalf("pending after reopen %+v", got)
	}
	p2, err := s2.Take("a", "2026-11-28", false, "vi", at, "")
	if err != nil || p2.Number != 5002 {
		t.Fatalf("second take %+v, %v", p2, err)
	}
	if _, err := s2.Take("a", "2026-11-28", false, "vi", at, ""); err != ErrNoNumbers {
		t.Fatalf("third take: %v", err)
	}
	if _, err := s2.Take("a", "2026-11-29", false, "vi", at, ""); err != ErrNoNumbers {
		t.Fatalf("other day: %v", err)
	}
	if err := s2.Done([]protocol.OfflineTicket{p1.OfflineTicket}); err != nil {
		t.Fatal(err)
	}
	s3, _ := Open(dir)
	if got := s3.Pending(); len(got) != 1 || got[0].Number != 5002 {
		t.Fatalf("after done %+v", got)
	}
	if err := s3.Prune(time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)); err != nil || s3.Available("a", "2026-11-28") != 0 {
		t.Fatalf("prune: %v", err)
	}
	if len(s3.Pending()) != 1 {
		t.Fatal("prune dropped a pending ticket")
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".tmp")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
}

// TestDamagedSpoolRefused: a damaged file is an error, never replaced.
func TestDamagedSpoolRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(`{"leases":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("damaged spool opened")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileName)); string(b) != `{"leases":[` {
		t.Fatal("damaged spool rewritten")
	}
}

// TestCacheWritesOnlyChanges: waiting counts do not rewrite the file.
func TestCacheWritesOnlyChanges(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	svcs := []protocol.Service{{ID: "a", Name: protocol.Text{Vi: "Đất đai"}, Open: true, Waiting: 1}}
	if err := s.SetCache(protocol.Centre{Name: protocol.Text{Vi: "Trung tâm"}}, svcs); err != nil {
		t.Fatal(err)
	}
	fi1, _ := os.Stat(filepath.Join(dir, FileName))
	os.Chtimes(filepath.Join(dir, FileName), time.Unix(0, 0), time.Unix(0, 0))
	svcs[0].Waiting = 7
	if err := s.SetCache(protocol.Centre{Name: protocol.Text{Vi: "Trung tâm"}}, svcs); err != nil {
		t.Fatal(err)
	}
	fi2, _ := os.Stat(filepath.Join(dir, FileName))
	if !fi2.ModTime().Equal(time.Unix(0, 0)) || fi1 == nil {
		t.Fatal("a waiting count rewrote the spool")
	}
	c, got := s.Cache()
	if c.Name.Vi != "Trung tâm" || len(got) != 1 || got[0].Waiting != 0 {
		t.Fatalf("cache %+v %+v", c, got)
	}
}

// FuzzOpen: whatever lies in the spool file, Open either refuses it or
// returns a spool that works (takes, prunes, saves) without panicking.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(`{"leases":[{"id":"l","service_id":"a","day":"2026-11-28","from":5001,"to":5001,"tickets":[{"number":5001,"code":"A5001"}],"used":0}],"pending":[]}`))
	f.Add([]byte(`{"leases":[{"id":"l","service_id":"a","day":"2026-11-28","tickets":[],"used":5}]}`))
	f.Add([]byte(`{"leases":[{"id":"l","service_id":"a","day":"2026-11-28","tickets":[{}],"used":-3}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			return
		}
		_, _ = s.Take("a", "2026-11-28", false, "vi", time.Now(), "")
		_ = s.Available("a", "2026-11-28")
		_ = s.Prune(time.Now())
		_ = s.Done(nil)
	})
}
