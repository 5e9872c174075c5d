//go:build unix

package scanner

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestReadsLinesAndReopens: a scanner on a serial port is a character
// device read as lines; here a named pipe stands in for it. Lines ended
// by CR, LF or CRLF arrive trimmed, blank ones do not; when the device
// goes away (the writer closes: a scanner unplugged) and comes back, the
// reading goes on; a device missing at start is waited for.
func TestReadsLinesAndReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ttyACM0")
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, path, 20*time.Millisecond, slog.New(slog.DiscardHandler), func(s string) {
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		})
	}()
	time.Sleep(100 * time.Millisecond) // missing at start: retried
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	card := "079086001234|215678901|Nguyễn Thị Minh Khai|12031980|Nữ|Số 12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15062021"
	write := func(s string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_WRONLY, 0) // blocks until the reader opens it
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	waitFor := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			g := slices.Clone(got)
			mu.Unlock()
			if slices.Equal(g, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("read %q, want %q", g, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The last line has no end: it arrives when the writer goes away.
	write("K7M3PX\r\n" + card + "\r  \n\nAC4D9Y")
	waitFor("K7M3PX", card, "AC4D9Y")
	write("HJ3W7T\n")
	waitFor("K7M3PX", card, "AC4D9Y", "HJ3W7T")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end with its context")
	}
}
