package webtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TestSupervisorAndCentreDisruption: an admin creates a supervisor on the
// users page and reports a centre-wide disruption from the dashboard; the
// supervisor signs in to /admin and sees the dashboard (with the
// disruption) and the audit log only, with nothing to change.
func TestSupervisorAndCentreDisruption(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	events := subscribe(t, srv)
	p := newTab(t, srv)
	openAdmin(p, "users")
	p.click("#user-add")
	p.setValue("#user-username", "giamdoc")
	p.setValue("#user-name", "Nguyễn Thị Giám Đốc")
	p.setValue("#user-role", "supervisor")
	p.setValue("#user-password", "giam-doc-2026")
	p.setValue("#user-password2", "giam-doc-2026")
	submit(p, "#user-dialog")
	waitClosed(p, "#user-dialog")
	p.waitText(`#users tr[data-user="giamdoc"]`, "Giám sát")
	if u := users(t, srv)["giamdoc"]; u.Role != protocol.RoleSupervisor {
		t.Fatalf("giamdoc has role %q", u.Role)
	}

	// The admin reports the one-stop software down for the whole centre.
	p.open("/admin#dashboard")
	p.wait(`document.querySelector('#dz-start')`, "the disruption button")
	p.click("#dz-start")
	p.setValue("#dz-cause", "one_stop_software")
	p.setValue("#dz-note", "Sở TT&TT báo bảo trì")
	submit(p, "#dz-dialog")
	waitClosed(p, "#dz-dialog")
	waitEvent(t, events, protocol.EventDisruptionStarted, nil)
	p.waitText("#dash-disruptions", "Phần mềm một cửa")
	p.waitText("#dash-disruptions", "Toàn trung tâm")
	p.screenshot("dashboard-disruption", 1366, 768)

	// The supervisor's view.
	s := newTab(t, srv)
	s.open("/admin")
	s.login("giamdoc", "giam-doc-2026")
	s.wait(`!document.querySelector('#admin').hidden && document.querySelector('#conn').dataset.state === 'live'`, "the supervisor's dashboard")
	tabs := eval[[]string](s, `[...document.querySelectorAll('#nav a')].filter(a => !a.hidden).map(a => a.dataset.view)`)
	// DATA-OUT.md: a supervisor reads the dashboard, the reports and the audit
	// log; and the bookings (issue 17).
	if !slices.Equal(tabs, []string{"dashboard", "reports", "bookings", "audit"}) {
		t.Errorf("supervisor tabs %v, want dashboard, reports, bookings and audit", tabs)
	}
	s.waitText("#readonly", "chỉ xem")
	s.waitText("#dash-disruptions", "Phần mềm một cửa")
	if eval[bool](s, `!!document.querySelector('#dz-start, #dash-disruptions [data-end]')`) {
		t.Error("a supervisor is offered to start or end a disruption")
	}
	s.wait(`document.querySelector('#dash-counters tbody tr')`, "the counters on the dashboard")
	s.open("/admin#fields")
	s.wait(`!document.querySelector('#admin').hidden && document.querySelector('#view-title').textContent === 'Theo dõi'`, "a refused view falling back to the dashboard")
	s.open("/admin#audit")
	s.waitText("#view-body", "disruption.start")
	s.screenshot("admin-supervisor", 1366, 768)

	// The admin ends it from the dashboard.
	p.click("#dash-disruptions [data-end]")
	waitEvent(t, events, protocol.EventDisruptionEnded, nil)
	p.waitText("#dash-disruptions", "Không có gián đoạn nào")
	list, err := srv.Client(srv.AdminToken()).Disruptions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(list) != 1 || list[0].EndedAt == nil || list[0].Note != "Sở TT&TT báo bảo trì" {
		t.Fatalf("disruptions %+v %v", list, err)
	}
	noXSS(p)
}
