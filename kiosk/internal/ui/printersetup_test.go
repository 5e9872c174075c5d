package ui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/kiosk/internal/config"
	"github.com/civiq/civiq/kiosk/internal/printer/escpostest"
	"github.com/civiq/civiq/kiosk/internal/ticket"
)

// printerMsg is the printer setup's message once it is not "printing".
func printerMsg(t *testing.T, r *rig) string {
	t.Helper()
	var msg string
	waitFor(t, func() bool {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		msg = r.u.printerForm.msg.Text
		return !r.u.busy && msg != "" && msg != vi.Printing
	})
	return msg
}

// TestPrinterSetup: behind the corner and the admin PIN, the printer setup
// lists the USB devices, prints a test page on a network printer typed in
// (the fake ESC/POS printer) at the chosen 80 mm width, and "Lưu và dùng"
// makes it the kiosk's printer — the next ticket prints there, 80 mm wide
// — and writes it to the config file, which loads back.
func TestPrinterSetup(t *testing.T) {
	r := newRig(t, nil, "", screenSizes["landscape"])
	waitScreen(t, r.u, ScreenHome)
	hash, err := bcrypt.GenerateFromPassword([]byte("2468"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "kiosk.json")
	if err := os.WriteFile(cfgFile, []byte(`{"server":"`+r.srv.URL+`","lang":"vi","printer":"`+r.fp.Spec()+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r.u.mu.Lock()
	r.u.opts.Maint = Maintenance{PINHash: hash, Server: r.srv.URL, Version: "test",
		// The spec shown (the golden's) is a fixed address; the kiosk prints
		// on r.fp until the setup changes it.
		Printer: PrinterSetup{Spec: "tcp://10.0.0.50:9100", Paper: 58, ConfigFile: cfgFile, Devices: func() []string { return []string{"/dev/usb/lp0"} }}}
	r.u.mu.Unlock()
	c := cornerOf(r)
	for range 5 {
		test.Tap(c)
	}
	typePIN(t, r, "2468")
	test.Tap(r.button(t, "maint-printer"))
	if s := r.u.Screen(); s != ScreenPrinter {
		t.Fatalf("printer setup: %s", s)
	}
	r.u.mu.Lock()
	f := r.u.printerForm
	r.u.mu.Unlock()
	if !containsStr(f.kind.Options, "USB: /dev/usb/lp0") || f.kind.Selected != vi.PrinterNet || f.paper.Selected != "58 mm" {
		t.Fatalf("form starts with %v, %q, %q", f.kind.Options, f.kind.Selected, f.paper.Selected)
	}
	golden(t, r.w, "printer-1920x1080.png")

	// An empty address is refused on the spot.
	f.host.SetText(" ")
	test.Tap(r.button(t, "printer-test"))
	if msg := f.msg.Text; !strings.Contains(msg, vi.PrinterNetHint) {
		t.Errorf("empty address: %q", msg)
	}

	// A test page on another printer, 80 mm.
	fp2 := escpostest.NewPrinter(t)
	f.host.SetText(fp2.Addr())
	f.paper.SetSelected("80 mm")
	test.Tap(r.button(t, "printer-test"))
	if msg := printerMsg(t, r); !strings.HasPrefix(msg, "✓") {
		t.Fatalf("test page: %q", msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := fp2.WaitJobs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if w := jobs[0].Image.Bounds().Dx(); w != ticket.Width80mm {
		t.Errorf("test page %d dots wide, want %d", w, ticket.Width80mm)
	}

	// Save: the config file has it, and the kiosk prints there.
	f.msg.SetText("")
	test.Tap(r.button(t, "printer-save"))
	if msg := printerMsg(t, r); !strings.HasPrefix(msg, "✓") || !strings.Contains(msg, cfgFile) {
		t.Fatalf("save: %q", msg)
	}
	cfg, err := config.Load([]string{"--config", cfgFile, "--spool", t.TempDir(), "--token", "t"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Printer != "tcp://"+fp2.Addr() || cfg.Paper != 80 || cfg.Server != r.srv.URL {
		t.Errorf("config file now: printer %q paper %d server %q", cfg.Printer, cfg.Paper, cfg.Server)
	}
	test.Tap(r.button(t, "printer-back"))
	test.Tap(r.button(t, "maint-back"))
	waitScreen(t, r.u, ScreenHome)
	before := len(r.fp.Jobs())
	test.Tap(r.tile(t, shownIDs(r)[0]))
	waitScreen(t, r.u, ScreenConfirm)
	jobs, err = fp2.WaitJobs(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w := jobs[1].Image.Bounds().Dx(); w != ticket.Width80mm {
		t.Errorf("ticket %d dots wide on the new printer, want %d", w, ticket.Width80mm)
	}
	if n := len(r.fp.Jobs()); n != before {
		t.Errorf("the old printer got %d more jobs", n-before)
	}
}
