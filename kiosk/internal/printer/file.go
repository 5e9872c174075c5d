package printer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"time"
)

// filePrinter is a printer behind a device file: /dev/usb/lp0 (USB),
// /dev/ttyS0 (serial, set up beforehand with stty), or a plain file that
// collects the ESC/POS stream.
type filePrinter struct {
	path string
	o    options
	g    *gate
}

var _ Printer = (*filePrinter)(nil)

func newFilePrinter(path string, o options) *filePrinter {
	return &filePrinter{path: path, o: o, g: newGate()}
}

// String returns the printer's spec, for logs.
func (p *filePrinter) String() string { return "file:" + p.path }

// openResult is what opening the device gave.
type openResult struct {
	f        *os.File
	readable bool
	err      error
}

// connect opens the device for one job or query. It is opened anew each
// time: a USB printer that was unplugged and plugged back in is a new
// device, and an old descriptor of it would only ever fail.
func (p *filePrinter) connect(ctx context.Context, op string) (*link, bool, error) {
	// Opening can block (a serial port waiting for its carrier line), so
	// it runs aside and is abandoned when time is up; the late file is
	// then closed.
	res := make(chan openResult, 1)
	go func() { res <- openDevice(p.path) }()
	abandon := func(err error) (*link, bool, error) {
		go func() {
			if r := <-res; r.f != nil {
				_ = r.f.Close()
			}
		}()
		return nil, false, ioError(ctx, op, false, err)
	}
	t := time.NewTimer(p.o.timeout)
	defer t.Stop()
	var r openResult
	select {
	case r = <-res:
	case <-t.C:
		return abandon(os.ErrDeadlineExceeded)
	case <-ctx.Done():
		return abandon(ctx.Err())
	}
	if r.err != nil {
		// No such file or device: the printer is unplugged or off.
		return nil, false, &Error{Op: op, Reason: ReasonUnreachable, Err: r.err}
	}
	if err := p.g.use(op, r.f); err != nil {
		return nil, false, err
	}
	l := &link{c: r.f, timeout: p.o.timeout, check: p.o.status && r.readable, silentOK: true}
	return l, r.readable, nil
}

// openDevice opens path for writing, and for reading too when allowed.
func openDevice(path string) openResult {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	readable := true
	if errors.Is(err, fs.ErrPermission) {
		// Many set-ups grant the kiosk user write access only (the lp
		// group): print without status rather than not at all.
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		readable = false
	}
	if err != nil {
		return openResult{err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return openResult{err: err}
	}
	if fi.IsDir() {
		_ = f.Close()
		return openResult{err: fmt.Errorf("%s is a directory (for PNG files use dir:%s)", path, path)}
	}
	if fi.Mode().IsRegular() {
		// A plain file collects the stream (tests, debugging); nobody
		// answers status requests in it.
		readable = false
	}
	if err := f.SetDeadline(time.Time{}); err != nil {
		// Without deadlines a read that gets no reply could only be
		// abandoned by closing the file, and the job would be lost with
		// it; such devices print without status.
		readable = false
	}
	return openResult{f: f, readable: readable}
}

// Print writes img as one job to the device.
func (p *filePrinter) Print(ctx context.Context, img image.Image) error {
	img, _ = unlabel(img)
	chunks, err := encodeJob(img, p.o.job)
	if err != nil {
		return err
	}
	if err := p.g.enter(ctx, "print"); err != nil {
		return err
	}
	defer p.g.leave()
	l, _, err := p.connect(ctx, "print")
	if err != nil {
		return err
	}
	defer l.c.Close()
	return p.g.closedOr(l.print(ctx, chunks))
}

// Status asks the device, when it can be read. Devices that cannot be
// read, or that never answer (many USB printer drivers pass no replies
// back), report StateUnknown.
func (p *filePrinter) Status(ctx context.Context) (Status, error) {
	if err := p.g.enter(ctx, "status"); err != nil {
		return Status{}, err
	}
	defer p.g.leave()
	l, readable, err := p.connect(ctx, "status")
	if err != nil {
		return Status{}, err
	}
	defer l.c.Close()
	if !readable {
		return Status{State: StateUnknown}, nil
	}
	s, err := l.status(ctx)
	if err != nil {
		return Status{}, p.g.closedOr(ioError(ctx, "status", false, err))
	}
	return s, nil
}

// Close interrupts a running job and makes later calls fail.
func (p *filePrinter) Close() error {
	p.g.close()
	return nil
}
