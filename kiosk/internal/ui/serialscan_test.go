//go:build unix

package ui

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/civiq/civiq/kiosk/internal/scanner"
)

// TestSerialScannerIDCard: a barcode scanner on a serial port (a named
// pipe stands in for /dev/ttyACM0) reads a citizen ID card: the kiosk
// greets the citizen by name and, at 76, opens the priority choice, as a
// keyboard-wedge scan does.
func TestSerialScannerIDCard(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	r := layoutRig(t, screenSizes["landscape"])
	r.u.now = func() time.Time { return time.Date(2026, 12, 8, 10, 0, 0, 0, hcm) }
	r.showFields(bigServices(9, false))
	path := filepath.Join(t.TempDir(), "ttyACM0")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go scanner.Run(ctx, path, 20*time.Millisecond, slog.New(slog.DiscardHandler), r.u.Scanned)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("001050009876||Trần Văn Bảy|02091950|Nam|Thôn Đông, Xã Yên Phong, Tỉnh Bắc Ninh|10102022\r\n"); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r.u, ScreenPriority)
	r.u.mu.Lock()
	banner := r.u.bannerLocked(true)
	r.u.mu.Unlock()
	if want := fmt.Sprintf(bookVi.HelloPriority, "Trần Văn Bảy"); !strings.HasPrefix(banner, want) {
		t.Fatalf("banner %q, want %q", banner, want)
	}
}
