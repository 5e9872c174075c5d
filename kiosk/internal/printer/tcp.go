package printer

import (
	"context"
	"image"
	"net"
)

// tcpPrinter is a network printer taking raw ESC/POS on a TCP port.
type tcpPrinter struct {
	addr string
	o    options
	g    *gate
}

var _ Printer = (*tcpPrinter)(nil)

func newTCPPrinter(addr string, o options) *tcpPrinter {
	return &tcpPrinter{addr: addr, o: o, g: newGate()}
}

// String returns the printer's spec, for logs.
func (p *tcpPrinter) String() string { return "tcp://" + p.addr }

// connect dials the printer, bounded by the timeout and ctx.
func (p *tcpPrinter) connect(ctx context.Context, op string) (*link, error) {
	dctx, cancel := context.WithTimeout(ctx, p.o.timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, "tcp", p.addr)
	if err != nil {
		e := ioError(ctx, op, false, err)
		// A refused or unroutable connection means the printer is off or
		// unplugged; a dial that merely ran out of time stays a timeout.
		if e.Reason == ReasonIO {
			e.Reason = ReasonUnreachable
		}
		return nil, e
	}
	if err := p.g.use(op, c); err != nil {
		return nil, err
	}
	return &link{c: c, timeout: p.o.timeout, check: p.o.status}, nil
}

// Print sends img as one job on a fresh connection.
func (p *tcpPrinter) Print(ctx context.Context, img image.Image) error {
	img, _ = unlabel(img)
	chunks, err := encodeJob(img, p.o.job)
	if err != nil {
		return err
	}
	if err := p.g.enter(ctx, "print"); err != nil {
		return err
	}
	defer p.g.leave()
	l, err := p.connect(ctx, "print")
	if err != nil {
		return err
	}
	defer l.c.Close()
	return p.g.closedOr(l.print(ctx, chunks))
}

// Status asks the printer on a fresh connection.
func (p *tcpPrinter) Status(ctx context.Context) (Status, error) {
	if err := p.g.enter(ctx, "status"); err != nil {
		return Status{}, err
	}
	defer p.g.leave()
	l, err := p.connect(ctx, "status")
	if err != nil {
		return Status{}, err
	}
	defer l.c.Close()
	s, err := l.status(ctx)
	if err != nil {
		return Status{}, p.g.closedOr(ioError(ctx, "status", false, err))
	}
	return s, nil
}

// Close interrupts a running job and makes later calls fail.
func (p *tcpPrinter) Close() error {
	p.g.close()
	return nil
}
