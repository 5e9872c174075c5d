// Package printer prints ticket images on ESC/POS thermal printers.
//
// Only the few ESC/POS commands a ticket needs are used: init (ESC @),
// raster images (GS v 0), feed (ESC d), partial cut (GS V 66) and the
// real-time status requests (DLE EOT n). Text is never sent as text: the
// ticket is rendered to an image first (package ticket), so Vietnamese
// prints the same on every printer whatever code pages it has.
//
// A printer is named by a spec (see Open): a network printer, a device
// file, or a folder that receives PNG files instead of paper. Every
// operation takes a context and is bounded by timeouts, so a dead printer
// makes the kiosk show an error, never hang.
package printer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Printer prints ticket images. Implementations are safe for concurrent
// use; jobs and status queries on one printer run one at a time.
type Printer interface {
	// Print prints img, then feeds and cuts the paper. Dark dots print
	// black. Errors are *Error; the Reason says what to fix. Printers that
	// can report their status are asked first, and a printer out of paper
	// gets no job.
	Print(ctx context.Context, img image.Image) error
	// Status asks the printer for its state. Printers that cannot answer
	// report StateUnknown with a nil error.
	Status(ctx context.Context) (Status, error)
	// Close releases the printer and interrupts a running operation.
	// Later calls fail with ReasonClosed.
	Close() error
}

// Labelled is an image with a label, typically the ticket code. Printers
// that keep files (dir:) put the label in the file name; the others print
// the image alone.
type Labelled struct {
	image.Image
	Label string
}

// unlabel returns the image to encode and its label.
func unlabel(img image.Image) (image.Image, string) {
	if l, ok := img.(Labelled); ok {
		return l.Image, l.Label
	}
	if l, ok := img.(*Labelled); ok && l != nil {
		return l.Image, l.Label
	}
	return img, ""
}

// DefaultTimeout bounds each step of talking to a printer (connecting,
// one raster band, one status reply) unless the spec sets timeout=.
const DefaultTimeout = 3 * time.Second

// DefaultPort is the raw printing port of network printers (JetDirect).
const DefaultPort = "9100"

// options are the settings of a spec's query string.
type options struct {
	timeout time.Duration
	status  bool // ask the printer's status around each job
	job     JobOptions
}

// Open returns the printer named by spec:
//
//	tcp://HOST[:PORT][?OPTIONS]   network printer, port 9100 by default
//	file:PATH[?OPTIONS]           device file such as /dev/usb/lp0 (also file:///dev/usb/lp0)
//	dir:PATH                      folder receiving one PNG file per ticket
//
// OPTIONS (tcp and file), joined with &:
//
//	timeout=3s   bound of each step: connect, one raster band, one reply
//	status=on    ask the printer's status before and after each job (off for printers that never answer)
//	cut=on       partial cut after each ticket (off for printers without a cutter)
//	feed=N       lines fed after the ticket (default 0, or 5 with cut=off to reach the tear bar)
//	band=256     rows per raster command (lower for printers with tiny buffers)
//
// Open only checks the spec (and creates the folder of dir:); printers are
// connected to per job, so a printer switched on later just works.
func Open(spec string) (Printer, error) {
	kind, rest, ok := strings.Cut(spec, ":")
	if !ok || rest == "" {
		return nil, badSpec(spec, "want tcp://host:port, file:/dev/usb/lp0 or dir:/path")
	}
	switch strings.ToLower(kind) {
	case "tcp":
		return openTCP(spec)
	case "file":
		path, query, _ := strings.Cut(rest, "?")
		// file:///dev/usb/lp0, the URL form, names the same file.
		if strings.HasPrefix(path, "//") {
			path = strings.TrimPrefix(path, "//")
			if !strings.HasPrefix(path, "/") {
				return nil, badSpec(spec, "file:// URLs must have an empty host, as in file:///dev/usb/lp0")
			}
		}
		if path == "" {
			return nil, badSpec(spec, "no device path")
		}
		o, err := parseOptions(spec, query)
		if err != nil {
			return nil, err
		}
		return newFilePrinter(path, o), nil
	case "dir":
		if strings.Contains(rest, "?") {
			return nil, badSpec(spec, "dir: takes no options")
		}
		return newDirPrinter(rest)
	default:
		return nil, badSpec(spec, fmt.Sprintf("unknown printer kind %q: want tcp, file or dir", kind))
	}
}

func badSpec(spec, why string) error {
	return &Error{Op: "open", Reason: ReasonBadSpec, Err: fmt.Errorf("%q: %s", spec, why)}
}

func openTCP(spec string) (Printer, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return nil, badSpec(spec, err.Error())
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, badSpec(spec, "no host: want tcp://host:port")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, badSpec(spec, "want only tcp://host:port and options")
	}
	port := u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return nil, badSpec(spec, "empty port")
		}
		port = DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, badSpec(spec, fmt.Sprintf("port %q: want 1 to 65535", port))
	}
	o, err := parseOptions(spec, u.RawQuery)
	if err != nil {
		return nil, err
	}
	return newTCPPrinter(net.JoinHostPort(u.Hostname(), port), o), nil
}

func parseOptions(spec, query string) (options, error) {
	o := options{timeout: DefaultTimeout, status: true, job: JobOptions{BandRows: DefaultBandRows, Cut: true}}
	q, err := url.ParseQuery(query)
	if err != nil {
		return o, badSpec(spec, "options: "+err.Error())
	}
	feedSet := false
	for key, vals := range q {
		if len(vals) != 1 {
			return o, badSpec(spec, fmt.Sprintf("option %s given %d times", key, len(vals)))
		}
		v := vals[0]
		switch key {
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > 10*time.Minute {
				return o, badSpec(spec, fmt.Sprintf("timeout=%s: want a duration such as 3s, up to 10m", v))
			}
			o.timeout = d
		case "status", "cut":
			b, ok := parseSwitch(v)
			if !ok {
				return o, badSpec(spec, fmt.Sprintf("%s=%s: want on or off", key, v))
			}
			if key == "status" {
				o.status = b
			} else {
				o.job.Cut = b
			}
		case "feed":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 255 {
				return o, badSpec(spec, fmt.Sprintf("feed=%s: want 0 to 255 lines", v))
			}
			o.job.FeedLines, feedSet = n, true
		case "band":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxBandRows {
				return o, badSpec(spec, fmt.Sprintf("band=%s: want 1 to %d rows", v, MaxBandRows))
			}
			o.job.BandRows = n
		default:
			return o, badSpec(spec, fmt.Sprintf("unknown option %q: want timeout, status, cut, feed or band", key))
		}
	}
	if !o.job.Cut && !feedSet {
		// Without a cutter the ticket is torn off by hand; the tear bar is
		// about 5 lines past the print head.
		o.job.FeedLines = 5
	}
	return o, nil
}

func parseSwitch(v string) (on, ok bool) {
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		return true, true
	case "off", "false", "0", "no":
		return false, true
	}
	return false, false
}

// gate lets one job or query at a time use a printer, waiting no longer
// than the caller's context, and keeps the open connection so that Close
// can interrupt it.
type gate struct {
	sem  chan struct{} // a channel, not a mutex, so waiting can give up
	done chan struct{} // closed by close

	mu     sync.Mutex
	closed bool
	active conn
}

func newGate() *gate {
	return &gate{sem: make(chan struct{}, 1), done: make(chan struct{})}
}

// enter waits for the printer to be free.
func (g *gate) enter(ctx context.Context, op string) error {
	// Checked first because select picks at random among ready cases.
	if ctx.Err() != nil {
		return ioError(ctx, op, false, ctx.Err())
	}
	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		return ioError(ctx, op, false, ctx.Err())
	case <-g.done:
		return &Error{Op: op, Reason: ReasonClosed}
	}
	if g.isClosed() {
		<-g.sem
		return &Error{Op: op, Reason: ReasonClosed}
	}
	return nil
}

// leave frees the printer for the next operation.
func (g *gate) leave() {
	g.mu.Lock()
	g.active = nil
	g.mu.Unlock()
	<-g.sem
}

// use records c as the open connection. It fails, closing c, if the
// printer was closed meanwhile.
func (g *gate) use(op string, c conn) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		_ = c.Close()
		return &Error{Op: op, Reason: ReasonClosed}
	}
	g.active = c
	return nil
}

func (g *gate) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// closedOr reports an error caused by Close as ReasonClosed.
func (g *gate) closedOr(err error) error {
	if e, ok := errors.AsType[*Error](err); ok && g.isClosed() {
		return &Error{Op: e.Op, Reason: ReasonClosed, Sent: e.Sent, Err: e.Err}
	}
	return err
}

// close marks the printer closed and interrupts the running operation.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	close(g.done)
	if g.active != nil {
		_ = g.active.Close()
	}
}
