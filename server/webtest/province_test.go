package webtest

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/httpapi"
	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
)

// TestProvincePage: the province page on a real multi-site server
// (PostgreSQL): the province admin signs in, sees every centre with its
// live figures and the range report with the province's total, switches
// to English, and creates a centre, whose admin password it shows once;
// changes their own password, adds a supervisor, resets its password and
// disables it; renames a centre and takes one out of service and back;
// deletes a centre's data (out of service, its id typed in the
// confirmation; a supervisor is not offered it); opens a centre's admin
// page signed in with the province account; the activity log lists the
// changes, the deletion first, for both province roles.
func TestProvincePage(t *testing.T) {
	ctx := context.Background()
	pv, ts, dbURL := provinceServer(t)
	for i, id := range []string{"huyen-a", "huyen-b"} {
		if _, err := pv.CreateCentre(ctx, province.Centre{ID: id, Name: "Huyện " + string(rune('A'+i)), TimeZone: "Asia/Ho_Chi_Minh", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		e := pv.App(id).Engine
		if _, err := e.PutCentre(ctx, protocol.Centre{Name: protocol.Text{Vi: "Huyện " + id}, TimeZone: "Asia/Ho_Chi_Minh", ReadNumbers: protocol.ReadAsNumber, Hours: enginetest.AllDay()}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.PutService(ctx, protocol.Service{ID: "dat-dai", Prefix: "A", Name: protocol.Text{Vi: "Đất đai"}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.PutCounter(ctx, protocol.Counter{ID: "q1", Number: 1, Name: protocol.Text{Vi: "Quầy 1"}, ServiceIDs: []string{"dat-dai"}, Status: protocol.CounterOpen}); err != nil {
			t.Fatal(err)
		}
		for range 3 + 2*i {
			if _, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "dat-dai"}, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.Next(ctx, "q1", "test"); err != nil {
			t.Fatal(err)
		}
	}

	p := provinceSignIn(t, ts)
	p.waitText("#centres", "huyen-b")
	p.waitText("#report", "Toàn tỉnh")
	// Live: huyen-a has 2 waiting, huyen-b 4; six in the province.
	p.waitText("#totals", "6")
	p.screenshot("province", 1366, 900)
	p.click("#lang")
	p.waitText("#report", "Province")
	p.waitText("#main h1", "Centres")
	p.click("#lang")
	p.waitText("#report", "Toàn tỉnh")

	p.click("#new")
	p.submit("#new-form", "#c-id", "xa-moi", "#c-name", "Xã Mới")
	p.waitText("#new-secret", "xa-moi")
	p.waitText("#centres", "Xã Mới")
	p.screenshot("province-created", 1366, 900)
	if pv.App("xa-moi") == nil {
		t.Fatal("the centre created on the page is not served")
	}

	// One's own password: the old one is checked.
	p.click("#mypw")
	p.submit("#pw-form", "#pw-old", "wrong-password", "#pw-new", "province-pw-456")
	p.waitText("#pw-error", "old password")
	p.submit("#pw-form", "#pw-old", "province-pw-123", "#pw-new", "province-pw-456")
	p.waitText("#pw-ok", "Đã đổi mật khẩu")
	if _, _, _, err := pv.Service.Login(ctx, "province", "province-pw-456"); err != nil {
		t.Fatalf("the new password: %v", err)
	}

	// Accounts: a supervisor added, its password reset, disabled.
	p.click("#new-user")
	p.submit("#user-form", "#u-name", "giam-sat", "#u-full", "Giám sát tỉnh", "#u-pass", "giam-sat-pw-1")
	p.waitText("#users", "giam-sat")
	if _, _, _, err := pv.Service.Login(ctx, "giam-sat", "giam-sat-pw-1"); err != nil {
		t.Fatalf("the supervisor added on the page: %v", err)
	}
	p.click(`#users tr[data-user="giam-sat"] .pv-actions button`)
	p.typeInto(`#users tr[data-user="giam-sat"] input`, "giam-sat-pw-2")
	p.click(`#users tr[data-user="giam-sat"] .pv-actions .btn-primary`)
	p.waitText("#users-ok", "giam-sat")
	if _, _, _, err := pv.Service.Login(ctx, "giam-sat", "giam-sat-pw-2"); err != nil {
		t.Fatalf("the password reset on the page: %v", err)
	}
	p.click(`#users tr[data-user="giam-sat"] .btn-danger`)
	p.waitText(`#users tr[data-user="giam-sat"]`, "Đã khóa")
	if _, _, _, err := pv.Service.Login(ctx, "giam-sat", "giam-sat-pw-2"); err == nil {
		t.Fatal("a disabled account signs in")
	}
	p.screenshot("province-accounts", 1366, 1100)

	// A centre renamed, one out of service (two clicks) and back.
	p.click(`#centres tr[data-centre="xa-moi"] .pv-actions button:nth-child(2)`)
	p.typeInto(`#centres tr[data-centre="xa-moi"] input`, "Xã Mới Đổi Tên")
	p.click(`#centres tr[data-centre="xa-moi"] .pv-actions .btn-primary`)
	p.waitText(`#centres tr[data-centre="xa-moi"]`, "Xã Mới Đổi Tên")
	p.click(`#centres tr[data-centre="huyen-b"] .pv-off`)
	if pv.App("huyen-b") == nil {
		t.Fatal("one click took huyen-b out of service")
	}
	p.click(`#centres tr[data-centre="huyen-b"] .pv-off`)
	p.waitText(`#centres tr[data-centre="huyen-b"]`, "Ngừng phục vụ")
	if pv.App("huyen-b") != nil {
		t.Fatal("huyen-b still served after being taken out of service")
	}
	p.screenshot("province-centre-off", 1366, 900)
	p.click(`#centres tr[data-centre="huyen-b"] .pv-actions button`)
	p.wait(`!document.querySelector('#centres tr[data-centre="huyen-b"]').classList.contains('off')`, "huyen-b back in service")
	if pv.App("huyen-b") == nil {
		t.Fatal("huyen-b not served again")
	}

	// A centre's data deleted: only out of service, only by a province
	// admin, after typing its id in the confirmation.
	if eval[bool](p, `!!document.querySelector('#centres tr[data-centre="xa-moi"] .pv-del-btn')`) {
		t.Fatal("a centre in service offers Delete data")
	}
	p.click(`#centres tr[data-centre="xa-moi"] .pv-off`)
	p.click(`#centres tr[data-centre="xa-moi"] .pv-off`)
	p.wait(`document.querySelector('#centres tr[data-centre="xa-moi"]').classList.contains('off')`, "xa-moi out of service")
	if _, err := pv.Service.CreateUser(ctx, "xem", "Xem", province.RoleSupervisor, "xem-pw-1234"); err != nil {
		t.Fatal(err)
	}
	sup := newTab(t, nil)
	sup.base = ts.URL
	sup.open("/province")
	sup.wait(`!document.querySelector('#login').hidden`, "the sign-in form")
	sup.typeInto("#user", "xem")
	sup.typeInto("#pass", "xem-pw-1234")
	sup.click(`#login button[type="submit"]`)
	sup.wait(`!!document.querySelector('#centres tr[data-centre="xa-moi"].off')`, "xa-moi listed out of service for the supervisor")
	if eval[int](sup, `document.querySelectorAll('.pv-del-btn').length`) != 0 {
		t.Fatal("the province supervisor sees Delete data")
	}
	p.click(`#centres tr[data-centre="xa-moi"] .pv-del-btn`)
	p.wait(`document.querySelector('#del-dialog').open`, "the confirmation")
	p.waitText("#del-title", "xa-moi")
	p.waitText("#del-cmd", "pg_dump -n centre_xa_moi")
	p.waitText("#del-dialog", "Không thể hoàn tác")
	// Cancelled: nothing happens; in English, the same confirmation.
	p.click("#del-cancel")
	p.wait(`!document.querySelector('#del-dialog').open`, "the confirmation cancelled")
	p.click("#lang")
	p.click(`#centres tr[data-centre="xa-moi"] .pv-del-btn`)
	p.waitText("#del-title", "Delete the data of")
	p.waitText("#del-dialog", "cannot be undone")
	p.waitText("#del-label", "Type the centre id xa-moi")
	p.typeInto("#del-confirm", "xa-moi")
	p.screenshot("province-delete-confirm-en", 1366, 900)
	p.click("#del-cancel")
	p.click("#lang")
	p.waitText("#main h1", "Các trung tâm")
	p.click(`#centres tr[data-centre="xa-moi"] .pv-del-btn`)
	p.wait(`document.querySelector('#del-dialog').open && document.querySelector('#del-confirm').value === ''`, "the confirmation again, empty")
	p.waitText("#del-title", "Xóa dữ liệu của")
	p.typeInto("#del-confirm", "xa-mo")
	if !eval[bool](p, `document.querySelector('#del-go').disabled`) {
		t.Fatal("Delete enabled before the id is typed in full")
	}
	p.typeInto("#del-confirm", "xa-moi")
	p.wait(`!document.querySelector('#del-go').disabled`, "Delete enabled once the id is typed")
	p.screenshot("province-delete-confirm", 1366, 900)
	p.screenshot("province-delete-confirm", 1024, 700)
	if pv.App("xa-moi") != nil || !slices.ContainsFunc(pv.Centres(), func(c httpapi.ProvinceCentre) bool { return c.ID == "xa-moi" }) {
		t.Fatal("xa-moi changed before the deletion was confirmed")
	}
	p.click("#del-go")
	p.wait(`!document.querySelector('#del-dialog').open`, "the confirmation closed")
	p.waitText("#centres-ok", "xa-moi")
	p.wait(`!document.querySelector('#centres tr[data-centre="xa-moi"]')`, "xa-moi gone from the list")
	p.screenshot("province-deleted", 1366, 900)
	if slices.ContainsFunc(pv.Centres(), func(c httpapi.ProvinceCentre) bool { return c.ID == "xa-moi" }) {
		t.Fatal("xa-moi still listed by the province")
	}
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	var schemas int
	err = db.QueryRow(ctx, `SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'centre_xa_moi'`).Scan(&schemas)
	db.Close(ctx)
	if err != nil || schemas != 0 {
		t.Fatalf("xa-moi's schema after the deletion: %d %v", schemas, err)
	}

	// The activity log shows the deletion, by whom, newest first, to
	// both province roles; its entry outlives the centre.
	p.wait(`(document.querySelector('#audit tbody tr') || {}).dataset?.action === 'centre.delete'`, "the deletion at the top of the activity log")
	p.waitText(`#audit tbody tr[data-action="centre.delete"]`, "xa-moi")
	p.waitText(`#audit tbody tr[data-action="centre.delete"]`, "Xóa dữ liệu trung tâm")
	p.waitText(`#audit tbody tr[data-action="centre.delete"]`, "province")
	p.waitText(`#audit tbody tr[data-action="centre.delete"]`, "đã xóa schema centre_xa_moi")
	p.waitText(`#audit`, "Đổi tên trung tâm")
	p.waitText(`#audit`, "Khóa tài khoản")
	p.waitText("#audit-csv", "Tải CSV")
	p.screenshot("province-audit", 1366, 768)
	// Tải CSV saves the whole log as the CSV of GET
	// /api/v1/province/audit.csv (its token sent, which a link cannot).
	name, data := p.download("#audit-csv")
	if want := "civiq-province-audit-" + eval[string](p, `new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10)`) + ".csv"; name != want {
		t.Errorf("the activity log downloaded as %q, want %q", name, want)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	if err != nil || !bytes.HasPrefix(data, []byte("\uFEFF")) {
		t.Fatalf("the downloaded activity log is no CSV with a byte order mark: %v\n%s", err, data)
	}
	if len(rows) < 2 || !slices.Equal(rows[0], []string{"id", "time", "user", "ip", "action", "subject", "detail"}) {
		t.Fatalf("the downloaded activity log's header and rows: %q", rows)
	}
	// Newest first, as on the page: the deletion, then every change made
	// above, each by province.
	if r := rows[1]; r[2] != "province" || r[4] != "centre.delete" || r[5] != "xa-moi" || r[6] != "schema centre_xa_moi dropped" {
		t.Errorf("the first downloaded entry: %q", r)
	}
	logged := map[string]string{}
	for _, r := range rows[1:] {
		logged[r[4]+" "+r[5]] = r[2]
	}
	for _, want := range []string{"centre.create xa-moi", "account.password province", "account.create giam-sat", "account.reset_password giam-sat", "account.disable giam-sat", "centre.rename xa-moi", "centre.disable huyen-b", "centre.enable huyen-b", "centre.disable xa-moi"} {
		if logged[want] != "province" {
			t.Errorf("the downloaded activity log has no %q by province: %q", want, rows)
		}
	}
	p.click("#lang")
	p.waitText(`#audit tbody tr[data-action="centre.delete"]`, "Centre data deleted")
	p.waitText(`#audit tbody tr[data-action="centre.delete"]`, "schema centre_xa_moi dropped")
	p.waitText("#main", "Activity log")
	p.waitText("#audit-csv", "Download CSV")
	p.screenshot("province-audit-en", 1366, 768)
	p.click("#lang")
	sup.wait(`!!document.querySelector('#audit tbody tr[data-action="centre.delete"]')`, "the deletion in the supervisor's activity log")

	// A centre's admin page, signed in with the province account.
	p.click(`#centres tr[data-centre="huyen-a"] .pv-actions .btn-primary`)
	p.wait(`location.pathname === '/c/huyen-a/admin' && document.querySelector('#admin') && !document.querySelector('#admin').hidden && document.querySelector('#conn').dataset.state === 'live'`, "huyen-a's admin page")
	p.waitText("#who", "province")
	p.screenshot("province-in-centre", 1366, 900)
}

// provinceServer starts a multi-site server on a throw-away PostgreSQL:
// the default centre, the province (its admin "province" with the password
// province-pw-123) and the province's handler on a loopback port; db is
// the database's URL. All stop when the test ends.
func provinceServer(t *testing.T) (pv *wiring.Province, ts *httptest.Server, db string) {
	t.Helper()
	ctx := context.Background()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	cfg := config.Config{DB: pg.Database(t), AdminPassword: "default-admin-pw", ProvincePassword: "province-pw-123",
		ProvincePoll: time.Second, EventRetention: 90 * 24 * time.Hour}
	log := slog.New(slog.DiscardHandler)
	opts := wiring.Options{BcryptCost: bcrypt.MinCost, Version: "test"}
	def, err := wiring.Open(ctx, cfg, log, opts)
	if err != nil {
		t.Fatal(err)
	}
	pv, err = wiring.OpenProvince(ctx, cfg, log, def, opts)
	if err != nil {
		def.Close()
		t.Fatal(err)
	}
	ts = httptest.NewServer(pv.Handler())
	t.Cleanup(func() { ts.Close(); pv.Close() })
	return pv, ts, cfg.DB
}

// provinceSignIn opens the province page of ts in a new tab and signs in
// as the province admin.
func provinceSignIn(t *testing.T, ts *httptest.Server) *tab {
	t.Helper()
	p := newTab(t, nil)
	p.base = ts.URL
	p.open("/province")
	p.wait(`!document.querySelector('#login').hidden`, "the sign-in form")
	p.submit("#login", "#user", "province", "#pass", "province-pw-123")
	return p
}

// submit types each of the (field, value) pairs into the form's fields
// and clicks its submit button.
func (p *tab) submit(form string, pairs ...string) {
	p.t.Helper()
	if len(pairs)%2 != 0 {
		p.t.Fatalf("submit %s: a field without its value in %q", form, pairs)
	}
	for i := 0; i < len(pairs); i += 2 {
		p.typeInto(pairs[i], pairs[i+1])
	}
	p.click(form + ` button[type="submit"]`)
}
