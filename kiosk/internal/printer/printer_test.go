package printer_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/printer/escpostest"
	"github.com/civiq/civiq/kiosk/internal/ticket"
	"github.com/civiq/civiq/kiosk/internal/ticket/tickettest"
)

const trackURL = "https://hcc.example.gov.vn/t/7Kq2xWmP9dRf4ZbN"

func renderTicket(t *testing.T, width int, code string) *image.Paletted {
	t.Helper()
	img, err := ticket.Render(ticket.Layout{
		Width:       width,
		Centre:      "Trung tâm Phục vụ hành chính công",
		Field:       "Lao động – Thương binh và Xã hội",
		Code:        code,
		Priority:    true,
		IssuedAt:    time.Date(2026, 11, 28, 15, 4, 0, 0, time.FixedZone("ICT", 7*3600)),
		Ahead:       3,
		WaitMinutes: 9,
		TrackURL:    trackURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func open(t *testing.T, spec string) printer.Printer {
	t.Helper()
	p, err := printer.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func wantReason(t *testing.T, err error, want printer.Reason) {
	t.Helper()
	if got := printer.ReasonOf(err); got != want {
		t.Fatalf("error %v has reason %q, want %q", err, got, want)
	}
}

func checkScans(t *testing.T, img image.Image, code string) {
	t.Helper()
	if got, err := tickettest.ScanQR(img); err != nil || got != trackURL {
		t.Errorf("QR code: %q, %v; want %q", got, err, trackURL)
	}
	if got, err := tickettest.ScanBarcode(img); err != nil || got != code {
		t.Errorf("barcode: %q, %v; want %q", got, err, code)
	}
}

// TestPrintOverTCP prints rendered tickets to the fake printer and reads
// them back off the "paper" as a phone and a scanner would.
func TestPrintOverTCP(t *testing.T) {
	for _, width := range []int{ticket.Width58mm, ticket.Width80mm} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			fake := escpostest.NewPrinter(t)
			p := open(t, fake.Spec())
			img := renderTicket(t, width, "B105")
			if err := p.Print(context.Background(), img); err != nil {
				t.Fatal(err)
			}
			// The status check after the job is answered only once the
			// printer has read the whole job, so no waiting is needed.
			jobs := fake.Jobs()
			if len(jobs) != 1 {
				t.Fatalf("%d jobs, want 1", len(jobs))
			}
			j := jobs[0]
			if !j.Cut || j.Inits != 1 || len(j.Errors) > 0 || len(j.Text) > 0 {
				t.Errorf("job cut %v, inits %d, errors %q, text %q", j.Cut, j.Inits, j.Errors, j.Text)
			}
			h := img.Bounds().Dy()
			if want := (h + 255) / 256; j.Bands != want {
				t.Errorf("%d bands, want %d (at most 256 rows each)", j.Bands, want)
			}
			if j.Image.Bounds() != img.Bounds() {
				t.Fatalf("printed %v, rendered %v", j.Image.Bounds(), img.Bounds())
			}
			for y := range h {
				for x := range width {
					if (img.ColorIndexAt(x, y) == 1) != (j.Image.GrayAt(x, y).Y == 0) {
						t.Fatalf("dot (%d,%d) differs between rendered and printed image", x, y)
					}
				}
			}
			checkScans(t, j.Image, "B105")
			if n := fake.StatusRequests(); n != 6 {
				t.Errorf("%d status requests, want 3 before and 3 after the job", n)
			}
		})
	}
}

func TestStatusConditions(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	p := open(t, fake.Spec())
	for cond, want := range map[escpostest.Condition]printer.State{
		escpostest.Ready:     printer.StateOK,
		escpostest.PaperLow:  printer.StatePaperLow,
		escpostest.PaperOut:  printer.StatePaperOut,
		escpostest.CoverOpen: printer.StateCoverOpen,
		escpostest.Offline:   printer.StateOffline,
		escpostest.Failed:    printer.StateError,
	} {
		fake.SetCondition(cond)
		s, err := p.Status(context.Background())
		if err != nil {
			t.Fatalf("condition %d: %v", cond, err)
		}
		if s.State != want {
			t.Errorf("condition %d: state %s, want %s", cond, s.State, want)
		}
	}
}

func TestPrintRefusedWhenNotReady(t *testing.T) {
	for cond, want := range map[escpostest.Condition]printer.Reason{
		escpostest.PaperOut:  printer.ReasonPaperOut,
		escpostest.CoverOpen: printer.ReasonCoverOpen,
		escpostest.Offline:   printer.ReasonOffline,
		escpostest.Failed:    printer.ReasonError,
	} {
		fake := escpostest.NewPrinter(t)
		fake.SetCondition(cond)
		p := open(t, fake.Spec())
		err := p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "A001"))
		wantReason(t, err, want)
		if e, _ := errors.AsType[*printer.Error](err); e.Sent {
			t.Errorf("condition %d: Sent is true, but nothing should have been sent", cond)
		}
		fake.Close() // flushes: nothing may have been printed
		if jobs := fake.Jobs(); len(jobs) != 0 {
			t.Errorf("condition %d: %d jobs printed on a printer that is not ready", cond, len(jobs))
		}
	}
}

func TestPrintWithPaperLow(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	fake.SetCondition(escpostest.PaperLow)
	p := open(t, fake.Spec())
	if err := p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "A002")); err != nil {
		t.Fatalf("paper low must still print: %v", err)
	}
	if len(fake.Jobs()) != 1 {
		t.Fatal("no job")
	}
}

func TestSilentPrinterTimesOut(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	fake.SetSilent(true)
	p := open(t, fake.Spec("timeout=150ms"))

	start := time.Now()
	_, err := p.Status(context.Background())
	wantReason(t, err, printer.ReasonTimeout)
	err = p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "A003"))
	wantReason(t, err, printer.ReasonTimeout)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("two timeouts of 150ms took %v", d)
	}
}

func TestContextBoundsEverything(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	fake.SetSilent(true)
	// The printer's own timeout is long; the caller's deadline wins.
	p := open(t, fake.Spec("timeout=1m"))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Status(ctx)
	wantReason(t, err, printer.ReasonTimeout)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("deadline of 100ms took %v", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	before := fake.StatusRequests()
	go func() { errc <- p.Print(ctx, renderTicket(t, ticket.Width58mm, "A004")) }()
	// Print is now blocked on the reply to its status request.
	waitFor(t, func() bool { return fake.StatusRequests() > before })
	cancel()
	select {
	case err := <-errc:
		wantReason(t, err, printer.ReasonCanceled)
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop Print")
	}
}

// waitFor polls cond; the fake printer's counters have no channel to wait on.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGarbageReplies(t *testing.T) {
	for _, r := range []escpostest.Replies{
		{Printer: 0xff, Offline: 0xff, Error: 0xff, Paper: 0xff},
		{Printer: 0x12, Offline: 0x00, Error: 0x12, Paper: 0x12},
		{Printer: 0x12, Offline: 0x12, Error: 0x12, Paper: 0x93},
	} {
		fake := escpostest.NewPrinter(t)
		fake.SetReplies(r)
		p := open(t, fake.Spec())
		_, err := p.Status(context.Background())
		wantReason(t, err, printer.ReasonBadReply)
		err = p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "A005"))
		wantReason(t, err, printer.ReasonBadReply)
	}
}

// TestHangUp: a "printer" that accepts and closes at once (another device
// on the port, or a printer busy with another client).
func TestHangUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	p := open(t, "tcp://"+ln.Addr().String())
	_, err = p.Status(context.Background())
	wantReason(t, err, printer.ReasonIO)
}

func TestUnreachable(t *testing.T) {
	// A port that was free a moment ago: connections are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := open(t, "tcp://"+addr)
	_, err = p.Status(context.Background())
	wantReason(t, err, printer.ReasonUnreachable)
	err = p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "A006"))
	wantReason(t, err, printer.ReasonUnreachable)
}

func TestStatusOff(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	fake.SetSilent(true) // a printer without status support
	p := open(t, fake.Spec("status=off", "cut=off"))
	if err := p.Print(context.Background(), renderTicket(t, ticket.Width80mm, "C010")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Without a cut the job ends when the connection closes.
	jobs, err := fake.WaitJobs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if jobs[0].Cut || jobs[0].FeedLines != 5 {
		t.Errorf("cut %v, feed %d; want no cut and 5 lines to the tear bar", jobs[0].Cut, jobs[0].FeedLines)
	}
	if n := fake.StatusRequests(); n != 0 {
		t.Errorf("%d status requests with status=off", n)
	}
	checkScans(t, jobs[0].Image, "C010")
}

func TestConcurrentJobs(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	p := open(t, fake.Spec())
	img := renderTicket(t, ticket.Width58mm, "A007")
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 5 {
		wg.Go(func() { errs <- p.Print(context.Background(), img) })
	}
	wg.Go(func() {
		_, err := p.Status(context.Background())
		errs <- err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i, j := range fake.Jobs() {
		// Jobs one at a time: no job has bands of another.
		if !j.Cut || j.Inits != 1 || j.Image.Bounds() != img.Bounds() {
			t.Errorf("job %d: cut %v, inits %d, size %v", i, j.Cut, j.Inits, j.Image.Bounds())
		}
	}
	if n := len(fake.Jobs()); n != 5 {
		t.Errorf("%d jobs, want 5", n)
	}
}

func TestClose(t *testing.T) {
	fake := escpostest.NewPrinter(t)
	fake.SetSilent(true)
	p := open(t, fake.Spec("timeout=1m"))
	errc := make(chan error, 1)
	go func() {
		_, err := p.Status(context.Background())
		errc <- err
	}()
	waitFor(t, func() bool { return fake.StatusRequests() > 0 })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		wantReason(t, err, printer.ReasonClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt Status")
	}
	wantReason(t, p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "A008")), printer.ReasonClosed)
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFilePrinter prints into a plain file, as a stand-in for a device
// that takes data and never answers, then parses what was written.
func TestFilePrinter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := open(t, "file:"+path)
	s, err := p.Status(context.Background())
	if err != nil || s.State != printer.StateUnknown {
		t.Fatalf("Status = %v, %v; want unknown", s, err)
	}
	for _, code := range []string{"D001", "D002"} {
		if err := p.Print(context.Background(), renderTicket(t, ticket.Width58mm, code)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ps escpostest.Parser
	ps.OnStatus = func(n byte) { t.Errorf("status request DLE EOT %d sent to a file that cannot answer", n) }
	ps.Write(data)
	ps.Flush()
	jobs := ps.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("%d jobs in the file, want 2 (appended)", len(jobs))
	}
	checkScans(t, jobs[1].Image, "D002")
}

func TestFilePrinterMissingDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	p := open(t, "file:"+path)
	_, err := p.Status(context.Background())
	wantReason(t, err, printer.ReasonUnreachable)
	err = p.Print(context.Background(), renderTicket(t, ticket.Width58mm, "D003"))
	wantReason(t, err, printer.ReasonUnreachable)
	// An unplugged printer must not turn into a plain file in /dev.
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing device was created: %v", err)
	}
}

func TestDirPrinter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tickets")
	p := open(t, "dir:"+dir)
	s, err := p.Status(context.Background())
	if err != nil || s.State != printer.StateOK {
		t.Fatalf("Status = %v, %v", s, err)
	}
	img := renderTicket(t, ticket.Width80mm, "E042")
	for range 2 {
		if err := p.Print(context.Background(), printer.Labelled{Image: img, Label: "E042"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Print(context.Background(), printer.Labelled{Image: img, Label: "../../etc/passwd"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^\d{8}-\d{6}\.\d{3}(-E042|-______etc_passwd|)(-\d+)?\.png$`)
	var first string
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("file %q: not time-label.png (or a temporary file left behind)", e.Name())
		}
		if first == "" && regexp.MustCompile(`-E042(-\d+)?\.png$`).MatchString(e.Name()) {
			first = e.Name()
		}
	}
	if len(entries) != 4 {
		t.Fatalf("%d files, want 4", len(entries))
	}
	f, err := os.Open(filepath.Join(dir, first))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	checkScans(t, got, "E042")

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	_, err = p.Status(context.Background())
	wantReason(t, err, printer.ReasonUnreachable)
	wantReason(t, p.Print(context.Background(), img), printer.ReasonIO)
}

func TestCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake := escpostest.NewPrinter(t)
	for _, spec := range []string{fake.Spec(), "dir:" + t.TempDir()} {
		p := open(t, spec)
		wantReason(t, p.Print(ctx, renderTicket(t, ticket.Width58mm, "F001")), printer.ReasonCanceled)
		_, err := p.Status(ctx)
		wantReason(t, err, printer.ReasonCanceled)
	}
	if n := len(fake.Jobs()); n != 0 {
		t.Errorf("%d jobs printed with a canceled context", n)
	}
}
