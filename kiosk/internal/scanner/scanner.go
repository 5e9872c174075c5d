// Package scanner reads a barcode scanner attached to a serial port (a
// USB scanner in CDC-ACM or serial mode shows up as /dev/ttyACM0 or
// /dev/ttyUSB0): each code it reads arrives as one line, ended by CR, LF
// or both. A scanner in keyboard-wedge mode needs no such thing: it types
// into the kiosk's window (docs/KIOSK.md, "Barcode scanners").
//
// The port's speed is set beforehand with stty, as for a serial printer;
// most USB scanners ignore it.
package scanner

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"time"
)

// MaxLine bounds one scanned line in bytes: a citizen ID card's QR code
// is a few hundred. A longer line ends the reading; the device is opened
// again after the pause.
const MaxLine = 4096

// Run reads lines from the device at path and hands each non-empty one,
// trimmed, to scanned, until ctx ends. When the device cannot be opened or
// goes away (unplugged), it tries again after a pause (retry, growing to
// ten times it), logging once per outage.
func Run(ctx context.Context, path string, retry time.Duration, log *slog.Logger, scanned func(string)) {
	wait := retry
	failing := false
	for ctx.Err() == nil {
		err := readOnce(ctx, path, scanned)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !failing {
			log.Warn("barcode scanner unavailable; retrying", "path", path, "err", err)
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*retry)
		if err == nil {
			wait = retry
		}
	}
}

// readOnce opens the device and reads it until it fails or ends.
func readOnce(ctx context.Context, path string, scanned func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { f.Close() }) // unblocks a pending read
	defer func() {
		if stop() {
			f.Close()
		}
	}()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 512), MaxLine)
	sc.Split(lines)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			scanned(s)
		}
	}
	return sc.Err()
}

// lines splits at CR, LF or CRLF.
func lines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		n := i + 1
		if data[i] == '\r' && n < len(data) && data[n] == '\n' {
			n++
		}
		return n, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
