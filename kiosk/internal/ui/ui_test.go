package ui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/printer/escpostest"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/kiosk/internal/ticket"
	"github.com/civiq/civiq/kiosk/internal/ticket/tickettest"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// rig is a kiosk wired to a real server and a fake network printer.
type rig struct {
	srv  *servertest.Server
	fp   *escpostest.Printer
	k    *issuer.Kiosk
	u    *UI
	w    fyne.Window
	name string
}

func newRig(t *testing.T, srv *servertest.Server, spoolDir string, size fyne.Size) *rig {
	t.Helper()
	if srv == nil {
		srv = servertest.Start(t, servertest.Options{})
	}
	fp := escpostest.NewPrinter(t)
	pr, err := printer.Open(fp.Spec("timeout=2s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	if spoolDir == "" {
		spoolDir = t.TempDir()
	}
	sp, err := spool.Open(spoolDir)
	if err != nil {
		t.Fatal(err)
	}
	name := "Ki-ốt " + t.Name()
	k, err := issuer.New(issuer.Options{Client: srv.Client(srv.DeviceToken("kiosk", name)), Printer: pr, Spool: sp,
		Width: ticket.Width58mm, LeaseSize: 4, IssueTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	u, err := New(a, k, Options{Idle: time.Hour, Confirm: time.Hour, Voice: nopVoice{}})
	if err != nil {
		t.Fatal(err)
	}
	u.Attach()
	w := test.NewTempWindow(t, u.Content())
	w.Resize(size)
	return &rig{srv: srv, fp: fp, k: k, u: u, w: w, name: name}
}

// waitScreen waits until the UI shows screen (the issue runs on its own
// goroutine, as it must off the UI thread).
func waitScreen(t *testing.T, u *UI, screen string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for u.Screen() != screen {
		if time.Now().After(deadline) {
			t.Fatalf("screen %q, want %q", u.Screen(), screen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) tile(t *testing.T, id string) *tile {
	t.Helper()
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	tl := r.u.tiles[id]
	if tl == nil {
		t.Fatalf("no tile for %s", id)
	}
	return tl
}

func (r *rig) button(t *testing.T, name string) fyne.Tappable {
	t.Helper()
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	b := r.u.buttons[name]
	if b == nil {
		t.Fatalf("no %s button on %s", name, r.u.screen)
	}
	return b
}

func (r *rig) result(t *testing.T) issuer.Result {
	t.Helper()
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	if r.u.result == nil {
		t.Fatal("no result")
	}
	return *r.u.result
}

// golden compares a capture of the window with testdata/name (rewritten
// with -update). The master is decoded on another goroutine while the
// window is captured (both take a while under -race); the capture passes
// when its pixels are the master's, byte for byte, as in Fyne's
// test.AssertImageMatches, which otherwise decides and reports (and writes
// testdata/failed/name).
func golden(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	if *update {
		writePNG(t, filepath.Join("testdata", name), w.Canvas().Capture())
		return
	}
	master := make(chan []uint8, 1)
	go func() { master <- pngPix(filepath.Join("testdata", name)) }()
	img := w.Canvas().Capture()
	if m, c := <-master, pixOf(img); m != nil && c != nil && bytes.Equal(m, c) {
		return
	}
	test.AssertImageMatches(t, name, img)
}

// pngPix is the pixels of the PNG file at path, nil when it cannot be read
// or is not RGBA or NRGBA (golden then leaves the verdict to Fyne).
func pngPix(path string) []uint8 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil
	}
	return pixOf(img)
}

// pixOf is img's pixel bytes as Fyne's image comparison takes them.
func pixOf(img image.Image) []uint8 {
	switch x := img.(type) {
	case *image.RGBA:
		return x.Pix
	case *image.NRGBA:
		return x.Pix
	}
	return nil
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// checkPrinted decodes the last printed job: the QR code must be the
// ticket's track URL and the barcode its code.
func checkPrinted(t *testing.T, fp *escpostest.Printer, n int, tk protocol.Ticket) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	jobs, err := fp.WaitJobs(ctx, n)
	if err != nil {
		t.Fatalf("printed jobs: %v", err)
	}
	j := jobs[n-1]
	if j.Image == nil || !j.Cut || len(j.Text) > 0 || len(j.Errors) > 0 {
		t.Fatalf("job %d: image %v cut %v text %q errors %v", n, j.Image != nil, j.Cut, j.Text, j.Errors)
	}
	if q, err := tickettest.ScanQR(j.Image); err != nil || q != tk.TrackURL {
		t.Fatalf("QR %q (%v), want %q", q, err, tk.TrackURL)
	}
	if b, err := tickettest.ScanBarcode(j.Image); err != nil || b != tk.Code {
		t.Fatalf("barcode %q (%v), want %q", b, err, tk.Code)
	}
}

// TestIssueNormalAndPriority taps through a normal and a priority ticket
// against a real server and a fake ESC/POS printer.
func TestIssueNormalAndPriority(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1080, 1920))
	waitScreen(t, r.u, ScreenHome)
	golden(t, r.w, "home-1080x1920.png")

	test.Tap(r.tile(t, "dat-dai"))
	waitScreen(t, r.u, ScreenConfirm)
	res := r.result(t)
	if res.Offline || res.PrintErr != nil || res.Ticket.Code != "A001" || res.Ticket.Priority {
		t.Fatalf("normal ticket: %+v", res)
	}
	golden(t, r.w, "confirm-1080x1920.png")
	checkPrinted(t, r.fp, 1, res.Ticket)
	onServer, err := r.srv.Client("").Ticket(context.Background(), res.Ticket.Token)
	if err != nil || onServer.Code != "A001" || onServer.Status != protocol.StatusWaiting {
		t.Fatalf("on the server: %+v, %v", onServer, err)
	}

	test.Tap(r.button(t, "done"))
	waitScreen(t, r.u, ScreenHome)
	test.Tap(r.u.priority)
	waitScreen(t, r.u, ScreenPriority)
	test.Tap(r.tile(t, "dat-dai"))
	waitScreen(t, r.u, ScreenConfirm)
	res2 := r.result(t)
	if !res2.Ticket.Priority || res2.Ticket.Code != "A002" || res2.Ticket.Ahead != 0 {
		t.Fatalf("priority ticket: %+v", res2.Ticket)
	}
	checkPrinted(t, r.fp, 2, res2.Ticket)
	if tk, err := r.srv.Client("").Ticket(context.Background(), res2.Ticket.Token); err != nil || !tk.Priority {
		t.Fatalf("priority on the server: %+v, %v", tk, err)
	}
	// The first ticket now has the priority one ahead of it.
	if tk, _ := r.srv.Client("").Ticket(context.Background(), res.Ticket.Token); tk.Ahead != 1 {
		t.Fatalf("A001 ahead = %d, want 1", tk.Ahead)
	}
}

// TestLanguageAndReturnHome: the EN switch changes the words, and the
// confirmation goes back home by itself, in the default language.
func TestLanguageAndReturnHome(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1920, 1080))
	r.u.opts.Confirm = 300 * time.Millisecond
	test.Tap(r.button(t, "lang"))
	r.u.mu.Lock()
	lang := r.u.lang
	title := r.u.tiles["dat-dai"].title
	r.u.mu.Unlock()
	if lang != "en" || title != "Land" {
		t.Fatalf("after the switch: lang %s, tile %q", lang, title)
	}
	test.Tap(r.tile(t, "xay-dung"))
	waitScreen(t, r.u, ScreenConfirm)
	if res := r.result(t); res.Ticket.Lang != "en" {
		t.Fatalf("ticket lang %s", res.Ticket.Lang)
	}
	waitScreen(t, r.u, ScreenHome)
	r.u.mu.Lock()
	defer r.u.mu.Unlock()
	if r.u.lang != "vi" || r.u.tiles["dat-dai"].title != "Đất đai" {
		t.Fatalf("home after idle: lang %s", r.u.lang)
	}
}

// TestPrinterPaperOut: a printer out of paper shows the fault message with
// the ticket's code and a reprint button, and the server's device list
// shows it; once paper is back, the reprint works.
func TestPrinterPaperOut(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1080, 1920))
	r.fp.SetCondition(escpostest.PaperOut)
	test.Tap(r.tile(t, "tu-phap-ho-tich"))
	waitScreen(t, r.u, ScreenConfirm)
	res := r.result(t)
	if printer.ReasonOf(res.PrintErr) != printer.ReasonPaperOut {
		t.Fatalf("print error %v, want paper out", res.PrintErr)
	}
	if res.Ticket.Code != "B001" {
		t.Fatalf("code %s", res.Ticket.Code)
	}
	r.u.mu.Lock()
	fault := r.u.st.PrinterFault
	r.u.mu.Unlock()
	if fault != printer.ReasonPaperOut {
		t.Fatalf("screen fault %q", fault)
	}
	if err := r.k.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	ds, err := r.srv.Client(r.srv.AdminToken()).Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, d := range ds {
		if d.Name == r.name {
			seen = d.Status != nil && d.Status.Printer == "paper_out" && strings.Contains(d.Status.Message, "hết giấy")
			if !seen {
				t.Fatalf("device status %+v", d.Status)
			}
		}
	}
	if !seen {
		t.Fatal("kiosk missing from the device list")
	}
	golden(t, r.w, "fault-1080x1920.png")
	r.fp.SetCondition(escpostest.Ready)
	test.Tap(r.button(t, "reprint"))
	checkPrinted(t, r.fp, 1, res.Ticket)
	waitFor(t, func() bool { // the confirmation drops the fault panel
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.result != nil && r.u.result.PrintErr == nil && r.u.buttons["reprint"] == nil
	})
	if err := r.k.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.k.State(); st.PrinterFault != "" || st.Printer != printer.StateOK {
		t.Fatalf("after the reprint: %+v", st)
	}
}

// TestUnavailableFieldsAndClosedCentre: a switched-off field shows its
// reason and takes no tap; when no field is open the kiosk says the centre
// is closed.
func TestUnavailableFieldsAndClosedCentre(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1080, 1920))
	ctx := context.Background()
	admin := r.srv.Client(r.srv.AdminToken())
	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	off := svcs[1]
	off.Enabled = false
	if _, err := admin.Do(ctx, "PUT", "/api/v1/services/"+off.ID, off, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	tl := r.tile(t, off.ID)
	r.u.mu.Lock()
	sub, enabled := tl.sub, tl.enabled
	r.u.mu.Unlock()
	if sub != vi.Disabled || enabled {
		t.Fatalf("switched-off tile: %q enabled %v", sub, enabled)
	}
	test.Tap(tl)
	if s := r.u.Screen(); s != ScreenHome {
		t.Fatalf("tap on a closed field led to %s", s)
	}

	c, err := admin.Centre(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Hours = protocol.Hours{"mon": {}} // closed every day
	if _, err := admin.Do(ctx, "PUT", "/api/v1/centre", c, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.k.State().Closed() {
		t.Fatalf("state not closed: %+v", r.k.State().Services)
	}
	r.u.mu.Lock()
	n := len(r.u.tiles)
	r.u.mu.Unlock()
	if n != 0 || r.u.Screen() != ScreenHome {
		t.Fatalf("closed centre still shows %d tiles", n)
	}
	golden(t, r.w, "closed-1080x1920.png")
}

// TestOfflineTicketPrinted: with the server gone the kiosk shows it is
// offline, and a tap prints a leased ticket whose QR code is its future
// track URL and whose barcode is its code.
func TestOfflineTicketPrinted(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1080, 1920))
	r.srv.Stop()
	if err := r.k.Step(context.Background()); err == nil {
		t.Fatal("step succeeded with the server down")
	}
	waitFor(t, func() bool {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return !r.u.st.Online
	})
	golden(t, r.w, "offline-1080x1920.png")
	test.Tap(r.tile(t, "dat-dai"))
	waitScreen(t, r.u, ScreenConfirm)
	res := r.result(t)
	if !res.Offline || res.Ticket.Code != "A5001" || !strings.HasPrefix(res.Ticket.TrackURL, r.srv.URL+"/t/") {
		t.Fatalf("offline ticket %+v", res.Ticket)
	}
	checkPrinted(t, r.fp, 1, res.Ticket)
	golden(t, r.w, "offline-confirm-1080x1920.png")
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestETALine(t *testing.T) {
	vi, en := wordsFor("vi"), wordsFor("en")
	for _, c := range []struct {
		w    words
		tk   protocol.Ticket
		want string
	}{
		{vi, protocol.Ticket{Ahead: 3, ETASeconds: 690, ETALowSeconds: 419, ETAHighSeconds: 1201}, "Thời gian chờ dự kiến: khoảng\u00a012\u00a0phút (thường\u00a06–21\u00a0phút)"},
		{en, protocol.Ticket{Ahead: 3, ETASeconds: 690, ETALowSeconds: 419, ETAHighSeconds: 1201}, "Expected wait: about\u00a012\u00a0min (usually\u00a06–21\u00a0min)"},
		{vi, protocol.Ticket{Ahead: 3, ETASeconds: 690}, "Thời gian chờ dự kiến: khoảng\u00a012\u00a0phút"},                     // no range given
		{vi, protocol.Ticket{Ahead: 1, ETASeconds: 240, ETAHighSeconds: 500}, "Thời gian chờ dự kiến: khoảng\u00a04\u00a0phút"}, // low end under a minute
		{vi, protocol.Ticket{Ahead: 0, ETASeconds: 0}, "Sắp đến lượt bạn"},
	} {
		if got := etaLine(c.w, c.tk); got != c.want {
			t.Errorf("etaLine(%+v) = %q, want %q", c.tk, got, c.want)
		}
	}
}

// labels collects the texts of the labels under o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	switch x := o.(type) {
	case *widget.Label:
		out = append(out, x.Text)
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, labels(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, labels(c)...)
		}
	}
	return out
}

// TestConfirmShowsRange: with counters at work and people ahead, the
// confirmation gives the expected wait and the range most citizens are
// called in, as the server answered.
func TestConfirmShowsRange(t *testing.T) {
	r := newRig(t, nil, "", fyne.NewSize(1920, 1080))
	ctx := context.Background()
	admin := r.srv.Client(r.srv.AdminToken())
	for range 4 {
		r.srv.Issue("dat-dai", false)
	}
	for _, q := range []string{"q1", "q2"} { // both land counters busy
		if _, err := admin.Next(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.k.Step(ctx); err != nil { // the kiosk reads the fields again
		t.Fatal(err)
	}
	waitScreen(t, r.u, ScreenHome)
	// The tile says how long a ticket taken now would wait.
	tl := r.tile(t, "dat-dai")
	r.u.mu.Lock()
	sub := tl.sub
	r.u.mu.Unlock()
	if !strings.Contains(sub, "Đang chờ: 2 người\n"+keepTogether("Chờ khoảng ")) {
		t.Fatalf("tile: %q", sub)
	}
	if *update {
		writePNG(t, filepath.Join("..", "..", "..", "docs", "screenshots", "kiosk-home-eta-landscape.png"), r.w.Canvas().Capture())
	}
	test.Tap(tl)
	waitScreen(t, r.u, ScreenConfirm)
	tk := r.result(t).Ticket
	if want := keepTogether(fmt.Sprintf("Chờ khoảng %d phút", (tk.ETASeconds+30)/60)); !strings.HasSuffix(sub, want) {
		t.Errorf("the tile said %q, the ticket got %d s", sub, tk.ETASeconds)
	}
	if tk.Ahead != 2 || tk.ETAHighSeconds <= tk.ETASeconds || tk.ETALowSeconds < 60 {
		t.Fatalf("ticket %+v: want 2 ahead and a range", tk)
	}
	want := strings.ReplaceAll(etaLine(wordsFor("vi"), tk), " ", "")
	var all string
	for _, l := range labels(r.w.Canvas().Content()) {
		all += strings.ReplaceAll(strings.ReplaceAll(l, "\n", ""), " ", "")
	}
	if !strings.Contains(want, "thường") || !strings.Contains(all, want) {
		t.Fatalf("confirmation %q lacks %q", all, want)
	}
	// The numbers move with the clock (the services in progress run on),
	// so this capture is kept for the docs, not compared.
	if *update {
		writePNG(t, filepath.Join("..", "..", "..", "docs", "screenshots", "kiosk-confirm-range-landscape.png"), r.w.Canvas().Capture())
	}
}
