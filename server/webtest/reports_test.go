package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/servertest"
)

// withHistory starts a server whose demo centre has days of simulated past
// activity (the history `make run` starts with).
func withHistory(t *testing.T, days int) *servertest.Server {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	centre, err := wiring.LoadCentre(config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.App.LoadDemoHistory(context.Background(), days, centre); err != nil {
		t.Fatal(err)
	}
	return srv
}

func apiReport(t *testing.T, srv *servertest.Server, q string) report.Report {
	t.Helper()
	var rep report.Report
	if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), "GET", "/api/v1/reports?"+q, nil, &rep, nil); err != nil {
		t.Fatal(err)
	}
	return rep
}

// chartsLoaded is true once every chart image has been drawn.
const chartsLoaded = `(() => { const imgs = Array.from(document.querySelectorAll('.rep-chart img')); return imgs.length === 5 && imgs.every(i => i.complete && i.naturalWidth > 0); })()`

func TestReportsPage(t *testing.T) {
	// Five days of history: four open days, about 1,500 tickets and both
	// disruptions, the same checks as on 10 days (which took the race-built
	// test some 70 s); screenshots for the docs still show 10 days.
	days := 5
	if *screenshotDir != "" {
		days = 10
	}
	srv := withHistory(t, days)
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	today := time.Now().In(loc)
	from := today.AddDate(0, 0, -29).Format(time.DateOnly)
	to := today.Format(time.DateOnly)

	p := newTab(t, srv)
	openAdmin(p, "reports")
	p.click(`[data-preset="30"]`)
	p.wait(`document.querySelector('#report tbody tr')`, "the report table")
	if got := eval[string](p, `document.querySelector('#rep-from').value`); got != from {
		t.Fatalf("from %s, want %s", got, from)
	}
	want := apiReport(t, srv, "from="+from+"&to="+to)
	if want.Total.Issued < 500 {
		t.Fatalf("the history holds only %d tickets", want.Total.Issued)
	}
	total := eval[string](p, `document.querySelector('#report tr.rep-total td').textContent`)
	if strings.ReplaceAll(strings.ReplaceAll(total, ".", ""), ",", "") != fmt.Sprint(want.Total.Issued) {
		t.Errorf("total issued on the page %q, API %d", total, want.Total.Issued)
	}
	if rows := eval[int](p, `document.querySelectorAll('#report tbody tr').length`); rows != len(want.Rows)+1 {
		t.Errorf("%d table rows, want %d and the total", rows, len(want.Rows))
	}
	p.waitFor(chartsLoaded, "the five charts", 30*time.Second)
	checkDisruptions(t, p, srv, from, to)
	// The downloads ask the API for the same report.
	for _, id := range []string{"rep-csv", "rep-xlsx"} {
		href := eval[string](p, `document.querySelector('#`+id+`').getAttribute('href')`)
		if !strings.Contains(href, "from="+from) || !strings.Contains(href, "group_by=day") || !strings.Contains(href, "format=") {
			t.Errorf("%s href %q", id, href)
		}
	}
	// The bytes as downloaded (a TextDecoder would hide the byte-order mark).
	csv := eval[string](p, `fetch(document.querySelector('#rep-csv').href).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)).map(c => String.fromCharCode(c)).join(''))`)
	if !strings.HasPrefix(csv, "\u00EF\u00BB\u00BFkey,label,issued") || !strings.Contains(csv, "\ntotal,") {
		t.Errorf("CSV download starts %q", csv[:min(len(csv), 60)])
	}
	for _, s := range sizes {
		p.screenshot("reports", s[0], s[1])
	}

	// By field: one row per field that had tickets, in the centre's order.
	p.setValue("#rep-group", "service")
	p.waitText("#report thead th", "Lĩnh vực")
	byField := apiReport(t, srv, "from="+from+"&to="+to+"&group_by=service")
	if rows := eval[int](p, `document.querySelectorAll('#report tbody tr').length`); rows != len(byField.Rows)+1 {
		t.Errorf("%d rows by field, want %d and the total", rows, len(byField.Rows))
	}
	if first := p.textOf("#report tbody th"); first != byField.Rows[0].Label {
		t.Errorf("first field %q, want %q", first, byField.Rows[0].Label)
	}
	p.waitFor(chartsLoaded, "the charts", 30*time.Second)
	p.click("[data-lang-switch]")
	p.waitText("#report thead th", "Field")
	p.waitFor(chartsLoaded, "the English charts", 30*time.Second)
	p.click("[data-lang-switch]")
	p.waitText("#report thead th", "Lĩnh vực")

	// The printable monthly summary: A4, the centre's name, the charts, of
	// the month of the history's last open day.
	last := today.AddDate(0, 0, -1)
	if last.Weekday() == time.Sunday {
		last = last.AddDate(0, 0, -1)
	}
	month := last.Format("2006-01")
	sum := newTab(t, srv)
	openAdmin(sum, "reports")
	sum.open("/admin/summary?month=" + month)
	sum.wait(`document.querySelectorAll('figure svg').length === 5`, "the summary's charts")
	if txt := eval[string](sum, `document.body.textContent`); !strings.Contains(txt, "Trung tâm Phục vụ hành chính công tỉnh") || !strings.Contains(txt, "Báo cáo hoạt động tháng") {
		t.Errorf("summary text: %.300s", txt)
	}
	pdf := sum.printPDF()
	if !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatal("print to PDF gave no PDF")
	}
	pages := pdfPNGs(t, pdf, "reports-summary-print")
	if pages < 2 || pages > 4 {
		t.Errorf("the summary prints on %d A4 pages, want 2–4", pages)
	}
}

// checkDisruptions: the Gián đoạn section shows the history's two
// disruptions (45 minutes of one-stop software at q1 and q2, 20 minutes of
// centre-wide power cut) with the API's figures, per cause and one by one.
func checkDisruptions(t *testing.T, p *tab, srv *servertest.Server, from, to string) {
	t.Helper()
	var ds []report.Impact
	if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), "GET", "/api/v1/disruptions?from="+from+"&to="+to, nil, &ds, nil); err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Cause != "power" || ds[0].Minutes != 20 || ds[1].Cause != "one_stop_software" || ds[1].Minutes != 45 {
		t.Fatalf("the history's disruptions: %+v", ds)
	}
	for _, d := range ds {
		if d.CitizensWaiting == 0 {
			t.Errorf("nobody waited during %s (%s)", d.ID, d.Cause)
		}
	}
	digits := func(s string) string {
		return strings.NewReplacer(".", "", ",", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	}
	p.waitText("#rep-dis h2", "Gián đoạn")
	rows := eval[[][]string](p, `Array.from(document.querySelectorAll('#rep-dis-list tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))`)
	if len(rows) != 2 {
		t.Fatalf("the list shows %d disruptions, want 2", len(rows))
	}
	for i, d := range ds {
		r := rows[i]
		where := "Toàn trung tâm"
		if len(d.CounterIDs) > 0 {
			where = "Quầy 1, Quầy 2"
		}
		cause := map[string]string{"power": "Điện", "one_stop_software": "Phần mềm một cửa"}[d.Cause]
		if r[2] != where || r[3] != cause || digits(r[4]) != fmt.Sprint(d.Minutes) || digits(r[5]) != fmt.Sprint(d.CitizensWaiting) {
			t.Errorf("row %d %q, want %s, %s, %v min, %d waiting", i, r, where, cause, d.Minutes, d.CitizensWaiting)
		}
		if !strings.Contains(r[0], "/") || !strings.Contains(r[1], ":") {
			t.Errorf("row %d start/end %q %q", i, r[0], r[1])
		}
	}
	causes := eval[[][]string](p, `Array.from(document.querySelectorAll('#rep-dis-causes tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))`)
	want := [][]string{
		{"Phần mềm một cửa", "1", "45", fmt.Sprint(ds[1].CitizensWaiting)},
		{"Điện", "1", "20", fmt.Sprint(ds[0].CitizensWaiting)},
	}
	if len(causes) != len(want) {
		t.Fatalf("per cause %q, want %q", causes, want)
	}
	for i := range want {
		for j := range want[i] {
			if digits(causes[i][j]) != want[i][j] && causes[i][j] != want[i][j] {
				t.Errorf("per cause %q, want %q", causes, want)
			}
		}
	}
}

// printPDF prints the page as Chromium's print dialog would (A4, the page's
// @media print rules).
func (p *tab) printPDF() []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	yes := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		p.t.Fatalf("print to PDF: %v", err)
	}
	return res.Data
}

// pdfPNGs renders the PDF's pages with pdftoppm into -screenshots (or a
// temporary folder) as name-1.png, name-2.png… and returns the page count.
func pdfPNGs(t *testing.T, pdf []byte, name string) int {
	t.Helper()
	dir := *screenshotDir
	if dir == "" {
		dir = t.TempDir()
	}
	tmp := filepath.Join(t.TempDir(), name+".pdf")
	if err := os.WriteFile(tmp, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatalf("pdftoppm (Debian package poppler-utils, make deps) is needed to look at the printed summary: %v", err)
	}
	if out, err := exec.Command(tool, "-png", "-r", "60", tmp, filepath.Join(dir, name)).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	m, _ := filepath.Glob(filepath.Join(dir, name+"-*.png"))
	return len(m)
}

// TestReportsSupervisor: a supervisor reads the reports and sees none of
// the settings; the API refuses the supervisor a change.
func TestReportsSupervisor(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("giam-doc-pw"), bcrypt.MinCost)
	if err := srv.App.Store.CreateUser(ctx, auth.User{ID: "u-director", Username: "giamdoc", Name: "Giám đốc", Role: "supervisor", PasswordHash: string(hash), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p := newTab(t, srv)
	p.open("/admin#reports")
	p.login("giamdoc", "giam-doc-pw")
	p.wait(`!document.querySelector('#admin').hidden && document.querySelector('#report, #report-empty')`, "the reports view")
	visible := eval[[]string](p, `Array.from(document.querySelectorAll('#nav a')).filter(a => !a.hidden).map(a => a.dataset.view)`)
	if strings.Join(visible, ",") != "dashboard,reports,bookings,audit" {
		t.Errorf("a supervisor sees %v", visible)
	}
	p.open("/admin?again#fields")
	p.wait(`!document.querySelector('#admin').hidden && document.querySelector('#view-title').textContent === 'Theo dõi'`, "the supervisor kept off the settings")
}

// TestWebhooksPage adds a webhook from the admin page, sees its secret
// once and its deliveries, resends one, and removes it.
func TestWebhooksPage(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ Seq int64 }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		got.Add(1)
	}))
	defer rcv.Close()
	p := newTab(t, srv)
	openAdmin(p, "webhooks")
	p.wait(`document.querySelector('#wh-none')`, "the empty list")
	p.typeInto("#wh-url", rcv.URL+"/civiq")
	p.typeInto("#wh-events", "ticket.*")
	p.click("#wh-create")
	p.wait(`document.querySelector('#wh-secret code')`, "the secret")
	secret := p.textOf("#wh-secret code")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	srv.Issue("dat-dai", false)
	var eps []struct{ ID string }
	if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), "GET", "/api/v1/webhooks", nil, &eps, nil); err != nil || len(eps) != 1 {
		t.Fatalf("webhooks %v %v", eps, err)
	}
	// Delivered and logged (the log is written just after the answer).
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		var atts []json.RawMessage
		if _, err := srv.Client(srv.AdminToken()).Do(context.Background(), "GET", "/api/v1/webhooks/"+eps[0].ID+"/deliveries", nil, &atts, nil); err != nil {
			t.Fatal(err)
		}
		if got.Load() > 0 && len(atts) > 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the receiver got nothing")
		}
	}
	// Reload: the secret is gone for good, the delivery is listed.
	p.open("/admin?again#webhooks")
	p.wait(`document.querySelector('.wh-deliveries tbody tr')`, "the delivery")
	p.screenshot("webhooks", 1366, 768)
	if strings.Contains(p.text(), secret) {
		t.Error("the secret is shown again")
	}
	p.click(".wh-deliveries tbody tr button")
	for start := time.Now(); got.Load() < 2; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the resend did not arrive")
		}
	}
	p.click(".wh-endpoint .btn-danger") // confirm() is accepted by the harness
	p.wait(`document.querySelector('#wh-none')`, "the empty list again")
	p.takeNotes() // the confirm dialog
}
