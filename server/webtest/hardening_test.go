package webtest

import (
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/servertest"
)

// TestDashboardStorageDown: when the server answers but cannot save (the
// store's writes fail as on a full disk), the dashboard says so
// ("Máy chủ không lưu được dữ liệu", with the reason), distinct from the
// "server unreachable" banner; the message goes when saving works again.
func TestDashboardStorageDown(t *testing.T) {
	var full atomic.Bool
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true, Store: sqlite.Options{
		ProbeEvery: 200 * time.Millisecond,
		FailWrites: func() error {
			if full.Load() {
				return &os.PathError{Op: "write", Path: "civiq.db-wal", Err: syscall.ENOSPC}
			}
			return nil
		}}})
	p := newTab(t, srv)
	// The dashboard's own 5 s /healthz poll, ten times sooner (every
	// 0.5 s): the banner still comes and goes by the page's polling alone.
	p.fastTimer(5*time.Second, 10)
	openAdmin(p, "dashboard")
	p.wait(`document.querySelector('#dash-fields')`, "the dashboard")
	if eval[bool](p, `!!document.querySelector('#storage-banner')`) {
		t.Fatal("storage banner on a healthy server")
	}
	full.Store(true)
	p.waitFor(`document.querySelector('#storage-banner')`, "the storage banner", 15*time.Second)
	p.waitText("#storage-banner", "Máy chủ không lưu được dữ liệu (ổ đĩa đầy)")
	if !eval[bool](p, `document.querySelector('#offline-banner').hidden`) {
		t.Error("the server is reachable, yet the offline banner shows")
	}
	p.screenshot("dashboard-storage-down", 1366, 768)
	full.Store(false)
	p.waitFor(`!document.querySelector('#storage-banner')`, "the storage banner to go", 15*time.Second)
}

// TestAuditFiltersAndCSV: the audit view shows each changed field before
// and after with the client's address, filters by user and kind on the
// server, and its CSV export (UTF-8 with BOM) holds the same rows.
func TestAuditFiltersAndCSV(t *testing.T) {
	srv := startServer(t)
	admin := srv.Client(srv.AdminToken())
	var out map[string]any
	if _, err := admin.Do(t.Context(), "PUT", "/api/v1/counters/q2", map[string]any{
		"id": "q2", "number": 2, "name": map[string]string{"vi": "Quầy số 2 – Đất đai"}, "service_ids": []string{"dat-dai"}, "status": "closed",
	}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Do(t.Context(), "POST", "/api/v1/devices", map[string]any{"kind": "display", "name": "TV sảnh"}, &out, nil); err != nil {
		t.Fatal(err)
	}
	p := newTab(t, srv)
	openAdmin(p, "audit")
	p.wait(`document.querySelector('#audit')`, "the audit log")
	p.waitText("#audit", "device.create")
	p.setValue("#audit-kind", "counter")
	p.wait(`!document.querySelector('#audit').textContent.includes('device.create')`, "the kind filter")
	p.waitText("#audit", "Quầy số 2 – Đất đai")
	p.waitText("#audit", "127.0.0.1")
	if txt := p.textOf("#audit tbody tr"); !strings.Contains(txt, "name.vi") || !strings.Contains(txt, "Quầy 2") {
		t.Errorf("counter row %q lacks the name before and after", txt)
	}
	p.screenshot("admin-audit-changes", 1366, 768)
	href := eval[string](p, `document.querySelector('#audit-csv').href`)
	if !strings.Contains(href, "kind=counter") {
		t.Fatalf("csv link %q", href)
	}
	csv := eval[string](p, `fetch(document.querySelector('#audit-csv').href).then(r => r.text())`)
	if !strings.Contains(csv, "counter.put") || strings.Contains(csv, "device.create") || !strings.Contains(csv, "Quầy số 2 – Đất đai") {
		t.Errorf("csv:\n%s", csv)
	}
	bom := eval[bool](p, `fetch(document.querySelector('#audit-csv').href).then(r => r.arrayBuffer()).then(b => { const u = new Uint8Array(b); return u[0] === 0xEF && u[1] === 0xBB && u[2] === 0xBF; })`)
	if !bom {
		t.Error("the CSV has no UTF-8 byte order mark")
	}
}
